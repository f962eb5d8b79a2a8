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

export function conversationJson(c: ConversationRow): ConversationJson {
  const channel = channelOf(c.channel);
  const dir = direction(c.direction);
  return {
    id: c.id,
    conversationId: c.conversationId,
    messageId: c.messageId,
    sender: c.senderIdentifier,
    senderIdentifier: c.senderIdentifier,
    receiver: c.receiverIdentifier,
    receiverIdentifier: c.receiverIdentifier,
    processIdentifier: c.process,
    documentIdentifier: c.standard,
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
