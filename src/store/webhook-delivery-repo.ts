import type { StatusFacts } from "../core/webhook-event.js";
import { channelOf } from "./conversations-repo.js";
import type { Db } from "./prisma.js";
import { sqlOf, type SqlStore } from "./sql.js";

/**
 * Webhook deliveries waiting to be POSTed. A delivery is pending while it is neither delivered nor given up
 * (nextAttemptAt set); it is due at nextAttemptAt. Each subscription's pending deliveries go out in id order
 * (the order the statuses were published): only a subscription whose oldest pending delivery is due and free is
 * handed out, with the pending deliveries behind it, and one that is waiting to be retried holds back those
 * behind it. Workers claim a subscription's run with a lease by one conditional update, so processes sharing a
 * PostgreSQL store never POST the same delivery at once, and a lease left by a dead worker runs out.
 */

export interface ClaimedDelivery {
  id: number;
  attempts: number;
  subscriptionId: number;
  pushEndpoint: string;
  statusId: number;
  status: StatusFacts;
}

/** Pending: neither delivered nor given up. */
const PENDING = `"deliveredAt" IS NULL AND "nextAttemptAt" IS NOT NULL`;
/** Pending, due at $1 and free at $1 (no lease, or one that ran out). */
const READY = `${PENDING} AND "nextAttemptAt" <= $1 AND ("leaseUntil" IS NULL OR "leaseUntil" < $1)`;

/** A claimed delivery with what its POST needs, as one row. */
interface ClaimedRow {
  id: number;
  attempts: number;
  subscriptionId: number;
  statusId: number;
  pushEndpoint: string;
  direction: string;
  messageId: string;
  status: string;
  description: string | null;
  createdAt: Date;
  conversationId: string;
  channel: string;
  senderIdentifier: string;
  receiverIdentifier: string;
}

/** `$first, …` for each of `values`, appended to `params`. */
const list = (params: unknown[], values: readonly unknown[]) => values.map((v) => `$${params.push(v)}`).join(", ");

export class WebhookDeliveryRepo {
  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.sql = sqlOf(db);
  }

  /**
   * Claims, for each subscription whose oldest pending delivery is due and free, that delivery and up to
   * `perSubscription - 1` pending ones behind it, for `leaseMs`. Returns one run per subscription, in id order;
   * a run always starts at its subscription's oldest pending delivery.
   */
  async claimRuns(now: Date, leaseMs: number, perSubscription: number): Promise<ClaimedDelivery[][]> {
    // The subscriptions whose oldest pending delivery (their head) is ready.
    const ready = await this.sql.query<{ subscriptionId: number }>(
      `SELECT "subscriptionId" FROM "WebhookDelivery"
        WHERE "id" IN (SELECT MIN("id") FROM "WebhookDelivery" WHERE ${PENDING} GROUP BY "subscriptionId") AND ${READY} ORDER BY "id"`,
      now,
    );
    const wantedRuns: number[][] = [];
    for (const { subscriptionId } of ready) {
      const run = await this.sql.query<{ id: number }>(`SELECT "id" FROM "WebhookDelivery" WHERE "subscriptionId" = $1 AND ${PENDING} ORDER BY "id" LIMIT $2`, subscriptionId, perSubscription);
      wantedRuns.push(run.map((r) => r.id));
    }
    const wanted = wantedRuns.flat();
    if (wanted.length === 0) return [];
    // Still pending, due and free: a delivery another worker failed meanwhile waits for its retry.
    const claim: unknown[] = [now, new Date(now.getTime() + leaseMs)];
    const won = await this.sql.query<{ id: number }>(`UPDATE "WebhookDelivery" SET "leaseUntil" = $2 WHERE ${READY} AND "id" IN (${list(claim, wanted)}) RETURNING "id"`, ...claim);
    const byId = new Map<number, ClaimedDelivery>();
    if (won.length > 0) {
      const read: unknown[] = [];
      const rows = await this.sql.query<ClaimedRow>(
        `SELECT d."id", d."attempts", d."subscriptionId", d."statusId", sub."pushEndpoint", s."direction", s."messageId", s."status", s."description", s."createdAt",
            c."conversationId", c."channel", c."senderIdentifier", c."receiverIdentifier"
          FROM "WebhookDelivery" d
          JOIN "Subscription" sub ON sub."id" = d."subscriptionId"
          JOIN "ConversationStatus" s ON s."id" = d."statusId"
          JOIN "Conversation" c ON c."direction" = s."direction" AND c."messageId" = s."messageId"
          WHERE d."id" IN (${list(read, won.map((w) => w.id))}) ORDER BY d."id"`,
        ...read,
      );
      for (const r of rows) byId.set(r.id, claimedOf(r));
    }
    // Another worker may have taken part of a run between the reads and the claim: keep what this claim won
    // from the subscription's oldest pending delivery on without a gap, and give the rest back.
    const runs: ClaimedDelivery[][] = [];
    const giveBack: number[] = [];
    for (const ids of wantedRuns) {
      const gap = ids.findIndex((id) => !byId.has(id));
      const kept = gap === -1 ? ids : ids.slice(0, gap);
      if (kept.length > 0) runs.push(kept.map((id) => byId.get(id)!));
      giveBack.push(...ids.slice(kept.length).filter((id) => byId.has(id)));
    }
    await this.release(giveBack);
    return runs;
  }

  async delivered(id: number, at: Date): Promise<void> {
    await this.change(id, `"deliveredAt" = $2, "nextAttemptAt" = NULL, "leaseUntil" = NULL, "attempts" = "attempts" + 1`, at);
  }

  /** `next` undefined: given up; the delivery stays with its last error and no longer holds back the others. */
  async failed(id: number, next: Date | undefined, error: string): Promise<void> {
    await this.change(id, `"nextAttemptAt" = $2, "leaseUntil" = NULL, "lastError" = $3, "attempts" = "attempts" + 1`, next ?? null, error);
  }

  /** Gives claimed deliveries back unattempted (a run stopped at a failure). */
  async release(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    const params: unknown[] = [];
    await this.sql.execute(`UPDATE "WebhookDelivery" SET "leaseUntil" = NULL WHERE "id" IN (${list(params, ids)})`, ...params);
  }

  /** Sets `assignments` (over $2, $3, …: `values`) on delivery `id` ($1), which must exist. */
  private async change(id: number, assignments: string, ...values: unknown[]): Promise<void> {
    if ((await this.sql.execute(`UPDATE "WebhookDelivery" SET ${assignments} WHERE "id" = $1`, id, ...values)) === 0) throw new Error(`no webhook delivery ${id}`);
  }

  /** Drops every lease. Only for a store one process owns (SQLite): leases found at start-up were its own. */
  async releaseAllLeases(): Promise<number> {
    return this.sql.execute(`UPDATE "WebhookDelivery" SET "leaseUntil" = NULL WHERE "leaseUntil" IS NOT NULL`);
  }

  /** Deliveries neither made nor given up. */
  async pendingCount(): Promise<number> {
    return Number((await this.sql.query<{ count: number | bigint }>(`SELECT COUNT(*) AS "count" FROM "WebhookDelivery" WHERE ${PENDING}`))[0]!.count);
  }
}

function claimedOf(r: ClaimedRow): ClaimedDelivery {
  return {
    id: r.id,
    attempts: r.attempts,
    subscriptionId: r.subscriptionId,
    pushEndpoint: r.pushEndpoint,
    statusId: r.statusId,
    status: {
      direction: r.direction === "IN" ? "IN" : "OUT",
      messageId: r.messageId,
      conversationId: r.conversationId,
      channel: channelOf(r.channel),
      status: r.status,
      description: r.description,
      createdAt: r.createdAt,
      senderIdentifier: r.senderIdentifier,
      receiverIdentifier: r.receiverIdentifier,
    },
  };
}
