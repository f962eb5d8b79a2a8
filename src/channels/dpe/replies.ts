import type { Clock } from "../../clock.js";
import type { RetryPolicy } from "../../core/retry-policy.js";
import type { Logger } from "../../log.js";
import { parseSbdJson, parties, serialiseSbd } from "../../sbd/index.js";
import type { DeliveryWrites } from "../../store/nextmove-in-repo.js";
import type { StatusReplyRepo } from "../../store/status-reply-repo.js";
import { statusMessageFor } from "../nextmove/status-message.js";
import { StatusReplySender } from "../nextmove/status-replies.js";
import { encodeDpePayload } from "./payload.js";
import { queueName, receiverQueueSuffix, type QueueMode } from "./queues.js";
import { ServiceBusError, type ServiceBusClient } from "./servicebus-client.js";

/**
 * DPE's status messages back to the sender (spec/eformidling.md §7.3): the shared status-message worker, sending
 * each onto the sender's queue (the status queue the replying organisation's mode names).
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

export function createDpeReplySender(deps: DpeRepliesDeps): StatusReplySender {
  return new StatusReplySender({
    channel: "DPE",
    replies: deps.replies,
    async send(sbd) {
      const { senderPrimary, receiver } = parties(sbd);
      const queue = queueName(receiver!, receiverQueueSuffix(sbd, { ownMode: deps.modeOf(senderPrimary!), receiptQueue: deps.receiptQueue }));
      await deps.serviceBusFor(senderPrimary!).send(queue, encodeDpePayload({ sbd, asic: undefined }));
      return { queue };
    },
    isPermanent: (err) => err instanceof ServiceBusError && !err.transient,
    retry: deps.retry,
    pollMs: deps.pollMs,
    clock: deps.clock,
    log: deps.log,
  });
}

/** The DELETE's part for DPE (messages-in.ts `onDelivered`): the LEVERT status message, queued in its transaction. */
export function dpeDeliveryWrites(replies: StatusReplyRepo, clock: Clock): DeliveryWrites {
  return async (m, tx) => {
    if (m.channel !== "DPE") return;
    const now = clock();
    await replies.queue({ channel: "DPE", messageId: m.messageId, status: "LEVERT", sbd: serialiseSbd(statusMessageFor(parseSbdJson(m.nextMove.sbd), "LEVERT", now)) }, now, tx);
  };
}
