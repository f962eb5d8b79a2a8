/**
 * Failure kinds of a Service Registry lookup, one class each with a stable `code`. Three families:
 * - the registry has no answer for what was asked (404) or refuses the question as asked (400);
 * - the registry answered, but the answer cannot be trusted or read (unsigned, bad signature, unknown key,
 *   malformed, about another party): kind `upstream`;
 * - the way to the registry failed (network, timeout, 5xx, no token): `unavailable` when trying again later
 *   may help, else `upstream`.
 */
import { DomainError } from "../../errors.js";

export abstract class ServiceRegistryError extends DomainError {}

/**
 * The registry answered 404 ([IP] `NotFoundInServiceRegistryException`): no such organisation or person, or no
 * record for the process. `srDescription` is the registry's own `error_description`, when it gave one.
 */
export class NotFoundInServiceRegistryError extends ServiceRegistryError {
  readonly code = "service-registry-not-found";
  readonly kind = "not-found";
  constructor(
    /** The lookup as the integrasjonspunkt prints it (`SRParameter(...)`), or the path asked for. */
    readonly parameters: string,
    readonly srDescription?: string | undefined,
    detail = `Service record not found for parameters: ${parameters}`,
  ) {
    super(detail);
  }
}

/**
 * The registry answered 400: it will not answer this question as asked (e.g. a security level the receiver
 * cannot take, an identifier it does not read). Asking again unchanged gives the same answer.
 */
export class ServiceRegistryRefusedError extends ServiceRegistryError {
  readonly code = "service-registry-refused";
  readonly kind = "invalid";
  constructor(
    readonly parameters: string,
    readonly srDescription: string | undefined,
  ) {
    // The integrasjonspunkt's wording (ServiceRegistryClient), so its API's `description` reads alike.
    super(
      srDescription === undefined
        ? `Caught exception when looking up service record with parameter ${parameters}, http status: 400 BAD_REQUEST (Bad Request)`
        : `Caught exception when looking up service record with parameter ${parameters}, http status 400 BAD_REQUEST (Bad Request): ${srDescription}`,
    );
  }
}

/** Signing is required, but the answer is not a compact JWS (or says it is JSON or text). */
export class ServiceRegistryUnsignedResponseError extends ServiceRegistryError {
  readonly code = "service-registry-response-unsigned";
  readonly kind = "upstream";
  constructor(detail: string) {
    super(detail);
  }
}

/** The JWS does not verify with the registry's key, or uses an algorithm other than RS256. */
export class ServiceRegistryBadSignatureError extends ServiceRegistryError {
  readonly code = "service-registry-bad-signature";
  readonly kind = "upstream";
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
  }
}

/** No key of the registry's JWK set (fetched again once) matches the JWS's `kid`. */
export class ServiceRegistryKeyUnknownError extends ServiceRegistryError {
  readonly code = "service-registry-signing-key-unknown";
  readonly kind = "upstream";
  constructor(
    readonly kid: string | undefined,
    detail: string,
  ) {
    super(detail);
  }
}

/** The (verified) payload, or the JWK set, is not the JSON shape the registry writes. */
export class ServiceRegistryMalformedResponseError extends ServiceRegistryError {
  readonly code = "service-registry-malformed-response";
  readonly kind = "upstream";
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
  }
}

/**
 * A record is about another party or process than the one asked for. A signature cannot catch this (a signed
 * answer for someone else is still signed), so the client compares.
 */
export class ServiceRegistryIdentifierMismatchError extends ServiceRegistryError {
  readonly code = "service-registry-identifier-mismatch";
  readonly kind = "upstream";
  constructor(detail: string) {
    super(detail);
  }
}

/** The token provider failed with something that is not a domain error of its own (those pass unchanged). */
export class ServiceRegistryTokenError extends ServiceRegistryError {
  readonly code = "service-registry-token-unavailable";
  readonly kind = "unavailable";
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
  }
}

export type ServiceRegistryHttpFailure = "network" | "timeout" | "status" | "too-large";

/**
 * The registry could not be reached, or answered with a status other than 200, 400 and 404. Network failures,
 * timeouts, 5xx, 408 and 429 are `unavailable`; the rest (401 and 403 included: our token is refused, which a
 * retry does not mend) `upstream`.
 */
export class ServiceRegistryHttpError extends ServiceRegistryError {
  readonly code = "service-registry-http-failure";
  readonly kind: "unavailable" | "upstream";
  readonly httpStatus: number | undefined;
  readonly srDescription: string | undefined;
  constructor(
    readonly failure: ServiceRegistryHttpFailure,
    readonly url: string,
    detail: string,
    options: { kind: "unavailable" | "upstream"; httpStatus?: number; srDescription?: string | undefined; cause?: unknown },
  ) {
    super(detail, options);
    this.kind = options.kind;
    this.httpStatus = options.httpStatus;
    this.srDescription = options.srDescription;
  }
}
