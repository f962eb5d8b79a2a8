/**
 * The open-loop timetable of `--rate N` (issue #17): letter i is due at start + i × 1000 / N ms, whether or not
 * earlier letters were answered. A request that starts late (the bench's own event loop was busy) keeps its
 * due time, so its latency counts from when it should have started: slowness anywhere shows in the figures
 * instead of quietly lowering the rate offered (coordinated omission).
 */

/** When letter `index` (from 0) is due, in the clock of `start`. Pure. */
export function scheduledStart(index: number, ratePerSecond: number, start: number): number {
  return start + (index * 1000) / ratePerSecond;
}

export interface ScheduleOptions {
  ratePerSecond: number;
  /** now() value at which letter 0 is due. */
  start: number;
  /** No letter starts at or after this now() value. */
  deadline: number;
  now: () => number;
  /** Resolves after about `ms` (setTimeout in the bench; a fake clock in tests). */
  sleep: (ms: number) => Promise<void>;
  /** Stops starting letters when it returns true (Ctrl-C). */
  cancelled?: () => boolean;
}

/**
 * Calls `fire(i, scheduledAt)` for i = 0 … total − 1 at their scheduled times, without waiting for what
 * `fire` returns; when the loop wakes late it fires every letter already due at once, each with its own
 * scheduled time. Resolves with the results of every fired letter once all have settled.
 */
export async function runOnSchedule<T>(total: number, o: ScheduleOptions, fire: (index: number, scheduledAt: number) => Promise<T>): Promise<T[]> {
  const inFlight: Promise<T>[] = [];
  let next = 0;
  while (next < total && !o.cancelled?.()) {
    const t = o.now();
    let at = scheduledStart(next, o.ratePerSecond, o.start);
    if (at >= o.deadline) break;
    // Every letter due by now, each with its own time (one expression decides both "due" and the time).
    while (at <= t && at < o.deadline) {
      inFlight.push(fire(next, at));
      if (++next >= total) break;
      at = scheduledStart(next, o.ratePerSecond, o.start);
    }
    if (next < total && at < o.deadline) await o.sleep(Math.max(0, at - o.now()));
  }
  return Promise.all(inFlight);
}
