import type { Channel } from "../core/status/index.js";
import type { StatusReply } from "./generated/client.js";
import { normaliseMessageId } from "./message-id.js";
import type { Db } from "./prisma.js";
import { sqlOf, type Sql, type SqlStore } from "./sql.js";

/**
 * Status messages owed to the senders of incoming messages (DPO, DPE; spec/eformidling.md §7.3): queued with the
 * event that owes them (arrival, the archive system's delete), then claimed with a lease and sent by the channel's
 * worker. Queuing is idempotent per message and status, so a message received again (a broker download that was
 * not confirmed) does not owe its MOTTATT twice.
 */
export class StatusReplyRepo {
  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.sql = sqlOf(db);
  }

  /** Queues the reply unless it is queued already; inside `tx` when given. */
  async queue(r: { channel: Channel; messageId: string; status: string; sbd: string }, at: Date, tx?: Sql): Promise<void> {
    // ON CONFLICT DO NOTHING: a reply queued already stays as it is, and a PostgreSQL transaction is not aborted.
    await (tx ?? this.sql).execute(
      `INSERT INTO "StatusReply" ("channel", "messageId", "status", "sbd", "createdAt", "nextAttemptAt") VALUES ($1, $2, $3, $4, $5, $5)
        ON CONFLICT ("channel", "messageId", "status") DO NOTHING`,
      r.channel,
      normaliseMessageId(r.messageId),
      r.status,
      r.sbd,
      at,
    );
  }

  /** Frees every claim (a store only this process uses, at start-up: they were its previous life's); how many. */
  async releaseAllLeases(): Promise<number> {
    return this.sql.execute(`UPDATE "StatusReply" SET "leaseUntil" = NULL WHERE "leaseUntil" IS NOT NULL`);
  }

  /**
   * Due replies of the channel, oldest first, leased until `leaseUntil` by one conditional update: a reply another
   * worker leased (or sent) since it was read no longer matches, so no two workers hold the same one.
   */
  async claimDue(channel: Channel, now: Date, leaseUntil: Date, limit: number): Promise<StatusReply[]> {
    const free = `"channel" = $1 AND "sentAt" IS NULL AND "nextAttemptAt" <= $2 AND ("leaseUntil" IS NULL OR "leaseUntil" < $2)`;
    const due = await this.sql.query<{ id: number }>(`SELECT "id" FROM "StatusReply" WHERE ${free} ORDER BY "id" LIMIT $3`, channel, now, limit);
    if (due.length === 0) return [];
    const params: unknown[] = [channel, now, leaseUntil];
    const ids = due.map((d) => `$${params.push(d.id)}`).join(", ");
    const won = await this.sql.query<StatusReply>(`UPDATE "StatusReply" SET "leaseUntil" = $3 WHERE ${claimCondition(this.sql.provider)} AND "id" IN (${ids}) RETURNING *`, ...params);
    return won.sort((a, b) => a.id - b.id);
  }

  async markSent(id: number, at: Date): Promise<void> {
    await this.change(id, `"sentAt" = $2, "nextAttemptAt" = NULL, "leaseUntil" = NULL, "lastError" = NULL`, at);
  }

  /** Tried again at `retryAt`, or never again when it is null. */
  async markFailed(id: number, error: string, retryAt: Date | null): Promise<void> {
    await this.change(id, `"attempts" = "attempts" + 1, "lastError" = $2, "nextAttemptAt" = $3, "leaseUntil" = NULL`, error.slice(0, 2000), retryAt);
  }

  /** Sets `assignments` (over $2, $3, …: `values`) on reply `id` ($1), which must exist. */
  private async change(id: number, assignments: string, ...values: unknown[]): Promise<void> {
    if ((await this.sql.execute(`UPDATE "StatusReply" SET ${assignments} WHERE "id" = $1`, id, ...values)) === 0) throw new Error(`no status reply ${id}`);
  }

  async all(channel: Channel): Promise<StatusReply[]> {
    return this.sql.query<StatusReply>(`SELECT * FROM "StatusReply" WHERE "channel" = $1 ORDER BY "id"`, channel);
  }
}

/**
 * The claim's condition (`$1` the channel, `$2` now): the candidates still free. On SQLite its nextAttemptAt term is
 * written `+"nextAttemptAt"`, which no index serves, so the planner finds the candidates by id instead of walking
 * the channel's whole due range on the (channel, nextAttemptAt) index (the `+` drops only the column's affinity;
 * both sides are the stored text). PostgreSQL plans by statistics and gets the plain term.
 */
export function claimCondition(provider: "sqlite" | "postgresql"): string {
  const nextAttemptAt = provider === "sqlite" ? `+"nextAttemptAt"` : `"nextAttemptAt"`;
  return `"channel" = $1 AND "sentAt" IS NULL AND ${nextAttemptAt} <= $2 AND ("leaseUntil" IS NULL OR "leaseUntil" < $2)`;
}
