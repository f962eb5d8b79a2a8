/**
 * When to try a failed send again. Exponential back-off with full jitter spreads retries of many messages
 * that failed together (a receiver outage) instead of hammering the receiver in lock-step.
 */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 5_000, maxDelayMs: 30 * 60_000 };

/**
 * Delay before the next attempt after `attemptsMade` attempts, or undefined when they are used up.
 * `random` returns a number in [0, 1); the delay is uniform in [cap/2, cap] so it never collapses to zero.
 */
export function nextRetryDelayMs(policy: RetryPolicy, attemptsMade: number, random: () => number = Math.random): number | undefined {
  if (attemptsMade >= policy.maxAttempts) return undefined;
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(cap / 2 + random() * (cap / 2));
}
