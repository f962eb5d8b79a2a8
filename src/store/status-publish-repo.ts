import type { Channel } from "../core/status/index.js";
import { channelOf } from "./conversations-repo.js";
import type { ConversationStatus, Subscription } from "./generated/client.js";
import { oneOf, renderCondition } from "./sql-condition.js";
import type { Db } from "./prisma.js";
import { sqlOf, type Sql, type SqlStore } from "./sql.js";

/**
 * Publishing new statuses: every ConversationStatus row starts unpublished (publishedAt null) and is handed,
 * in id order, to the webhook subscriptions (one WebhookDelivery per subscription that wants it) and to the
 * status queue (a StatusQueueEntry when its channel is queued), in the transaction that sets its publishedAt.
 *
 * The claim is the conditional update `publishedAt IS NULL → now` inside that transaction: a process that dies
 * before the commit leaves the rows unpublished, so they are published again; two processes that pick the same
 * rows on PostgreSQL meet at the row locks, and the second, once the first commits, finds them published and
 * takes none. A status is therefore handed on exactly once, and the (subscriptionId, statusId) key keeps a
 * delivery from being made twice even if that ever failed.
 */

/** A claimed status with what routing it needs. */
export interface PublishableStatus {
  id: number;
  direction: "OUT" | "IN";
  messageId: string;
  conversationId: string;
  channel: Channel;
  status: string;
  description: string | null;
  createdAt: Date;
  senderIdentifier: string;
  receiverIdentifier: string;
}

/** Where claimed statuses go: the subscriptions that want each, and whether it enters the status queue. */
export interface PublishRouting {
  deliveries: { subscriptionId: number; statusId: number }[];
  queue: { statusId: number; channel: Channel }[];
}

export interface PublishOutcome {
  /** Unpublished statuses found (at most the limit). */
  found: number;
  /** Of those, the ones this call published (the others another process took meanwhile). */
  published: number;
  deliveries: number;
  queued: number;
}

/** Inserts rows into `into` (table and columns), a few hundred per statement. */
async function insertRows(tx: Sql, into: string, rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    let n = 0;
    const values = chunk.map((r) => `(${r.map(() => `$${++n}`).join(", ")})`).join(", ");
    await tx.execute(`INSERT INTO ${into} VALUES ${values}`, ...chunk.flat());
  }
}
const INSERT_CHUNK = 500;

export class StatusPublishRepo {
  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.sql = sqlOf(db);
  }

  /**
   * Publishes up to `limit` of the oldest unpublished statuses. `route` decides, for the claimed statuses and
   * the subscriptions that exist at the claim, where they go; with no subscriptions and `queueing` false it
   * is not called and the batch costs the claim alone.
   */
  async publishBatch(
    now: Date,
    limit: number,
    queueing: boolean,
    route: (statuses: readonly PublishableStatus[], subscriptions: readonly Subscription[]) => PublishRouting,
  ): Promise<PublishOutcome> {
    const sql = this.sql;
    const candidates = await sql.query<{ id: number }>(`SELECT "id" FROM "ConversationStatus" WHERE "publishedAt" IS NULL ORDER BY "id" LIMIT $1`, limit);
    if (candidates.length === 0) return { found: 0, published: 0, deliveries: 0, queued: 0 };
    const ids = candidates.map((c) => Number(c.id));
    return sql.transaction(async (tx) => {
      const claim: unknown[] = [now];
      const claimed = renderCondition(oneOf<ConversationStatus>("id", ids), claim, `"ConversationStatus"`);
      const won = await tx.query<{ id: number }>(`UPDATE "ConversationStatus" SET "publishedAt" = $1 WHERE "publishedAt" IS NULL AND ${claimed} RETURNING "id"`, ...claim);
      const outcome = { found: ids.length, published: won.length, deliveries: 0, queued: 0 };
      if (won.length === 0) return outcome;
      // Read after the claim: a subscription that exists by now sees every status this batch claimed.
      const subscriptions = await tx.query<Subscription>(`SELECT * FROM "Subscription" ORDER BY "id"`);
      if (subscriptions.length === 0 && !queueing) return outcome;
      const read: unknown[] = [];
      const wonIds = renderCondition(
        oneOf<ConversationStatus>(
          "id",
          won.map((w) => Number(w.id)),
        ),
        read,
        "s",
      );
      const rows = await tx.query<Omit<PublishableStatus, "channel" | "direction"> & { direction: string; channel: string }>(
        `SELECT s."id", s."direction", s."messageId", s."status", s."description", s."createdAt",
            c."conversationId", c."channel", c."senderIdentifier", c."receiverIdentifier"
          FROM "ConversationStatus" s JOIN "Conversation" c ON c."direction" = s."direction" AND c."messageId" = s."messageId"
          WHERE ${wonIds} ORDER BY s."id"`,
        ...read,
      );
      const statuses: PublishableStatus[] = rows.map((r) => ({ ...r, id: Number(r.id), direction: r.direction === "IN" ? "IN" : "OUT", channel: channelOf(r.channel) }));
      const routing = route(statuses, subscriptions);
      await insertRows(tx, `"WebhookDelivery" ("subscriptionId", "statusId", "nextAttemptAt")`, routing.deliveries.map((d) => [d.subscriptionId, d.statusId, now]));
      await insertRows(tx, `"StatusQueueEntry" ("statusId", "channel", "createdAt")`, routing.queue.map((q) => [q.statusId, q.channel, now]));
      return { ...outcome, deliveries: routing.deliveries.length, queued: routing.queue.length };
    });
  }

  /** Statuses not yet published (for metrics and tests). */
  async backlog(): Promise<number> {
    return Number((await this.sql.query<{ count: number | bigint }>(`SELECT COUNT(*) AS "count" FROM "ConversationStatus" WHERE "publishedAt" IS NULL`))[0]!.count);
  }
}
