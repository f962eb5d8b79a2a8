import { CHANNELS, STATUS_MODELS, type Channel } from "../core/status/index.js";
import { coreDirection, type Direction } from "../store/conversations-repo.js";
import type { As4Exchange, ConsoleAction, Conversation, ConversationStatus, DpiMessage, NextMoveFile, NextMoveMessage, Prisma, RoutingRecord, SendAttempt } from "../store/generated/client.js";
import { normaliseMessageId } from "../store/message-id.js";
import type { Db } from "../store/prisma.js";

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
export function errorStatusWhere(): Prisma.ConversationWhereInput {
  const clauses: Prisma.ConversationWhereInput[] = [];
  for (const channel of CHANNELS) {
    for (const dir of ["OUT", "IN"] as const) {
      const names = STATUS_MODELS[channel].statuses.filter((d) => d.error && d.direction === coreDirection(dir)).map((d) => d.status);
      if (names.length) clauses.push({ channel, direction: dir, status: { in: names } });
    }
  }
  return { OR: clauses };
}

/** Whether the status is an error in the channel's model for that direction. */
export function isErrorStatus(channel: string, direction: string, status: string): boolean {
  if (!(CHANNELS as readonly string[]).includes(channel)) return false;
  const dir = direction === "OUT" ? "OUTGOING" : "INCOMING";
  return STATUS_MODELS[channel as Channel].statuses.some((d) => d.error && d.direction === dir && d.status === status);
}

/** The list's filter as a query. */
export function listWhere(f: ListFilter): Prisma.ConversationWhereInput {
  const and: Prisma.ConversationWhereInput[] = [];
  if (f.channel) and.push({ channel: f.channel });
  if (f.direction) and.push({ direction: f.direction });
  if (f.status) and.push({ status: f.status });
  if (f.sender) and.push({ OR: [{ senderIdentifier: { contains: f.sender } }, { senderName: { contains: f.sender } }] });
  if (f.receiver) and.push({ OR: [{ receiverIdentifier: { contains: f.receiver } }, { receiverName: { contains: f.receiver } }] });
  if (f.from) and.push({ createdAt: { gte: f.from } });
  if (f.to) and.push({ createdAt: { lt: f.to } });
  if (f.text) {
    const t = f.text;
    and.push({
      OR: [
        // Message ids are stored in lower case (normaliseMessageId).
        { messageId: { contains: t.toLowerCase() } },
        { conversationId: { contains: t } },
        { messageTitle: { contains: t } },
        { messageReference: { contains: t } },
        { externalReference: { contains: t } },
        { dpi: { is: { as4MessageId: t } } },
      ],
    });
  }
  return { AND: and };
}

const LIST_ORDER: Prisma.ConversationOrderByWithRelationInput[] = [{ createdAt: "desc" }, { messageId: "asc" }, { direction: "asc" }];

export class ConsoleQueries {
  constructor(private readonly db: Db) {}

  /** One page of the list, newest first, and how many match in all. */
  async list(f: ListFilter, page: PageRequest): Promise<{ rows: ListRow[]; total: number }> {
    const where = listWhere(f);
    const size = Math.min(Math.max(1, page.size), MAX_PAGE_SIZE);
    const [rows, total] = await Promise.all([
      this.db.conversation.findMany({ where, orderBy: LIST_ORDER, skip: Math.max(0, page.page) * size, take: size }),
      this.db.conversation.count({ where }),
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
    const groups = await this.db.conversation.groupBy({ by: ["status"], _count: { _all: true } });
    return groups.sort((a, b) => b._count._all - a._count._all || a.status.localeCompare(b.status)).map((g) => g.status);
  }

  /** Everything recorded about one message; null when there is no such conversation. */
  async conversation(direction: Direction, messageId: string): Promise<ConversationView | null> {
    const id = normaliseMessageId(messageId);
    const c = await this.db.conversation.findUnique({
      where: { direction_messageId: { direction, messageId: id } },
      include: { statuses: { orderBy: { id: "asc" } }, dpi: true, nextMove: { include: { files: { orderBy: { id: "asc" } } } } },
    });
    if (!c) return null;
    const [actions, exchanges, related, attempts, attemptCount, routing] = await Promise.all([
      this.db.consoleAction.findMany({ where: { direction, messageId: id }, orderBy: { id: "asc" } }),
      this.db.as4Exchange.findMany({ where: { messageId: id }, orderBy: [{ createdAt: "asc" }, { as4MessageId: "asc" }] }),
      this.db.conversation.findMany({
        where: { conversationId: c.conversationId, NOT: { direction, messageId: id } },
        orderBy: [{ createdAt: "asc" }, { messageId: "asc" }],
        take: 200,
      }),
      this.db.sendAttempt.findMany({ where: { direction, messageId: id }, orderBy: { id: "desc" }, take: MAX_ATTEMPTS_SHOWN }),
      this.db.sendAttempt.count({ where: { direction, messageId: id } }),
      this.db.routingRecord.findMany({ where: { attempts: { some: { direction, messageId: id } } }, orderBy: [{ fetchedAt: "desc" }, { sha256: "asc" }] }),
    ]);
    const { statuses, dpi, nextMove, ...conversation } = c;
    return { conversation, statuses, actions, timeline: timelineOf(statuses, actions), dpi, nextMove, exchanges, related, attempts: attempts.reverse(), attemptCount, routing };
  }

  async overview(now: Date): Promise<Overview> {
    const dayAgo = new Date(now.getTime() - 24 * 3_600_000);
    const [groups, failed, backlog, recent] = await Promise.all([
      this.db.conversation.groupBy({ by: ["channel", "direction", "status"], _count: { _all: true } }),
      this.db.conversation.findMany({
        where: errorStatusWhere(),
        select: { status: true, lastError: true, statuses: { select: { description: true }, orderBy: { id: "desc" }, take: 1 } },
        take: OVERVIEW_ROW_CAP,
      }),
      this.db.conversation.findMany({
        where: { direction: "OUT", nextAttemptAt: { not: null } },
        select: { channel: true, nextAttemptAt: true, leaseUntil: true, createdAt: true },
        take: OVERVIEW_ROW_CAP,
      }),
      this.db.conversation.findMany({ where: { createdAt: { gte: dayAgo } }, select: { channel: true, createdAt: true }, take: OVERVIEW_ROW_CAP }),
    ]);
    return {
      byStatus: groups
        .map((g) => ({ channel: g.channel, direction: g.direction, status: g.status, count: g._count._all }))
        .sort((a, b) => a.channel.localeCompare(b.channel) || a.direction.localeCompare(b.direction) || b.count - a.count),
      failures: countReasons(failed.map((f) => f.lastError ?? f.statuses[0]?.description ?? f.status)),
      backlog: backlogOf(backlog, now),
      perHour: perHour(recent, now),
      capped: [failed, backlog, recent].some((rows) => rows.length >= OVERVIEW_ROW_CAP),
    };
  }

  private async handled(rows: readonly { direction: string; messageId: string }[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const marks = await this.db.consoleAction.findMany({
      where: { action: "mark-handled", OR: rows.map((r) => ({ direction: r.direction, messageId: r.messageId })) },
      select: { direction: true, messageId: true },
    });
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
