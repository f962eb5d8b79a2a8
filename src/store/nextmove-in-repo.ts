import { STATUS_MODELS, type Channel, type EformidlingStatus, type RegisterDecision } from "../core/status/index.js";
import {
  conversationId,
  expectedResponseDateTime,
  formatPartnerIdentifier,
  isStatus,
  messageId,
  NORWEGIAN_ICD,
  parseIso6523,
  processOf,
  receiverIdentifier,
  senderIdentifier,
  serialiseSbd,
  type StandardBusinessDocument,
} from "../sbd/index.js";
import { ConversationsRepo, DuplicateMessageIdError, inboxWhere, pageSql, registerStatusIn, type InboxQuery, type NewConversation, type StoreWrites } from "./conversations-repo.js";
import type { Conversation, NextMoveMessage } from "./generated/client.js";
import { normaliseMessageId } from "./message-id.js";
import type { Db } from "./prisma.js";
import { isUniqueViolation, queryRows } from "./raw-sql.js";
import { withNextMove } from "./nextmove-rows.js";
import { sqlOf, type Sql, type SqlStore } from "./sql.js";
import { all, any, compare, equals, hasRow, oneOf, renderCondition, startsWith, TRUE, type Condition } from "./sql-condition.js";

/**
 * The incoming side of the NextMove API in the store: what a channel (DPO, DPF, DPE) hands over when a message
 * arrives, and the NextMove inbox's reads and its two ways out (delivered to the archive system, or discarded
 * as unreadable). An incoming NextMove message is an IN conversation with a NextMoveMessage row holding the SBD
 * as received and, when one came, its package (the CMS-encrypted asic.zip) in the blob store. Conversations
 * without that row (DPI's own REST inbox) are never found here. Leaving the inbox keeps the conversation and
 * its history; only the package goes.
 */

export type InboxMessage = Conversation & { nextMove: NextMoveMessage };

/** What the inbox's read filter compares (src/core/read-scope.ts): the receiving organisation, nine digits. */
export interface NextMoveInboxColumns {
  receiverOrg: string;
}

export interface IncomingNextMove {
  channel: Channel;
  /** The SBD as received; stored as the integrasjonspunkt writes it. A `status` SBD is not a message: it updates the conversation it answers. */
  sbd: StandardBusinessDocument;
  /** The package as received (still CMS-encrypted to the receiver), already in the blob store; none for receipts. */
  package?: { key: string; size: number } | undefined;
  senderName?: string | undefined;
  receiverName?: string | undefined;
  messageTitle?: string | undefined;
  messageReference?: string | undefined;
  /** The channel's own reference (Altinn file transfer id, SvarInn forsendelse id, Service Bus message id). */
  externalReference?: string | undefined;
  /**
   * Registers the channel's incoming OPPRETTET before INNKOMMENDE_MOTTATT, as the integrasjonspunkt's
   * registerConversation does for what it downloads (DPO: the seed's receiver rows OPPRETTET, INNKOMMENDE_MOTTATT).
   */
  registerCreated?: boolean | undefined;
}

/** Sort keys of GET /api/messages/in (the integrasjonspunkt's NextMoveInMessage properties) and their columns. */
export const INBOX_SORT_COLUMNS = {
  id: "createdAt",
  lastUpdated: "updatedAt",
  conversationId: "conversationId",
  messageId: "messageId",
  processIdentifier: "process",
  receiverIdentifier: "receiverIdentifier",
  senderIdentifier: "senderIdentifier",
  serviceIdentifier: "channel",
} as const satisfies Record<string, keyof Conversation>;
export type InboxSortField = keyof typeof INBOX_SORT_COLUMNS;
export const INBOX_SORT_FIELDS = Object.keys(INBOX_SORT_COLUMNS) as InboxSortField[];

/** A conversation that is an incoming NextMove message. */
export const IS_NEXTMOVE: Condition = hasRow("NextMoveMessage");

/**
 * Stored identifiers that name the same party as `value` does by its primary identifier (the organisation of
 * `0192:<orgno>[:<part>]`, or a bare organisation number), as the integrasjonspunkt's receiverIdentifier and
 * senderIdentifier columns hold it. Anything else must be stored exactly so.
 */
export function partyWhere(column: "senderIdentifier" | "receiverIdentifier", value: string): Condition {
  const id = parseIso6523(value);
  if (!id) return equals(column, value);
  const organisation = `${id.icd}:${id.organizationIdentifier}`;
  const exact = id.icd === NORWEGIAN_ICD ? [organisation, id.organizationIdentifier] : [organisation];
  return any(oneOf(column, exact), startsWith(column, `${organisation}:`));
}

/**
 * Where the read filter's receiving organisation is found: the conversation's receiver, in any stored form. A
 * clause without one (a caller for every organisation) matches every incoming conversation.
 */
export function nextMoveInboxColumns(values: Partial<NextMoveInboxColumns>): Condition {
  return values.receiverOrg === undefined ? TRUE : partyWhere("receiverIdentifier", values.receiverOrg);
}

/**
 * The channel's incoming status that the integrasjonspunkt calls `eformidling` (DPO, DPF, DPE: the same name;
 * DPI: MOTTATT for INNKOMMENDE_MOTTATT). A channel without one gets the integrasjonspunkt's name, which the
 * store's rules then refuse (or, for a new conversation, throw on): there is no such status to register.
 */
export function incomingStatusName(channel: Channel, eformidling: EformidlingStatus): string {
  return STATUS_MODELS[channel].statuses.find((d) => d.direction === "INCOMING" && d.eformidling === eformidling)?.status ?? eformidling;
}

/**
 * Writes that belong with a delivery, committed in its transaction (DPO and DPE: the LEVERT status message
 * to send back). It sees the message as delivered; a throw undoes the delivery.
 */
export type DeliveryWrites = (delivered: InboxMessage, tx: Sql) => Promise<void>;

/** The outcome of taking a message out of the inbox. */
export type Removal =
  | { removed: true; message: InboxMessage; decision: RegisterDecision | undefined; packageKey: string | null }
  | { removed: false };


export class NextMoveInRepo {
  readonly conversations: ConversationsRepo;
  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.conversations = new ConversationsRepo(db);
    this.sql = sqlOf(db);
  }

  /**
   * Files a message a channel received: the IN conversation with the channel's INNKOMMENDE_MOTTATT and the
   * NextMoveMessage row (SBD and package), in one transaction. A message id used before, in any case, is
   * DuplicateMessageIdError (the channel discards the copy and removes its blob).
   */
  async receive(m: IncomingNextMove, at: Date): Promise<InboxMessage> {
    const c = conversationOf(m);
    const id = normaliseMessageId(c.messageId);
    const queued = incomingStatusName(m.channel, "INNKOMMENDE_MOTTATT");
    try {
      await this.sql.transaction(async (tx) => {
        if (m.registerCreated) {
          await this.conversations.insertIn(tx, c, incomingStatusName(m.channel, "OPPRETTET"), at);
          await registerStatusIn(tx, "IN", id, queued, at);
        } else {
          await this.conversations.insertIn(tx, c, queued, at);
        }
        await tx.execute(
          `INSERT INTO "NextMoveMessage" ("direction", "messageId", "sbd", "packageKey", "packageSize", "createdAt") VALUES ('IN', $1, $2, $3, $4, $5)`,
          id,
          serialiseSbd(m.sbd),
          m.package?.key ?? null,
          m.package?.size ?? null,
          at,
        );
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateMessageIdError(c.messageId);
      throw err;
    }
    return (await this.message(id))!;
  }

  /**
   * A message that arrived but cannot be taken in (DPF: a forsendelse that cannot be converted): its IN
   * conversation with OPPRETTET and FEIL (`reason`), in one transaction, and no NextMoveMessage row, so it never
   * shows in the inbox. A message id used before is DuplicateMessageIdError.
   */
  async refuse(m: IncomingNextMove, reason: string, at: Date): Promise<void> {
    const c = conversationOf(m);
    const id = normaliseMessageId(c.messageId);
    try {
      await this.sql.transaction(async (tx) => {
        await this.conversations.insertIn(tx, c, "OPPRETTET", at);
        const decision = await registerStatusIn(tx, "IN", id, "FEIL", at, { description: reason });
        if (!decision?.ok) throw new Error(decision?.detail ?? `no incoming conversation ${id}`);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateMessageIdError(c.messageId);
      throw err;
    }
  }

  /**
   * A message that arrived but reaches the archive system another way (DPF: a forsendelse that cannot be
   * converted, delivered by e-mail instead): its IN conversation with OPPRETTET and INNKOMMENDE_MOTTATT
   * (`description`) and no NextMoveMessage row, so it never shows in the inbox, in one transaction with `also`
   * (the mail that owes it). A message id used before is DuplicateMessageIdError.
   */
  async receiveOutsideInbox(m: IncomingNextMove, description: string, at: Date, also: StoreWrites): Promise<void> {
    const c = conversationOf(m);
    const id = normaliseMessageId(c.messageId);
    try {
      await this.sql.transaction(async (tx) => {
        await this.conversations.insertIn(tx, c, incomingStatusName(m.channel, "OPPRETTET"), at);
        await registerStatusIn(tx, "IN", id, incomingStatusName(m.channel, "INNKOMMENDE_MOTTATT"), at, { description });
        await also(tx);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateMessageIdError(c.messageId);
      throw err;
    }
  }

  /** The incoming NextMove message with this id, in the inbox or not; null when there is none. */
  async message(messageId: string): Promise<InboxMessage | null> {
    return messageIn(this.sql, normaliseMessageId(messageId));
  }

  /**
   * The messages still in the inbox (locked or not) that match `q` (an Inbox's query, src/core/inbox.ts), a page
   * of them in `order` (oldest first when none is given), with their total.
   */
  async list(
    q: InboxQuery,
    page: { skip: number; take: number },
    order: readonly { field: InboxSortField; direction: "asc" | "desc" }[] = [],
  ): Promise<{ rows: InboxMessage[]; total: number }> {
    if (q.anyOf.length === 0) return { rows: [], total: 0 };
    const params: unknown[] = [];
    const where = renderCondition(all(inboxWhere(q, this.sql.provider), equals("readAt", null), IS_NEXTMOVE), params);
    const orderBy = [...order.map((o) => `"${INBOX_SORT_COLUMNS[o.field]}" ${o.direction === "desc" ? "DESC" : "ASC"}`), `"createdAt"`, `"messageId"`].join(", ");
    const paged = [...params];
    const limit = pageSql(paged, page);
    const [rows, [count]] = await Promise.all([
      queryRows<Conversation>(this.sql, `SELECT * FROM "Conversation" WHERE ${where} ORDER BY ${orderBy} ${limit}`, ...paged),
      queryRows<{ count: number | bigint }>(this.sql, `SELECT COUNT(*) AS "count" FROM "Conversation" WHERE ${where}`, ...params),
    ]);
    return { rows: await withNextMove(this.sql, rows), total: Number(count!.count) };
  }

  /**
   * The archive system took the message: if it is still in the inbox and locked after `now`, it leaves the inbox
   * (read, unlocked, its package reference cleared) and gets `status` (the channel's INNKOMMENDE_LEVERT), in one
   * transaction with `also`. The caller deletes the returned package blob after this commits. `{ removed: false }`
   * when it was gone or not locked by then: another delete won, or the lock ran out.
   */
  async deliver(messageId: string, now: Date, status: string, also?: DeliveryWrites): Promise<Removal> {
    return this.remove(messageId, now, status, {}, compare("lockedUntil", ">", now), also);
  }

  /**
   * The package cannot be read: the message leaves the inbox (whether locked or not) and gets `status` (the
   * channel's FEIL) with `description`, in one transaction with `also` (DPO: the error receipt owed to the
   * sender), as the integrasjonspunkt removes it from its queue.
   */
  async discard(messageId: string, now: Date, status: string, description: string, also?: DeliveryWrites): Promise<Removal> {
    return this.remove(messageId, now, status, { description }, undefined, also);
  }

  private async remove(
    messageId: string,
    now: Date,
    status: string,
    details: { description?: string },
    condition: Condition | undefined,
    also?: DeliveryWrites,
  ): Promise<Removal> {
    const id = normaliseMessageId(messageId);
    return this.sql.transaction(async (tx) => {
      const [before] = await tx.query<{ packageKey: string | null }>(`SELECT "packageKey" FROM "NextMoveMessage" WHERE "direction" = 'IN' AND "messageId" = $1`, id);
      if (!before) return { removed: false };
      // The conditional update decides a race: of two removals, one finds the message still unread.
      const decision = await registerStatusIn(tx, "IN", id, status, now, { ...details, data: { readAt: now, lockedUntil: null }, where: { readAt: null }, condition });
      if (decision === undefined) return { removed: false };
      await tx.execute(`UPDATE "NextMoveMessage" SET "packageKey" = NULL WHERE "direction" = 'IN' AND "messageId" = $1`, id);
      const message = (await messageIn(tx, id))!;
      await also?.(message, tx);
      return { removed: true, message, decision, packageKey: before.packageKey };
    });
  }
}

/** The incoming NextMove message `id` (normalised) on `client`; null when there is none. */
async function messageIn(client: Sql, id: string): Promise<InboxMessage | null> {
  const rows = await client.query<Conversation>(`SELECT * FROM "Conversation" WHERE "direction" = 'IN' AND "messageId" = $1`, id);
  const [found] = await withNextMove(client, rows);
  return found ?? null;
}

/** The conversation of an incoming SBD, as NextMoveInMessage.of and registerConversation read it. */
function conversationOf(m: IncomingNextMove): NewConversation {
  const { sbd } = m;
  if (isStatus(sbd)) throw new Error("a status SBD updates the conversation it answers; it is not received into the inbox");
  const id = messageId(sbd);
  const conversation = conversationId(sbd);
  const sender = senderIdentifier(sbd);
  const receiver = receiverIdentifier(sbd);
  if (!id || !conversation || !sender || !receiver) throw new Error("an incoming SBD needs a message id, a conversation id, a sender and a receiver");
  const expiry = expectedResponseDateTime(sbd);
  return {
    messageId: id,
    direction: "IN",
    conversationId: conversation,
    channel: m.channel,
    process: processOf(sbd) ?? "",
    documentType: sbd.type,
    standard: sbd.header.documentIdentification?.standard ?? "",
    senderIdentifier: formatPartnerIdentifier(sender),
    receiverIdentifier: formatPartnerIdentifier(receiver),
    senderName: m.senderName,
    receiverName: m.receiverName,
    messageTitle: m.messageTitle,
    messageReference: m.messageReference,
    expiry: expiry ? new Date(expiry.epochMs) : undefined,
    externalReference: m.externalReference,
  };
}
