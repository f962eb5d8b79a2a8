import type { InboundSource } from "../../core/channel.js";
import { PollingLoop } from "../../core/polling-loop.js";
import { decodeDpePayload, DpePayloadError, type DpePayload } from "./payload.js";
import { storeDpeMessage, type DpeStoreDeps } from "./receive.js";
import { queueName, type QueueMode } from "./queues.js";
import { ServiceBusError, type LockedMessage, type ServiceBusClient } from "./servicebus-client.js";

/**
 * DPE's inbound side, the integrasjonspunkt's REST receive (ServiceBusRestClient.getAllMessagesRest): every
 * poll, for each of our organisations, peek-lock the head of its queue (`nextbestqueue<orgnr><mode>`) until it
 * is empty, store what arrives in the NextMove inbox (INNKOMMENDE_MOTTATT) or, for a status message, register
 * its status on the conversation it reports on, and only then complete it. A crash between store and complete
 * redelivers the message after its lock runs out; the store recognises it by its message id and it is completed
 * without a second copy. A body that cannot be read is left locked: the Service Bus redelivers it until its
 * max delivery count moves it to the dead-letter queue. A message whose package is refused on arrival is answered
 * with FEIL and completed (the REST API has no dead-letter operation; the AMQP path dead-letters it).
 */

export interface DpeInboundDeps extends DpeStoreDeps {
  orgs: readonly string[];
  /** Each organisation's queue mode (innsyn, data, meeting): which of its queues is ours to read. */
  modeOf(orgno: string): QueueMode;
  serviceBusFor(orgno: string): ServiceBusClient;
  pollMs: number;
  /** Messages taken from one queue in a row before the next organisation's turn (readMaxMessages, 50). */
  batch?: number | undefined;
}

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
    const queue = queueName(org, deps.modeOf(org));
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
        await storeDpeMessage(deps, payload);
      } catch (err) {
        // Ours to retry: give it back at once rather than wait for the lock to run out.
        await bus.abandon(queue, m).catch(() => {});
        throw err;
      }
      if (!(await bus.complete(queue, m))) deps.log.warn({ queue, serviceBusMessageId: m.messageId }, "DPE message stored but its lock was lost: it will come again and be recognised");
    }
    return taken;
  }
}
