import { expect } from "chai";
import { loadConfig } from "../../src/config.js";
import { decideRetry, formatDuration, nextRetryDelayMs, retryCeilingMs, type RetryPolicy } from "../../src/core/retry-policy.js";

const T0 = new Date("2026-03-01T12:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

describe("core/retry-policy", () => {
  const policy: RetryPolicy = { baseDelayMs: 1000, maxDelayMs: 6000, windowMs: 60_000 };

  it("doubles the ceiling per attempt up to the maximum", () => {
    expect([1, 2, 3, 4, 5].map((n) => retryCeilingMs(policy, n))).to.deep.equal([1000, 2000, 4000, 6000, 6000]);
  });

  it("full jitter: the delay is uniform between 0 and the ceiling", () => {
    expect([1, 2, 3, 4].map((n) => nextRetryDelayMs(policy, n, () => 0))).to.deep.equal([0, 0, 0, 0]);
    expect([1, 2, 3, 4].map((n) => nextRetryDelayMs(policy, n, () => 0.25))).to.deep.equal([250, 500, 1000, 1500]);
    expect([1, 2, 3, 4].map((n) => nextRetryDelayMs(policy, n, () => 0.999999))).to.deep.equal([1000, 2000, 4000, 6000]);
  });

  describe("decideRetry: giving up by elapsed time", () => {
    const half = () => 0.5;

    it("retries at now + delay while that lies within the window, however many attempts were made", () => {
      expect(decideRetry(policy, { attemptsMade: 1, acceptedAt: T0, now: at(0), random: half })).to.deep.equal({ retryAt: at(500) });
      expect(decideRetry(policy, { attemptsMade: 40, acceptedAt: T0, now: at(10_000), random: half })).to.deep.equal({ retryAt: at(13_000) });
    });

    it("makes the last attempt when the window ends, and gives up once that attempt failed", () => {
      expect(decideRetry(policy, { attemptsMade: 9, acceptedAt: T0, now: at(58_000), random: half })).to.deep.equal({ retryAt: at(60_000) });
      expect(decideRetry(policy, { attemptsMade: 10, acceptedAt: T0, now: at(60_000), random: half })).to.deep.equal({ giveUp: "gave up after 10 attempts in the 1 min retry window" });
    });

    it("the window counts from acceptance, not from the first attempt", () => {
      expect(decideRetry(policy, { attemptsMade: 1, acceptedAt: at(-60_000), now: at(0), random: half })).to.deep.equal({ giveUp: "gave up after 1 attempt in the 1 min retry window" });
    });

    it("an attempt limit, when set, is an extra bound", () => {
      const limited = { ...policy, maxAttempts: 3 };
      expect(decideRetry(limited, { attemptsMade: 2, acceptedAt: T0, now: at(1000), random: half })).to.deep.equal({ retryAt: at(2000) });
      expect(decideRetry(limited, { attemptsMade: 3, acceptedAt: T0, now: at(2000), random: half })).to.deep.equal({ giveUp: "gave up after 3 attempts" });
    });

    it("the tenth failure three minutes into an outage (base 2 s, max 30 s, as in the chaos run) is retried, not given up", () => {
      const chaos: RetryPolicy = { baseDelayMs: 2000, maxDelayMs: 30_000, windowMs: 100 * 3_600_000 };
      expect(decideRetry(chaos, { attemptsMade: 10, acceptedAt: T0, now: at(180_000), random: half })).to.deep.equal({ retryAt: at(195_000) });
    });
  });

  it("formats the window the way it was configured", () => {
    expect([100 * 3_600_000, 90 * 60_000, 2500].map(formatDuration)).to.deep.equal(["100 h", "90 min", "2.5 s"]);
  });

  it("defaults: 5 s doubling to 30 min, retried for 100 hours from acceptance, no attempt limit", () => {
    const c = loadConfig({});
    expect(c.outbox.retry).to.deep.equal({ baseDelayMs: 5000, maxDelayMs: 1_800_000, windowMs: 360_000_000, maxAttempts: undefined });
    expect(loadConfig({ DPI_AP_RETRY_WINDOW_HOURS: "0.5", DPI_AP_RETRY_MAX_ATTEMPTS: "12" }).outbox.retry).to.include({ windowMs: 1_800_000, maxAttempts: 12 });
    // The ceilings 5 s, 10 s, … 1280 s, then 30 min; with full jitter each delay averages half its ceiling.
    const ceilings = Array.from({ length: 10 }, (_, i) => retryCeilingMs(c.outbox.retry, i + 1) / 1000);
    expect(ceilings).to.deep.equal([5, 10, 20, 40, 80, 160, 320, 640, 1280, 1800]);
  });
});
