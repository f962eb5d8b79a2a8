import type { Clock } from "../../clock.js";
import { PollingLoop } from "../../core/polling-loop.js";
import { decideRetry, type RetryPolicy } from "../../core/retry-policy.js";
import type { Channel } from "../../core/status/index.js";
import type { Logger } from "../../log.js";
import { parseSbdJson, type StandardBusinessDocument } from "../../sbd/index.js";
import type { StatusReplyRepo } from "../../store/status-reply-repo.js";

/**
 * The worker that sends a channel's owed status messages (spec/eformidling.md §7.3; DPO and DPE): MOTTATT queued
 * when a message arrived, LEVERT when the archive system deleted it, FEIL or an error receipt when its package was
 * refused. Each is claimed with a lease, sent by the channel, and retried within the retry policy while the far
 * side is away; a refusal the channel calls permanent is given up at once.
 */

export interface StatusReplySenderDeps {
  channel: Channel;
  replies: StatusReplyRepo;
  /** Sends one status message; answers what to log about it (e.g. the queue or file transfer id). */
  send(sbd: StandardBusinessDocument): Promise<Record<string, unknown>>;
  /** Whether a failure will not change by trying again (the far side refused the message). */
  isPermanent(err: unknown): boolean;
  retry: RetryPolicy;
  pollMs: number;
  clock: Clock;
  log: Logger;
}

const BATCH = 20;
const LEASE_MS = 5 * 60_000;

export class StatusReplySender {
  private readonly loop: PollingLoop;

  constructor(private readonly deps: StatusReplySenderDeps) {
    this.loop = new PollingLoop({ pollMs: deps.pollMs, pass: () => this.sendOnce(), onError: (err) => deps.log.warn({ err }, "status message pass failed") });
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
    const due = await deps.replies.claimDue(deps.channel, now, new Date(now.getTime() + LEASE_MS), BATCH);
    for (const r of due) {
      try {
        const sent = await deps.send(parseSbdJson(r.sbd));
        await deps.replies.markSent(r.id, deps.clock());
        deps.log.info({ messageId: r.messageId, status: r.status, ...sent }, "status message sent");
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        const decision = deps.isPermanent(err) ? undefined : decideRetry(deps.retry, { attemptsMade: r.attempts + 1, acceptedAt: r.createdAt, now: deps.clock() });
        const retryAt = decision && "retryAt" in decision ? decision.retryAt : null;
        await deps.replies.markFailed(r.id, reason, retryAt);
        deps.log.warn({ messageId: r.messageId, status: r.status, reason, retryAt }, retryAt ? "status message not sent; will retry" : "status message not sent; given up");
      }
    }
    return due.length === BATCH;
  }
}
