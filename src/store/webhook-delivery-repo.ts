import type { StatusFacts } from "../core/webhook-event.js";
import { channelOf } from "./conversations-repo.js";
import type { Prisma } from "./generated/client.js";
import type { Db } from "./prisma.js";

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

const pending: Prisma.WebhookDeliveryWhereInput = { deliveredAt: null, nextAttemptAt: { not: null } };
const free = (now: Date): Prisma.WebhookDeliveryWhereInput => ({ OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] });

export class WebhookDeliveryRepo {
  constructor(private readonly db: Db) {}

  /**
   * Claims, for each subscription whose oldest pending delivery is due and free, that delivery and up to
   * `perSubscription - 1` pending ones behind it, for `leaseMs`. Returns one run per subscription, in id order;
   * a run always starts at its subscription's oldest pending delivery.
   */
  async claimRuns(now: Date, leaseMs: number, perSubscription: number): Promise<ClaimedDelivery[][]> {
    const heads = await this.db.webhookDelivery.groupBy({ by: ["subscriptionId"], where: pending, _min: { id: true } });
    const headIds = heads.flatMap((h) => (h._min.id !== null ? [h._min.id] : []));
    if (headIds.length === 0) return [];
    const ready = await this.db.webhookDelivery.findMany({
      where: { id: { in: headIds }, ...pending, nextAttemptAt: { lte: now }, AND: [free(now)] },
      select: { subscriptionId: true },
    });
    const wantedRuns: number[][] = [];
    for (const { subscriptionId } of ready) {
      const run = await this.db.webhookDelivery.findMany({ where: { subscriptionId, ...pending }, orderBy: { id: "asc" }, take: perSubscription, select: { id: true } });
      wantedRuns.push(run.map((r) => r.id));
    }
    const wanted = wantedRuns.flat();
    if (wanted.length === 0) return [];
    const won = await this.db.webhookDelivery.updateManyAndReturn({
      // Still pending, due and free: a delivery another worker failed meanwhile waits for its retry.
      where: { id: { in: wanted }, ...pending, nextAttemptAt: { lte: now }, AND: [free(now)] },
      data: { leaseUntil: new Date(now.getTime() + leaseMs) },
      select: { id: true },
    });
    const wonIds = new Set(won.map((w) => w.id));
    const rows = await this.db.webhookDelivery.findMany({
      where: { id: { in: [...wonIds] } },
      orderBy: { id: "asc" },
      include: {
        subscription: { select: { pushEndpoint: true } },
        status: { include: { conversation: { select: { conversationId: true, channel: true, senderIdentifier: true, receiverIdentifier: true } } } },
      },
    });
    const byId = new Map<number, ClaimedDelivery>();
    for (const r of rows) {
      byId.set(r.id, {
        id: r.id,
        attempts: r.attempts,
        subscriptionId: r.subscriptionId,
        pushEndpoint: r.subscription.pushEndpoint,
        statusId: r.statusId,
        status: {
          direction: r.status.direction === "IN" ? "IN" : "OUT",
          messageId: r.status.messageId,
          conversationId: r.status.conversation.conversationId,
          channel: channelOf(r.status.conversation.channel),
          status: r.status.status,
          description: r.status.description,
          createdAt: r.status.createdAt,
          senderIdentifier: r.status.conversation.senderIdentifier,
          receiverIdentifier: r.status.conversation.receiverIdentifier,
        },
      });
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
    await this.db.webhookDelivery.update({ where: { id }, data: { deliveredAt: at, nextAttemptAt: null, leaseUntil: null, attempts: { increment: 1 } } });
  }

  /** `next` undefined: given up; the delivery stays with its last error and no longer holds back the others. */
  async failed(id: number, next: Date | undefined, error: string): Promise<void> {
    await this.db.webhookDelivery.update({ where: { id }, data: { nextAttemptAt: next ?? null, leaseUntil: null, lastError: error, attempts: { increment: 1 } } });
  }

  /** Gives claimed deliveries back unattempted (a run stopped at a failure). */
  async release(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.webhookDelivery.updateMany({ where: { id: { in: [...ids] } }, data: { leaseUntil: null } });
  }

  /** Drops every lease. Only for a store one process owns (SQLite): leases found at start-up were its own. */
  async releaseAllLeases(): Promise<number> {
    return (await this.db.webhookDelivery.updateMany({ where: { leaseUntil: { not: null } }, data: { leaseUntil: null } })).count;
  }

  /** Deliveries neither made nor given up. */
  async pendingCount(): Promise<number> {
    return this.db.webhookDelivery.count({ where: pending });
  }
}
