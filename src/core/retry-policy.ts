/**
 * When to try a failed send again, and when to stop. The delay's ceiling doubles per attempt (base, 2·base,
 * 4·base, … up to maxDelay) and the delay itself is drawn uniformly between 0 and that ceiling ("full
 * jitter"), which spreads retries of many messages that failed together (a receiver outage) instead of
 * hammering the receiver in lock-step.
 *
 * A message is given up by elapsed time, not by a count of attempts: it is retried for `windowMs` from when it
 * was accepted, whatever the back-off settings are, and its last attempt is made when the window ends. An
 * attempt limit can be added (`maxAttempts`); by default there is none.
 */
export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long after a message was accepted it is still tried. */
  windowMs: number;
  /** Attempts in total, the first included, as an extra bound; undefined: only the window ends retries. */
  maxAttempts?: number | undefined;
}

/**
 * The default window matches the integrasjonspunkt's `difi.move.queue.maximumRetryHours=100`
 * (felleslosninger/efm-integrasjonspunkt, integrasjonspunkt/src/main/resources/config/application.properties).
 */
export const DEFAULT_RETRY_WINDOW_HOURS = 100;

/** The most the delay after `attemptsMade` attempts can be: base·2^(attemptsMade−1), capped at maxDelay. */
export function retryCeilingMs(policy: RetryPolicy, attemptsMade: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attemptsMade - 1));
}

/**
 * Delay before the next attempt after `attemptsMade` attempts: uniform in [0, ceiling], since `random`
 * returns a number in [0, 1). A delay near zero is harmless: the worker's poll interval and concurrency pace
 * the attempts anyway.
 */
export function nextRetryDelayMs(policy: RetryPolicy, attemptsMade: number, random: () => number = Math.random): number {
  return Math.round(random() * retryCeilingMs(policy, attemptsMade));
}

/** Try again at `retryAt`, or stop; `giveUp` says why ("gave up after 4 attempts in the 100 h retry window"). */
export type RetryDecision = { retryAt: Date } | { giveUp: string };

/**
 * Whether and when a message accepted at `acceptedAt` is tried again after its `attemptsMade`-th attempt failed
 * at `now`. The next attempt is never later than the end of the window; once an attempt at or after that end
 * has failed, the message is given up.
 */
export function decideRetry(policy: RetryPolicy, o: { attemptsMade: number; acceptedAt: Date; now: Date; random?: (() => number) | undefined }): RetryDecision {
  const n = o.attemptsMade;
  const attempts = `${n} attempt${n === 1 ? "" : "s"}`;
  if (policy.maxAttempts !== undefined && n >= policy.maxAttempts) return { giveUp: `gave up after ${attempts}` };
  const windowEnd = o.acceptedAt.getTime() + policy.windowMs;
  if (o.now.getTime() >= windowEnd) return { giveUp: `gave up after ${attempts} in the ${formatDuration(policy.windowMs)} retry window` };
  const at = Math.min(o.now.getTime() + nextRetryDelayMs(policy, n, o.random), windowEnd);
  return { retryAt: new Date(at) };
}

/** "100 h", "90 min", "2.5 s": the window as an operator configured it. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
