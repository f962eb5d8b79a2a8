/**
 * Failure kinds of an SMP lookup, one class each with a stable `code`.
 *
 * They are ProblemErrors because a letter whose receiver cannot be looked up is refused to corner 1 with
 * one of them. Two families:
 * - the receiver's registration does not allow the message (422, never retryable: asking again gives the
 *   same answer until the receiver changes its registration);
 * - the SMP or the way to it failed (502/504): `retryable` says whether trying again later may help.
 */
import { ProblemError } from "../problem.js";

export abstract class SmpError extends ProblemError {
  /** Whether the same lookup may succeed later without anyone changing a registration. */
  abstract readonly retryable: boolean;
  constructor(status: number, code: string, title: string, detail: string, options?: { cause?: unknown }) {
    super(status, code, title, detail, options);
    this.name = new.target.name;
  }
}

// --- the registration does not allow the message ------------------------------------------------------

/** The SMP has no ServiceGroup for the participant (HTTP 404). */
export class SmpParticipantNotRegisteredError extends SmpError {
  override readonly code = "peppol-smp-participant-not-registered";
  readonly retryable = false;
  constructor(detail: string, options?: { cause?: unknown }) {
    super(422, "peppol-smp-participant-not-registered", "Receiver is not registered in the SMP", detail, options);
  }
}

/** The participant is registered but has no ServiceMetadata for the document type (HTTP 404). */
export class SmpDocumentTypeNotSupportedError extends SmpError {
  override readonly code = "peppol-smp-document-type-not-supported";
  readonly retryable = false;
  constructor(detail: string, options?: { cause?: unknown }) {
    super(422, "peppol-smp-document-type-not-supported", "Receiver does not accept this document type", detail, options);
  }
}

/** The ServiceMetadata lists no Process with the requested process identifier. */
export class SmpProcessNotSupportedError extends SmpError {
  override readonly code = "peppol-smp-process-not-supported";
  readonly retryable = false;
  constructor(detail: string) {
    super(422, "peppol-smp-process-not-supported", "Receiver does not accept this process", detail);
  }
}

/** The process has endpoints, but none with the requested transport profile. */
export class SmpNoAs4EndpointError extends SmpError {
  override readonly code = "peppol-smp-no-as4-endpoint";
  readonly retryable = false;
  constructor(detail: string) {
    super(422, "peppol-smp-no-as4-endpoint", "Receiver has no endpoint for the transport profile", detail);
  }
}

/** Endpoints with the transport profile exist, but none is active at the lookup time. */
export class SmpEndpointNotActiveError extends SmpError {
  override readonly code = "peppol-smp-endpoint-not-active";
  readonly retryable = false;
  constructor(detail: string) {
    super(422, "peppol-smp-endpoint-not-active", "Receiver's endpoint is not active", detail);
  }
}

// --- the SMP answered, but its answer cannot be trusted or read ------------------------------------------

/** SignedServiceMetadata without a ds:Signature. */
export class SmpMissingSignatureError extends SmpError {
  override readonly code = "peppol-smp-signature-missing";
  readonly retryable = false;
  constructor(detail: string) {
    super(502, "peppol-smp-signature-missing", "SMP response is not signed", detail);
  }
}

/** The signature does not verify, breaks the policy (algorithms, reference, placement) or is ambiguous. */
export class SmpBadSignatureError extends SmpError {
  override readonly code = "peppol-smp-bad-signature";
  readonly retryable = false;
  constructor(detail: string, options?: { cause?: unknown }) {
    super(502, "peppol-smp-bad-signature", "SMP response signature is invalid", detail, options);
  }
}

/** The signing certificate does not chain to a configured SMP CA at the lookup time (or is revoked). */
export class SmpUntrustedCertificateError extends SmpError {
  override readonly code = "peppol-smp-untrusted-certificate";
  readonly retryable = false;
  constructor(detail: string, options?: { cause?: unknown }) {
    super(502, "peppol-smp-untrusted-certificate", "SMP signing certificate is not trusted", detail, options);
  }
}

/** The returned participant or document identifier is not the one asked for. */
export class SmpIdentifierMismatchError extends SmpError {
  override readonly code = "peppol-smp-identifier-mismatch";
  readonly retryable = false;
  constructor(detail: string) {
    super(502, "peppol-smp-identifier-mismatch", "SMP answered for another identifier", detail);
  }
}

/** A Redirect led to another Redirect (only one hop is allowed). */
export class SmpRedirectLoopError extends SmpError {
  override readonly code = "peppol-smp-redirect-refused";
  readonly retryable = false;
  constructor(detail: string) {
    super(502, "peppol-smp-redirect-refused", "SMP redirected more than once", detail);
  }
}

/** The redirect target was signed by a certificate whose subject is not the Redirect's CertificateUID. */
export class SmpRedirectCertificateMismatchError extends SmpError {
  override readonly code = "peppol-smp-redirect-certificate-mismatch";
  readonly retryable = false;
  constructor(detail: string) {
    super(502, "peppol-smp-redirect-certificate-mismatch", "Redirect target is signed by an unexpected certificate", detail);
  }
}

/** Not well-formed, forbidden XML constructs, or not the busdox SMP 1.x shape. */
export class SmpMalformedResponseError extends SmpError {
  override readonly code = "peppol-smp-malformed-response";
  readonly retryable = false;
  constructor(detail: string, options?: { cause?: unknown }) {
    super(502, "peppol-smp-malformed-response", "SMP response cannot be read", detail, options);
  }
}

// --- the way to the SMP ------------------------------------------------------------------------------------

export type SmpHttpFailureKind = "network" | "timeout" | "status" | "too-large";

/**
 * The SMP could not be reached or answered with an unexpected HTTP status. Network failures, timeouts, 5xx,
 * 408 and 429 are retryable; other statuses (including 3xx: we do not follow HTTP redirects) and oversized
 * responses are not.
 */
export class SmpHttpError extends SmpError {
  override readonly code = "peppol-smp-http-failure";
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;
  constructor(
    readonly kind: SmpHttpFailureKind,
    readonly url: string,
    detail: string,
    options: { retryable: boolean; httpStatus?: number; cause?: unknown },
  ) {
    super(kind === "timeout" ? 504 : 502, "peppol-smp-http-failure", "SMP could not be queried", detail, options);
    this.retryable = options.retryable;
    this.httpStatus = options.httpStatus;
  }
}
