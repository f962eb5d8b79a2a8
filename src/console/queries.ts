import { CHANNELS, STATUS_MODELS, type Channel } from "../core/status/index.js";
import { coreDirection, pageSql, type Direction } from "../store/conversations-repo.js";
import type { As4Exchange, ConsoleAction, Conversation, ConversationStatus, DpiMessage, NextMoveFile, NextMoveMessage, RoutingRecord, SendAttempt } from "../store/generated/client.js";
import { normaliseMessageId } from "../store/message-id.js";
import { keysWhere, withNextMoveAndFiles } from "../store/nextmove-rows.js";
import type { Db } from "../store/prisma.js";
import { sqlOf, type SqlStore } from "../store/sql.js";
import { all, any, compare, contains, equals, hasRow, oneOf, renderCondition, type Condition } from "../store/sql-condition.js";

/**
 * What the console's pages show, read from the store: the conversation list with its filters, one conversation
 * with everything recorded about it, and the overview's counts. Reads only; the actions are in actions.ts.
 * Every channel shares the Conversation table, so one query covers DPI and the NextMove channels alike.
 */

export interface ListFilter {
  channel?: Channel | undefined;
  direction?: Direction | undefined;
  status?: string | undefined;
  /** Part of the sender's identifier or name. */
  sender?: string | undefined;
  receiver?: string | undefined;
  /** Created at or after. */
  from?: Date | undefined;
  /** Created before. */
  to?: Date | undefined;
  /** Part of the message id, conversation id, title, reference or the channel's own reference; or an AS4 MessageId. */
  text?: string | undefined;
}

export interface PageRequest {
  /** From 0. */
  page: number;
  size: number;
}

export interface ListRow {
  direction: Direction;
  messageId: string;
  conversationId: string;
  channel: string;
  documentType: string;
  sender: string;
  senderName: string | null;
  receiver: string;
  receiverName: string | null;
  title: string | null;
  reference: string | null;
  status: string;
  createdAt: Date;
  updatedAt: Date;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  /** An operator marked it manually handled in the console. */
  handled: boolean;
}

export type TimelineEvent =
  | { kind: "status"; at: Date; status: string; description: string | null; rawReceipt: string | null; id: number }
  | { kind: "action"; at: Date; action: string; user: string; note: string | null; status: string | null; id: number };

export interface ConversationView {
  conversation: Conversation;
  statuses: ConversationStatus[];
  actions: ConsoleAction[];
  /** Statuses and console actions in the order they happened. */
  timeline: TimelineEvent[];
  dpi: DpiMessage | null;
  nextMove: (NextMoveMessage & { files: NextMoveFile[] }) | null;
  /** The AS4 exchanges of this message: the receipt we got for it (OUT) or gave for it (IN). */
  exchanges: As4Exchange[];
  /** The other messages of its conversation (receipts, replies, the copy in the other direction). */
  related: Conversation[];
  /** Its send attempts, first first (the latest MAX_ATTEMPTS_SHOWN when there were more). */
  attempts: SendAttempt[];
  /** How many send attempts are recorded in all. */
  attemptCount: number;
  /** The routing records its attempts were routed by, latest fetched first. */
  routing: RoutingRecord[];
}

export interface CountRow {
  channel: string;
  direction: string;
  status: string;
  count: number;
}

export interface ReasonRow {
  reason: string;
  count: number;
}

export interface BacklogRow {
  channel: string;
  /** Due now, waiting for a worker. */
  due: number;
  /** Waiting in back-off for a later attempt. */
  waiting: number;
  /** Held by a worker right now (being sent). */
  sending: number;
  oldest: Date | null;
}

export interface HourBucket {
  start: Date;
  counts: Record<string, number>;
}

export interface Overview {
  byStatus: CountRow[];
  failures: ReasonRow[];
  backlog: BacklogRow[];
  /** Conversations created per hour over the last day, by channel. */
  perHour: HourBucket[];
  /** How many rows the per-hour and failure figures read at most; when reached, the figures are a sample. */
  capped: boolean;
}

export const MAX_PAGE_SIZE = 200;
/** Send attempts one conversation's page shows at most (the latest). */
export const MAX_ATTEMPTS_SHOWN = 500;
/** Rows the overview's figures read at most (its counts per status are exact; these are not summed in SQL). */
const OVERVIEW_ROW_CAP = 100_000;

/** The statuses that are errors in each channel's model, as a filter on the latest status. */
export function errorStatusWhere(): Condition {
  const clauses: Condition[] = [];
  for (const channel of CHANNELS) {
    for (const dir of ["OUT", "IN"] as const) {
      const names = STATUS_MODELS[channel].statuses.filter((d) => d.error && d.direction === coreDirection(dir)).map((d) => d.status);
      if (names.length) clauses.push(all(equals("channel", channel), equals("direction", dir), oneOf("status", names)));
    }
  }
  return any(...clauses);
}

/** Whether the status is an error in the channel's model for that direction. */
export function isErrorStatus(channel: string, direction: string, status: string): boolean {
  if (!(CHANNELS as readonly string[]).includes(channel)) return false;
  const dir = direction === "OUT" ? "OUTGOING" : "INCOMING";
  return STATUS_MODELS[channel as Channel].statuses.some((d) => d.error && d.direction === dir && d.status === status);
}

/** The list's filter as a condition. */
export function listWhere(f: ListFilter): Condition {
  const and: Condition[] = [];
  if (f.channel) and.push(equals("channel", f.channel));
  if (f.direction) and.push(equals("direction", f.direction));
  if (f.status) and.push(equals("status", f.status));
  if (f.sender) and.push(any(contains("senderIdentifier", f.sender), contains("senderName", f.sender)));
  if (f.receiver) and.push(any(contains("receiverIdentifier", f.receiver), contains("receiverName", f.receiver)));
  if (f.from) and.push(compare("createdAt", ">=", f.from));
  if (f.to) and.push(compare("createdAt", "<", f.to));
  if (f.text) {
    const t = f.text;
    and.push(
      any(
        // Message ids are stored in lower case (normaliseMessageId).
        contains("messageId", t.toLowerCase()),
        contains("conversationId", t),
        contains("messageTitle", t),
        contains("messageReference", t),
        contains("externalReference", t),
        hasRow("DpiMessage", equals<DpiMessage>("as4MessageId", t)),
      ),
    );
  }
  return all(...and);
}

const LIST_ORDER = `ORDER BY "createdAt" DESC, "messageId", "direction"`;

const count = (rows: readonly { count: number | bigint }[]) => Number(rows[0]!.count);

/**
 * The console's reads, on the store's direct SQL (sql.ts) like everything else an access point runs after
 * start-up, so that using the console does not bring in Prisma's query compiler.
 */
export class ConsoleQueries {
  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.sql = sqlOf(db);
  }

  /** One page of the list, newest first, and how many match in all. */
  async list(f: ListFilter, page: PageRequest): Promise<{ rows: ListRow[]; total: number }> {
    const params: unknown[] = [];
    const where = renderCondition(listWhere(f), params);
    const size = Math.min(Math.max(1, page.size), MAX_PAGE_SIZE);
    const paged = [...params];
    const limit = pageSql(paged, { skip: Math.max(0, page.page) * size, take: size });
    const [rows, total] = await Promise.all([
      this.sql.query<Conversation>(`SELECT * FROM "Conversation" WHERE ${where} ${LIST_ORDER} ${limit}`, ...paged),
      this.sql.query<{ count: number | bigint }>(`SELECT COUNT(*) AS "count" FROM "Conversation" WHERE ${where}`, ...params).then(count),
    ]);
    const handled = await this.handled(rows);
    return {
      rows: rows.map((c) => ({
        direction: c.direction as Direction,
        messageId: c.messageId,
        conversationId: c.conversationId,
        channel: c.channel,
        documentType: c.documentType,
        sender: c.senderIdentifier,
        senderName: c.senderName,
        receiver: c.receiverIdentifier,
        receiverName: c.receiverName,
        title: c.messageTitle,
        reference: c.messageReference,
        status: c.status,
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
        attempts: c.attempts,
        lastError: c.lastError,
        nextAttemptAt: c.nextAttemptAt,
        handled: handled.has(`${c.direction} ${c.messageId}`),
      })),
      total,
    };
  }

  /** The statuses conversations currently have (for the filter's choices), most used first. */
  async statusNames(): Promise<string[]> {
    const groups = await this.sql.query<{ status: string; count: number | bigint }>(`SELECT "status", COUNT(*) AS "count" FROM "Conversation" GROUP BY "status"`);
    return groups
      .map((g) => ({ status: g.status, count: Number(g.count) }))
      .sort((a, b) => b.count - a.count || a.status.localeCompare(b.status))
      .map((g) => g.status);
  }

  /** Everything recorded about one message; null when there is no such conversation. */
  async conversation(direction: Direction, messageId: string): Promise<ConversationView | null> {
    const id = normaliseMessageId(messageId);
    const key = `"direction" = $1 AND "messageId" = $2`;
    const [conversation] = await this.sql.query<Conversation>(`SELECT * FROM "Conversation" WHERE ${key}`, direction, id);
    if (!conversation) return null;
    const [statuses, [dpi], [nextMove], actions, exchanges, related, attempts, attemptCount, routing] = await Promise.all([
      this.sql.query<ConversationStatus>(`SELECT * FROM "ConversationStatus" WHERE ${key} ORDER BY "id"`, direction, id),
      this.sql.query<DpiMessage>(`SELECT * FROM "DpiMessage" WHERE ${key}`, direction, id),
      withNextMoveAndFiles(this.sql, [conversation]),
      this.sql.query<ConsoleAction>(`SELECT * FROM "ConsoleAction" WHERE ${key} ORDER BY "id"`, direction, id),
      this.sql.query<As4Exchange>(`SELECT * FROM "As4Exchange" WHERE "messageId" = $1 ORDER BY "createdAt", "as4MessageId"`, id),
      this.sql.query<Conversation>(
        `SELECT * FROM "Conversation" WHERE "conversationId" = $1 AND NOT ("direction" = $2 AND "messageId" = $3) ORDER BY "createdAt", "messageId" LIMIT 200`,
        conversation.conversationId,
        direction,
        id,
      ),
      this.sql.query<SendAttempt>(`SELECT * FROM "SendAttempt" WHERE ${key} ORDER BY "id" DESC LIMIT $3`, direction, id, MAX_ATTEMPTS_SHOWN),
      this.sql.query<{ count: number | bigint }>(`SELECT COUNT(*) AS "count" FROM "SendAttempt" WHERE ${key}`, direction, id).then(count),
      this.sql.query<RoutingRecord>(
        `SELECT * FROM "RoutingRecord" r WHERE EXISTS (SELECT 1 FROM "SendAttempt" a WHERE a."routingSha256" = r."sha256" AND a."direction" = $1 AND a."messageId" = $2)
          ORDER BY r."fetchedAt" DESC, r."sha256"`,
        direction,
        id,
      ),
    ]);
    return {
      conversation,
      statuses,
      actions,
      timeline: timelineOf(statuses, actions),
      dpi: dpi ?? null,
      nextMove: nextMove?.nextMove ?? null,
      exchanges,
      related,
      attempts: attempts.reverse(),
      attemptCount,
      routing,
    };
  }

  async overview(now: Date): Promise<Overview> {
    const dayAgo = new Date(now.getTime() - 24 * 3_600_000);
    const errors: unknown[] = [OVERVIEW_ROW_CAP];
    const failing = renderCondition(errorStatusWhere(), errors, "c");
    const [groups, failed, backlog, recent] = await Promise.all([
      this.sql.query<CountRow & { count: number | bigint }>(`SELECT "channel", "direction", "status", COUNT(*) AS "count" FROM "Conversation" GROUP BY "channel", "direction", "status"`),
      this.sql.query<{ status: string; lastError: string | null; description: string | null }>(
        `SELECT c."status", c."lastError",
            (SELECT s."description" FROM "ConversationStatus" s WHERE s."direction" = c."direction" AND s."messageId" = c."messageId" ORDER BY s."id" DESC LIMIT 1) AS "description"
          FROM "Conversation" c WHERE ${failing} LIMIT $1`,
        ...errors,
      ),
      this.sql.query<Pick<Conversation, "channel" | "nextAttemptAt" | "leaseUntil" | "createdAt">>(
        `SELECT "channel", "nextAttemptAt", "leaseUntil", "createdAt" FROM "Conversation" WHERE "direction" = 'OUT' AND "nextAttemptAt" IS NOT NULL LIMIT $1`,
        OVERVIEW_ROW_CAP,
      ),
      this.sql.query<Pick<Conversation, "channel" | "createdAt">>(`SELECT "channel", "createdAt" FROM "Conversation" WHERE "createdAt" >= $1 LIMIT $2`, dayAgo, OVERVIEW_ROW_CAP),
    ]);
    return {
      byStatus: groups
        .map((g) => ({ channel: g.channel, direction: g.direction, status: g.status, count: Number(g.count) }))
        .sort((a, b) => a.channel.localeCompare(b.channel) || a.direction.localeCompare(b.direction) || b.count - a.count),
      failures: countReasons(failed.map((f) => f.lastError ?? f.description ?? f.status)),
      backlog: backlogOf(backlog, now),
      perHour: perHour(recent, now),
      capped: [failed, backlog, recent].some((rows) => rows.length >= OVERVIEW_ROW_CAP),
    };
  }

  private async handled(rows: readonly { direction: string; messageId: string }[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const params: unknown[] = [];
    const marks = await this.sql.query<{ direction: string; messageId: string }>(
      `SELECT "direction", "messageId" FROM "ConsoleAction" WHERE "action" = 'mark-handled' AND (${keysWhere(rows, params)})`,
      ...params,
    );
    return new Set(marks.map((m) => `${m.direction} ${m.messageId}`));
  }
}

/** Statuses and actions merged by time; at the same instant a status comes before the action that followed it. */
export function timelineOf(statuses: readonly ConversationStatus[], actions: readonly ConsoleAction[]): TimelineEvent[] {
  const events: TimelineEvent[] = [
    ...statuses.map((s) => ({ kind: "status" as const, at: s.createdAt, status: s.status, description: s.description, rawReceipt: s.rawReceipt, id: s.id })),
    ...actions.map((a) => ({ kind: "action" as const, at: a.createdAt, action: a.action, user: a.user, note: a.note, status: a.status, id: a.id })),
  ];
  const rank = (e: TimelineEvent) => (e.kind === "status" ? 0 : 1);
  return events.sort((a, b) => a.at.getTime() - b.at.getTime() || rank(a) - rank(b) || a.id - b.id);
}

/**
 * A failure's reason without what differs between occurrences of the same reason (ids, numbers, addresses,
 * ports), so the overview can count them: "connection refused 127.0.0.1:4711" and "…:4712" are one reason.
 */
export function reasonKey(reason: string): string {
  return reason
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<id>")
    .replace(/https?:\/\/[^\s,;)]+/g, "<url>")
    .replace(/\d+(\.\d+)*/g, "<n>")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 120);
}

export function countReasons(reasons: readonly string[]): ReasonRow[] {
  const counts = new Map<string, number>();
  for (const r of reasons) {
    const k = reasonKey(r);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

export function backlogOf(rows: readonly { channel: string; nextAttemptAt: Date | null; leaseUntil: Date | null; createdAt: Date }[], now: Date): BacklogRow[] {
  const by = new Map<string, BacklogRow>();
  for (const r of rows) {
    const b = by.get(r.channel) ?? { channel: r.channel, due: 0, waiting: 0, sending: 0, oldest: null };
    if (r.leaseUntil && r.leaseUntil > now) b.sending++;
    else if (r.nextAttemptAt && r.nextAttemptAt > now) b.waiting++;
    else b.due++;
    if (!b.oldest || r.createdAt < b.oldest) b.oldest = r.createdAt;
    by.set(r.channel, b);
  }
  return [...by.values()].sort((a, b) => a.channel.localeCompare(b.channel));
}

/** 24 one-hour buckets ending with the current hour, each with its count per channel. */
export function perHour(rows: readonly { channel: string; createdAt: Date }[], now: Date): HourBucket[] {
  const HOUR = 3_600_000;
  const last = Math.floor(now.getTime() / HOUR) * HOUR;
  const buckets: HourBucket[] = Array.from({ length: 24 }, (_, i) => ({ start: new Date(last - (23 - i) * HOUR), counts: {} }));
  for (const r of rows) {
    const i = 23 - Math.floor((last - Math.floor(r.createdAt.getTime() / HOUR) * HOUR) / HOUR);
    const b = buckets[i];
    if (b) b.counts[r.channel] = (b.counts[r.channel] ?? 0) + 1;
  }
  return buckets;
}
