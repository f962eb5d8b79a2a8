import { systemClock, type Clock } from "../clock.js";
import { DEFAULT_ZONE } from "./date-time.js";

/**
 * Date-times without an offset are given the offset Europe/Oslo has at the time of parsing (the IP's
 * reader). zod transforms take no context, so a parse pins its clock here for the duration of one
 * synchronous run.
 */

let current: { readonly now: Clock; readonly zone: string } = { now: systemClock, zone: DEFAULT_ZONE };

/** Runs `fn` with the clock and zone that date-times without offset are read against. */
export function withParseClock<T>(now: Clock, zone: string, fn: () => T): T {
  const saved = current;
  current = { now, zone };
  try {
    return fn();
  } finally {
    current = saved;
  }
}

export function parseClock(): { readonly now: Clock; readonly zone: string } {
  return current;
}
