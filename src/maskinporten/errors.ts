import { DomainError } from "../errors.js";

/**
 * Why a Maskinporten bearer token was not accepted. Each kind has its own class and stable code.
 * `unauthenticated` means "this is not a token we can trust" (the client should fetch a new one); `forbidden`
 * means "a trustworthy token that does not grant this" (a new token will not help until Maskinporten access
 * changes); `unavailable` means we could not get Maskinporten's keys, which is not the client's fault.
 */
export abstract class TokenError extends DomainError {}

abstract class InvalidTokenError extends TokenError {
  readonly kind = "unauthenticated";
}

abstract class ForbiddenTokenError extends TokenError {
  readonly kind = "forbidden";
}

export class TokenMissingError extends TokenError {
  readonly code = "token-missing";
  readonly kind = "unauthenticated";
  constructor(detail = "The request has no Authorization header with a Bearer token") {
    super(detail);
  }
}

/** Not a well-formed JWT, not a bearer credential, or claims of the wrong type. */
export class TokenInvalidError extends InvalidTokenError {
  readonly code = "token-invalid";
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
  }
}

export class TokenExpiredError extends InvalidTokenError {
  readonly code = "token-expired";
  constructor(
    readonly expiredAt: Date | undefined,
    options?: { cause?: unknown },
  ) {
    super(expiredAt ? `The token expired at ${expiredAt.toISOString()}` : "The token has expired", options);
  }
}

/** `iat` (or `nbf`) lies further in the future than the allowed clock skew. */
export class TokenNotYetValidError extends InvalidTokenError {
  readonly code = "token-not-yet-valid";
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
  }
}

export class TokenSignatureInvalidError extends InvalidTokenError {
  readonly code = "token-signature-invalid";
  constructor(options?: { cause?: unknown }) {
    super("The token signature does not verify", options);
  }
}

export class TokenAlgorithmNotAllowedError extends InvalidTokenError {
  readonly code = "token-algorithm-not-allowed";
  constructor(
    readonly algorithm: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `The token is signed with ${JSON.stringify(algorithm ?? null)}; only RS256 is accepted`,
      options,
    );
  }
}

/** No key of the issuer's JWKS matches the token's `kid` (or several do). */
export class TokenKeyUnknownError extends InvalidTokenError {
  readonly code = "token-key-unknown";
  constructor(
    readonly kid: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`No single key of the issuer's key set matches kid ${JSON.stringify(kid ?? null)}`, options);
  }
}

export class TokenIssuerInvalidError extends InvalidTokenError {
  readonly code = "token-issuer-invalid";
  constructor(
    readonly issuer: unknown,
    options?: { cause?: unknown },
  ) {
    super(
      `The token issuer ${JSON.stringify(issuer ?? null)} is not the configured Maskinporten issuer`,
      options,
    );
  }
}

export class TokenAudienceInvalidError extends InvalidTokenError {
  readonly code = "token-audience-invalid";
  constructor(
    readonly audience: unknown,
    options?: { cause?: unknown },
  ) {
    super(
      audience === undefined
        ? "The token has no aud claim but this access point requires an audience-restricted token"
        : `The token audience ${JSON.stringify(audience)} does not include this access point`,
      options,
    );
  }
}

export class TokenScopeMissingError extends ForbiddenTokenError {
  readonly code = "token-scope-missing";
  constructor(
    readonly requiredScope: string,
    readonly grantedScopes: readonly string[],
  ) {
    super(
      `The token grants ${grantedScopes.length === 0 ? "no scope" : JSON.stringify(grantedScopes.join(" "))}; ${JSON.stringify(requiredScope)} is required`,
    );
  }
}

export class TokenConsumerMissingError extends ForbiddenTokenError {
  readonly code = "token-consumer-missing";
  constructor() {
    super("The token has no consumer claim");
  }
}

/** `consumer` or `supplier` is present but not `{authority: "iso6523-actorid-upis", ID: "0192:<9 digits>"}`. */
export class TokenPartyInvalidError extends ForbiddenTokenError {
  readonly code: "token-consumer-invalid" | "token-supplier-invalid";
  constructor(
    readonly claim: "consumer" | "supplier",
    reason: string,
  ) {
    super(`The ${claim} claim ${reason}`);
    this.code = `token-${claim}-invalid`;
  }
}

/** The issuer's key set could not be fetched or parsed; the token may be fine. */
export class TokenKeysUnavailableError extends TokenError {
  readonly code = "token-keys-unavailable";
  readonly kind = "unavailable";
  constructor(options?: { cause?: unknown }) {
    super("The access point could not fetch Maskinporten's key set to verify the token", options);
  }
}
