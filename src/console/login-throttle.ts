import type { Clock } from "../clock.js";

/**
 * Login throttling per user name and client address: after `maxFailures` failed logins within `windowMs`, that
 * pair is refused without checking the password until the oldest failure leaves the window. Keyed by the pair,
 * so a guesser cannot lock a real operator out from another address, and one address cannot try many
 * passwords for one user. A successful login clears the pair. In memory, like the sessions.
 */

export interface ThrottleLimits {
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { maxFailures: 5, windowMs: 15 * 60_000 };
/** How many pairs are remembered at most (oldest forgotten first). */
const MAX_KEYS = 50_000;

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: ThrottleLimits = DEFAULT_THROTTLE,
  ) {}

  /** Milliseconds until `user` may try again from `ip`; 0: now. */
  retryAfterMs(user: string, ip: string): number {
    const recent = this.recent(keyOf(user, ip));
    if (recent.length < this.limits.maxFailures) return 0;
    return recent[recent.length - this.limits.maxFailures]! + this.limits.windowMs - this.clock().getTime();
  }

  failed(user: string, ip: string): void {
    const key = keyOf(user, ip);
    const recent = this.recent(key);
    recent.push(this.clock().getTime());
    // Only the last maxFailures matter for the decision.
    this.failures.delete(key);
    this.failures.set(key, recent.slice(-this.limits.maxFailures));
    while (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
  }

  succeeded(user: string, ip: string): void {
    this.failures.delete(keyOf(user, ip));
  }

  private recent(key: string): number[] {
    const since = this.clock().getTime() - this.limits.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > since);
  }
}

// User names are compared as typed: "Ola" and "ola" are different users, and different throttle keys.
const keyOf = (user: string, ip: string) => `${ip}\u0000${user}`;
