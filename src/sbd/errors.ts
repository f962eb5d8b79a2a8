import { DomainError, type ErrorKind } from "../errors.js";

/**
 * The integrasjonspunkt's refusals of a NextMove SBD (its `ip/exceptions/*.java`), one class each. The detail
 * is the IP's own message text (`messages.properties`, formatted as Spring's MessageSource does), `ipException`
 * the class name it puts in the error body's `exception` field and `ipStatus` the HTTP status it answers with.
 * The kind is chosen so that the REST edge's status for it is the IP's: 400 → invalid, 404 → not-found.
 * Where the IP fails with an unchecked exception (HTTP 500) we answer 400 instead and say so on the class.
 */

const EXCEPTIONS = "no.difi.meldingsutveksling.exceptions.";

export abstract class NextMoveError extends DomainError {
  /** Fully qualified Java class name of the IP's exception (the `exception` field of its error body). */
  abstract readonly ipException: string;
  /** The HTTP status the IP answers with. */
  readonly ipStatus: number = 400;
  readonly kind: ErrorKind = "invalid";
}

/** One broken constraint (a Bean Validation violation in the IP), at a property path like Hibernate's. */
export interface Violation {
  /** e.g. `standardBusinessDocumentHeader.documentIdentification.standard`, `arkivmelding.sikkerhetsnivaa`. */
  readonly path: string;
  readonly message: string;
}

// ---- reading the JSON ----------------------------------------------------------------------------------

/**
 * The JSON is not an SBD the IP can read: not an object, a value of the wrong JSON type, the business message
 * missing or under another key, an unknown enum value. The IP answers these with Spring's
 * HttpMessageNotReadableException (400); the detail is ours.
 */
export class SbdUnreadableError extends NextMoveError {
  readonly code = "nextmove-sbd-unreadable";
  readonly ipException = "org.springframework.http.converter.HttpMessageNotReadableException";
  constructor(readonly violations: readonly Violation[]) {
    super(describe(violations));
  }
}

/** Bean Validation refused the SBD (jakarta ConstraintViolationException / MethodArgumentNotValidException, 400). */
export class SbdConstraintViolationError extends NextMoveError {
  readonly code = "nextmove-constraint-violation";
  readonly ipException = "jakarta.validation.ConstraintViolationException";
  constructor(readonly violations: readonly Violation[]) {
    super(describe(violations));
  }
}

/** A sender or receiver identifier that none of the IP's PartnerIdentifier parsers takes (IP: IllegalArgumentException, 500). */
export class PartnerIdentifierInvalidError extends NextMoveError {
  readonly code = "nextmove-partner-identifier-invalid";
  readonly ipException = "java.lang.IllegalArgumentException";
  override readonly ipStatus = 500;
  constructor(
    readonly value: string,
    readonly authority: string | undefined,
  ) {
    super(
      authority === undefined || authority === "iso6523-actorid-upis" || authority === "nhn-actorid"
        ? `Unable to parse identifier = '${value}'`
        : `Unknown authority = ${authority}`,
    );
  }
}

/**
 * No ConversationId scope with a process where the IP needs one. It fails there with an unchecked exception
 * (500): IllegalStateException "SBD missing process" when it looks the receiver up, NextMoveRuntimeException
 * "Missing conversation ID scope!" when it fills in the TTL.
 */
export class MissingConversationIdScopeError extends NextMoveError {
  readonly code = "nextmove-missing-conversation-scope";
  readonly ipException = "java.lang.IllegalStateException";
  override readonly ipStatus = 500;
  constructor() {
    super("SBD missing process");
  }
}

// ---- NextMoveValidator.validate(sbd) --------------------------------------------------------------------

export class UnknownMessageTypeError extends NextMoveError {
  readonly code = "nextmove-unknown-message-type";
  readonly ipException = `${EXCEPTIONS}UnknownMessageTypeException`;
  constructor(
    readonly type: string | undefined,
    expected: readonly string[],
  ) {
    super(`Unknown NextMove document type ${String(type)}. Expected one of the following values: ${expected.join(", ")}`);
  }
}

export class MessageTypeDoesNotFitDocumentTypeError extends NextMoveError {
  readonly code = "nextmove-message-type-mismatch";
  readonly ipException = `${EXCEPTIONS}MessageTypeDoesNotFitDocumentTypeException`;
  constructor(
    readonly type: string,
    readonly standard: string,
  ) {
    super(`Message type ${type} does not match the document type ${standard}`);
  }
}

export class ServiceNotEnabledError extends NextMoveError {
  readonly code = "nextmove-service-not-enabled";
  readonly ipException = `${EXCEPTIONS}ServiceNotEnabledException`;
  constructor(readonly channel: string) {
    super(`Service ${channel} is not enabled`);
  }
}

export class MessageChannelInvalidError extends NextMoveError {
  readonly code = "nextmove-message-channel-invalid";
  readonly ipException = `${EXCEPTIONS}MessageChannelInvalidException`;
  constructor(
    readonly configured: string,
    readonly found: string,
  ) {
    super(`Valid channels: ${configured}, but found ${found} in SBDH`);
  }
}

export class ForsendelseTypeNotFoundError extends NextMoveError {
  readonly code = "nextmove-forsendelse-type-not-found";
  readonly ipException = `${EXCEPTIONS}ForsendelseTypeNotFoundException`;
  constructor(
    readonly forsendelseType: string,
    readonly validTypes: readonly string[],
  ) {
    super(`Found forsendelseType ${forsendelseType}, but valid types are ${validTypes.join(",")}`);
  }
}

export class MissingSvarUtCredentialsError extends NextMoveError {
  readonly code = "nextmove-missing-svarut-credentials";
  readonly ipException = `${EXCEPTIONS}MissingSvarUtCredentialsException`;
  constructor(readonly orgnr: string) {
    super(`SvarUt credentials not configured for orgnr ${orgnr}`);
  }
}

/**
 * A DPI print letter lacks address lines. messages.properties has no text for this exception, so the IP
 * answers with its fallback form `--<class>-- [<args>]`; we keep that text.
 */
export class MissingAddressInformationError extends NextMoveError {
  readonly code = "nextmove-missing-address-information";
  readonly ipException = `${EXCEPTIONS}MissingAddressInformationException`;
  constructor(readonly field: string) {
    super(`--${EXCEPTIONS}MissingAddressInformationException-- [${field}]`);
  }
}

// ---- needing I/O: the caller decides and throws these -----------------------------------------------------

/** The messageId is already used by an outgoing message (or, except for status messages, by a conversation). */
export class MessageAlreadyExistsError extends NextMoveError {
  readonly code = "nextmove-message-already-exists";
  readonly ipException = `${EXCEPTIONS}MessageAlreadyExistsException`;
  constructor(readonly messageId: string) {
    super(`Message with messageId = ${messageId} already exists`);
  }
}

/** The Service Registry has no record for the receiver, process and document type. `description` is the lookup's reason. */
export class ReceiverDoesNotAcceptProcessError extends NextMoveError {
  readonly code = "nextmove-receiver-does-not-accept-process";
  readonly ipException = `${EXCEPTIONS}ReceiverDoesNotAcceptProcessException`;
  constructor(
    readonly process: string,
    readonly description?: string,
  ) {
    super(`Receiver do not accept the document process ${process}`);
  }
}

// ---- NextMoveValidator.validate(message) and validateFile -------------------------------------------------

export class TimeToLiveExpiredError extends NextMoveError {
  readonly code = "nextmove-time-to-live-expired";
  readonly ipException = `${EXCEPTIONS}TimeToLiveException`;
  constructor(readonly expectedResponseDateTime: string) {
    super(`ExpectedResponseDateTime ${expectedResponseDateTime} has been exceeded. Please resend the message`);
  }
}

export class MissingFileError extends NextMoveError {
  readonly code = "nextmove-missing-file";
  readonly ipException = `${EXCEPTIONS}MissingFileException`;
  constructor() {
    super("There must always be at least one attachment");
  }
}

export class MissingArkivmeldingError extends NextMoveError {
  readonly code = "nextmove-missing-arkivmelding";
  readonly ipException = `${EXCEPTIONS}MissingArkivmeldingException`;
  constructor() {
    super("DPO message type requires arkivmelding.xml attachment");
  }
}

export class MissingArkivmeldingFileError extends NextMoveError {
  readonly code = "nextmove-missing-arkivmelding-file";
  readonly ipException = `${EXCEPTIONS}MissingArkivmeldingFileException`;
  constructor(readonly missing: readonly string[]) {
    super(`File(s) defined in arkivmelding, but not found in message: ${missing.join(",")}`);
  }
}

/** Files named in a DPI letter's metadataFiler were not uploaded (404 in the IP). */
export class FileNotFoundError extends NextMoveError {
  readonly code = "nextmove-file-not-found";
  readonly ipException = `${EXCEPTIONS}FileNotFoundException`;
  override readonly ipStatus = 404;
  override readonly kind = "not-found";
  constructor(readonly missing: readonly string[]) {
    super(`File(s) named ${missing.join(", ")} was not found`);
  }
}

export class MissingPrimaryDocumentError extends NextMoveError {
  readonly code = "nextmove-missing-primary-document";
  readonly ipException = `${EXCEPTIONS}MissingPrimaryDocumentException`;
  constructor() {
    super(
      "Missing a primary document. Please specify the hoveddokument property in the business message and verify that is equal to one of the filenames.",
    );
  }
}

export class DuplicateFilenameError extends NextMoveError {
  readonly code = "nextmove-duplicate-filename";
  readonly ipException = `${EXCEPTIONS}DuplicateFilenameException`;
  constructor(readonly filename: string) {
    super(`Filename already exists in message: ${filename}.`);
  }
}

export class MultiplePrimaryDocumentsError extends NextMoveError {
  readonly code = "nextmove-multiple-primary-documents";
  readonly ipException = `${EXCEPTIONS}MultiplePrimaryDocumentsNotAllowedException`;
  constructor() {
    super("Messages can only contain one primary document");
  }
}

export class MissingFileTitleError extends NextMoveError {
  readonly code = "nextmove-missing-file-title";
  readonly ipException = `${EXCEPTIONS}MissingFileTitleException`;
  constructor(readonly channel: string) {
    super(`Title is required for the following capabilities: ${channel}`);
  }
}

// ---- arkivmelding.xml --------------------------------------------------------------------------------------

/** arkivmelding.xml is not well-formed, uses a DOCTYPE/entity/PI, or its values cannot be read (IP: UnmarshalArkivmeldingException). */
export class ArkivmeldingUnreadableError extends NextMoveError {
  readonly code = "arkivmelding-unreadable";
  readonly ipException = `${EXCEPTIONS}UnmarshalArkivmeldingException`;
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Unable to unmarshal arkivmelding: ${reason}`, options);
  }
}

/** No mappe of xsi:type saksmappe (IP: MissingSaksmappeException; ArkivmeldingUtil's own error is a 500). */
export class ArkivmeldingMissingSaksmappeError extends NextMoveError {
  readonly code = "arkivmelding-missing-saksmappe";
  readonly ipException = `${EXCEPTIONS}MissingSaksmappeException`;
  constructor() {
    super("Arkivmelding does not contain any instances of 'Saksmappe'");
  }
}

/** The saksmappe has no basisregistrering of xsi:type journalpost (IP: ArkivmeldingRuntimeException, 500). */
export class ArkivmeldingMissingJournalpostError extends NextMoveError {
  readonly code = "arkivmelding-missing-journalpost";
  readonly ipException = "no.difi.meldingsutveksling.arkivmelding.ArkivmeldingRuntimeException";
  override readonly ipStatus = 500;
  constructor() {
    super('No "Journalpost" found in Arkivmelding');
  }
}

const MAX_VIOLATIONS_IN_DETAIL = 20;

function describe(violations: readonly Violation[]): string {
  const shown = violations.slice(0, MAX_VIOLATIONS_IN_DETAIL).map((v) => (v.path ? `${v.path}: ${v.message}` : v.message));
  const hidden = violations.length - shown.length;
  return shown.join("; ") + (hidden > 0 ? `; and ${hidden} more` : "");
}
