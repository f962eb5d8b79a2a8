import { canRegister, CHANNELS, flagChanges, type Channel, type RegisterDecision } from "../core/status/index.js";
import type { ReadScope } from "../core/read-scope.js";
import type { Conversation, Prisma } from "./generated/client.js";
import { normaliseMessageId } from "./message-id.js";
import type { Db } from "./prisma.js";
import { sqlOf, type Sql, type SqlStore } from "./sql.js";
import { batchable, execute, queryRows, type RawClient, type SqlClient, type Statement } from "./raw-sql.js";
import { all, amongConversations, any, compare, equals, noneOf, oneOf, renderCondition, requiredValue, type Condition } from "./sql-condition.js";

/**
 * The channel-neutral part of the store: one Conversation row per message and direction, whatever the channel,
 * with its append-only status history (ConversationStatus). Channel-specific data lives in the channel's own
 * table (DpiMessage, see dpi-messages-repo.ts), written in the same transaction. Message ids are keyed, and
 * looked up, by normaliseMessageId; identifiers are "0192:<orgno>".
 *
 * Statuses are registered by the core's rules (src/core/status): a status the conversation already has is not
 * registered again, nothing follows a terminal status but what the channel's table allows, and `finished` and
 * `pollable` follow from each registered status (flags.ts).
 */

export type Direction = "OUT" | "IN";

/**
 * Writes a caller commits inside another repository's transaction (e.g. a receipt filed with a status): SQL of
 * its own on the transaction's direct SQL (sql.ts), as the outbox's transactions are.
 */
export type StoreWrites = (tx: Sql) => Promise<void>;

export interface NewConversation {
  messageId: string;
  direction: Direction;
  conversationId: string;
  channel: Channel;
  process: string;
  documentType: string;
  standard: string;
  senderIdentifier: string;
  receiverIdentifier: string;
  senderName?: string | undefined;
  receiverName?: string | undefined;
  messageReference?: string | undefined;
  messageTitle?: string | undefined;
  expiry?: Date | undefined;
  externalReference?: string | undefined;
  /** OUT conversations to send: enters the outbox, due immediately. */
  enqueue?: boolean;
}

export interface StatusEntry {
  status: string;
  description: string | null;
  rawReceipt: string | null;
  timestamp: Date;
}

export interface StatusDetails {
  description?: string | null | undefined;
  rawReceipt?: string | null | undefined;
}

export class DuplicateMessageIdError extends Error {
  constructor(readonly messageId: string) {
    super(`message id ${messageId} has been used before`);
    this.name = "DuplicateMessageIdError";
  }
}

/** A status the conversation's channel cannot reach in its direction (a programming error, not input). */
export class StatusNotInModelError extends Error {
  readonly code = "status-not-in-model";
  constructor(detail: string) {
    super(detail);
    this.name = "StatusNotInModelError";
  }
}

/** The direction as the core's status rules spell it. */
export function coreDirection(d: Direction): "OUTGOING" | "INCOMING" {
  return d === "OUT" ? "OUTGOING" : "INCOMING";
}

export function channelOf(stored: string): Channel {
  if (!(CHANNELS as readonly string[]).includes(stored)) throw new Error(`unknown channel ${stored}`);
  return stored as Channel;
}

export const conversationKey = (direction: Direction, messageId: string) => ({ direction_messageId: { direction, messageId } });

export class ConversationsRepo {
  private readonly sql: SqlStore;

  constructor(private readonly db: Db) {
    this.sql = sqlOf(db);
  }

  /**
   * The writes that create a conversation with its first status, on `client` (the repository's own, or a
   * transaction's): a caller adds its channel's row and commits them together. The id is keyed by its normal
   * form, so the primary key refuses the same id in another case as a duplicate.
   */
  insertOperations(c: NewConversation, initialStatus: string, at: Date, details: StatusDetails = {}, client: RawClient = this.db): Prisma.PrismaPromise<unknown>[] {
    return insertStatements(c, initialStatus, at, details).map((st) => batchable(client, st));
  }

  /** Inside a transaction (or on the direct SQL's, sql.ts): the writes of insertOperations, in order. */
  async insertIn(client: SqlClient, c: NewConversation, initialStatus: string, at: Date, details: StatusDetails = {}): Promise<void> {
    for (const st of insertStatements(c, initialStatus, at, details)) await execute(client, ...st);
  }

  async get(direction: Direction, messageId: string): Promise<Conversation | null> {
    const [row] = await queryRows<Conversation>(this.sql, `SELECT * FROM "Conversation" WHERE "direction" = $1 AND "messageId" = $2`, direction, normaliseMessageId(messageId));
    return row ?? null;
  }

  async statuses(direction: Direction, messageId: string): Promise<StatusEntry[]> {
    const rows = await queryRows<{ status: string; description: string | null; rawReceipt: string | null; createdAt: Date }>(
      this.sql,
      `SELECT "status", "description", "rawReceipt", "createdAt" FROM "ConversationStatus" WHERE "direction" = $1 AND "messageId" = $2 ORDER BY "id"`,
      direction,
      normaliseMessageId(messageId),
    );
    return rows.map((r) => ({ status: r.status, description: r.description, rawReceipt: r.rawReceipt, timestamp: r.createdAt }));
  }

  /**
   * Registers `status` unless the rules refuse it (see registerStatusIn). Returns the decision, or undefined
   * when there is no such conversation.
   */
  async registerStatus(direction: Direction, messageId: string, status: string, at: Date, details: StatusDetails = {}): Promise<RegisterDecision | undefined> {
    return this.sql.transaction((tx) => registerStatusIn(tx, direction, normaliseMessageId(messageId), status, at, details));
  }

  /**
   * Status polling: pollable conversations of `channels` whose next poll is due (never polled counts as due),
   * the longest waiting first.
   */
  async dueForPolling(now: Date, channels: readonly Channel[], limit: number): Promise<Conversation[]> {
    if (channels.length === 0) return [];
    const params: unknown[] = [true, now, limit];
    return queryRows<Conversation>(
      this.sql,
      `SELECT * FROM "Conversation" WHERE "pollable" = $1 AND "channel" IN (${channels.map((c) => `$${params.push(c)}`).join(", ")})
        AND ("nextPollAt" IS NULL OR "nextPollAt" <= $2) ORDER BY "nextPollAt", "messageId" LIMIT $3`,
      ...params,
    );
  }

  /** Status polling: when the conversation is polled next. */
  async schedulePoll(direction: Direction, messageId: string, at: Date): Promise<void> {
    await setConversation(this.sql, direction, messageId, { nextPollAt: at });
  }

  /** Status polling: the far side has nothing more to say about the conversation (e.g. DPV: purged in Altinn). */
  async stopPolling(direction: Direction, messageId: string): Promise<void> {
    await setConversation(this.sql, direction, messageId, { pollable: false, nextPollAt: null });
  }

  /**
   * Inbox: unread incoming conversations that match `q`, oldest first (locked ones too: a lock only keeps
   * other peeks away).
   */
  async inboxUnread(q: InboxQuery, page: { skip: number; take: number }): Promise<Conversation[]> {
    // An empty read filter lets the reader see nothing.
    if (q.anyOf.length === 0) return [];
    const params: unknown[] = [];
    const where = renderCondition(all(inboxWhere(q, this.sql.provider), equals("readAt", null)), params);
    return queryRows<Conversation>(this.sql, `SELECT * FROM "Conversation" WHERE ${where} ${INBOX_ORDER_SQL} ${pageSql(params, page)}`, ...params);
  }

  /** Inbox: one incoming conversation that matches `q`, read or not; null when there is none. */
  async inboxFind(q: InboxQuery, messageId: string): Promise<Conversation | null> {
    if (q.anyOf.length === 0) return null;
    const params: unknown[] = [];
    const where = renderCondition(all(inboxWhere(q, this.sql.provider), equals("messageId", normaliseMessageId(messageId))), params);
    const [row] = await queryRows<Conversation>(this.sql, `SELECT * FROM "Conversation" WHERE ${where} LIMIT 1`, ...params);
    return row ?? null;
  }

  /**
   * Inbox peek: locks the oldest unread conversation matching `q` that nobody holds (no lock, or one that ran out
   * by `now`) until `lockedUntil`, and returns it as locked; null when there is none. The lock is taken by one
   * conditional update of that row (still unread and unlocked): of several processes that picked the same row,
   * one changes it and the others try the next, so two peeks never hold the same message. A race lost means
   * another peek took that row (or it was read): it is tried no more, and the peek goes on until it wins a row or
   * none is left untried, so it answers "nothing free" only when nothing was, and it ends, however busy the inbox:
   * each candidate is tried at most once.
   */
  async inboxPeek(q: InboxQuery, now: Date, lockedUntil: Date): Promise<Conversation | null> {
    if (q.anyOf.length === 0) return null;
    const free = all(equals("readAt", null), any(equals("lockedUntil", null), compare("lockedUntil", "<=", now)));
    const tried = new Set<string>();
    for (;;) {
      const params: unknown[] = [];
      const where = renderCondition(all(inboxWhere(q, this.sql.provider), free, noneOf("messageId", [...tried])), params);
      const untried = await queryRows<{ messageId: string }>(
        this.sql,
        `SELECT "messageId" FROM "Conversation" WHERE ${where} ${INBOX_ORDER_SQL} LIMIT $${params.push(PEEK_BATCH)}`,
        ...params,
      );
      if (untried.length === 0) return null;
      for (const { messageId } of untried) {
        tried.add(messageId);
        const [locked] = await queryRows<Conversation>(this.sql, PEEK_LOCK, lockedUntil, new Date(), messageId, now);
        if (locked) return locked;
      }
    }
  }

  /**
   * Inbox: confirms the unread incoming conversation `messageId` that matches `q` in one conditional update (read,
   * lock released, as markRead); returns its stored id, or null when no unread conversation matches (it was read
   * already, or the query does not let the reader see it).
   */
  async inboxMarkRead(q: InboxQuery, messageId: string, at: Date): Promise<string | null> {
    if (q.anyOf.length === 0) return null;
    const params: unknown[] = [at, new Date()];
    const where = renderCondition(all(inboxWhere(q, this.sql.provider), equals("messageId", normaliseMessageId(messageId)), equals("readAt", null)), params);
    const [row] = await queryRows<{ messageId: string }>(
      this.sql,
      `UPDATE "Conversation" SET "readAt" = $1, "lockedUntil" = NULL, "updatedAt" = $2 WHERE ${where} RETURNING "messageId"`,
      ...params,
    );
    return row?.messageId ?? null;
  }

  /**
   * Inbox: a reader confirmed an incoming message (or deleted it from its inbox): it is read and no longer
   * locked; the conversation and its history stay. Returns false when it was already read (idempotent confirm).
   */
  async markRead(messageId: string, at: Date): Promise<boolean> {
    const count = await execute(
      this.sql,
      `UPDATE "Conversation" SET "readAt" = $1, "lockedUntil" = NULL, "updatedAt" = $2 WHERE "direction" = 'IN' AND "messageId" = $3 AND "readAt" IS NULL`,
      at,
      new Date(),
      normaliseMessageId(messageId),
    );
    return count > 0;
  }
}

/**
 * What an inbox query selects among incoming conversations: any of `anyOf` (a read filter as a query: none, no
 * conversation), of `channel` when given, and `where` (a channel's further conditions).
 */
export interface InboxQuery {
  anyOf: Condition[];
  channel?: Channel | undefined;
  where?: Condition | undefined;
}

/**
 * A read filter's clauses for conversations in `direction` as conditions (src/core/read-scope.ts): each its
 * document types and its column values, which `columns` says where to find (the channel's mapping).
 */
export function readScopeWhere<C extends object>(scope: ReadScope<C>, direction: Direction, columns: (values: Partial<C>) => Condition): Condition[] {
  return scope.anyOf
    .filter((c) => c.direction === direction)
    .map((c) => all(...(c.documentTypes ? [oneOf("documentType", c.documentTypes)] : []), columns(c.columns)));
}

/** The inbox's order: oldest first, then by id. */
export const INBOX_ORDER_SQL = `ORDER BY "createdAt", "messageId"`;
/** How many of the oldest free candidates a peek reads at a time: the ones it tries when it loses a race. */
const PEEK_BATCH = 8;

/**
 * A peek's lock on one conversation ($3), while it is still unread and free at $4: until $1, updated at $2. Its
 * parameters keep this order (test/core/inbox.test.ts stands a rival reader in front of it).
 */
export const PEEK_LOCK = `UPDATE "Conversation" SET "lockedUntil" = $1, "updatedAt" = $2
  WHERE "direction" = 'IN' AND "messageId" = $3 AND "readAt" IS NULL AND ("lockedUntil" IS NULL OR "lockedUntil" <= $4) RETURNING *`;

/** `LIMIT … OFFSET …` of a page, its values appended to `params`. */
export function pageSql(params: unknown[], page: { skip: number; take: number }): string {
  return `LIMIT $${params.push(page.take)} OFFSET $${params.push(page.skip)}`;
}

/**
 * The conversations an inbox query covers, read or not (for other inbox tables' queries too, e.g. NextMove's).
 * `provider`: the database it is rendered for, when known (see receiversOf).
 */
export function inboxWhere(q: InboxQuery, provider?: Sql["provider"]): Condition {
  return all(equals("direction", "IN"), ...receiversOf(q.anyOf, provider), ...(q.channel ? [equals("channel", q.channel)] : []), any(...q.anyOf), ...(q.where ? [q.where] : []));
}

/**
 * When every branch of `anyOf` names its receivers, the same receivers once more outside the OR: it changes no
 * result, but lets the planner use the (direction, receiverIdentifier, readAt) index instead of scanning every
 * incoming conversation, which SQLite does for a receiver that only appears inside an OR. Receivers given by
 * value become one list. Those given by a prefix (NextMove's `0192:<orgno>:<part>`, see partyWhere) are a LIKE,
 * which SQLite cannot look up in the index (it compares ASCII letters case-insensitively, the index exactly): on
 * SQLite, a prefix without letters becomes the range of the texts that start with it, which is the same set, and
 * each range and the list are looked up on their own (amongConversations). Elsewhere, or for a prefix with letters,
 * nothing is added.
 */
function receiversOf(anyOf: readonly Condition[], provider: Sql["provider"] | undefined): Condition[] {
  const named = anyOf.map(receiversIn);
  if (named.length === 0 || !named.every((r) => r !== undefined)) return [];
  const values = [...new Set(named.flatMap((r) => r!.values))];
  const prefixes = [...new Set(named.flatMap((r) => r!.prefixes))];
  if (prefixes.length === 0) return [oneOf("receiverIdentifier", values)];
  const ranges = prefixes.map(prefixRange);
  if (provider !== "sqlite" || !ranges.every((r) => r !== undefined)) return [];
  const incoming = equals("direction", "IN");
  return [
    amongConversations(
      ...(values.length ? [all(incoming, oneOf("receiverIdentifier", values))] : []),
      ...ranges.map((r) => all(incoming, compare("receiverIdentifier", ">=", r!.from), compare("receiverIdentifier", "<", r!.to))),
    ),
  ];
}

/** The receivers a read-filter branch allows: values, and prefixes; undefined when it allows any receiver. */
function receiversIn(branch: Condition): { values: string[]; prefixes: string[] } | undefined {
  const value = requiredValue(branch, "receiverIdentifier");
  if (typeof value === "string") return { values: [value], prefixes: [] };
  for (const part of "all" in branch ? branch.all : [branch]) {
    const options = "any" in part ? part.any : [part];
    const found = options.map(receiverOption);
    if (found.length > 0 && found.every((f) => f !== undefined)) {
      return { values: found.flatMap((f) => f!.values), prefixes: found.flatMap((f) => f!.prefixes) };
    }
  }
  return undefined;
}

/** The receivers one condition allows, when it is on the receiver alone. */
function receiverOption(c: Condition): { values: string[]; prefixes: string[] } | undefined {
  if (!("column" in c) || c.column !== "receiverIdentifier") return undefined;
  if ("equals" in c && typeof c.equals === "string") return { values: [c.equals], prefixes: [] };
  if ("oneOf" in c && c.oneOf.every((v) => typeof v === "string")) return { values: [...(c.oneOf as string[])], prefixes: [] };
  if ("startsWith" in c) return { values: [], prefixes: [c.startsWith] };
  return undefined;
}

/**
 * The texts that start with `prefix`, as a range [from, to) that SQLite's byte-wise comparison (the BINARY
 * collation of every column here) and its LIKE agree on: printable ASCII without letters, whose last character
 * is not the last one. Undefined for any other prefix.
 */
function prefixRange(prefix: string): { from: string; to: string } | undefined {
  if (!/^[\x20-\x40\x5b-\x60\x7b-\x7d]+$/.test(prefix)) return undefined;
  return { from: prefix, to: prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1) };
}

/**
 * What registering a status reads of a conversation before it decides: its channel, its latest status (the
 * column) and its history in order. A caller that read these in the same transaction passes them on
 * (registerStatusIn's `seen`) instead of having them read again.
 */
export interface ConversationState {
  channel: string;
  status: string;
  history: string[];
}

/**
 * Inside a transaction: writes `data` to the conversation when it matches `where` (plain values) and `condition`,
 * then registers `status` if the core's rules allow it after the history (canRegister): the latest status, the
 * flags it changes and a history row. Returns undefined when no conversation matched (nothing written), else the
 * decision (on a refusal only `data` was written).
 *
 * It reads the conversation's state (or takes `seen`, read in this transaction), decides, and writes `data`, the
 * status and its flags in one UPDATE that holds only while the latest status is still the one read. Every
 * registration changes that column (a status is never registered twice, so it never comes back), so a history
 * that grew since the read makes the UPDATE match nothing; on PostgreSQL it waits for a concurrent registration's
 * lock and then sees its status. Then, or when the conversation no longer matches `where`, it is registered the
 * careful way: the update first, so that on PostgreSQL it holds the row while the history is read, and two
 * registrations of one conversation cannot both see it without the status.
 */
export async function registerStatusIn(
  tx: SqlClient,
  direction: Direction,
  messageId: string,
  status: string,
  at: Date,
  details: StatusDetails & { data?: Prisma.ConversationUpdateManyMutationInput; where?: Prisma.ConversationWhereInput; condition?: Condition; seen?: ConversationState } = {},
): Promise<RegisterDecision | undefined> {
  const update = plainUpdate(details.data, details.where, details.condition);
  if (!update) throw new Error("registerStatusIn writes plain values and increments where plain values match; other conditions go in `condition`");
  const seen = details.seen ?? (await conversationStateIn(tx, direction, messageId));
  if (!seen) return undefined;
  const channel = channelOf(seen.channel);
  const seenDecision = canRegister(seen.history, status, channel, coreDirection(direction));
  const changes = seenDecision.ok ? { ...details.data, status: seenDecision.status, ...flagChanges(channel, coreDirection(direction), seenDecision.status) } : details.data;
  const unchanged = all(...(details.condition ? [details.condition] : []), equals("status", seen.status));
  const [written] = await queryRows<{ channel: string }>(tx, ...plainUpdate(changes, details.where, unchanged)!(direction, messageId));
  if (written) {
    if (seenDecision.ok) await execute(tx, ...statusStatement(direction, messageId, seenDecision.status, at, details));
    return seenDecision;
  }
  const [row] = await queryRows<{ channel: string }>(tx, ...update(direction, messageId));
  if (!row) return undefined;
  const rowChannel = channelOf(row.channel);
  const decision = canRegister(await statusHistoryIn(tx, direction, messageId), status, rowChannel, coreDirection(direction));
  if (!decision.ok) return decision;
  // The latest status and the flags it changes: plain values, so the same statement builder as above.
  await queryRows(tx, ...plainUpdate({ status: decision.status, ...flagChanges(rowChannel, coreDirection(direction), decision.status) }, undefined)!(direction, messageId));
  await execute(tx, ...statusStatement(direction, messageId, decision.status, at, details));
  return decision;
}

/** Inside a transaction: a conversation's channel, latest status and history (one query); undefined when there is none. */
export async function conversationStateIn(tx: SqlClient, direction: Direction, messageId: string): Promise<ConversationState | undefined> {
  const rows = await queryRows<{ channel: string; status: string; entry: string | null }>(
    tx,
    `SELECT c."channel", c."status", s."status" AS "entry" FROM "Conversation" c
      LEFT JOIN "ConversationStatus" s ON s."direction" = c."direction" AND s."messageId" = c."messageId"
      WHERE c."direction" = $1 AND c."messageId" = $2 ORDER BY s."id"`,
    direction,
    messageId,
  );
  const [first] = rows;
  if (!first) return undefined;
  return { channel: first.channel, status: first.status, history: rows.flatMap((r) => (r.entry === null ? [] : [r.entry])) };
}

/** The statuses a conversation has registered, in order (`messageId` in its normal form). */
export async function statusHistoryIn(tx: SqlClient, direction: Direction, messageId: string): Promise<string[]> {
  const rows = await queryRows<{ status: string }>(tx, `SELECT "status" FROM "ConversationStatus" WHERE "direction" = $1 AND "messageId" = $2 ORDER BY "id"`, direction, messageId);
  return rows.map((r) => r.status);
}

/**
 * Inside a transaction: the latest entry of `status` in the conversation's history (e.g. the reason of its FEIL);
 * null when it has none.
 */
export async function latestStatusIn(tx: SqlClient, direction: Direction, messageId: string, status: string): Promise<StatusEntry | null> {
  const [r] = await queryRows<{ status: string; description: string | null; rawReceipt: string | null; createdAt: Date }>(
    tx,
    `SELECT "status", "description", "rawReceipt", "createdAt" FROM "ConversationStatus" WHERE "direction" = $1 AND "messageId" = $2 AND "status" = $3 ORDER BY "id" DESC LIMIT 1`,
    direction,
    normaliseMessageId(messageId),
    status,
  );
  return r ? { status: r.status, description: r.description, rawReceipt: r.rawReceipt, timestamp: r.createdAt } : null;
}

/**
 * Writes plain values (and increments) to a conversation, with updatedAt, on `tx` (a transaction's or the store's
 * direct SQL). Returns whether there was such a conversation.
 */
export async function setConversation(
  tx: SqlClient,
  direction: Direction,
  messageId: string,
  data: Record<string, string | number | boolean | Date | null | { increment: number }>,
): Promise<boolean> {
  const update = plainUpdate(data, undefined);
  if (!update) throw new Error("setConversation takes plain values only");
  return (await queryRows(tx, ...update(direction, normaliseMessageId(messageId)))).length > 0;
}

type Plain = string | number | boolean | Date | null;
const isPlain = (v: unknown): v is Plain => v === null || v instanceof Date || ["string", "number", "boolean"].includes(typeof v);
const isIncrement = (v: unknown): v is { increment: number } =>
  typeof v === "object" && v !== null && Object.keys(v).length === 1 && typeof (v as { increment?: unknown }).increment === "number";

/**
 * The UPDATE … RETURNING "channel" of registerStatusIn and setConversation, when `data` holds only plain values and
 * increments and `where` only plain values (null: IS NULL), with `condition` besides; undefined when something
 * else is asked. Column names are the code's own keys, never input.
 */
function plainUpdate(
  data: Prisma.ConversationUpdateManyMutationInput | undefined,
  where: Prisma.ConversationWhereInput | undefined,
  condition?: Condition,
): ((direction: Direction, messageId: string) => [string, ...unknown[]]) | undefined {
  const dataEntries = Object.entries(data ?? {}).filter(([, v]) => v !== undefined);
  const whereEntries = Object.entries(where ?? {}).filter(([, v]) => v !== undefined);
  if (!dataEntries.every(([, v]) => isPlain(v) || isIncrement(v)) || !whereEntries.every(([, v]) => isPlain(v))) return undefined;
  return (direction, messageId) => {
    const params: unknown[] = [new Date()];
    const sets = ['"updatedAt" = $1'];
    for (const [column, v] of dataEntries) {
      sets.push(isIncrement(v) ? `"${column}" = "${column}" + $${params.push(v.increment)}` : `"${column}" = $${params.push(v)}`);
    }
    const conditions = [`"direction" = $${params.push(direction)}`, `"messageId" = $${params.push(messageId)}`];
    for (const [column, v] of whereEntries) conditions.push(v === null ? `"${column}" IS NULL` : `"${column}" = $${params.push(v)}`);
    if (condition) conditions.push(`(${renderCondition(condition, params)})`);
    return [`UPDATE "Conversation" SET ${sets.join(", ")} WHERE ${conditions.join(" AND ")} RETURNING "channel"`, ...params];
  };
}

const INSERT_CONVERSATION = `INSERT INTO "Conversation" ("direction", "messageId", "conversationId", "channel", "process", "documentType", "standard",
  "senderIdentifier", "senderName", "receiverIdentifier", "receiverName", "messageReference", "messageTitle", "expiry", "finished", "pollable",
  "externalReference", "status", "createdAt", "updatedAt", "nextAttemptAt")
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`;

/**
 * The statements that create a conversation with its first status. The id is keyed by its normal form, so the
 * primary key refuses the same id in another case as a duplicate (callers tell it by isUniqueViolation).
 */
function insertStatements(c: NewConversation, initialStatus: string, at: Date, details: StatusDetails): Statement[] {
  const messageId = normaliseMessageId(c.messageId);
  const decision = canRegister([], initialStatus, c.channel, coreDirection(c.direction));
  if (!decision.ok) throw new StatusNotInModelError(decision.detail);
  const flags = { finished: false, pollable: false, ...flagChanges(c.channel, coreDirection(c.direction), decision.status) };
  return [
    [
      INSERT_CONVERSATION,
      c.direction,
      messageId,
      c.conversationId,
      c.channel,
      c.process,
      c.documentType,
      c.standard,
      c.senderIdentifier,
      c.senderName ?? null,
      c.receiverIdentifier,
      c.receiverName ?? null,
      c.messageReference ?? null,
      c.messageTitle ?? null,
      c.expiry ?? null,
      flags.finished,
      flags.pollable,
      c.externalReference ?? null,
      decision.status,
      at,
      new Date(),
      c.enqueue ? at : null,
    ],
    statusStatement(c.direction, messageId, decision.status, at, details),
  ];
}

/** One history row. */
function statusStatement(direction: Direction, messageId: string, status: string, at: Date, details: StatusDetails): Statement {
  return [
    `INSERT INTO "ConversationStatus" ("direction", "messageId", "status", "description", "rawReceipt", "createdAt") VALUES ($1, $2, $3, $4, $5, $6)`,
    direction,
    messageId,
    status,
    details.description ?? null,
    details.rawReceipt ?? null,
    at,
  ];
}
