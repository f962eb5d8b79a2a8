import type { StoredDirection, StoredStatusNames } from "../core/eformidling-view.js";
import type { Conversation, ConversationStatus, Prisma } from "./generated/client.js";
import { normaliseMessageId } from "./message-id.js";
import type { Db } from "./prisma.js";

/**
 * The reads (and the few deletes) behind the NextMove API's /api/statuses and /api/conversations. Every method
 * takes the organisations the caller may see, and finds only conversations one of whose parties is one of them.
 *
 * The integrasjonspunkt numbers conversations (Conversation.id, a status's convId); the store keys them by
 * direction and message id. A conversation's number here is the id of its first status, which is written in the
 * transaction that creates the conversation and never changes or goes while the conversation exists.
 */

/** Organisation numbers the caller may see, or "*" for every conversation. */
export type Visibility = readonly string[] | "*";

export interface PageRequest {
  page: number;
  size: number;
}

export interface PageOf<T> {
  rows: T[];
  total: number;
}

export type SortDirection = "asc" | "desc";

export interface StatusQuery {
  id?: number | undefined;
  conversationId?: string | undefined;
  messageId?: string | undefined;
  /** Only statuses stored under one of these names (storedNamesOf); an empty list matches none. */
  statusNames?: readonly StoredStatusNames[] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

export const STATUS_SORT_FIELDS = ["id", "lastUpdate", "status"] as const;
export type StatusSortField = (typeof STATUS_SORT_FIELDS)[number];

/** A status with its conversation's ids, and the conversation's number (convId). */
export interface StatusRow extends ConversationStatus {
  conversationId: string;
  channel: string;
  convId: number;
}

export interface ConversationQuery {
  conversationId?: string | undefined;
  messageId?: string | undefined;
  /** Each given value must equal the column (the API's `sender` and `senderIdentifier` both name it). */
  senderIdentifiers?: readonly string[] | undefined;
  receiverIdentifiers?: readonly string[] | undefined;
  /** A service identifier no channel here has matches none. */
  serviceIdentifier?: string | undefined;
  messageReference?: string | undefined;
  messageTitle?: string | undefined;
  pollable?: boolean | undefined;
  finished?: boolean | undefined;
  direction?: StoredDirection | undefined;
  updatedFrom?: Date | undefined;
  updatedBefore?: Date | undefined;
}

export const CONVERSATION_SORT_FIELDS = [
  "lastUpdate",
  "conversationId",
  "messageId",
  "senderIdentifier",
  "receiverIdentifier",
  "processIdentifier",
  "messageReference",
  "messageTitle",
  "serviceIdentifier",
  "expiry",
  "finished",
  "direction",
] as const;
export type ConversationSortField = (typeof CONVERSATION_SORT_FIELDS)[number];

export type ConversationStatusSummary = Pick<ConversationStatus, "id" | "status" | "description" | "createdAt">;

/**
 * A conversation with its status history, oldest first; `id` is its number. `nextMove`: the SBD as the archive
 * system sent it, where the conversation came in through the NextMove API.
 */
export interface ConversationRow extends Conversation {
  id: number;
  statuses: ConversationStatusSummary[];
  nextMove: { sbd: string } | null;
}

const WITH_SBD = { select: { sbd: true } } as const;

const NONE = { messageId: { in: [] as string[] } } satisfies Prisma.ConversationWhereInput;

/**
 * The conversations of `orgs` ("0192:<orgno>", "0192:<orgno>:<part>" or the bare number) as an
 * integrasjonspunkt holds them: the outgoing ones they send, the incoming ones they receive. An access point
 * that is also the receiving side holds the incoming copy of its own organisations' letters to others; that
 * copy is the receiver's, not the sender's.
 */
export function visibleConversations(orgs: Visibility): Prisma.ConversationWhereInput {
  if (orgs === "*") return {};
  if (orgs.length === 0) return NONE;
  const exact = orgs.flatMap((o) => [`0192:${o}`, o]);
  const parts = orgs.map((o) => `0192:${o}:`);
  return {
    OR: [
      { direction: "OUT", OR: [{ senderIdentifier: { in: exact } }, ...parts.map((p) => ({ senderIdentifier: { startsWith: p } }))] },
      { direction: "IN", OR: [{ receiverIdentifier: { in: exact } }, ...parts.map((p) => ({ receiverIdentifier: { startsWith: p } }))] },
    ],
  };
}

function statusWhere(q: StatusQuery, orgs: Visibility): Prisma.ConversationStatusWhereInput {
  const and: Prisma.ConversationStatusWhereInput[] = [{ conversation: { ...visibleConversations(orgs), ...(q.conversationId !== undefined ? { conversationId: q.conversationId } : {}) } }];
  if (q.id !== undefined) and.push({ id: q.id });
  if (q.messageId !== undefined) and.push({ messageId: normaliseMessageId(q.messageId) });
  if (q.from !== undefined) and.push({ createdAt: { gte: q.from } });
  if (q.to !== undefined) and.push({ createdAt: { lte: q.to } });
  if (q.statusNames !== undefined) {
    and.push(
      q.statusNames.length === 0
        ? { id: { in: [] } }
        : { OR: q.statusNames.map((n) => ({ direction: n.direction, status: { in: n.names }, conversation: { channel: n.channel } })) },
    );
  }
  return { AND: and };
}

function statusOrder(sort: readonly { field: StatusSortField; direction: SortDirection }[]): Prisma.ConversationStatusOrderByWithRelationInput[] {
  const column = { id: "id", lastUpdate: "createdAt", status: "status" } as const;
  return [...sort.map((s) => ({ [column[s.field]]: s.direction })), { id: "asc" as const }];
}

function conversationWhere(q: ConversationQuery, orgs: Visibility): Prisma.ConversationWhereInput {
  const and: Prisma.ConversationWhereInput[] = [visibleConversations(orgs)];
  const eq = <K extends keyof Prisma.ConversationWhereInput>(key: K, value: Prisma.ConversationWhereInput[K] | undefined) => {
    if (value !== undefined) and.push({ [key]: value } as Prisma.ConversationWhereInput);
  };
  eq("conversationId", q.conversationId);
  eq("messageId", q.messageId !== undefined ? normaliseMessageId(q.messageId) : undefined);
  for (const s of q.senderIdentifiers ?? []) eq("senderIdentifier", s);
  for (const r of q.receiverIdentifiers ?? []) eq("receiverIdentifier", r);
  eq("channel", q.serviceIdentifier);
  eq("messageReference", q.messageReference);
  eq("messageTitle", q.messageTitle);
  eq("pollable", q.pollable);
  eq("finished", q.finished);
  eq("direction", q.direction);
  if (q.updatedFrom !== undefined) and.push({ updatedAt: { gte: q.updatedFrom } });
  if (q.updatedBefore !== undefined) and.push({ updatedAt: { lt: q.updatedBefore } });
  return { AND: and };
}

function conversationOrder(sort: readonly { field: ConversationSortField; direction: SortDirection }[]): Prisma.ConversationOrderByWithRelationInput[] {
  const column: Record<ConversationSortField, keyof Conversation> = {
    lastUpdate: "updatedAt",
    conversationId: "conversationId",
    messageId: "messageId",
    senderIdentifier: "senderIdentifier",
    receiverIdentifier: "receiverIdentifier",
    processIdentifier: "process",
    messageReference: "messageReference",
    messageTitle: "messageTitle",
    serviceIdentifier: "channel",
    expiry: "expiry",
    finished: "finished",
    direction: "direction",
  };
  return [...sort.map((s) => ({ [column[s.field]]: s.direction })), { messageId: "asc" as const }, { direction: "asc" as const }];
}

const SUMMARY = { select: { id: true, status: true, description: true, createdAt: true }, orderBy: { id: "asc" } } as const;

function withNumber(c: Conversation & { statuses: ConversationStatusSummary[]; nextMove: { sbd: string } | null }): ConversationRow {
  // A conversation is created with its first status in one transaction (ConversationsRepo.insertOperations).
  return { ...c, id: c.statuses[0]?.id ?? 0 };
}

export class NextMoveStatusRepo {
  constructor(private readonly db: Db) {}

  async findStatuses(q: StatusQuery, orgs: Visibility, page: PageRequest, sort: readonly { field: StatusSortField; direction: SortDirection }[]): Promise<PageOf<StatusRow>> {
    const where = statusWhere(q, orgs);
    const [rows, total] = await Promise.all([
      this.db.conversationStatus.findMany({
        where,
        orderBy: statusOrder(sort),
        skip: page.page * page.size,
        take: page.size,
        include: { conversation: { select: { conversationId: true, channel: true } } },
      }),
      this.db.conversationStatus.count({ where }),
    ]);
    return { rows: await this.withConvIds(rows), total };
  }

  /** The status the status queue holds longest among those the caller may see; null when none. */
  async peekQueue(orgs: Visibility): Promise<StatusRow | null> {
    const entry = await this.db.statusQueueEntry.findFirst({
      where: { status: { conversation: visibleConversations(orgs) } },
      orderBy: { statusId: "asc" },
      include: { status: { include: { conversation: { select: { conversationId: true, channel: true } } } } },
    });
    if (!entry) return null;
    const [row] = await this.withConvIds([entry.status]);
    return row ?? null;
  }

  /** Takes the status off the status queue; false when it is not there (or not the caller's). */
  async ackQueue(statusId: number, orgs: Visibility): Promise<boolean> {
    const r = await this.db.statusQueueEntry.deleteMany({ where: { statusId, status: { conversation: visibleConversations(orgs) } } });
    return r.count > 0;
  }

  async findConversations(
    q: ConversationQuery,
    orgs: Visibility,
    page: PageRequest,
    sort: readonly { field: ConversationSortField; direction: SortDirection }[],
  ): Promise<PageOf<ConversationRow>> {
    const where = conversationWhere(q, orgs);
    const [rows, total] = await Promise.all([
      this.db.conversation.findMany({ where, orderBy: conversationOrder(sort), skip: page.page * page.size, take: page.size, include: { statuses: SUMMARY, nextMove: WITH_SBD } }),
      this.db.conversation.count({ where }),
    ]);
    return { rows: rows.map(withNumber), total };
  }

  /** The conversation numbered `id`, when the caller may see it (and it has `direction`, when given). */
  async conversationByNumber(id: number, orgs: Visibility, direction?: StoredDirection): Promise<ConversationRow | null> {
    const first = await this.db.conversationStatus.findUnique({ where: { id }, select: { direction: true, messageId: true } });
    if (!first || (direction !== undefined && first.direction !== direction)) return null;
    const c = await this.db.conversation.findFirst({
      where: { AND: [{ direction: first.direction, messageId: first.messageId }, visibleConversations(orgs)] },
      include: { statuses: SUMMARY, nextMove: WITH_SBD },
    });
    if (!c || c.statuses[0]?.id !== id) return null;
    return withNumber(c);
  }

  async conversationByMessageId(messageId: string, direction: StoredDirection, orgs: Visibility): Promise<ConversationRow | null> {
    const c = await this.db.conversation.findFirst({
      where: { AND: [{ direction, messageId: normaliseMessageId(messageId) }, visibleConversations(orgs)] },
      include: { statuses: SUMMARY, nextMove: WITH_SBD },
    });
    return c ? withNumber(c) : null;
  }

  /**
   * Deletes the conversation numbered `id` with everything the store holds of it (its history, its channel's
   * row, its files; an outgoing message still waiting to be sent leaves the outbox). Returns whether it did.
   */
  async deleteConversationByNumber(id: number, orgs: Visibility): Promise<boolean> {
    const c = await this.conversationByNumber(id, orgs);
    if (!c) return false;
    const r = await this.db.conversation.deleteMany({ where: { direction: c.direction, messageId: c.messageId } });
    return r.count > 0;
  }

  /** Deletes the conversations with this message id, in both directions, that the caller may see; returns how many. */
  async deleteConversationsByMessageId(messageId: string, orgs: Visibility): Promise<number> {
    const r = await this.db.conversation.deleteMany({ where: { AND: [{ messageId: normaliseMessageId(messageId) }, visibleConversations(orgs)] } });
    return r.count;
  }

  private async withConvIds(rows: (ConversationStatus & { conversation: { conversationId: string; channel: string } })[]): Promise<StatusRow[]> {
    if (rows.length === 0) return [];
    const keys = [...new Map(rows.map((r) => [`${r.direction} ${r.messageId}`, { direction: r.direction, messageId: r.messageId }])).values()];
    const firsts = await this.db.conversationStatus.groupBy({ by: ["direction", "messageId"], where: { OR: keys }, _min: { id: true } });
    const first = new Map(firsts.map((f) => [`${f.direction} ${f.messageId}`, f._min.id ?? 0]));
    return rows.map(({ conversation, ...s }) => ({ ...s, conversationId: conversation.conversationId, channel: conversation.channel, convId: first.get(`${s.direction} ${s.messageId}`) ?? 0 }));
  }
}
