/**
 * Failure kinds of an SMP lookup, one class each with a stable `code`. Three families:
 * - the receiver's registration does not allow the message (kind `unsupported`: asking again gives the same
 *   answer until the receiver changes its registration);
 * - the SMP answered, but its answer cannot be trusted or read (kind `upstream`);
 * - the way to the SMP failed: `unavailable` when trying again later may help, else `upstream`.
 */
import { DomainError, type ErrorKind } from "../errors.js";

export abstract class SmpError extends DomainError {}

// --- the registration does not allow the message ------------------------------------------------------

/** The SMP has no ServiceGroup for the participant (HTTP 404). */
export class SmpParticipantNotRegisteredError extends SmpError {
  readonly code = "peppol-smp-participant-not-registered";
  readonly kind = "unsupported";
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
  }
}

/** The participant is registered but has no ServiceMetadata for the document type (HTTP 404). */
export class SmpDocumentTypeNotSupportedError extends SmpError {
  readonly code = "peppol-smp-document-type-not-supported";
  readonly kind = "unsupported";
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
  }
}

/** The ServiceMetadata lists no Process with the requested process identifier. */
export class SmpProcessNotSupportedError extends SmpError {
  readonly code = "peppol-smp-process-not-supported";
  readonly kind = "unsupported";
  constructor(detail: string) {
    super(detail);
  }
}

/** The process has endpoints, but none with the requested transport profile. */
export class SmpNoAs4EndpointError extends SmpError {
  readonly code = "peppol-smp-no-as4-endpoint";
  readonly kind = "unsupported";
  constructor(detail: string) {
    super(detail);
  }
}

/** Endpoints with the transport profile exist, but none is active at the lookup time. */
export class SmpEndpointNotActiveError extends SmpError {
  readonly code = "peppol-smp-endpoint-not-active";
  readonly kind = "unsupported";
  constructor(detail: string) {
    super(detail);
  }
}

// --- the SMP answered, but its answer cannot be trusted or read ------------------------------------------

/** SignedServiceMetadata without a ds:Signature. */
export class SmpMissingSignatureError extends SmpError {
  readonly code = "peppol-smp-signature-missing";
  readonly kind = "upstream";
  constructor(detail: string) {
    super(detail);
  }
}

/** The signature does not verify, breaks the policy (algorithms, reference, placement) or is ambiguous. */
export class SmpBadSignatureError extends SmpError {
  readonly code = "peppol-smp-bad-signature";
  readonly kind = "upstream";
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
  }
}

/**
 * The signing certificate does not chain to a configured SMP CA at the lookup time (or is revoked). When the
 * cause is a revocation outage (an `unavailable` error of the revocation check), so is this: the certificate
 * may well be good, and the same lookup may succeed later.
 */
export class SmpUntrustedCertificateError extends SmpError {
  readonly code = "peppol-smp-untrusted-certificate";
  readonly kind: ErrorKind;
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    const cause = options?.cause;
    this.kind = cause instanceof DomainError && cause.kind === "unavailable" ? "unavailable" : "upstream";
  }
}

/** The returned participant or document identifier is not the one asked for. */
export class SmpIdentifierMismatchError extends SmpError {
  readonly code = "peppol-smp-identifier-mismatch";
  readonly kind = "upstream";
  constructor(detail: string) {
    super(detail);
  }
}

/** A Redirect led to another Redirect (only one hop is allowed). */
export class SmpRedirectLoopError extends SmpError {
  readonly code = "peppol-smp-redirect-refused";
  readonly kind = "upstream";
  constructor(detail: string) {
    super(detail);
  }
}

/** The redirect target was signed by a certificate whose subject is not the Redirect's CertificateUID. */
export class SmpRedirectCertificateMismatchError extends SmpError {
  readonly code = "peppol-smp-redirect-certificate-mismatch";
  readonly kind = "upstream";
  constructor(detail: string) {
    super(detail);
  }
}

/** Not well-formed, forbidden XML constructs, or not the busdox SMP 1.x shape. */
export class SmpMalformedResponseError extends SmpError {
  readonly code = "peppol-smp-malformed-response";
  readonly kind = "upstream";
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
  }
}

// --- the way to the SMP ------------------------------------------------------------------------------------

export type SmpHttpFailureKind = "network" | "timeout" | "status" | "too-large";

/**
 * The SMP could not be reached or answered with an unexpected HTTP status. Network failures, timeouts, 5xx,
 * 408 and 429 are `unavailable` (worth trying again); other statuses (including 3xx: we do not follow HTTP
 * redirects), oversized responses and requests that cannot be sent at all are `upstream`.
 */
export class SmpHttpError extends SmpError {
  readonly code = "peppol-smp-http-failure";
  readonly kind: "unavailable" | "upstream";
  readonly httpStatus: number | undefined;
  constructor(
    readonly failure: SmpHttpFailureKind,
    readonly url: string,
    detail: string,
    options: { kind: "unavailable" | "upstream"; httpStatus?: number; cause?: unknown },
  ) {
    super(detail, options);
    this.kind = options.kind;
    this.httpStatus = options.httpStatus;
  }
}
