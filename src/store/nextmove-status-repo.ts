import type { StoredDirection, StoredStatusNames } from "../core/eformidling-view.js";
import type { Conversation, ConversationStatus } from "./generated/client.js";
import { normaliseMessageId } from "./message-id.js";
import type { Db } from "./prisma.js";
import { keysWhere } from "./nextmove-rows.js";
import { sqlOf, type SqlStore } from "./sql.js";
import { all, any, compare, equals, FALSE, oneOf, renderCondition, startsWith, TRUE, type Condition } from "./sql-condition.js";

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

/**
 * The conversations of `orgs` ("0192:<orgno>", "0192:<orgno>:<part>" or the bare number) as an
 * integrasjonspunkt holds them: the outgoing ones they send, the incoming ones they receive. An access point
 * that is also the receiving side holds the incoming copy of its own organisations' letters to others; that
 * copy is the receiver's, not the sender's.
 */
export function visibleConversations(orgs: Visibility): Condition {
  if (orgs === "*") return TRUE;
  if (orgs.length === 0) return FALSE;
  const exact = orgs.flatMap((o) => [`0192:${o}`, o]);
  const parts = orgs.map((o) => `0192:${o}:`);
  const party = (column: "senderIdentifier" | "receiverIdentifier") => any(oneOf(column, exact), ...parts.map((p) => startsWith(column, p)));
  return any(all(equals("direction", "OUT"), party("senderIdentifier")), all(equals("direction", "IN"), party("receiverIdentifier")));
}

/** A ConversationStatus row `s` with its conversation `c`, as the status queries read them (convId: the number of its conversation). */
const STATUS_ROWS = `SELECT s.*, c."conversationId", c."channel",
    (SELECT MIN(f."id") FROM "ConversationStatus" f WHERE f."direction" = s."direction" AND f."messageId" = s."messageId") AS "convId"`;
const STATUS_JOIN = `"ConversationStatus" s JOIN "Conversation" c ON c."direction" = s."direction" AND c."messageId" = s."messageId"`;

/**
 * The WHERE condition of a status query over STATUS_JOIN, its values appended to `params`. The conversation's
 * part is a condition (sql-condition.ts) over `c`; the status row's own columns are written here, since a
 * condition speaks of a conversation's columns only.
 */
function statusWhere(q: StatusQuery, orgs: Visibility, params: unknown[]): string {
  const p = (v: unknown) => `$${params.push(v)}`;
  const conversation = all(visibleConversations(orgs), ...(q.conversationId !== undefined ? [equals("conversationId", q.conversationId)] : []));
  const and = [renderCondition(conversation, params, "c")];
  if (q.id !== undefined) and.push(`s."id" = ${p(q.id)}`);
  if (q.messageId !== undefined) and.push(`s."messageId" = ${p(normaliseMessageId(q.messageId))}`);
  if (q.from !== undefined) and.push(`s."createdAt" >= ${p(q.from)}`);
  if (q.to !== undefined) and.push(`s."createdAt" <= ${p(q.to)}`);
  if (q.statusNames !== undefined) {
    const named = q.statusNames.map((n) =>
      n.names.length === 0 ? "1 = 0" : `(s."direction" = ${p(n.direction)} AND s."status" IN (${n.names.map(p).join(", ")}) AND c."channel" = ${p(n.channel)})`,
    );
    and.push(named.length === 0 ? "1 = 0" : `(${named.join(" OR ")})`);
  }
  return and.map((a) => `(${a})`).join(" AND ");
}

function statusOrder(sort: readonly { field: StatusSortField; direction: SortDirection }[]): string {
  const column = { id: "id", lastUpdate: "createdAt", status: "status" } as const;
  return [...sort.map((o) => `s."${column[o.field]}" ${o.direction === "desc" ? "DESC" : "ASC"}`), `s."id" ASC`].join(", ");
}

function conversationWhere(q: ConversationQuery, orgs: Visibility): Condition {
  const and: Condition[] = [visibleConversations(orgs)];
  const eq = (column: keyof Conversation & string, value: string | boolean | undefined) => {
    if (value !== undefined) and.push(equals(column, value));
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
  if (q.updatedFrom !== undefined) and.push(compare("updatedAt", ">=", q.updatedFrom));
  if (q.updatedBefore !== undefined) and.push(compare("updatedAt", "<", q.updatedBefore));
  return all(...and);
}

function conversationOrder(sort: readonly { field: ConversationSortField; direction: SortDirection }[]): string {
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
  return [...sort.map((o) => `"${column[o.field]}" ${o.direction === "desc" ? "DESC" : "ASC"}`), `"messageId" ASC`, `"direction" ASC`].join(", ");
}

type StatusRowRead = ConversationStatus & { conversationId: string; channel: string; convId: number | null };

const statusRowOf = ({ convId, ...r }: StatusRowRead): StatusRow => ({ ...r, convId: convId ?? 0 });

export class NextMoveStatusRepo {
  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.sql = sqlOf(db);
  }

  async findStatuses(q: StatusQuery, orgs: Visibility, page: PageRequest, sort: readonly { field: StatusSortField; direction: SortDirection }[]): Promise<PageOf<StatusRow>> {
    const params: unknown[] = [];
    const where = statusWhere(q, orgs, params);
    const paged = [...params];
    const limit = `LIMIT $${paged.push(page.size)} OFFSET $${paged.push(page.page * page.size)}`;
    const [rows, [count]] = await Promise.all([
      this.sql.query<StatusRowRead>(`${STATUS_ROWS} FROM ${STATUS_JOIN} WHERE ${where} ORDER BY ${statusOrder(sort)} ${limit}`, ...paged),
      this.sql.query<{ count: number | bigint }>(`SELECT COUNT(*) AS "count" FROM ${STATUS_JOIN} WHERE ${where}`, ...params),
    ]);
    return { rows: rows.map(statusRowOf), total: Number(count!.count) };
  }

  /** The status the status queue holds longest among those the caller may see; null when none. */
  async peekQueue(orgs: Visibility): Promise<StatusRow | null> {
    const params: unknown[] = [];
    const [row] = await this.sql.query<StatusRowRead>(
      `${STATUS_ROWS} FROM ${STATUS_JOIN} JOIN "StatusQueueEntry" q ON q."statusId" = s."id" WHERE ${renderCondition(visibleConversations(orgs), params, "c")} ORDER BY q."statusId" LIMIT 1`,
      ...params,
    );
    return row ? statusRowOf(row) : null;
  }

  /** Takes the status off the status queue; false when it is not there (or not the caller's). */
  async ackQueue(statusId: number, orgs: Visibility): Promise<boolean> {
    const params: unknown[] = [statusId];
    const visible = renderCondition(visibleConversations(orgs), params, "c");
    const deleted = await this.sql.execute(
      `DELETE FROM "StatusQueueEntry" WHERE "statusId" = $1 AND EXISTS (SELECT 1 FROM ${STATUS_JOIN} WHERE s."id" = "StatusQueueEntry"."statusId" AND ${visible})`,
      ...params,
    );
    return deleted > 0;
  }

  async findConversations(
    q: ConversationQuery,
    orgs: Visibility,
    page: PageRequest,
    sort: readonly { field: ConversationSortField; direction: SortDirection }[],
  ): Promise<PageOf<ConversationRow>> {
    const params: unknown[] = [];
    const where = renderCondition(conversationWhere(q, orgs), params);
    const paged = [...params];
    const limit = `LIMIT $${paged.push(page.size)} OFFSET $${paged.push(page.page * page.size)}`;
    const [rows, [count]] = await Promise.all([
      this.sql.query<Conversation>(`SELECT * FROM "Conversation" WHERE ${where} ORDER BY ${conversationOrder(sort)} ${limit}`, ...paged),
      this.sql.query<{ count: number | bigint }>(`SELECT COUNT(*) AS "count" FROM "Conversation" WHERE ${where}`, ...params),
    ]);
    return { rows: await this.withHistory(rows), total: Number(count!.count) };
  }

  /** The conversation numbered `id`, when the caller may see it (and it has `direction`, when given). */
  async conversationByNumber(id: number, orgs: Visibility, direction?: StoredDirection): Promise<ConversationRow | null> {
    const [first] = await this.sql.query<{ direction: string; messageId: string }>(`SELECT "direction", "messageId" FROM "ConversationStatus" WHERE "id" = $1`, id);
    if (!first || (direction !== undefined && first.direction !== direction)) return null;
    const c = await this.visibleOne(first.direction, first.messageId, orgs);
    if (!c || c.statuses[0]?.id !== id) return null;
    return c;
  }

  async conversationByMessageId(messageId: string, direction: StoredDirection, orgs: Visibility): Promise<ConversationRow | null> {
    return this.visibleOne(direction, normaliseMessageId(messageId), orgs);
  }

  /**
   * Deletes the conversation numbered `id` with everything the store holds of it (its history, its channel's
   * row, its files; an outgoing message still waiting to be sent leaves the outbox). Returns whether it did.
   */
  async deleteConversationByNumber(id: number, orgs: Visibility): Promise<boolean> {
    const c = await this.conversationByNumber(id, orgs);
    if (!c) return false;
    // The rows that belong to it go with it: their foreign keys cascade.
    return (await this.sql.execute(`DELETE FROM "Conversation" WHERE "direction" = $1 AND "messageId" = $2`, c.direction, c.messageId)) > 0;
  }

  /** Deletes the conversations with this message id, in both directions, that the caller may see; returns how many. */
  async deleteConversationsByMessageId(messageId: string, orgs: Visibility): Promise<number> {
    const params: unknown[] = [];
    const where = renderCondition(all(equals("messageId", normaliseMessageId(messageId)), visibleConversations(orgs)), params);
    return this.sql.execute(`DELETE FROM "Conversation" WHERE ${where}`, ...params);
  }

  /** The conversation (direction, messageId) with its history, when the caller may see it. */
  private async visibleOne(direction: string, messageId: string, orgs: Visibility): Promise<ConversationRow | null> {
    const params: unknown[] = [];
    const where = renderCondition(all(equals("direction", direction), equals("messageId", messageId), visibleConversations(orgs)), params);
    const rows = await this.sql.query<Conversation>(`SELECT * FROM "Conversation" WHERE ${where}`, ...params);
    const [c] = await this.withHistory(rows);
    return c ?? null;
  }

  /** Each conversation with its status history, oldest first, its SBD where it came through the NextMove API, and its number. */
  private async withHistory(rows: readonly Conversation[]): Promise<ConversationRow[]> {
    if (rows.length === 0) return [];
    const params: unknown[] = [];
    const keys = keysWhere(rows, params);
    const [statuses, sbds] = await Promise.all([
      this.sql.query<ConversationStatusSummary & { direction: string; messageId: string }>(
        `SELECT "id", "direction", "messageId", "status", "description", "createdAt" FROM "ConversationStatus" WHERE ${keys} ORDER BY "id"`,
        ...params,
      ),
      this.sql.query<{ direction: string; messageId: string; sbd: string }>(`SELECT "direction", "messageId", "sbd" FROM "NextMoveMessage" WHERE ${keys}`, ...params),
    ]);
    const key = (r: { direction: string; messageId: string }) => `${r.direction} ${r.messageId}`;
    const history = new Map<string, ConversationStatusSummary[]>();
    for (const { direction, messageId, ...st } of statuses) {
      const k = key({ direction, messageId });
      const own = history.get(k);
      if (own) own.push(st);
      else history.set(k, [st]);
    }
    const sbd = new Map(sbds.map((n) => [key(n), n.sbd]));
    return rows.map((c) => {
      const own = history.get(key(c)) ?? [];
      const nextMove = sbd.get(key(c));
      // A conversation is created with its first status in one transaction (ConversationsRepo.insertIn).
      return { ...c, id: own[0]?.id ?? 0, statuses: own, nextMove: nextMove === undefined ? null : { sbd: nextMove } };
    });
  }
}
