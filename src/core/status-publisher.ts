import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import type { Subscription } from "../store/generated/client.js";
import type { PublishableStatus, PublishOutcome, PublishRouting, StatusPublishRepo } from "../store/status-publish-repo.js";
import { PollingLoop } from "./polling-loop.js";
import type { Channel } from "./status/index.js";
import { subscriptionWants } from "./webhook-event.js";

/**
 * Hands every new status, once and in id order, to the NextMove API's two ways of telling the archive system:
 * the webhook subscriptions that want it (a WebhookDelivery each, which the WebhookSender POSTs) and the status
 * queue behind GET /api/statuses/peek, for the channels configured as queued (the integrasjonspunkt's
 * difi.move.feature.statusQueueIncludes, empty by default). The integrasjonspunkt does both right after it
 * registers a status (DefaultConversationService → WebhookPublisher, StatusQueue); here they are an outbox
 * read from the status history, so a status registered in any transaction, by any process, is published
 * after it commits, and a crash loses none (StatusPublishRepo).
 */

export interface StatusPublisherDeps {
  repo: StatusPublishRepo;
  /** Channels whose statuses enter the status queue. */
  queueChannels: readonly Channel[];
  pollMs: number;
  /** Statuses per transaction; default 200. */
  batchSize?: number;
  clock: Clock;
  log: Logger;
  /** Called after a batch made webhook deliveries, so the sender can start at once. */
  onDeliveries?: () => void;
}

const DEFAULT_BATCH = 200;

/** The deliveries and queue entries for a batch of statuses: pure, so the rules are tested without a store. */
export function routeStatuses(statuses: readonly PublishableStatus[], subscriptions: readonly Subscription[], queueChannels: readonly Channel[]): PublishRouting {
  const routing: PublishRouting = { deliveries: [], queue: [] };
  for (const s of statuses) {
    for (const sub of subscriptions) if (subscriptionWants(sub, s)) routing.deliveries.push({ subscriptionId: sub.id, statusId: s.id });
    if (queueChannels.includes(s.channel)) routing.queue.push({ statusId: s.id, channel: s.channel });
  }
  return routing;
}

export class StatusPublisher {
  private readonly loop: PollingLoop;
  private readonly batchSize: number;

  constructor(private readonly deps: StatusPublisherDeps) {
    this.batchSize = deps.batchSize ?? DEFAULT_BATCH;
    this.loop = new PollingLoop({ pollMs: deps.pollMs, pass: () => this.pass(), onError: (err) => deps.log.error({ err }, "status publishing failed") });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** New statuses were registered: publish them now rather than at the next poll. */
  nudge(): void {
    this.loop.nudge();
  }

  /** Publishes one batch. */
  async publishOnce(): Promise<PublishOutcome> {
    const { deps } = this;
    const outcome = await deps.repo.publishBatch(deps.clock(), this.batchSize, deps.queueChannels.length > 0, (statuses, subscriptions) =>
      routeStatuses(statuses, subscriptions, deps.queueChannels),
    );
    if (outcome.published > 0) deps.log.debug({ ...outcome }, "statuses published");
    if (outcome.deliveries > 0) deps.onDeliveries?.();
    return outcome;
  }

  /** More to do when the batch was full, or when another process took part of it (there may be more behind). */
  private async pass(): Promise<boolean> {
    const o = await this.publishOnce();
    return o.found === this.batchSize || o.published < o.found;
  }
}
