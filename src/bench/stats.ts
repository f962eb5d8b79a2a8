/** Summary statistics for the benchmark. Pure. */

/**
 * The p-th percentile (0 < p ≤ 100) of ascending `sorted` by the nearest-rank method: the smallest value
 * with at least p % of the values at or below it. Always one of the samples, never an interpolation, so a
 * p99 of 100 samples is the 99th slowest request, not a mix of two.
 */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface Distribution {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Count, min, mean, p50/p95/p99 and max of the samples; undefined when there are none. */
export function distribution(samples: readonly number[]): Distribution | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    min: sorted[0]!,
    mean: sum / sorted.length,
    p50: percentile(sorted, 50)!,
    p95: percentile(sorted, 95)!,
    p99: percentile(sorted, 99)!,
    max: sorted[sorted.length - 1]!,
  };
}

/** Events per second over [startMs, endMs]; undefined when nothing happened or no time passed. */
export function ratePerSecond(count: number, startMs: number, endMs: number): number | undefined {
  const seconds = (endMs - startMs) / 1000;
  if (count <= 0 || !(seconds > 0)) return undefined;
  return count / seconds;
}

/** The earliest and latest of the values, or undefined for none. */
export function span(values: Iterable<number>): { first: number; last: number } | undefined {
  let first = Infinity;
  let last = -Infinity;
  for (const v of values) {
    if (v < first) first = v;
    if (v > last) last = v;
  }
  return first <= last ? { first, last } : undefined;
}

/** CPU seconds spent per letter; undefined when there were no letters or no measurement. */
export function perLetter(seconds: number | undefined, letters: number): number | undefined {
  return seconds === undefined || letters <= 0 ? undefined : seconds / letters;
}
