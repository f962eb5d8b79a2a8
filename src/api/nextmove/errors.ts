import { DomainError } from "../../errors.js";

/** HTTP Basic credentials that match no configured NextMove user (or are not user:password at all). */
export class BasicCredentialsInvalidError extends DomainError {
  readonly code = "nextmove-credentials-invalid";
  readonly kind = "unauthenticated";
}

/** The caller may not act for the organisation the message or query names. */
export class OrganisationNotAllowedError extends DomainError {
  readonly code = "nextmove-organisation-forbidden";
  readonly kind = "forbidden";
  constructor(readonly orgno: string, caller: string) {
    super(`${caller} may not act for organisation ${orgno}`);
  }
}

const EXCEPTIONS = "no.difi.meldingsutveksling.exceptions.";

/** No outgoing message with this id in the out-queue that the caller may see (MessageNotFoundException, 404). */
export class MessageNotFoundError extends DomainError {
  readonly code = "nextmove-message-not-found";
  readonly kind = "not-found";
  readonly ipException = `${EXCEPTIONS}MessageNotFoundException`;
  constructor(readonly messageId: string) {
    super(`Message with messageId = ${messageId} was not found`);
  }
}

/**
 * The files of a message together exceed what the channel takes (MaxFileSizeExceededException, 400), worded as
 * the integrasjonspunkt words it: bytes under 1 MB, else whole megabytes.
 */
export class MaxFileSizeExceededError extends DomainError {
  readonly code = "nextmove-max-file-size-exceeded";
  readonly kind = "invalid";
  readonly ipException = `${EXCEPTIONS}MaxFileSizeExceededException`;
  constructor(total: number, channel: string, limit: number) {
    const mb = (n: number) => `${Math.floor(n / (1024 * 1024))}MB`;
    const [t, l] = total < 1024 * 1024 ? [`${total}b`, `${limit}b`] : [mb(total), mb(limit)];
    super(`The combined file size for all attachments (${t}) exceeds the maximum allowed upload size for the target service (${channel}, ${l})`);
  }
}

/**
 * The SBD names no sender and the caller may act for more than one organisation, so there is no "own
 * organisation" to fill in as the integrasjonspunkt would (it serves exactly one).
 */
export class SenderRequiredError extends DomainError {
  readonly code = "nextmove-sender-required";
  readonly kind = "invalid";
  constructor(caller: string) {
    super(`${caller} may act for several organisations: the standardBusinessDocumentHeader must name the sender`);
  }
}

/** A file of a multipart message over the per-file limit (MultipartFileToLargeException, 400). */
export class MultipartFileTooLargeError extends DomainError {
  readonly code = "nextmove-multipart-file-too-large";
  readonly kind = "invalid";
  readonly ipException = `${EXCEPTIONS}MultipartFileToLargeException`;
  constructor(filename: string, max: number) {
    super(`The attachment named '${filename}' is too large. The maximum size for multipart requests is ${max} bytes. Please use the non-multipart API to avoid such problems.`);
  }
}
