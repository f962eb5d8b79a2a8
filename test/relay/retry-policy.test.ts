import { expect } from "chai";
import { nextRetryDelayMs } from "../../src/relay/retry-policy.js";

describe("relay/retry-policy", () => {
  const policy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 6000 };
  it("doubles the ceiling per attempt up to the maximum, with jitter in the upper half", () => {
    expect([1, 2, 3, 4].map((n) => nextRetryDelayMs(policy, n, () => 0))).to.deep.equal([500, 1000, 2000, 3000]);
    expect([1, 2, 3, 4].map((n) => nextRetryDelayMs(policy, n, () => 0.999999))).to.deep.equal([1000, 2000, 4000, 6000]);
  });
  it("gives up after maxAttempts", () => {
    expect(nextRetryDelayMs(policy, 5, () => 0.5)).to.equal(undefined);
    expect(nextRetryDelayMs(policy, 4, () => 0.5)).to.be.a("number");
  });
});
