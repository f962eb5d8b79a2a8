import { DomainError } from "../errors.js";
import type { Violation } from "./errors.js";

/**
 * Why a NextMove `digital` or `print` message cannot become a DPI letter. The NextMove client's own mistakes
 * are `invalid`; a recipient whose registration gives DPI no way to reach them is `unsupported`; a Service
 * Registry record we cannot use is `upstream`. Paths name fields the way NextMove clients write them
 * (`digital.digitalPostInfo.virkningsdato`), since they are the ones who must fix them.
 */

/** The message is neither `digital` nor `print`, or lacks its business message. */
export class NextMoveNotDpiError extends DomainError {
  readonly code = "nextmove-not-dpi";
  readonly kind = "invalid";
  constructor(detail: string) {
    super(detail);
  }
}

/** Fields the integrasjonspunkt requires (its @NotNull and address checks) are absent or null. */
export class NextMoveFieldMissingError extends DomainError {
  readonly code = "nextmove-field-missing";
  readonly kind = "invalid";
  constructor(readonly fields: readonly string[]) {
    super(`required ${fields.length === 1 ? "field is" : "fields are"} missing: ${fields.join(", ")}`);
  }
}

/** Fields are present but cannot be read as what they must be (an enum value, a date, a security level). */
export class NextMoveFieldInvalidError extends DomainError {
  readonly code = "nextmove-field-invalid";
  readonly kind = "invalid";
  constructor(readonly violations: readonly Violation[]) {
    super(violations.map((v) => `${v.path}: ${v.message}`).join("; "));
  }
}

/** No hoveddokument is named, or no uploaded file has that name. */
export class NextMoveHoveddokumentMissingError extends DomainError {
  readonly code = "nextmove-hoveddokument-missing";
  readonly kind = "invalid";
  constructor(readonly hoveddokument: string | undefined) {
    super(
      hoveddokument === undefined
        ? "the business message names no hoveddokument"
        : `hoveddokument ${JSON.stringify(hoveddokument)} is not among the message's files`,
    );
  }
}

/** `metadataFiler` names files that were not uploaded. */
export class NextMoveMetadataFileMissingError extends DomainError {
  readonly code = "nextmove-metadata-file-missing";
  readonly kind = "invalid";
  constructor(readonly files: readonly string[]) {
    super(`metadataFiler names files the message does not have: ${files.map((f) => JSON.stringify(f)).join(", ")}`);
  }
}

/** The documents break a rule of the dokumentpakke (a name, a MIME type, a size or count limit). */
export class NextMoveDocumentRejectedError extends DomainError {
  readonly code = "nextmove-document-rejected";
  readonly kind = "invalid";
  constructor(detail: string, cause: unknown) {
    super(detail, { cause });
  }
}

/** A digital letter needs a postbox, and the person's record has none (reserved, inactive, print or another channel). */
export class RecipientHasNoPostboxError extends DomainError {
  readonly code = "dpi-recipient-no-postbox";
  readonly kind = "unsupported";
  constructor(detail: string) {
    super(detail);
  }
}

/** A print letter needs the print provider and its certificate, and neither the caller nor the person's record gave them. */
export class RecipientHasNoPrintError extends DomainError {
  readonly code = "dpi-recipient-no-print";
  readonly kind = "unsupported";
  constructor(detail: string) {
    super(detail);
  }
}

/** The Service Registry's (or KRR's) record holds something unusable: a provider that is no organisation number, a certificate that does not parse. */
export class RecipientRecordInvalidError extends DomainError {
  readonly code = "dpi-recipient-record-invalid";
  readonly kind = "upstream";
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
  }
}

/** The certificate given to sign with belongs to another organisation than the SBDH sender. */
export class SigningCertificateNotSenderError extends DomainError {
  readonly code = "nextmove-signer-not-sender";
  readonly kind = "forbidden";
  constructor(signer: string, sender: string) {
    super(`the business certificate given to sign with is ${signer}'s, but the message is sent by ${sender}`);
  }
}
