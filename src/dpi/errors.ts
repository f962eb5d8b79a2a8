import { DomainError } from "../errors.js";

/**
 * Failures of the DPI domain checks on a forretningsmelding and its dokumentpakke. Each kind has its own
 * class and stable code; all are the sender's fault (kind `invalid`).
 */

/** One schema rule broken at one place of the JSON document. */
export interface Violation {
  /** JSONPath-like location, e.g. `$.standardBusinessDocument.digital.spraak`. */
  readonly path: string;
  readonly message: string;
}

const MAX_VIOLATIONS_IN_DETAIL = 20;

export class SbdInvalidError extends DomainError {
  readonly code = "sbd-invalid";
  readonly kind = "invalid";
  constructor(readonly violations: readonly Violation[]) {
    super(describeViolations(violations));
  }
}

function describeViolations(violations: readonly Violation[]): string {
  const shown = violations.slice(0, MAX_VIOLATIONS_IN_DETAIL).map((v) => `${v.path}: ${v.message}`);
  const hidden = violations.length - shown.length;
  return shown.join("; ") + (hidden > 0 ? `; and ${hidden} more` : "");
}

export class UnknownDocumentTypeError extends DomainError {
  readonly code = "unknown-document-type";
  readonly kind = "invalid";
  constructor(readonly documentType: string) {
    super(`documentIdentification.type ${JSON.stringify(documentType)} is not a DPI message type`);
  }
}

export class StandardTypeMismatchError extends DomainError {
  readonly code = "standard-type-mismatch";
  readonly kind = "invalid";
  constructor(
    readonly standard: string,
    readonly documentType: string,
  ) {
    super(
      `documentIdentification.standard ${JSON.stringify(standard)} is not the document type id of ${JSON.stringify(documentType)}`,
    );
  }
}

export class BodyKeyMismatchError extends DomainError {
  readonly code = "body-key-mismatch";
  readonly kind = "invalid";
  constructor(
    readonly documentType: string,
    readonly bodyKeys: readonly string[],
  ) {
    super(
      `documentIdentification.type is ${JSON.stringify(documentType)} but the body key is ${
        bodyKeys.length === 0 ? "missing" : JSON.stringify(bodyKeys[0])
      }`,
    );
  }
}

export class MultipleBodiesError extends DomainError {
  readonly code = "multiple-bodies";
  readonly kind = "invalid";
  constructor(readonly bodyKeys: readonly string[]) {
    super(
      `standardBusinessDocument has ${bodyKeys.length} bodies (${bodyKeys.map((k) => JSON.stringify(k)).join(", ")}); exactly one is allowed`,
    );
  }
}

export class ConversationIdMissingError extends DomainError {
  readonly code = "conversation-id-missing";
  readonly kind = "invalid";
  constructor(detail: string) {
    super(detail);
  }
}

export class ProcessMismatchError extends DomainError {
  readonly code = "process-mismatch";
  readonly kind = "invalid";
  constructor(
    readonly processId: string | undefined,
    readonly documentType: string,
    detail: string,
  ) {
    super(detail);
  }
}

export class DokumentpakkeNotCmsError extends DomainError {
  readonly code = "dokumentpakke-not-cms";
  readonly kind = "invalid";
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
  }
}

export class UnsupportedDigestMethodError extends DomainError {
  readonly code = "unsupported-digest-method";
  readonly kind = "invalid";
  constructor(readonly digestMethod: string) {
    super(`digestMethod ${JSON.stringify(digestMethod)} is not http://www.w3.org/2001/04/xmlenc#sha256`);
  }
}

export class FingerprintMismatchError extends DomainError {
  readonly code = "fingerprint-mismatch";
  readonly kind = "invalid";
  constructor() {
    super("the SHA-256 of the dokumentpakke does not equal dokumentpakkefingeravtrykk.digestValue");
  }
}

/** The CMS is well-formed but uses algorithms outside what we can decrypt (OAEP with a different MGF1 hash…). */
export class UnsupportedCmsAlgorithmError extends DomainError {
  readonly code = "unsupported-cms-algorithm";
  readonly kind = "invalid";
  constructor(detail: string) {
    super(detail);
  }
}

/** No recipient fits the given certificate, or the key or content could not be decrypted. */
export class DokumentpakkeDecryptError extends DomainError {
  readonly code = "dokumentpakke-decrypt-failed";
  readonly kind = "invalid";
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
  }
}
