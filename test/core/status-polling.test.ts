import { expect } from "chai";
import { MAX_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS, pollIntervalMs } from "../../src/core/status-polling.js";

const MIN = 60_000;
const DAY = 24 * 3_600_000;

describe("core/status-polling: pollIntervalMs (LinearInterpolationPolling)", () => {
  it("starts at 1 minute and ends at 60 minutes", () => {
    expect(MIN_POLL_INTERVAL_MS).to.equal(MIN);
    expect(MAX_POLL_INTERVAL_MS).to.equal(60 * MIN);
    expect(pollIntervalMs(0)).to.equal(60_000);
    expect(pollIntervalMs(30 * DAY)).to.equal(3_600_000);
  });

  it("grows linearly with the conversation's age", () => {
    expect(pollIntervalMs(15 * DAY)).to.equal(1_830_000); // 30.5 min
    expect(pollIntervalMs(10 * DAY)).to.equal(1_240_000); // 1 + 59/3 min
    expect(pollIntervalMs(1 * DAY)).to.equal(178_000); // 1 + 59/30 min
    expect(pollIntervalMs(3_600_000)).to.equal(64_917); // an hour old: 60 000 + 3 540 000/720, rounded
  });

  it("stays at 60 minutes past 30 days and at 1 minute for a clock running behind", () => {
    expect(pollIntervalMs(31 * DAY)).to.equal(3_600_000);
    expect(pollIntervalMs(365 * DAY)).to.equal(3_600_000);
    expect(pollIntervalMs(-5 * MIN)).to.equal(60_000);
  });
});
