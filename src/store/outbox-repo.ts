import type { RouteRecord } from "../core/channel.js";
import type { Channel, RegisterDecision } from "../core/status/index.js";
import { registerStatusIn, setConversation, type StoreWrites } from "./conversations-repo.js";
import type { Conversation } from "./generated/client.js";
import type { Db } from "./prisma.js";
import { execute, providerOf, queryRows, type SqlClient } from "./raw-sql.js";
import { isDriverUniqueViolation, sqlOf, type SqlStore } from "./sql.js";

/**
 * One send attempt, as the outbox records it with the attempt's outcome (a SendAttempt row, written in the same
 * transaction as the conversation's new state). `routedBy`: the routing record it was routed by, stored once per
 * content.
 */
export interface AttemptRecord {
  attempt: number;
  startedAt: Date;
  peer: string | null;
  worker: string | null;
  routedBy?: RouteRecord | undefined;
}

/** The longest error text an attempt row keeps (the whole reason stays in the log line). */
export const MAX_ATTEMPT_ERROR = 2000;
/** Routing records this process knows are stored, so an attempt routed by one of them costs no extra query. */
const KNOWN_RECORDS = 10_000;

/**
 * The outbox is the set of OUT conversations with a due nextAttemptAt, on any channel. Workers claim them by
 * taking a lease with a conditional update, so two workers (or a worker restarted after a crash) never send the
 * same message at the same time, and a lease left by a dead worker simply runs out. It records the outcome of
 * each attempt (sent, retry at, failed with a reason, expired) and knows nothing of how a channel sends.
 */
export class OutboxRepo {
  /** Hashes of routing records stored (or being stored) by this process, oldest first. */
  private readonly records = new Map<string, Promise<void>>();

  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.sql = sqlOf(db);
  }

  /**
   * Claims up to `limit` due conversations for `leaseMs`; returns the ones this caller won, oldest due first.
   * Conversations of the `expiring` document types are not handed out once their expiry has passed;
   * `channels`: only conversations of these channels (all when absent).
   */
  async claimDue(now: Date, leaseMs: number, limit: number, expiring: readonly string[] = [], channels?: readonly Channel[]): Promise<Conversation[]> {
    if (channels?.length === 0) return [];
    const query = dueQuery(now, limit, expiring, channels);
    const candidates = await queryRows<{ messageId: string }>(this.sql, query.select, ...query.params);
    if (candidates.length === 0) return [];
    const claim = claimUpdate(this.sql.provider, query, new Date(now.getTime() + leaseMs), new Date(), candidates.map((c) => c.messageId));
    const won = await queryRows<Conversation>(this.sql, claim.sql, ...claim.params);
    const byId = new Map(won.map((m) => [m.messageId, m]));
    return candidates.flatMap(({ messageId }) => byId.get(messageId) ?? []);
  }

  /**
   * Drops every lease. Only for a store one process owns (SQLite): leases found at start-up belong to this
   * process's previous life, which died mid-send, and its messages are due again at once.
   */
  async releaseAllLeases(): Promise<number> {
    return this.sql.execute(`UPDATE "Conversation" SET "leaseUntil" = NULL, "updatedAt" = $1 WHERE "leaseUntil" IS NOT NULL`, new Date());
  }

  /** How many messages wait to be sent or retried. */
  async pending(): Promise<number> {
    const [row] = await this.sql.query<{ count: number | bigint }>(`SELECT COUNT(*) AS "count" FROM "Conversation" WHERE "direction" = 'OUT' AND "nextAttemptAt" IS NOT NULL`);
    return Number(row!.count);
  }

  /**
   * The far side took the message: it leaves the outbox as SENDT (not registered again when it already has
   * it, e.g. after a resend); `also` are the channel's writes committed with it (DPI: the receipt as evidence);
   * `externalReference`: the channel's own reference for it, when the far side gave one. `wake`: the peer that
   * took it, whose waiting conversations become due in the same commit (wake, below); `woken` says how many.
   */
  async markSent(
    id: string,
    at: Date,
    opts: { description?: string | undefined; also?: StoreWrites | undefined; externalReference?: string | undefined; attempt?: AttemptRecord | undefined; wake?: string | undefined } = {},
  ): Promise<RegisterDecision & { woken?: number }> {
    if (opts.attempt?.routedBy) await this.storeRecord(opts.attempt.routedBy);
    return this.sql.transaction(async (tx) => {
      const decision = await registerStatusIn(tx, "OUT", id, "SENDT", at, {
        description: opts.description,
        data: { nextAttemptAt: null, leaseUntil: null, lastError: null, attempts: { increment: 1 }, ...(opts.externalReference !== undefined ? { externalReference: opts.externalReference } : {}) },
      });
      if (!decision) throw new Error(`no outgoing message ${id}`);
      if (opts.attempt) await insertAttempt(tx, id, opts.attempt, at, "sent", null);
      await opts.also?.(tx);
      // Last, so that the conversation's own row is the first this transaction locks, as in every other one.
      if (opts.wake !== undefined) return { ...decision, woken: await wake(tx, opts.wake, at) };
      return decision;
    });
  }

  /**
   * `peer`: where the failed attempt went (see wake, below); null when unknown. `attempt`: the attempt's row,
   * written with the retry (`at`: when it ended).
   */
  async scheduleRetry(id: string, next: Date, error: string, peer: string | null = null, attempt?: { record: AttemptRecord; at: Date }): Promise<void> {
    if (attempt?.record.routedBy) await this.storeRecord(attempt.record.routedBy);
    await this.sql.transaction(async (tx) => {
      const data = { nextAttemptAt: next, leaseUntil: null, lastError: error, lastPeer: peer, attempts: { increment: 1 } };
      if (!(await setConversation(tx, "OUT", id, data))) throw new Error(`no outgoing message ${id}`);
      if (attempt) await insertAttempt(tx, id, attempt.record, attempt.at, "retry", error);
    });
  }

  /**
   * A permanent failure: the message leaves the outbox as `status` (FEILET, DPI's word; the other channels say
   * FEIL) with the reason on its status; `also` are
   * writes committed with that status (the feil receipt for corner 1, so a crash cannot separate the two), and
   * only when it is registered: a message that already failed, or expired meanwhile, gets no second answer.
   */
  async markFailed(id: string, at: Date, reason: string, also?: StoreWrites, status = "FEILET", attempt?: AttemptRecord): Promise<RegisterDecision> {
    if (attempt?.routedBy) await this.storeRecord(attempt.routedBy);
    return this.sql.transaction(async (tx) => {
      const decision = await registerStatusIn(tx, "OUT", id, status, at, {
        description: reason,
        data: { nextAttemptAt: null, leaseUntil: null, lastError: reason, attempts: { increment: 1 } },
      });
      if (!decision) throw new Error(`no outgoing message ${id}`);
      // The attempt happened whether or not the status could still be registered.
      if (attempt) await insertAttempt(tx, id, attempt, at, "failed", reason);
      if (decision.ok) await also?.(tx);
      return decision;
    });
  }

  /**
   * Stores a routing record unless this process knows it is stored: one insert the first time a content is
   * seen (another process having stored it first is fine), none after. It is written before the attempt's own
   * transaction: a record nothing refers to yet is harmless, and an insert that loses a race with another
   * process's would otherwise abort the attempt's transaction on PostgreSQL.
   */
  private storeRecord(r: RouteRecord): Promise<void> {
    const known = this.records.get(r.sha256);
    if (known) return known;
    const stored = this.sql
      .execute(
        `INSERT INTO "RoutingRecord" ("sha256", "kind", "sourceUrl", "mediaType", "fetchedAt", "body") VALUES ($1, $2, $3, $4, $5, $6)`,
        r.sha256,
        r.kind,
        r.sourceUrl,
        r.mediaType,
        r.fetchedAt,
        r.body,
      )
      .then(
        () => undefined,
        (err: unknown) => {
          if (isDriverUniqueViolation(err)) return;
          this.records.delete(r.sha256);
          throw err;
        },
      );
    this.records.set(r.sha256, stored);
    if (this.records.size > KNOWN_RECORDS) this.records.delete(this.records.keys().next().value!);
    return stored;
  }

  /**
   * Letters whose expiry passed unanswered get status LEVETID_UTLOPT (and leave the outbox if they were still
   * waiting to be sent). Answered is `finished` (a receipt's LEVERT, LEST or FEIL, or any terminal status), or
   * any receipt in the conversation (which also covers receipts stored before they registered statuses on
   * their letters). Returns them.
   */
  async expireOverdue(now: Date, letterTypes: readonly string[], limit = 100): Promise<Conversation[]> {
    if (letterTypes.length === 0) return [];
    const { select, params } = overdueQuery(now, letterTypes, limit);
    const overdue = await this.sql.query<Conversation>(select, ...params);
    const expired: Conversation[] = [];
    for (const m of overdue) {
      const answers: unknown[] = [m.conversationId];
      const answered = await this.sql.query(
        `SELECT 1 AS "answered" FROM "Conversation" WHERE "conversationId" = $1 AND "direction" = 'IN' AND "documentType" NOT IN (${letterTypes.map((t) => `$${answers.push(t)}`).join(", ")}) LIMIT 1`,
        ...answers,
      );
      if (answered.length > 0) continue;
      const decision = await this.sql.transaction((tx) =>
        registerStatusIn(tx, "OUT", m.messageId, "LEVETID_UTLOPT", now, {
          description: `no receipt arrived before ${m.expiry!.toISOString()}`,
          // Only while it is still what was read: a status registered meanwhile (SENDT → FEILET, a receipt's LEVERT) wins.
          where: { status: m.status, finished: false },
          data: { nextAttemptAt: null },
        }),
      );
      if (decision?.ok) expired.push(m);
    }
    return expired;
  }
}

/** The outbox's due condition and the query that lists the due candidates (dueQuery). */
export interface DueQuery {
  /** The due condition, over `params`: $1 now, $2 the limit, then the channels and expiring types. */
  due: string;
  /**
   * The same condition for a statement that finds its rows by key (claimUpdate): on SQLite its nextAttemptAt term
   * is written `+"nextAttemptAt"`, which the planner cannot serve from an index and so does not walk the due
   * range with. The `+` only drops the column's affinity, which changes no comparison here: the dates are stored
   * as text and compared with text.
   */
  dueByKey: string;
  params: unknown[];
  select: string;
}

/**
 * The outbox's due condition and the query that lists the due candidates, oldest due first. The order is the one
 * the (direction, nextAttemptAt, messageId) index has, so the claim reads the due rows off it and stops at the
 * limit.
 */
export function dueQuery(now: Date, limit: number, expiring: readonly string[], channels: readonly Channel[] | undefined): DueQuery {
  const params: unknown[] = [now, limit];
  const list = (values: readonly string[]) => values.map((v) => `$${params.push(v)}`).join(", ");
  const rest = [`("leaseUntil" IS NULL OR "leaseUntil" < $1)`];
  if (channels) rest.push(`"channel" IN (${list(channels)})`);
  if (expiring.length) rest.push(`("documentType" NOT IN (${list(expiring)}) OR "expiry" IS NULL OR "expiry" > $1)`);
  const due = [`"direction" = 'OUT'`, `"nextAttemptAt" <= $1`, ...rest].join(" AND ");
  const dueByKey = [`"direction" = 'OUT'`, `+"nextAttemptAt" <= $1`, ...rest].join(" AND ");
  return { due, dueByKey, params, select: `SELECT "messageId" FROM "Conversation" WHERE ${due} ORDER BY "nextAttemptAt", "messageId" LIMIT $2` };
}

/**
 * The claim of the candidates `ids` a due query found: one conditional UPDATE … RETURNING for the batch, so a
 * candidate another worker leased in the meantime no longer matches, exactly as with one update per message
 * (which cost two queries each). It reads the candidates by primary key: with the due condition as the SELECT
 * writes it, SQLite's planner walks the whole due range of the (direction, nextAttemptAt, messageId) index
 * instead, which grows with a backlog (test/store/outbox-query-plan.test.ts). PostgreSQL plans by statistics and
 * gets the statement as it was.
 */
export function claimUpdate(provider: "sqlite" | "postgresql", query: DueQuery, leaseUntil: Date, updatedAt: Date, ids: readonly string[]): { sql: string; params: unknown[] } {
  const params = [...query.params];
  params[1] = leaseUntil;
  const at = `$${params.push(updatedAt)}`;
  const list = ids.map((id) => `$${params.push(id)}`).join(", ");
  const due = provider === "sqlite" ? query.dueByKey : query.due;
  return { sql: `UPDATE "Conversation" SET "leaseUntil" = $2, "updatedAt" = ${at} WHERE ${due} AND "messageId" IN (${list}) RETURNING *`, params };
}

/**
 * The query that lists letters past their expiry and still waiting for an answer, soonest expired first: `$1` now,
 * `$2` the limit, then the letter types. The (direction, finished, expiry) index serves it: the sweep reads the
 * unfinished outgoing conversations in expiry order and stops at the limit, instead of every outgoing one.
 */
export function overdueQuery(now: Date, letterTypes: readonly string[], limit: number): { select: string; params: unknown[] } {
  const params: unknown[] = [now, limit];
  const types = letterTypes.map((t) => `$${params.push(t)}`).join(", ");
  return {
    params,
    select: `SELECT * FROM "Conversation" WHERE "direction" = 'OUT' AND "finished" = $${params.push(false)} AND "expiry" < $1
      AND "status" IN ('OPPRETTET', 'SENDT') AND "documentType" IN (${types}) ORDER BY "expiry" LIMIT $2`,
  };
}

/**
 * `peer` answered again: every message waiting in back-off for it becomes due `now`; how many. One conditional
 * UPDATE, so with several processes on one store it neither races another wake nor takes a message another worker
 * holds a lease on. It runs in every SENDT commit.
 */
function wake(client: SqlClient, peer: string, now: Date): Promise<number> {
  return execute(client, wakeStatement(providerOf(client)), now, new Date(), peer);
}

/**
 * The wake's UPDATE: `$1` now, `$2` the time of the change, `$3` the peer. It reads the peer's waiting messages
 * off the (lastPeer, nextAttemptAt) index. SQLite's planner, given `"direction" = 'OUT'`, takes the
 * (direction, nextAttemptAt, messageId) index instead and walks every message in back-off, for every peer, in
 * every SENDT commit: on SQLite the term is written `+"direction"`, which no index serves (the `+` drops only the
 * column's affinity, and both sides are text). PostgreSQL plans by statistics and gets the plain term.
 */
export function wakeStatement(provider: "sqlite" | "postgresql"): string {
  const direction = provider === "sqlite" ? `+"direction"` : `"direction"`;
  return `UPDATE "Conversation" SET "nextAttemptAt" = $1, "updatedAt" = $2
      WHERE ${direction} = 'OUT' AND "lastPeer" = $3 AND "nextAttemptAt" > $1 AND ("leaseUntil" IS NULL OR "leaseUntil" < $1)`;
}

/**
 * Inserts the SendAttempt row of an attempt that ended at `finishedAt` with `outcome`: SQL of our own (raw-sql.ts),
 * as it runs once per letter. A promise usable in the caller's transaction or a batch.
 */
function insertAttempt(client: SqlClient, messageId: string, a: AttemptRecord, finishedAt: Date, outcome: "sent" | "retry" | "failed", error: string | null) {
  return execute(
    client,
    `INSERT INTO "SendAttempt" ("direction", "messageId", "attempt", "startedAt", "finishedAt", "peer", "outcome", "error", "worker", "routingSha256")
      VALUES ('OUT', $1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    messageId,
    a.attempt,
    a.startedAt,
    finishedAt,
    a.peer,
    outcome,
    error === null ? null : error.length > MAX_ATTEMPT_ERROR ? `${error.slice(0, MAX_ATTEMPT_ERROR - 1)}…` : error,
    a.worker,
    a.routedBy?.sha256 ?? null,
  );
}
