import { eformidlingDirection, eformidlingStatusOf, type StoredDirection } from "../../core/eformidling-view.js";
import { formatOsloDateTime } from "../../core/oslo-time.js";
import { channelOf } from "../../store/conversations-repo.js";
import type { ConversationRow, StatusRow } from "../../store/nextmove-status-repo.js";

/**
 * The integrasjonspunkt's JSON for a status and a conversation (domain/…/status/MessageStatus.java and
 * Conversation.java under its Views, written by Jackson with null fields left out: JacksonConfig). Keys in its
 * order; statuses and directions in its vocabulary (eformidling-view.ts).
 */

/** MessageStatus in Views.MessageStatus: GET /api/statuses, /api/statuses/{messageId}, /api/statuses/peek. */
export interface MessageStatusJson {
  id: number;
  lastUpdate: string;
  status: string;
  description?: string;
  rawReceipt?: string;
  conversationId: string;
  messageId: string;
  convId: number;
}

/** A status inside a conversation (Views.Conversation): no ids of its conversation, no receipt. */
export interface ConversationStatusJson {
  id: number;
  lastUpdate: string;
  status: string;
  description?: string;
}

/**
 * Conversation in Views.Conversation. `sender`, `receiver` and `documentIdentifier` are fields of the entity
 * since 2021-22 (Conversation.of fills them) that the REST docs do not list; the docs' serviceCode and
 * serviceEditionCode went with Altinn 2 in v4.
 */
export interface ConversationJson {
  id: number;
  conversationId: string;
  messageId: string;
  sender: string;
  senderIdentifier: string;
  receiver: string;
  receiverIdentifier: string;
  processIdentifier: string;
  documentIdentifier: string;
  messageReference?: string;
  messageTitle?: string;
  lastUpdate: string;
  finished: boolean;
  expiry?: string;
  direction: "OUTGOING" | "INCOMING";
  serviceIdentifier: string;
  externalSystemReference?: string;
  messageStatuses: ConversationStatusJson[];
}

const direction = (d: string): StoredDirection => (d === "IN" ? "IN" : "OUT");

export function messageStatusJson(s: StatusRow): MessageStatusJson {
  return {
    id: s.id,
    lastUpdate: formatOsloDateTime(s.createdAt),
    status: eformidlingStatusOf(channelOf(s.channel), direction(s.direction), s.status),
    ...(s.description !== null ? { description: s.description } : {}),
    ...(s.rawReceipt !== null ? { rawReceipt: s.rawReceipt } : {}),
    conversationId: s.conversationId,
    messageId: s.messageId,
    convId: s.convId,
  };
}

/**
 * Who and what the conversation is addressed to, as the archive system sees it. A DPI letter sent over the
 * NextMove API is stored as the letter corner 2 sends (to the postbox or print provider, in DPI's process); the
 * integrasjonspunkt records the person and the NextMove process and standard, which its SBD still says.
 */
function addressing(c: ConversationRow): { receiver: string; process: string; standard: string } {
  if (c.channel === "DPI" && c.nextMove) {
    const h = (JSON.parse(c.nextMove.sbd) as { standardBusinessDocumentHeader?: SbdHeaderJson }).standardBusinessDocumentHeader;
    const receiver = h?.receiver?.[0]?.identifier?.value;
    const process = h?.businessScope?.scope?.find((s) => s.type === "ConversationId")?.identifier;
    const standard = h?.documentIdentification?.standard;
    if (receiver && process && standard) return { receiver, process, standard };
  }
  return { receiver: c.receiverIdentifier, process: c.process, standard: c.standard };
}

interface SbdHeaderJson {
  receiver?: { identifier?: { value?: string } }[];
  documentIdentification?: { standard?: string };
  businessScope?: { scope?: { type?: string; identifier?: string }[] };
}

export function conversationJson(c: ConversationRow): ConversationJson {
  const channel = channelOf(c.channel);
  const dir = direction(c.direction);
  const to = addressing(c);
  return {
    id: c.id,
    conversationId: c.conversationId,
    messageId: c.messageId,
    sender: c.senderIdentifier,
    senderIdentifier: c.senderIdentifier,
    receiver: to.receiver,
    receiverIdentifier: to.receiver,
    processIdentifier: to.process,
    documentIdentifier: to.standard,
    ...(c.messageReference !== null ? { messageReference: c.messageReference } : {}),
    ...(c.messageTitle !== null ? { messageTitle: c.messageTitle } : {}),
    lastUpdate: formatOsloDateTime(c.updatedAt),
    finished: c.finished,
    ...(c.expiry !== null ? { expiry: formatOsloDateTime(c.expiry) } : {}),
    direction: eformidlingDirection(dir),
    serviceIdentifier: channel,
    ...(c.externalReference !== null ? { externalSystemReference: c.externalReference } : {}),
    messageStatuses: c.statuses.map((s) => ({
      id: s.id,
      lastUpdate: formatOsloDateTime(s.createdAt),
      status: eformidlingStatusOf(channel, dir, s.status),
      ...(s.description !== null ? { description: s.description } : {}),
    })),
  };
}
