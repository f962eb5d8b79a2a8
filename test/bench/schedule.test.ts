import { expect } from "chai";
import { runOnSchedule, scheduledStart, type ScheduleOptions } from "../../src/bench/schedule.js";

/** A clock that moves only when the schedule sleeps, plus whatever a test adds to simulate a busy event loop. */
function fakeClock(start = 1000) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    advance: (ms: number) => void (t += ms),
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

function options(clock: ReturnType<typeof fakeClock>, over: Partial<ScheduleOptions> = {}): ScheduleOptions {
  return { ratePerSecond: 100, start: 1000, deadline: Infinity, now: clock.now, sleep: clock.sleep, ...over };
}

describe("bench: the open-loop schedule", () => {
  it("puts letter i at start + i / rate seconds", () => {
    expect(scheduledStart(0, 100, 1000)).to.equal(1000);
    expect(scheduledStart(1, 100, 1000)).to.equal(1010);
    expect(scheduledStart(250, 100, 1000)).to.equal(3500);
    expect(scheduledStart(3, 4, 0)).to.equal(750);
  });

  it("starts each letter at its time without waiting for earlier ones to be answered", async () => {
    const clock = fakeClock();
    const fired: { i: number; at: number; now: number }[] = [];
    const answers: (() => void)[] = [];
    const done = runOnSchedule(5, options(clock), (i, at) => {
      fired.push({ i, at, now: clock.now() });
      // None is answered until all five have started.
      return new Promise<number>((resolve) => answers.push(() => resolve(i * 10)));
    });
    await new Promise((r) => setImmediate(r));
    expect(fired).to.deep.equal([0, 1, 2, 3, 4].map((i) => ({ i, at: 1000 + 10 * i, now: 1000 + 10 * i })));
    expect(clock.sleeps).to.deep.equal([10, 10, 10, 10]);
    for (const answer of answers) answer();
    expect(await done).to.deep.equal([0, 10, 20, 30, 40]);
  });

  it("fires every letter already due at once when it wakes late, each keeping its own scheduled time", async () => {
    const clock = fakeClock();
    const fired: [number, number, number][] = [];
    await runOnSchedule(6, options(clock), async (i, at) => {
      fired.push([i, at, clock.now()]);
      // The event loop is busy for 35 ms after the first letter.
      if (i === 0) clock.advance(35);
    });
    expect(fired).to.deep.equal([
      [0, 1000, 1000],
      [1, 1010, 1035],
      [2, 1020, 1035],
      [3, 1030, 1035],
      [4, 1040, 1040],
      [5, 1050, 1050],
    ]);
  });

  it("waits for the start when called early, and starts nothing at or after the deadline", async () => {
    const clock = fakeClock(900);
    const fired: number[] = [];
    await runOnSchedule(10, options(clock, { deadline: 1030 }), async (_, at) => void fired.push(at));
    expect(fired).to.deep.equal([1000, 1010, 1020]);
    expect(clock.sleeps[0]).to.equal(100);
    expect(clock.now()).to.equal(1020);
  });

  it("stops starting letters once cancelled, and still resolves with those started", async () => {
    const clock = fakeClock();
    let cancel = false;
    const results = await runOnSchedule(10, options(clock, { cancelled: () => cancel }), async (i) => {
      if (i === 2) cancel = true;
      return i;
    });
    expect(results).to.deep.equal([0, 1, 2]);
  });

  it("keeps exact times at rates that are not a whole number of milliseconds apart", async () => {
    const clock = fakeClock(0);
    const fired: number[] = [];
    await runOnSchedule(4, options(clock, { ratePerSecond: 3, start: 0 }), async (_, at) => void fired.push(at));
    expect(fired).to.deep.equal([0, 1000 / 3, 2000 / 3, 1000]);
  });
});
