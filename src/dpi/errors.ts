import { ProblemError } from "../problem.js";

/**
 * Failures of the DPI domain checks on a forretningsmelding and its dokumentpakke. Each kind has its own
 * class and stable code; all are the client's fault (400).
 */

/** One schema rule broken at one place of the JSON document. */
export interface Violation {
  /** JSONPath-like location, e.g. `$.standardBusinessDocument.digital.spraak`. */
  readonly path: string;
  readonly message: string;
}

const MAX_VIOLATIONS_IN_DETAIL = 20;

export class SbdInvalidError extends ProblemError {
  constructor(readonly violations: readonly Violation[]) {
    super(400, "sbd-invalid", "Invalid standard business document", describeViolations(violations));
    this.name = "SbdInvalidError";
  }
}

function describeViolations(violations: readonly Violation[]): string {
  const shown = violations.slice(0, MAX_VIOLATIONS_IN_DETAIL).map((v) => `${v.path}: ${v.message}`);
  const hidden = violations.length - shown.length;
  return shown.join("; ") + (hidden > 0 ? `; and ${hidden} more` : "");
}

export class UnknownDocumentTypeError extends ProblemError {
  constructor(readonly documentType: string) {
    super(
      400,
      "unknown-document-type",
      "Unknown DPI document type",
      `documentIdentification.type ${JSON.stringify(documentType)} is not a DPI message type`,
    );
    this.name = "UnknownDocumentTypeError";
  }
}

export class StandardTypeMismatchError extends ProblemError {
  constructor(
    readonly standard: string,
    readonly documentType: string,
  ) {
    super(
      400,
      "standard-type-mismatch",
      "Document standard does not match the document type",
      `documentIdentification.standard ${JSON.stringify(standard)} is not the document type id of ${JSON.stringify(documentType)}`,
    );
    this.name = "StandardTypeMismatchError";
  }
}

export class BodyKeyMismatchError extends ProblemError {
  constructor(
    readonly documentType: string,
    readonly bodyKeys: readonly string[],
  ) {
    super(
      400,
      "body-key-mismatch",
      "Body does not match the document type",
      `documentIdentification.type is ${JSON.stringify(documentType)} but the body key is ${
        bodyKeys.length === 0 ? "missing" : JSON.stringify(bodyKeys[0])
      }`,
    );
    this.name = "BodyKeyMismatchError";
  }
}

export class MultipleBodiesError extends ProblemError {
  constructor(readonly bodyKeys: readonly string[]) {
    super(
      400,
      "multiple-bodies",
      "More than one body",
      `standardBusinessDocument has ${bodyKeys.length} bodies (${bodyKeys.map((k) => JSON.stringify(k)).join(", ")}); exactly one is allowed`,
    );
    this.name = "MultipleBodiesError";
  }
}

export class ConversationIdMissingError extends ProblemError {
  constructor(detail: string) {
    super(400, "conversation-id-missing", "No single conversation id", detail);
    this.name = "ConversationIdMissingError";
  }
}

export class ProcessMismatchError extends ProblemError {
  constructor(
    readonly processId: string | undefined,
    readonly documentType: string,
    detail: string,
  ) {
    super(400, "process-mismatch", "Process does not fit the document type", detail);
    this.name = "ProcessMismatchError";
  }
}

export class DokumentpakkeNotCmsError extends ProblemError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(400, "dokumentpakke-not-cms", "Dokumentpakke is not CMS EnvelopedData", detail, options);
    this.name = "DokumentpakkeNotCmsError";
  }
}

export class UnsupportedDigestMethodError extends ProblemError {
  constructor(readonly digestMethod: string) {
    super(
      400,
      "unsupported-digest-method",
      "Unsupported dokumentpakke digest method",
      `digestMethod ${JSON.stringify(digestMethod)} is not http://www.w3.org/2001/04/xmlenc#sha256`,
    );
    this.name = "UnsupportedDigestMethodError";
  }
}

export class FingerprintMismatchError extends ProblemError {
  constructor() {
    super(
      400,
      "fingerprint-mismatch",
      "Dokumentpakke fingerprint mismatch",
      "the SHA-256 of the dokumentpakke does not equal dokumentpakkefingeravtrykk.digestValue",
    );
    this.name = "FingerprintMismatchError";
  }
}

/** The CMS is well-formed but uses algorithms outside what we can decrypt (OAEP with a different MGF1 hash…). */
export class UnsupportedCmsAlgorithmError extends ProblemError {
  constructor(detail: string) {
    super(400, "unsupported-cms-algorithm", "Unsupported CMS algorithm", detail);
    this.name = "UnsupportedCmsAlgorithmError";
  }
}

/** No recipient fits the given certificate, or the key or content could not be decrypted. */
export class DokumentpakkeDecryptError extends ProblemError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(400, "dokumentpakke-decrypt-failed", "Dokumentpakke could not be decrypted", detail, options);
    this.name = "DokumentpakkeDecryptError";
  }
}
