import { request } from "undici";
import type { Clock } from "../../clock.js";
import type { Logger } from "../../log.js";
import { LETTER_TYPES } from "../../dpi/document-types.js";
import type { DpiConversation } from "../../store/dpi-messages-repo.js";
import type { PushRepo } from "../../store/push-repo.js";
import { decideRetry, type RetryPolicy } from "../../core/retry-policy.js";
import { PollingLoop } from "../../core/polling-loop.js";

/**
 * Push delivery, on top of polling: each letter for a provider that registered a webhook is POSTed to it as
 * JSON — the same `{forretningsmelding, downloadurl}` item GET /messages/in returns, plus ids — and retried
 * with back-off until the webhook answers 2xx. The provider still downloads the dokumentpakke and confirms
 * with POST /messages/in/{id}/read using its Maskinporten token, exactly as when it polls, so a push that is
 * lost costs nothing but time. Each letter is claimed with a lease before it is pushed, so access points sharing
 * a PostgreSQL store never push one letter at the same time; a lease left by a dead process runs out.
 */

/** Letters pushed in one pass at most, one after the other. */
const BATCH = 20;

export interface PushDeps {
  repo: PushRepo;
  /** "0192:<orgno>" → webhook URL. */
  webhooks: ReadonlyMap<string, string>;
  downloadUrl: (messageId: string) => string;
  retry: RetryPolicy;
  pollMs: number;
  timeoutMs: number;
  clock: Clock;
  log: Logger;
  random?: () => number;
}

export class PushWorker {
  private readonly loop: PollingLoop;

  constructor(private readonly deps: PushDeps) {
    this.loop = new PollingLoop({ pollMs: deps.pollMs, pass: async () => (await this.runOnce()) > 0, onError: (err) => deps.log.error({ err }, "push pass failed") });
  }

  start(): void {
    if (this.deps.webhooks.size > 0) this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  nudge(): void {
    this.loop.nudge();
  }

  /**
   * Pushes what is due, oldest first; returns how many letters were attempted. Letters are claimed one at a
   * time, each for as long as its one webhook call may take (headers and body timeouts, plus a margin).
   */
  async runOnce(): Promise<number> {
    const { deps } = this;
    const leaseMs = deps.timeoutMs * 2 + 60_000;
    const providers = [...deps.webhooks.keys()];
    let attempted = 0;
    while (attempted < BATCH) {
      const [m] = await deps.repo.claimDue(deps.clock(), leaseMs, providers, LETTER_TYPES, 1);
      if (!m) break;
      await this.push(m);
      attempted++;
    }
    return attempted;
  }

  private async push(m: DpiConversation): Promise<void> {
    const { deps } = this;
    const url = deps.webhooks.get(m.receiverIdentifier)!;
    const log = deps.log.child({ messageId: m.messageId, conversationId: m.conversationId, channel: m.channel, provider: m.receiverIdentifier });
    let problem: string;
    try {
      const res = await request(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messageId: m.messageId, conversationId: m.conversationId, forretningsmelding: m.dpi.forretningsmelding, downloadurl: deps.downloadUrl(m.messageId) }),
        headersTimeout: deps.timeoutMs,
        bodyTimeout: deps.timeoutMs,
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        await deps.repo.markPushed(m.messageId, deps.clock());
        log.info("letter pushed to the provider's webhook");
        return;
      }
      problem = `webhook answered ${res.statusCode}`;
    } catch (err) {
      problem = `webhook unreachable: ${(err as Error).message}`;
    }
    // The same retry window as the outbox, measured from when the letter arrived.
    const now = deps.clock();
    const decision = decideRetry(deps.retry, { attemptsMade: m.dpi.pushAttempts + 1, acceptedAt: m.createdAt, now, random: deps.random });
    const next = "retryAt" in decision ? decision.retryAt : undefined;
    await deps.repo.failed(m.messageId, next);
    if (!next) log.error({ problem }, "gave up pushing the letter; the provider can still poll for it");
    else log.warn({ problem, retryInMs: next.getTime() - now.getTime() }, "push failed, will retry");
  }
}
