import { Readable } from "node:stream";
import type { Clock } from "../../clock.js";
import type { InboundSource } from "../../core/channel.js";
import { PollingLoop } from "../../core/polling-loop.js";
import type { Logger } from "../../log.js";
import type { BlobStore } from "../../store/blob-store.js";
import { DuplicateMessageIdError, type ConversationsRepo } from "../../store/conversations-repo.js";
import type { NextMoveInRepo } from "../../store/nextmove-in-repo.js";
import { decodeDpePayload, DpePayloadError, type DpePayload } from "./payload.js";
import { queueName, type QueueMode } from "./queues.js";
import { ServiceBusError, type LockedMessage, type ServiceBusClient } from "./servicebus-client.js";

/**
 * DPE's inbound side, the integrasjonspunkt's REST receive (ServiceBusRestClient.getAllMessagesRest): every
 * poll, for each of our organisations, peek-lock the head of its queue (`nextbestqueue<orgnr><mode>`) until it
 * is empty, store what arrives in the NextMove inbox (INNKOMMENDE_MOTTATT) or, for a status message, register
 * its status on the conversation it reports on, and only then complete it. A crash between store and complete
 * redelivers the message after its lock runs out; the store recognises it by its message id and it is completed
 * without a second copy. A body that cannot be read is left locked: the Service Bus redelivers it until its
 * max delivery count moves it to the dead-letter queue.
 */

export interface DpeInboundDeps {
  orgs: readonly string[];
  mode: QueueMode;
  serviceBusFor(orgno: string): ServiceBusClient;
  inbox: NextMoveInRepo;
  conversations: ConversationsRepo;
  blobs: BlobStore;
  pollMs: number;
  /** Messages taken from one queue in a row before the next organisation's turn (readMaxMessages, 50). */
  batch?: number | undefined;
  clock: Clock;
  log: Logger;
  /** Told after a message was stored (the status messages MOTTATT back are sent from here when they exist). */
  onReceived?: ((messageId: string) => void) | undefined;
}

/** The statuses a status message may carry onto the sender's conversation. */
const STATUS_MESSAGE_STATUSES = new Set(["MOTTATT", "LEVERT"]);

export class DpeInboundSource implements InboundSource {
  readonly channel = "DPE" as const;
  readonly kind = "poll" as const;
  private readonly loop: PollingLoop;

  constructor(private readonly deps: DpeInboundDeps) {
    this.loop = new PollingLoop({ pollMs: deps.pollMs, pass: () => this.pass(), onError: (err) => deps.log.error({ err }, "DPE receive pass failed") });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass over every organisation's queue; true when a queue had more than one batch (come back at once). */
  async pass(): Promise<boolean> {
    let more = false;
    for (const org of this.deps.orgs) {
      if ((await this.drain(org)) >= (this.deps.batch ?? 50)) more = true;
    }
    return more;
  }

  private async drain(org: string): Promise<number> {
    const { deps } = this;
    const queue = queueName(org, deps.mode);
    const bus = deps.serviceBusFor(org);
    let taken = 0;
    while (taken < (deps.batch ?? 50)) {
      let m: LockedMessage | undefined;
      try {
        m = await bus.peekLock(queue);
      } catch (err) {
        // A queue that does not exist (404) or a namespace that is down: nothing to take now.
        if (err instanceof ServiceBusError) {
          deps.log.warn({ queue, status: err.status, err: err.message }, "DPE queue could not be read");
          return taken;
        }
        throw err;
      }
      if (!m) return taken;
      taken++;
      let payload: DpePayload;
      try {
        payload = decodeDpePayload(m.body);
      } catch (err) {
        if (!(err instanceof DpePayloadError)) throw err;
        deps.log.error({ queue, serviceBusMessageId: m.messageId, deliveryCount: m.deliveryCount, reason: err.message }, "DPE message cannot be read: left for the Service Bus to dead-letter");
        continue;
      }
      try {
        await this.store(payload);
      } catch (err) {
        // Ours to retry: give it back at once rather than wait for the lock to run out.
        await bus.abandon(queue, m).catch(() => {});
        throw err;
      }
      if (!(await bus.complete(queue, m))) deps.log.warn({ queue, serviceBusMessageId: m.messageId }, "DPE message stored but its lock was lost: it will come again and be recognised");
    }
    return taken;
  }

  private async store(p: DpePayload): Promise<void> {
    const { deps } = this;
    const id = p.sbd.header.documentIdentification?.instanceIdentifier ?? "";
    const at = deps.clock();
    if (p.sbd.type === "status") {
      const status = (p.sbd.businessMessage as { status?: string }).status ?? "";
      if (!STATUS_MESSAGE_STATUSES.has(status)) {
        deps.log.warn({ messageId: id, status }, "DPE status message with a status it cannot carry: ignored");
        return;
      }
      const decision = await deps.conversations.registerStatus("OUT", id, status, at, { description: "status message from the receiver" });
      deps.log.info({ messageId: id, status, registered: decision?.ok ?? false }, decision ? "DPE status message applied" : "DPE status message for an unknown conversation: ignored");
      return;
    }
    const pakke = p.asic ? await deps.blobs.write(Readable.from([Buffer.from(p.asic)])) : undefined;
    try {
      await deps.inbox.receive({ channel: "DPE", sbd: p.sbd, ...(pakke ? { package: { key: pakke.key, size: pakke.size } } : {}) }, at);
    } catch (err) {
      if (pakke) await deps.blobs.delete(pakke.key);
      if (err instanceof DuplicateMessageIdError) {
        deps.log.info({ messageId: id }, "DPE message received before: completed without a second copy");
        return;
      }
      throw err;
    }
    deps.log.info({ messageId: id, type: p.sbd.type, bytes: pakke?.size ?? 0 }, "DPE message received");
    deps.onReceived?.(id);
  }
}
