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

  constructor(private readonly db: Db) {
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
    return (await this.db.statusReply.updateMany({ where: { leaseUntil: { not: null } }, data: { leaseUntil: null } })).count;
  }

  /** Due replies of the channel, leased until `leaseUntil` by one conditional update each. */
  async claimDue(channel: Channel, now: Date, leaseUntil: Date, limit: number): Promise<StatusReply[]> {
    const free = { channel, sentAt: null, nextAttemptAt: { lte: now }, OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] };
    const due = await this.db.statusReply.findMany({ where: free, orderBy: { id: "asc" }, take: limit, select: { id: true } });
    const claimed: StatusReply[] = [];
    for (const { id } of due) {
      const [row] = await this.db.statusReply.updateManyAndReturn({ where: { id, ...free }, data: { leaseUntil } });
      if (row) claimed.push(row);
    }
    return claimed;
  }

  async markSent(id: number, at: Date): Promise<void> {
    await this.db.statusReply.update({ where: { id }, data: { sentAt: at, nextAttemptAt: null, leaseUntil: null, lastError: null } });
  }

  /** Tried again at `retryAt`, or never again when it is null. */
  async markFailed(id: number, error: string, retryAt: Date | null): Promise<void> {
    await this.db.statusReply.update({ where: { id }, data: { attempts: { increment: 1 }, lastError: error.slice(0, 2000), nextAttemptAt: retryAt, leaseUntil: null } });
  }

  async all(channel: Channel): Promise<StatusReply[]> {
    return this.db.statusReply.findMany({ where: { channel }, orderBy: { id: "asc" } });
  }
}
