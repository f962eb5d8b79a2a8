import type { Channel } from "../core/status/index.js";
import { channelOf } from "./conversations-repo.js";
import type { Subscription } from "./generated/client.js";
import type { Db } from "./prisma.js";

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

export class StatusPublishRepo {
  constructor(private readonly db: Db) {}

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
    const candidates = await this.db.conversationStatus.findMany({ where: { publishedAt: null }, orderBy: { id: "asc" }, take: limit, select: { id: true } });
    if (candidates.length === 0) return { found: 0, published: 0, deliveries: 0, queued: 0 };
    const ids = candidates.map((c) => c.id);
    return this.db.$transaction(async (tx) => {
      const won = await tx.conversationStatus.updateManyAndReturn({ where: { id: { in: ids }, publishedAt: null }, data: { publishedAt: now }, select: { id: true } });
      const outcome = { found: ids.length, published: won.length, deliveries: 0, queued: 0 };
      if (won.length === 0) return outcome;
      // Read after the claim: a subscription that exists by now sees every status this batch claimed.
      const subscriptions = await tx.subscription.findMany({ orderBy: { id: "asc" } });
      if (subscriptions.length === 0 && !queueing) return outcome;
      const rows = await tx.conversationStatus.findMany({
        where: { id: { in: won.map((w) => w.id) } },
        orderBy: { id: "asc" },
        select: {
          id: true,
          direction: true,
          messageId: true,
          status: true,
          description: true,
          createdAt: true,
          conversation: { select: { conversationId: true, channel: true, senderIdentifier: true, receiverIdentifier: true } },
        },
      });
      const statuses: PublishableStatus[] = rows.map((r) => ({
        id: r.id,
        direction: r.direction === "IN" ? "IN" : "OUT",
        messageId: r.messageId,
        conversationId: r.conversation.conversationId,
        channel: channelOf(r.conversation.channel),
        status: r.status,
        description: r.description,
        createdAt: r.createdAt,
        senderIdentifier: r.conversation.senderIdentifier,
        receiverIdentifier: r.conversation.receiverIdentifier,
      }));
      const routing = route(statuses, subscriptions);
      if (routing.deliveries.length > 0) {
        await tx.webhookDelivery.createMany({ data: routing.deliveries.map((d) => ({ ...d, nextAttemptAt: now })) });
      }
      if (routing.queue.length > 0) {
        await tx.statusQueueEntry.createMany({ data: routing.queue.map((q) => ({ ...q, createdAt: now })) });
      }
      return { ...outcome, deliveries: routing.deliveries.length, queued: routing.queue.length };
    });
  }

  /** Statuses not yet published (for metrics and tests). */
  async backlog(): Promise<number> {
    return this.db.conversationStatus.count({ where: { publishedAt: null } });
  }
}
