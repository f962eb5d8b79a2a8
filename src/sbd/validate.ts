import { systemClock, type Clock } from "../clock.js";
import { expectedResponseDateTime, expectedResponseDateTimeText, findScope, hoveddokument, isFileRequired, isStatus, senderIdentifier } from "./accessors.js";
import { businessMessageViolations, headerViolations } from "./constraints.js";
import { isAfter, offsetDateTimeAt } from "./date-time.js";
import { hasText } from "./java-text.js";
import {
  DuplicateFilenameError,
  FileNotFoundError,
  ForsendelseTypeNotFoundError,
  MessageChannelInvalidError,
  MessageTypeDoesNotFitDocumentTypeError,
  MissingAddressInformationError,
  MissingArkivmeldingError,
  MissingArkivmeldingFileError,
  MissingFileError,
  MissingFileTitleError,
  MissingPrimaryDocumentError,
  MissingSvarUtCredentialsError,
  MultiplePrimaryDocumentsError,
  SbdConstraintViolationError,
  ServiceNotEnabledError,
  TimeToLiveExpiredError,
  UnknownMessageTypeError,
} from "./errors.js";
import { fitsStandard, messageTypeOf, nonReceiptTypes, type ServiceIdentifier } from "./message-types.js";
import type { StandardBusinessDocument } from "./model.js";
import { partOrPrimaryIdentifier, sameNorwegianOrganisation } from "./partner-identifier.js";
import type { PostAddress } from "./schema.js";

/**
 * The integrasjonspunkt's checks of an outgoing message that need no I/O, in its order, each failing with the
 * error of the IP's exception (errors.ts). Three steps, as in the IP:
 * - {@link validateRequest}: the request body's Bean Validation (`@Valid`), before defaults are filled in;
 * - {@link validateOutgoing}: NextMoveValidator.validate(sbd), after fillDefaults, when the message is created;
 * - {@link validateSend} / {@link validateUpload}: NextMoveValidator.validate(message) and validateFile.
 * What needs I/O stays with the caller, who throws the exported error: a messageId already used
 * (MessageAlreadyExistsError; see {@link duplicateCheckIncludesConversations}), a receiver without a Service
 * Registry record for the process (ReceiverDoesNotAcceptProcessError), SvarUt's forsendelsestyper (fetched
 * for {@link forsendelseTypeToCheck} and passed in).
 */

export const ARKIVMELDING_FILE = "arkivmelding.xml";

/** The request body's constraints (@Valid StandardBusinessDocument), checked before the defaults are filled in. */
export function validateRequest(sbd: StandardBusinessDocument, ctx: { readonly clock?: Clock } = {}): void {
  const violations = headerViolations(sbd, { now: (ctx.clock ?? systemClock)(), checkSenderValue: true });
  if (violations.length > 0) throw new SbdConstraintViolationError(violations);
}

export interface DpfContext {
  /** difi.move.org.number. */
  readonly ownOrgNumber: string;
  /** Whether difi.move.fiks.ut.username is set: SvarUt credentials for our own organisation. */
  readonly hasOwnCredentials: boolean;
  /** The organisations with SvarUt credentials of their own (difi.move.fiks.ut.paa-vegne-av.<orgnr>). */
  readonly onBehalfOf: readonly string[];
  /** SvarUt's forsendelsestyper for the sender; required when {@link forsendelseTypeToCheck} names a sender. */
  readonly forsendelseTyper?: readonly string[];
}

export interface OutgoingContext {
  /** The channel the Service Registry routes the message to. */
  readonly channel: ServiceIdentifier;
  /** The channels switched on (difi.move.feature.enableDPx). */
  readonly enabledChannels: readonly ServiceIdentifier[];
  /** difi.move.dpo.message-channel. */
  readonly dpoMessageChannel?: string;
  /** SvarUt's settings; when absent, as when the IP has no SvarUt client, the DPF checks are skipped. */
  readonly dpf?: DpfContext;
  /**
   * Whether to enforce the constraints the business message classes declare (e.g. DPF requires
   * arkivmelding.sikkerhetsnivaa, digital_dpv requires tittel). The IP declares them but never cascades
   * validation into the business message (StandardBusinessDocument.any has no @Valid), so it lets such
   * messages through; default true, checked after all of the IP's own checks.
   */
  readonly businessMessageConstraints?: boolean;
  readonly clock?: Clock;
}

/** NextMoveValidator.validate(sbd): the checks made when a message is created, on the SBD with its defaults. */
export function validateOutgoing(sbd: StandardBusinessDocument, ctx: OutgoingContext): void {
  const declared = sbd.header.documentIdentification?.type;
  const type = messageTypeOf(declared);
  if (type === undefined) throw new UnknownMessageTypeError(declared, nonReceiptTypes());

  const violations = headerViolations(sbd, { now: (ctx.clock ?? systemClock)(), checkSenderValue: false });
  if (violations.length > 0) throw new SbdConstraintViolationError(violations);

  if (!ctx.enabledChannels.includes(ctx.channel)) throw new ServiceNotEnabledError(ctx.channel);

  if (sbd.type === "print") validatePrintAddresses(sbd.businessMessage);

  const standard = sbd.header.documentIdentification?.standard ?? "";
  if (!fitsStandard(type, standard)) throw new MessageTypeDoesNotFitDocumentTypeError(type, standard);

  if (ctx.channel === "DPO" && ctx.dpoMessageChannel) {
    const scope = findScope(sbd, "MESSAGE_CHANNEL");
    if (scope && scope.identifier !== ctx.dpoMessageChannel) throw new MessageChannelInvalidError(ctx.dpoMessageChannel, scope.identifier ?? "null");
  }

  if (ctx.channel === "DPF" && ctx.dpf) validateDpf(sbd, ctx.dpf);

  if (ctx.businessMessageConstraints ?? true) {
    const messageViolations = businessMessageViolations(sbd, ctx.channel);
    if (messageViolations.length > 0) throw new SbdConstraintViolationError(messageViolations);
  }
}

/**
 * The organisation whose SvarUt forsendelsestyper must be fetched before {@link validateOutgoing}: the sender
 * (its on-behalf-of part if any) when a DPF arkivmelding names a forsendelseType; undefined otherwise.
 */
export function forsendelseTypeToCheck(sbd: StandardBusinessDocument, channel: ServiceIdentifier): string | undefined {
  if (channel !== "DPF" || sbd.type !== "arkivmelding" || !sbd.businessMessage.dpf?.forsendelseType) return undefined;
  const sender = senderIdentifier(sbd);
  return sender && partOrPrimaryIdentifier(sender);
}

/**
 * Whether the duplicate-messageId check must also look among conversations. The IP checks its queue of
 * outgoing messages always, and the conversations for everything but status messages, which reuse the
 * messageId of the message they report on.
 */
export function duplicateCheckIncludesConversations(sbd: StandardBusinessDocument): boolean {
  return !isStatus(sbd);
}

function validateDpf(sbd: StandardBusinessDocument, dpf: DpfContext): void {
  const sender = senderIdentifier(sbd);
  const senderOrg = sender ? partOrPrimaryIdentifier(sender) : "null";
  if (sbd.type === "arkivmelding") {
    const forsendelseType = sbd.businessMessage.dpf?.forsendelseType;
    if (forsendelseType) {
      if (!dpf.forsendelseTyper) throw new TypeError(`validateOutgoing: SvarUt's forsendelsestyper for ${senderOrg} are needed`);
      if (!dpf.forsendelseTyper.includes(forsendelseType)) throw new ForsendelseTypeNotFoundError(forsendelseType, dpf.forsendelseTyper);
    }
  }
  if (sameNorwegianOrganisation(senderOrg, dpf.ownOrgNumber)) {
    if (!dpf.hasOwnCredentials) throw new MissingSvarUtCredentialsError(senderOrg);
  } else if (!dpf.onBehalfOf.some((org) => sameNorwegianOrganisation(org, senderOrg))) {
    throw new MissingSvarUtCredentialsError(senderOrg);
  }
}

/** validatePrintBusinessMessage: address lines a print letter cannot go without (postnummer and poststed only in Norway). */
function validatePrintAddresses(message: Extract<StandardBusinessDocument, { type: "print" }>["businessMessage"]): void {
  const receiver = message.mottaker;
  if (receiver === undefined) throw new MissingAddressInformationError("mottaker");
  if (lacksLines(receiver)) throw new MissingAddressInformationError("mottaker.postnummer/poststed/adresselinje1");
  if (message.retur === undefined) throw new MissingAddressInformationError("retur");
  // The IP dereferences retur.mottaker unchecked (a NullPointerException); a missing one lacks these lines too.
  const returnReceiver = message.retur.mottaker;
  if (returnReceiver === undefined || lacksLines(returnReceiver)) throw new MissingAddressInformationError("retur.postnummer/poststed/adresselinje1");
}

function lacksLines(a: PostAddress): boolean {
  const norwegian = isNorwegian(a);
  return !a.adresselinje1 || (norwegian && !a.postnummer) || (norwegian && !a.poststed);
}

/** The IP's isNorwegian, precedence and all: no land is Norway; "Norway" counts even where "Norge" needs text. */
function isNorwegian(a: PostAddress): boolean {
  const land = a.land;
  if (land === undefined) return true;
  return (hasText(land) && land.toLowerCase() === "norge") || land.toLowerCase() === "norway";
}

// ---- sending and uploading -----------------------------------------------------------------------------

/** An attachment of an outgoing message. */
export interface MessageFile {
  readonly filename: string;
  /** The upload's title (the Content-Disposition name or the `title` parameter). */
  readonly title?: string;
  /**
   * Whether it was stored as the primary document (BusinessMessageFile.primaryDocument); when not given, a
   * file is primary if its name is the business message's hoveddokument, as the IP decides at upload.
   */
  readonly primaryDocument?: boolean;
}

function isPrimaryFile(sbd: StandardBusinessDocument, file: MessageFile): boolean {
  if (file.primaryDocument !== undefined) return file.primaryDocument;
  const primary = hoveddokument(sbd);
  return primary !== undefined && file.filename === primary;
}

export interface SendContext {
  readonly channel: ServiceIdentifier;
  /** The attachments uploaded so far, in upload order. */
  readonly files: readonly MessageFile[];
  /**
   * The files the uploaded arkivmelding.xml refers to, in ArkivmeldingUtil.getFilenames order
   * (parseArkivmelding(...).filenames); required for an arkivmelding that has its arkivmelding.xml.
   */
  readonly arkivmeldingFilenames?: readonly string[];
  readonly clock?: Clock;
}

/**
 * NextMoveValidator.validate(message): the checks when the message is sent. A {@link TimeToLiveExpiredError}
 * means the IP also registers LEVETID_UTLOPT for the conversation; that is the caller's to do.
 */
export function validateSend(sbd: StandardBusinessDocument, ctx: SendContext): void {
  if (isFileRequired(sbd) && ctx.files.length === 0) throw new MissingFileError();

  const expiry = expectedResponseDateTime(sbd);
  if (expiry && isAfter(offsetDateTimeAt((ctx.clock ?? systemClock)()), expiry)) {
    throw new TimeToLiveExpiredError(expectedResponseDateTimeText(sbd)!);
  }

  const names = new Set(ctx.files.map((f) => f.filename));
  if (sbd.type === "arkivmelding") {
    if (!names.has(ARKIVMELDING_FILE)) throw new MissingArkivmeldingError();
    if (!ctx.arkivmeldingFilenames) throw new TypeError("validateSend: the filenames of arkivmelding.xml are needed");
    const missing = ctx.arkivmeldingFilenames.filter((f) => !names.has(f));
    if (missing.length > 0) throw new MissingArkivmeldingFileError(missing);
  }

  if (sbd.type === "digital") {
    const referenced = new Set([...Object.keys(sbd.businessMessage.metadataFiler), ...Object.values(sbd.businessMessage.metadataFiler)]);
    const missing = [...referenced].filter((f): f is string => f !== undefined && !names.has(f));
    if (missing.length > 0) throw new FileNotFoundError(missing);
  }

  const needsPrimary = ctx.channel === "DPI" || (ctx.channel === "DPH" && sbd.type === "dialogmelding");
  if (needsPrimary && !ctx.files.some((f) => isPrimaryFile(sbd, f))) throw new MissingPrimaryDocumentError();
}

/** NextMoveValidator.validateFile: the checks on one more attachment (file sizes are checked elsewhere). */
export function validateUpload(sbd: StandardBusinessDocument, channel: ServiceIdentifier, existing: readonly MessageFile[], upload: MessageFile): void {
  if (existing.some((f) => f.filename === upload.filename)) throw new DuplicateFilenameError(upload.filename);

  const isPrimary = isPrimaryFile(sbd, { filename: upload.filename });
  if (isPrimary && existing.some((f) => isPrimaryFile(sbd, f))) throw new MultiplePrimaryDocumentsError();

  if (channel === "DPV" && !hasText(upload.title)) throw new MissingFileTitleError("DPV");

  if (channel === "DPI" && !hasText(upload.title) && !isPrimary) {
    // A metadata file of a digital letter needs no title of its own.
    const isMetadataFile = sbd.type === "digital" && Object.values(sbd.businessMessage.metadataFiler).includes(upload.filename);
    if (!isMetadataFile) throw new MissingFileTitleError("DPI");
  }
}
