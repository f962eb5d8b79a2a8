import { randomUUID } from "node:crypto";

/**
 * The simulator's queues: FIFO with peek-lock as Azure Service Bus has it. A peeked message is locked for the
 * lock duration and invisible to other receivers; deleting it with its lock token completes it; a lock that runs
 * out (or is abandoned) makes it visible again with its delivery count raised; past the queue's max delivery
 * count it moves to the queue's dead-letter sub-queue (`<queue>/$DeadLetterQueue`). Pure state, no I/O.
 */

export interface SbMessage {
  messageId: string;
  sequenceNumber: number;
  body: Buffer;
  contentType: string | undefined;
  enqueuedAt: Date;
  deliveryCount: number;
  lockToken?: string | undefined;
  lockedUntil?: Date | undefined;
  deadLetterReason?: string | undefined;
}

export interface QueueOptions {
  lockDurationMs: number;
  maxDeliveryCount: number;
  /** Largest message body (Standard tier: 256 KiB; Premium up to 100 MiB). */
  maxMessageBytes: number;
}

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = { lockDurationMs: 60_000, maxDeliveryCount: 10, maxMessageBytes: 1024 * 1024 };

export class SbQueue {
  readonly messages: SbMessage[] = [];
  readonly deadLetters: SbMessage[] = [];
  private nextSequence = 1;

  constructor(
    readonly name: string,
    readonly options: QueueOptions,
  ) {}

  send(body: Buffer, o: { messageId?: string | undefined; contentType?: string | undefined }, now: Date): SbMessage {
    const m: SbMessage = { messageId: o.messageId ?? randomUUID().replace(/-/g, ""), sequenceNumber: this.nextSequence++, body, contentType: o.contentType, enqueuedAt: now, deliveryCount: 0 };
    this.messages.push(m);
    return m;
  }

  /** Locks and returns the oldest visible message; undefined when none is. */
  peekLock(now: Date, fromDeadLetters = false): SbMessage | undefined {
    this.expireLocks(now);
    const list = fromDeadLetters ? this.deadLetters : this.messages;
    const m = list.find((x) => x.lockedUntil === undefined);
    if (!m) return undefined;
    m.deliveryCount++;
    m.lockToken = randomUUID();
    m.lockedUntil = new Date(now.getTime() + this.options.lockDurationMs);
    return m;
  }

  /** Completes a locked message; "lost" when the lock token is not (or no longer) the message's. */
  complete(messageId: string, lockToken: string, now: Date, fromDeadLetters = false): "completed" | "not-found" | "lost" {
    this.expireLocks(now);
    const list = fromDeadLetters ? this.deadLetters : this.messages;
    const i = list.findIndex((x) => x.messageId === messageId);
    if (i < 0) return "not-found";
    if (list[i]!.lockToken !== lockToken || list[i]!.lockedUntil === undefined) return "lost";
    list.splice(i, 1);
    return "completed";
  }

  /** Gives a locked message back at once (the REST API's unlock). */
  abandon(messageId: string, lockToken: string, now: Date): "abandoned" | "not-found" | "lost" {
    this.expireLocks(now);
    const m = this.messages.find((x) => x.messageId === messageId);
    if (!m) return "not-found";
    if (m.lockToken !== lockToken || m.lockedUntil === undefined) return "lost";
    this.release(m);
    return "abandoned";
  }

  /** Moves a message to the dead-letter queue (a receiver's verdict, or too many deliveries). */
  deadLetter(messageId: string, reason: string): boolean {
    const i = this.messages.findIndex((x) => x.messageId === messageId);
    if (i < 0) return false;
    const [m] = this.messages.splice(i, 1);
    m!.lockToken = undefined;
    m!.lockedUntil = undefined;
    m!.deadLetterReason = reason;
    this.deadLetters.push(m!);
    return true;
  }

  private expireLocks(now: Date): void {
    for (const m of [...this.messages]) {
      if (m.lockedUntil !== undefined && m.lockedUntil.getTime() <= now.getTime()) this.release(m);
    }
    for (const m of this.deadLetters) {
      if (m.lockedUntil !== undefined && m.lockedUntil.getTime() <= now.getTime()) {
        m.lockToken = undefined;
        m.lockedUntil = undefined;
      }
    }
  }

  private release(m: SbMessage): void {
    m.lockToken = undefined;
    m.lockedUntil = undefined;
    if (m.deliveryCount >= this.options.maxDeliveryCount) this.deadLetter(m.messageId, "MaxDeliveryCountExceeded");
  }
}
