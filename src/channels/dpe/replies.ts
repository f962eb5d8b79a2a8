import type { Clock } from "../../clock.js";
import { PollingLoop } from "../../core/polling-loop.js";
import { decideRetry, type RetryPolicy } from "../../core/retry-policy.js";
import type { Logger } from "../../log.js";
import { parseSbdJson, parties, serialiseSbd } from "../../sbd/index.js";
import type { DeliveryWrites } from "../../store/nextmove-in-repo.js";
import type { StatusReplyRepo } from "../../store/status-reply-repo.js";
import { statusMessageFor } from "../nextmove/status-message.js";
import { encodeDpePayload } from "./payload.js";
import { queueName, receiverQueueSuffix, type QueueMode } from "./queues.js";
import { ServiceBusError, type ServiceBusClient } from "./servicebus-client.js";

/**
 * DPE's status messages back to the sender (spec/eformidling.md §7.3): MOTTATT queued when a message arrived,
 * LEVERT when the archive system deleted it (in the delete's transaction); this worker puts each on the sender's
 * queue (the status queue our mode names) and retries while the Service Bus is away, within the retry policy.
 */

export interface DpeRepliesDeps {
  replies: StatusReplyRepo;
  serviceBusFor(orgno: string): ServiceBusClient;
  /** Each organisation's queue mode, which decides the queue its status messages go to. */
  modeOf(orgno: string): QueueMode;
  receiptQueue?: string | undefined;
  retry: RetryPolicy;
  pollMs: number;
  clock: Clock;
  log: Logger;
}

const BATCH = 20;

export class DpeReplySender {
  private readonly loop: PollingLoop;

  constructor(private readonly deps: DpeRepliesDeps) {
    this.loop = new PollingLoop({ pollMs: deps.pollMs, pass: () => this.sendOnce(), onError: (err) => deps.log.warn({ err }, "DPE status message pass failed") });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  nudge(): void {
    this.loop.nudge();
  }

  /** Sends what is due; true when a whole batch was due (there may be more). */
  async sendOnce(): Promise<boolean> {
    const { deps } = this;
    const now = deps.clock();
    const due = await deps.replies.claimDue("DPE", now, new Date(now.getTime() + 5 * 60_000), BATCH);
    for (const r of due) {
      const sbd = parseSbdJson(r.sbd);
      const { senderPrimary, receiver } = parties(sbd);
      const queue = queueName(receiver!, receiverQueueSuffix(sbd, { ownMode: deps.modeOf(senderPrimary!), receiptQueue: deps.receiptQueue }));
      try {
        await deps.serviceBusFor(senderPrimary!).send(queue, encodeDpePayload({ sbd, asic: undefined }));
        await deps.replies.markSent(r.id, deps.clock());
        deps.log.info({ messageId: r.messageId, status: r.status, queue }, "DPE status message sent");
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        const decision = err instanceof ServiceBusError && !err.transient ? undefined : decideRetry(deps.retry, { attemptsMade: r.attempts + 1, acceptedAt: r.createdAt, now: deps.clock() });
        const retryAt = decision && "retryAt" in decision ? decision.retryAt : null;
        await deps.replies.markFailed(r.id, reason, retryAt);
        deps.log.warn({ messageId: r.messageId, status: r.status, queue, reason, retryAt }, retryAt ? "DPE status message not sent; will retry" : "DPE status message not sent; given up");
      }
    }
    return due.length === BATCH;
  }
}

/** The DELETE's part for DPE (messages-in.ts `onDelivered`): the LEVERT status message, queued in its transaction. */
export function dpeDeliveryWrites(replies: StatusReplyRepo, clock: Clock): DeliveryWrites {
  return async (m, tx) => {
    if (m.channel !== "DPE") return;
    const now = clock();
    await replies.queue({ channel: "DPE", messageId: m.messageId, status: "LEVERT", sbd: serialiseSbd(statusMessageFor(parseSbdJson(m.nextMove.sbd), "LEVERT", now)) }, now, tx);
  };
}
