import { ProblemError } from "../problem.js";

/**
 * Why a Maskinporten bearer token was not accepted. Each kind has its own class and stable code.
 * 401 means "this is not a token we can trust" (the client should fetch a new one); 403 means "a trustworthy
 * token that does not grant this" (a new token will not help until Maskinporten access changes); 503 means
 * we could not get Maskinporten's keys, which is not the client's fault.
 */
export abstract class TokenError extends ProblemError {
  /** RFC 6750 error code for the `WWW-Authenticate` challenge; absent when no token was presented at all. */
  abstract readonly bearerError: "invalid_token" | "insufficient_scope" | undefined;

  /**
   * The `WWW-Authenticate` header value that should accompany this error (RFC 6750 section 3). The
   * description is the problem title, never the detail, so no token content is echoed back.
   */
  challenge(realm = "dpi-ap", scope?: string): string {
    const params = [`realm="${realm}"`];
    if (this.bearerError) {
      params.push(`error="${this.bearerError}"`, `error_description="${this.title}"`);
    }
    if (scope && this.bearerError === "insufficient_scope") params.push(`scope="${scope}"`);
    return `Bearer ${params.join(", ")}`;
  }
}

abstract class InvalidTokenError extends TokenError {
  readonly bearerError = "invalid_token" as const;
  constructor(code: string, title: string, detail: string, options?: { cause?: unknown }) {
    super(401, code, title, detail, options);
  }
}

abstract class ForbiddenTokenError extends TokenError {
  readonly bearerError = "insufficient_scope" as const;
  constructor(code: string, title: string, detail: string) {
    super(403, code, title, detail);
  }
}

export class TokenMissingError extends TokenError {
  readonly bearerError = undefined;
  constructor(detail = "The request has no Authorization header with a Bearer token") {
    super(401, "token-missing", "Bearer token missing", detail);
    this.name = "TokenMissingError";
  }
}

/** Not a well-formed JWT, not a bearer credential, or claims of the wrong type. */
export class TokenInvalidError extends InvalidTokenError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super("token-invalid", "Bearer token invalid", detail, options);
    this.name = "TokenInvalidError";
  }
}

export class TokenExpiredError extends InvalidTokenError {
  constructor(
    readonly expiredAt: Date | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      "token-expired",
      "Bearer token expired",
      expiredAt ? `The token expired at ${expiredAt.toISOString()}` : "The token has expired",
      options,
    );
    this.name = "TokenExpiredError";
  }
}

/** `iat` (or `nbf`) lies further in the future than the allowed clock skew. */
export class TokenNotYetValidError extends InvalidTokenError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super("token-not-yet-valid", "Bearer token not yet valid", detail, options);
    this.name = "TokenNotYetValidError";
  }
}

export class TokenSignatureInvalidError extends InvalidTokenError {
  constructor(options?: { cause?: unknown }) {
    super("token-signature-invalid", "Bearer token signature invalid", "The token signature does not verify", options);
    this.name = "TokenSignatureInvalidError";
  }
}

export class TokenAlgorithmNotAllowedError extends InvalidTokenError {
  constructor(
    readonly algorithm: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      "token-algorithm-not-allowed",
      "Bearer token algorithm not allowed",
      `The token is signed with ${JSON.stringify(algorithm ?? null)}; only RS256 is accepted`,
      options,
    );
    this.name = "TokenAlgorithmNotAllowedError";
  }
}

/** No key of the issuer's JWKS matches the token's `kid` (or several do). */
export class TokenKeyUnknownError extends InvalidTokenError {
  constructor(
    readonly kid: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      "token-key-unknown",
      "Bearer token signing key unknown",
      `No single key of the issuer's key set matches kid ${JSON.stringify(kid ?? null)}`,
      options,
    );
    this.name = "TokenKeyUnknownError";
  }
}

export class TokenIssuerInvalidError extends InvalidTokenError {
  constructor(
    readonly issuer: unknown,
    options?: { cause?: unknown },
  ) {
    super(
      "token-issuer-invalid",
      "Bearer token issuer not accepted",
      `The token issuer ${JSON.stringify(issuer ?? null)} is not the configured Maskinporten issuer`,
      options,
    );
    this.name = "TokenIssuerInvalidError";
  }
}

export class TokenAudienceInvalidError extends InvalidTokenError {
  constructor(
    readonly audience: unknown,
    options?: { cause?: unknown },
  ) {
    super(
      "token-audience-invalid",
      "Bearer token audience not accepted",
      audience === undefined
        ? "The token has no aud claim but this access point requires an audience-restricted token"
        : `The token audience ${JSON.stringify(audience)} does not include this access point`,
      options,
    );
    this.name = "TokenAudienceInvalidError";
  }
}

export class TokenScopeMissingError extends ForbiddenTokenError {
  constructor(
    readonly requiredScope: string,
    readonly grantedScopes: readonly string[],
  ) {
    super(
      "token-scope-missing",
      "Bearer token lacks the required scope",
      `The token grants ${grantedScopes.length === 0 ? "no scope" : JSON.stringify(grantedScopes.join(" "))}; ${JSON.stringify(requiredScope)} is required`,
    );
    this.name = "TokenScopeMissingError";
  }
}

export class TokenConsumerMissingError extends ForbiddenTokenError {
  constructor() {
    super("token-consumer-missing", "Bearer token has no consumer", "The token has no consumer claim");
    this.name = "TokenConsumerMissingError";
  }
}

/** `consumer` or `supplier` is present but not `{authority: "iso6523-actorid-upis", ID: "0192:<9 digits>"}`. */
export class TokenPartyInvalidError extends ForbiddenTokenError {
  constructor(
    readonly claim: "consumer" | "supplier",
    reason: string,
  ) {
    super(`token-${claim}-invalid`, `Bearer token ${claim} not understood`, `The ${claim} claim ${reason}`);
    this.name = "TokenPartyInvalidError";
  }
}

/** The issuer's key set could not be fetched or parsed; the token may be fine. */
export class TokenKeysUnavailableError extends TokenError {
  readonly bearerError = undefined;
  constructor(options?: { cause?: unknown }) {
    super(
      503,
      "token-keys-unavailable",
      "Maskinporten keys unavailable",
      "The access point could not fetch Maskinporten's key set to verify the token",
      options,
    );
    this.name = "TokenKeysUnavailableError";
  }
}
