import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import type { StoreWrites } from "../store/conversations-repo.js";
import type { Conversation } from "../store/generated/client.js";
import type { AttemptRecord, OutboxRepo } from "../store/outbox-repo.js";
import type { OutboundChannel, SendOutcome } from "./channel.js";
import { sweepExpired } from "./expiry.js";
import { PollingLoop } from "./polling-loop.js";
import { decideRetry, type RetryPolicy } from "./retry-policy.js";
import type { Channel } from "./status/index.js";
import { INSTANCE_NAME } from "./worker-lease.js";

/**
 * The one outbox for every channel: claims due conversations with a lease, sends each through its channel's
 * OutboundChannel and records the outcome (SENDT, a retry at a time the retry policy picks inside its window,
 * or FEIL/FEILET with a reason), with statuses registered by the core's rules (OutboxRepo → ConversationsRepo).
 * Conversations of expiring document types whose expiry passed get LEVETID_UTLOPT (expiry.ts). The database is
 * the only state: a worker that dies leaves a lease that runs out. It knows nothing of AS4, Altinn or SvarUt.
 */

export interface OutboxDeps {
  outbox: OutboxRepo;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  channels: readonly OutboundChannel<any>[];
  retry: RetryPolicy;
  /** How long a claimed conversation stays with this worker. */
  leaseMs: number;
  concurrency: number;
  pollMs: number;
  clock: Clock;
  log: Logger;
  random?: (() => number) | undefined;
  /** How often overdue conversations are looked for. Default 30 s. */
  expirySweepMs?: number | undefined;
  /** This process's name on the attempts it records (default host:pid:random, as worker leases name holders). */
  instance?: string | undefined;
}

export class Outbox {
  private readonly loop: PollingLoop;
  private nextSweep = 0;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly byChannel: Map<Channel, OutboundChannel<any>>;
  private readonly expiring: readonly string[];

  constructor(private readonly deps: OutboxDeps) {
    this.byChannel = new Map(deps.channels.map((c) => [c.channel, c]));
    this.expiring = [...new Set(deps.channels.flatMap((c) => c.expiringDocumentTypes ?? []))];
    this.loop = new PollingLoop({ pollMs: deps.pollMs, pass: () => this.pass(), onError: (err) => deps.log.error({ err }, "outbox pass failed") });
  }

  start(): void {
    this.loop.start();
  }

  /** Finishes the conversations in hand, then stops. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Something was queued: look now instead of at the next poll. */
  nudge(): void {
    this.loop.nudge();
  }

  /** A full batch means there may be more waiting; overdue conversations are looked for now and then. */
  private async pass(): Promise<boolean> {
    const handled = await this.runOnce();
    if (Date.now() >= this.nextSweep) {
      this.nextSweep = Date.now() + (this.deps.expirySweepMs ?? 30_000);
      await this.sweepExpired();
    }
    return handled >= this.deps.concurrency;
  }

  /** One pass: claims up to `concurrency` due conversations and sends them. Returns how many it handled. */
  async runOnce(): Promise<number> {
    const { deps } = this;
    // A conversation whose expiry has passed is not sent any more: the expiry sweep makes it LEVETID_UTLOPT,
    // whichever retry it was waiting for.
    const claimed = await deps.outbox.claimDue(deps.clock(), deps.leaseMs, deps.concurrency, this.expiring, [...this.byChannel.keys()]);
    const groups = new Map<Channel, Conversation[]>();
    for (const c of claimed) {
      const channel = c.channel as Channel;
      groups.set(channel, [...(groups.get(channel) ?? []), c]);
    }
    let handled = 0;
    await Promise.all(
      [...groups].map(async ([id, rows]) => {
        const channel = this.byChannel.get(id)!;
        const batch = channel.load ? await channel.load(rows) : rows;
        handled += batch.length;
        await Promise.all(batch.map((c) => this.process(channel, c)));
      }),
    );
    return handled;
  }

  /** Marks overdue conversations LEVETID_UTLOPT; returns how many. */
  async sweepExpired(): Promise<number> {
    return sweepExpired(this.deps.outbox, this.deps.clock(), this.expiring, this.deps.log);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async process(channel: OutboundChannel<any>, c: Conversation): Promise<void> {
    const { deps } = this;
    const log = deps.log.child({ messageId: c.messageId, conversationId: c.conversationId, channel: c.channel, documentType: c.documentType, receiver: c.receiverIdentifier });
    const startedAt = deps.clock();
    let outcome: SendOutcome;
    try {
      outcome = await channel.send(c, { now: startedAt, attempt: c.attempts + 1, log });
    } catch (err) {
      // A channel reports its verdicts as outcomes; an exception is no verdict on the conversation.
      outcome = { kind: "retry", reason: `unexpected error: ${err instanceof Error ? err.message : String(err)}` };
    }
    await this.record(channel, c, outcome, log, startedAt);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async record(channel: OutboundChannel<any>, c: Conversation, outcome: SendOutcome, log: Logger, startedAt: Date): Promise<void> {
    const { deps } = this;
    const now = deps.clock();
    // The attempt's row, written by each of the repository's calls below in the transaction of its outcome.
    const attempt: AttemptRecord = { attempt: c.attempts + 1, startedAt, peer: outcome.peer ?? null, worker: deps.instance ?? INSTANCE_NAME, routedBy: outcome.routedBy };
    if (outcome.kind === "delivered") {
      // The peer that took it answers again: what waits for it is made due in the same commit (peerAnswered).
      const sent = await deps.outbox.markSent(c.messageId, now, { description: outcome.description, also: outcome.also, externalReference: outcome.externalReference, attempt, wake: outcome.peer });
      log.info({ ...outcome.log }, outcome.description ? `delivered: ${outcome.description}` : "delivered");
      if (outcome.peer !== undefined) this.peerAnswered(outcome.peer, sent.woken ?? 0, log);
      return;
    }
    if (outcome.kind === "retry") {
      const decision = decideRetry(deps.retry, { attemptsMade: c.attempts + 1, acceptedAt: c.createdAt, now, random: deps.random });
      if ("retryAt" in decision) {
        await deps.outbox.scheduleRetry(c.messageId, decision.retryAt, outcome.reason, outcome.peer ?? null, { record: attempt, at: now });
        log.warn({ ...outcome.log, attempt: c.attempts + 1, retryInMs: decision.retryAt.getTime() - now.getTime(), reason: outcome.reason }, "send failed, will retry");
        return;
      }
      const reason = `${decision.giveUp}: ${outcome.reason}`;
      await deps.outbox.markFailed(c.messageId, now, reason, await this.failureWrites(channel, c, reason, log), channel.failedStatus ?? "FEIL", attempt);
      log.error({ ...outcome.log, reason }, "send failed for good");
      return;
    }
    await deps.outbox.markFailed(c.messageId, now, outcome.reason, both(outcome.also, await this.failureWrites(channel, c, outcome.reason, log)), channel.failedStatus ?? "FEIL", attempt);
    log.error({ ...outcome.log, reason: outcome.reason, code: outcome.code }, "send refused for good");
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async failureWrites(channel: OutboundChannel<any>, c: Conversation, reason: string, log: Logger) {
    if (!channel.failureWrites) return undefined;
    try {
      return await channel.failureWrites(c, reason);
    } catch (err) {
      log.error({ err }, "the channel's writes for a failed conversation could not be made; it fails without them");
      return undefined;
    }
  }

  /**
   * How the outbox would record giving `c` up for `reason`: its channel's failed status (FEIL, DPI's FEILET) and
   * the channel's writes that go with it (DPI: the feil receipt to corner 1). For an operator's cancel (the
   * console), which must end a message exactly as a failure does; the caller commits the writes with the status.
   */
  async failureFor(c: Conversation, reason: string): Promise<{ status: string; also: StoreWrites | undefined }> {
    const channel = this.byChannel.get(c.channel as Channel);
    if (!channel) return { status: "FEIL", also: undefined };
    const [loaded] = channel.load ? await channel.load([c]) : [c];
    const log = this.deps.log.child({ messageId: c.messageId, conversationId: c.conversationId, channel: c.channel });
    return { status: channel.failedStatus ?? "FEIL", also: loaded ? await this.failureWrites(channel, loaded, reason, log) : undefined };
  }

  /**
   * A send to `peer` succeeded, so it is back: the conversations waiting in back-off for it were made due now,
   * in the commit that recorded the send, instead of each at the end of its own delay; this worker looks for
   * them at once.
   */
  private peerAnswered(peer: string, woken: number, log: Logger): void {
    if (woken === 0) return;
    log.info({ peer, messages: woken }, "the peer answers again: its waiting conversations are due now");
    this.loop.nudge();
  }
}

/** The outcome's own writes, then the channel's writes for a failure (made after the outbox read the time). */
function both(a: StoreWrites | undefined, b: StoreWrites | undefined): StoreWrites | undefined {
  if (!a || !b) return a ?? b;
  return async (tx) => {
    await a(tx);
    await b(tx);
  };
}
