import { DEFAULT_ZONE, parseOffsetDateTime, type OffsetDateTime } from "./date-time.js";
import { messageTypes, messageTypeOf, type MessageType } from "./message-types.js";
import type { StandardBusinessDocument } from "./model.js";
import {
  onBehalfOf,
  parsePartnerIdentifier,
  partOrPrimaryIdentifier,
  primaryIdentifier,
  ISO6523_AUTHORITY,
  type PartnerIdentifier,
} from "./partner-identifier.js";
import type { Partner, Scope, StandardBusinessDocumentHeader } from "./schema.js";

/**
 * What the IP reads from an SBD (StandardBusinessDocument(Header) getters and SBDUtil), with its rules:
 * a scope is found by its type's name (`ConversationId`) or enum constant (`CONVERSATION_ID`); SenderRef and
 * ReceiverRef are the scope's `instanceIdentifier`, MessageChannel its `identifier`; the sender and receiver
 * are the first partner of each list.
 */

export const SCOPE_TYPES = {
  JOURNALPOST_ID: "JournalpostId",
  CONVERSATION_ID: "ConversationId",
  PARENT_ID: "ParentId",
  SENDER_REF: "SenderRef",
  RECEIVER_REF: "ReceiverRef",
  MESSAGE_CHANNEL: "MessageChannel",
} as const;
export type ScopeTypeName = keyof typeof SCOPE_TYPES;

/** Anything with an SBD header: a parsed document, or `{ header }` for callers that hold only a header. */
export type HasHeader = { readonly header: StandardBusinessDocumentHeader };

/** The scopes (businessScope.scope), in document order. */
export function scopes(sbd: HasHeader): readonly Scope[] {
  return sbd.header.businessScope?.scope ?? [];
}

/** The first scope of a type, matched by its full name or its enum constant, as StandardBusinessDocumentHeader.getScope does. */
export function findScope(sbd: HasHeader, type: ScopeTypeName): Scope | undefined {
  return scopes(sbd).find((s) => s.type === SCOPE_TYPES[type] || s.type === type);
}

/** documentIdentification.instanceIdentifier. */
export function messageId(sbd: HasHeader): string | undefined {
  return sbd.header.documentIdentification?.instanceIdentifier;
}

/** The ConversationId scope's instanceIdentifier. */
export function conversationId(sbd: HasHeader): string | undefined {
  return findScope(sbd, "CONVERSATION_ID")?.instanceIdentifier;
}

/** The ConversationId scope's identifier: the process. */
export function processOf(sbd: HasHeader): string | undefined {
  return findScope(sbd, "CONVERSATION_ID")?.identifier;
}

/** documentIdentification.standard (the IP calls it the document type). */
export function documentType(sbd: HasHeader): string | undefined {
  return sbd.header.documentIdentification?.standard;
}

/** documentIdentification.type read as a message type, ignoring case. */
export function messageTypeOfSbd(sbd: HasHeader): MessageType | undefined {
  return messageTypeOf(sbd.header.documentIdentification?.type);
}

export function parentId(sbd: HasHeader): string | undefined {
  return findScope(sbd, "PARENT_ID")?.instanceIdentifier;
}

/** SBDUtil.getJournalPostId: the JournalpostId scope's instanceIdentifier, or "". */
export function journalpostId(sbd: HasHeader): string {
  return findScope(sbd, "JOURNALPOST_ID")?.instanceIdentifier ?? "";
}

/** The SenderRef scope's instanceIdentifier (not its identifier, whatever the docs say). */
export function senderRef(sbd: HasHeader): string | undefined {
  return findScope(sbd, "SENDER_REF")?.instanceIdentifier;
}

/** The ReceiverRef scope's instanceIdentifier. */
export function receiverRef(sbd: HasHeader): string | undefined {
  return findScope(sbd, "RECEIVER_REF")?.instanceIdentifier;
}

/** The MessageChannel scope's identifier (the DPO channel a reply must go back on). */
export function messageChannel(sbd: HasHeader): string | undefined {
  return findScope(sbd, "MESSAGE_CHANNEL")?.identifier;
}

/** The first scopeInformation's expectedResponseDateTime of the ConversationId scope, as written. */
export function expectedResponseDateTimeText(sbd: HasHeader): string | undefined {
  return findScope(sbd, "CONVERSATION_ID")?.scopeInformation?.[0]?.expectedResponseDateTime;
}

/** {@link expectedResponseDateTimeText} as an instant with its offset. */
export function expectedResponseDateTime(sbd: HasHeader): OffsetDateTime | undefined {
  const text = expectedResponseDateTimeText(sbd);
  // Parsed documents hold date-times with an offset, so the clock passed here is never consulted.
  return text === undefined ? undefined : parseOffsetDateTime(text, new Date(0), DEFAULT_ZONE);
}

/** The sender's identifier, or undefined when there is no first sender with a value; throws PartnerIdentifierInvalidError. */
export function senderIdentifier(sbd: HasHeader): PartnerIdentifier | undefined {
  return partnerIdentifierOf(sbd.header.sender?.[0]);
}

/** The receiver's identifier, or undefined; throws PartnerIdentifierInvalidError. */
export function receiverIdentifier(sbd: HasHeader): PartnerIdentifier | undefined {
  return partnerIdentifierOf(sbd.header.receiver?.[0]);
}

function partnerIdentifierOf(partner: Partner | undefined): PartnerIdentifier | undefined {
  const id = partner?.identifier;
  if (id?.value === undefined) return undefined;
  // A missing authority is a NullPointerException in the IP's switch; the ISO 6523 reading is the useful one.
  return parsePartnerIdentifier(id.value, id.authority ?? ISO6523_AUTHORITY);
}

/** The parties of a message as the IP files them (NextMoveOutMessageFactory and Conversation). */
export interface Parties {
  /** The sending organisation or person: the on-behalf-of organisation when given, else the primary identifier. */
  readonly sender: string | undefined;
  /** The organisation whose integrasjonspunkt sends (the primary identifier of `0192:<orgnr>:<onbehalfof>`). */
  readonly senderPrimary: string | undefined;
  readonly onBehalfOf: string | undefined;
  /** The receiving organisation number or person id. */
  readonly receiver: string | undefined;
}

export function parties(sbd: HasHeader): Parties {
  const sender = senderIdentifier(sbd);
  const receiver = receiverIdentifier(sbd);
  return {
    sender: sender && partOrPrimaryIdentifier(sender),
    senderPrimary: sender && primaryIdentifier(sender),
    onBehalfOf: sender && onBehalfOf(sender),
    receiver: receiver && primaryIdentifier(receiver),
  };
}

/** SBDUtil.isReceipt. */
export function isReceipt(sbd: HasHeader): boolean {
  const type = messageTypeOfSbd(sbd);
  return type !== undefined && messageTypes[type].isReceipt;
}

/** SBDUtil.isStatus. */
export function isStatus(sbd: HasHeader): boolean {
  return messageTypeOfSbd(sbd) === "status";
}

/** SBDUtil.isFileRequired: false for status messages, receipts and avtalt. */
export function isFileRequired(sbd: HasHeader): boolean {
  const type = messageTypeOfSbd(sbd);
  return type === undefined || messageTypes[type].requiresFiles;
}

/**
 * The business message's hoveddokument (DocumentAsAttachment); NextMoveOutMessage.isPrimaryDocument
 * compares upload file names with it.
 */
export function hoveddokument(sbd: StandardBusinessDocument): string | undefined {
  const body = sbd.businessMessage as { hoveddokument?: string };
  return sbd.type === "dialogmelding_kvittering" ? undefined : body.hoveddokument;
}

/**
 * The business message's sikkerhetsnivaa where its class has one (HasSikkerhetsNivaa: ArkivmeldingMessage and
 * DpiDigitalMessage only); a key of that name on another business message is an unknown field the IP ignores.
 */
export function securityLevelOf(sbd: StandardBusinessDocument): number | undefined {
  if (sbd.type !== "arkivmelding" && sbd.type !== "digital") return undefined;
  const level = (sbd.businessMessage as { sikkerhetsnivaa?: unknown }).sikkerhetsnivaa;
  return typeof level === "number" ? level : undefined;
}
