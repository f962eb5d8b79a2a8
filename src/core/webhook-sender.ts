import { request } from "undici";
import type { Clock } from "../clock.js";
import { withRequestId, type Logger } from "../log.js";
import type { ClaimedDelivery, WebhookDeliveryRepo } from "../store/webhook-delivery-repo.js";
import { PollingLoop } from "./polling-loop.js";
import { decideRetry, type RetryPolicy } from "./retry-policy.js";
import { messageStatusEvent, pingEvent } from "./webhook-event.js";

/**
 * POSTs the statuses the StatusPublisher routed to webhook subscriptions, as the integrasjonspunkt's event JSON
 * (webhook-event.ts). Unlike the integrasjonspunkt, which tries each push once and forgets it (UrlPusher logs a
 * failure), a delivery that gets no 2xx is retried with growing back-off (retry-policy.ts) until the policy's
 * window, counted from the status's registration, or its attempt limit ends; then it is given up, logged, and
 * kept with its last error. Each subscription's statuses arrive in the order they were published: a delivery
 * waiting for its retry holds back the ones behind it (WebhookDeliveryRepo.claimRuns), while different
 * subscriptions are served side by side.
 */

/** One POST of a JSON body; resolves with the HTTP status, rejects when no answer came (in time). */
export type WebhookPost = (url: string, body: string, timeoutMs: number) => Promise<number>;

export const undiciWebhookPost: WebhookPost = async (url, body, timeoutMs) => {
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.body.dump();
  return res.statusCode;
};

export interface WebhookSenderDeps {
  repo: WebhookDeliveryRepo;
  retry: RetryPolicy;
  /** Per POST: connecting, the answer's headers and its body (the integrasjonspunkt's webhooks.readTimeout is 10 s). */
  timeoutMs: number;
  pollMs: number;
  clock: Clock;
  log: Logger;
  post?: WebhookPost;
  random?: () => number;
  /** Deliveries of one subscription claimed and sent in a row at most; default 20. */
  perSubscription?: number;
}

const DEFAULT_RUN = 20;

export class WebhookSender {
  private readonly loop: PollingLoop;
  private readonly post: WebhookPost;
  private readonly perSubscription: number;

  constructor(private readonly deps: WebhookSenderDeps) {
    this.post = deps.post ?? undiciWebhookPost;
    this.perSubscription = deps.perSubscription ?? DEFAULT_RUN;
    this.loop = new PollingLoop({ pollMs: deps.pollMs, pass: async () => (await this.runOnce()) > 0, onError: (err) => deps.log.error({ err }, "webhook pass failed") });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  nudge(): void {
    this.loop.nudge();
  }

  /**
   * Sends every run that is due, the subscriptions side by side; returns how many deliveries were attempted.
   * A run is leased for as long as all of its POSTs may take, plus a margin.
   */
  async runOnce(): Promise<number> {
    const leaseMs = this.perSubscription * this.deps.timeoutMs * 2 + 60_000;
    const runs = await this.deps.repo.claimRuns(this.deps.clock(), leaseMs, this.perSubscription);
    const attempted = await Promise.all(runs.map((run) => this.sendRun(run)));
    return attempted.reduce((a, b) => a + b, 0);
  }

  /**
   * The integrasjonspunkt pings a push endpoint when a subscription is created or moved to it, and a ping that
   * fails does not stop that (its RestTemplate only logs error answers): so here, too, it is only logged.
   */
  async ping(url: string, requestId?: string): Promise<void> {
    // Pinged while a subscription request is served: its lines name that request.
    const log = withRequestId(this.deps.log, requestId).child({ pushEndpoint: url });
    try {
      const status = await this.post(url, JSON.stringify(pingEvent(this.deps.clock())), this.deps.timeoutMs);
      if (status < 200 || status >= 300) log.info({ status }, "webhook ping answered with an error");
    } catch (err) {
      log.warn({ err }, "webhook ping failed");
    }
  }

  /** In order; stops at the first failure and gives the rest back. Returns how many were attempted. */
  private async sendRun(run: readonly ClaimedDelivery[]): Promise<number> {
    let attempted = 0;
    for (const d of run) {
      attempted++;
      if (!(await this.send(d))) {
        await this.deps.repo.release(run.slice(attempted).map((r) => r.id));
        break;
      }
    }
    return attempted;
  }

  private async send(d: ClaimedDelivery): Promise<boolean> {
    const { deps } = this;
    const s = d.status;
    const log = deps.log.child({ messageId: s.messageId, conversationId: s.conversationId, channel: s.channel, subscriptionId: d.subscriptionId, deliveryId: d.id });
    let problem: string;
    try {
      const status = await this.post(d.pushEndpoint, JSON.stringify(messageStatusEvent(s)), deps.timeoutMs);
      if (status >= 200 && status < 300) {
        await deps.repo.delivered(d.id, deps.clock());
        log.debug({ status: s.status }, "status delivered to the webhook");
        return true;
      }
      problem = `webhook answered ${status}`;
    } catch (err) {
      problem = `webhook unreachable: ${(err as Error).message}`;
    }
    const now = deps.clock();
    const decision = decideRetry(deps.retry, { attemptsMade: d.attempts + 1, acceptedAt: s.createdAt, now, random: deps.random });
    if ("retryAt" in decision) {
      await deps.repo.failed(d.id, decision.retryAt, problem);
      log.warn({ problem, retryInMs: decision.retryAt.getTime() - now.getTime() }, "webhook delivery failed, will retry");
    } else {
      await deps.repo.failed(d.id, undefined, `${problem}; ${decision.giveUp}`);
      log.error({ problem, reason: decision.giveUp }, "gave up delivering the status to the webhook");
    }
    return false;
  }
}
