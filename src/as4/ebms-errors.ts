/**
 * Every ebMS 3 / AS4 error code in one table (ebMS 3 Core §6.7, AS4 profile §3.4/§5), and the one error
 * class that inbound processing throws. Each failure kind maps to exactly one row; the row decides the
 * severity, category and origin written into the Error signal.
 */

export type EbmsSeverity = "failure" | "warning";
export type EbmsCategory = "Content" | "Communication" | "Unpackaging" | "Processing";
export type EbmsOrigin = "ebMS" | "reliability" | "security";

export interface EbmsErrorDefinition {
  readonly shortDescription: string;
  readonly severity: EbmsSeverity;
  readonly category: EbmsCategory;
  readonly origin: EbmsOrigin;
  /** The specification's meaning, written to eb:Description when no more specific text is given. */
  readonly description: string;
}

export const EBMS_ERRORS = {
  "EBMS:0001": {
    shortDescription: "ValueNotRecognized",
    severity: "failure",
    category: "Content",
    origin: "ebMS",
    description: "An element or attribute contains a value that could not be recognized.",
  },
  "EBMS:0002": {
    shortDescription: "FeatureNotSupported",
    severity: "warning",
    category: "Content",
    origin: "ebMS",
    description: "An element or attribute requests a feature that this MSH does not support.",
  },
  "EBMS:0003": {
    shortDescription: "ValueInconsistent",
    severity: "failure",
    category: "Content",
    origin: "ebMS",
    description: "An element or attribute value is inconsistent with other content, the P-Mode or ebMS rules.",
  },
  "EBMS:0004": {
    shortDescription: "Other",
    severity: "failure",
    category: "Content",
    origin: "ebMS",
    description: "An error occurred that is not covered by another error code.",
  },
  "EBMS:0005": {
    shortDescription: "ConnectionFailure",
    severity: "failure",
    category: "Communication",
    origin: "ebMS",
    description: "The MSH is experiencing temporary or permanent failure in trying to open a transport connection.",
  },
  "EBMS:0006": {
    shortDescription: "EmptyMessagePartitionChannel",
    severity: "warning",
    category: "Communication",
    origin: "ebMS",
    description: "There is no message available for pulling from this MPC.",
  },
  "EBMS:0007": {
    shortDescription: "MimeInconsistency",
    severity: "failure",
    category: "Unpackaging",
    origin: "ebMS",
    description: "The use of MIME is not consistent with the required usage in this specification.",
  },
  "EBMS:0008": {
    shortDescription: "FeatureNotSupportedInconsistency",
    severity: "failure",
    category: "Unpackaging",
    origin: "ebMS",
    description: "Although the header is well formed, it uses a feature this MSH does not support.",
  },
  "EBMS:0009": {
    shortDescription: "InvalidHeader",
    severity: "failure",
    category: "Unpackaging",
    origin: "ebMS",
    description: "The ebMS header is not well formed or does not conform to the ebMS packaging rules.",
  },
  "EBMS:0010": {
    shortDescription: "ProcessingModeMismatch",
    severity: "failure",
    category: "Processing",
    origin: "ebMS",
    description: "The ebMS header is not compatible with the expected content, based on the associated P-Mode.",
  },
  "EBMS:0011": {
    shortDescription: "ExternalPayloadError",
    severity: "failure",
    category: "Content",
    origin: "ebMS",
    description: "The MSH is unable to resolve an external payload reference.",
  },
  "EBMS:0101": {
    shortDescription: "FailedAuthentication",
    severity: "failure",
    category: "Processing",
    origin: "security",
    description: "The signature could not be verified or the sender could not be authenticated.",
  },
  "EBMS:0102": {
    shortDescription: "FailedDecryption",
    severity: "failure",
    category: "Processing",
    origin: "security",
    description: "The encrypted data reference the Security header intended for the ebMS node could not be decrypted.",
  },
  "EBMS:0103": {
    shortDescription: "PolicyNoncompliance",
    severity: "failure",
    category: "Processing",
    origin: "security",
    description: "The security methods, parameters or scope of the message do not satisfy the security policy.",
  },
  "EBMS:0201": {
    shortDescription: "DysfunctionalReliability",
    severity: "failure",
    category: "Processing",
    origin: "reliability",
    description: "Some reliability function as implemented by the reliability module is not operational.",
  },
  "EBMS:0202": {
    shortDescription: "DeliveryFailure",
    severity: "failure",
    category: "Communication",
    origin: "reliability",
    description: "The message could not be delivered.",
  },
  "EBMS:0301": {
    shortDescription: "MissingReceipt",
    severity: "failure",
    category: "Communication",
    origin: "ebMS",
    description: "A receipt has not been received for a message that was previously sent.",
  },
  "EBMS:0302": {
    shortDescription: "InvalidReceipt",
    severity: "failure",
    category: "Communication",
    origin: "ebMS",
    description: "A receipt has been received for a message that was previously sent, but it is invalid.",
  },
  "EBMS:0303": {
    shortDescription: "DecompressionFailure",
    severity: "failure",
    category: "Communication",
    origin: "ebMS",
    description: "An error occurred during the decompression.",
  },
} as const satisfies Record<string, EbmsErrorDefinition>;

export type EbmsErrorCode = keyof typeof EBMS_ERRORS;

/**
 * Peppol AS4 profile §4: a receiving AP that does not serve the participant, document type or process
 * answers EBMS:0004 with exactly this ErrorDetail.
 */
export const PEPPOL_NOT_SERVICED = "PEPPOL:NOT_SERVICED";

export interface EbmsErrorOptions {
  /** MessageId of the message in error (eb:Error/@refToMessageInError and the signal's RefToMessageId). */
  refToMessageId?: string;
  /** Longer human text for eb:Description; defaults to the table's description. */
  description?: string;
  cause?: unknown;
}

/**
 * The one error inbound AS4 checks throw. `detail` becomes eb:ErrorDetail; keep it free of secrets, the
 * sender reads it.
 */
export class EbmsError extends Error {
  readonly code: EbmsErrorCode;
  readonly detail: string;
  readonly refToMessageId: string | undefined;
  readonly description: string;

  constructor(code: EbmsErrorCode, detail: string, options: EbmsErrorOptions = {}) {
    super(`${code} ${EBMS_ERRORS[code].shortDescription}: ${detail}`, { cause: options.cause });
    this.name = "EbmsError";
    this.code = code;
    this.detail = detail;
    this.refToMessageId = options.refToMessageId;
    this.description = options.description ?? EBMS_ERRORS[code].description;
  }

  get definition(): EbmsErrorDefinition {
    return EBMS_ERRORS[this.code];
  }
  get shortDescription(): string {
    return EBMS_ERRORS[this.code].shortDescription;
  }
  get severity(): EbmsSeverity {
    return EBMS_ERRORS[this.code].severity;
  }
  get category(): EbmsCategory {
    return EBMS_ERRORS[this.code].category;
  }
  get origin(): EbmsOrigin {
    return EBMS_ERRORS[this.code].origin;
  }

  /** The same error, now knowing which message it concerns (header parsing learns the id late). */
  withRefToMessageId(refToMessageId: string): EbmsError {
    if (this.refToMessageId !== undefined) return this;
    return new EbmsError(this.code, this.detail, { refToMessageId, description: this.description, cause: this.cause });
  }

  /** Peppol's mandated answer for a participant, document type or process this AP does not serve. */
  static notServiced(refToMessageId?: string, description?: string): EbmsError {
    return new EbmsError("EBMS:0004", PEPPOL_NOT_SERVICED, {
      ...(refToMessageId !== undefined ? { refToMessageId } : {}),
      description: description ?? "The receiving access point does not serve this participant, document type or process.",
    });
  }
}
