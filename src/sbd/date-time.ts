/**
 * Date-times the way the integrasjonspunkt reads and writes them. It reads with Java's ISO_DATE_TIME (seconds
 * and fraction optional, an offset or `Z`, an optional `[zone]` after it) and keeps the sender's offset; a
 * date-time without offset gets the offset Europe/Oslo has *now* (its IsoDateTimeDeserializer). It writes
 * with ISO_OFFSET_DATE_TIME: seconds always, the fraction without trailing zeros, `Z` for a zero offset. JS
 * Date keeps neither the offset nor nanoseconds, hence this small value type.
 */

import { formatsPerZone } from "../zone-format.js";

export const DEFAULT_ZONE = "Europe/Oslo";

/** An instant together with the offset it was written in. */
export interface OffsetDateTime {
  /** Milliseconds since the epoch (the instant, truncated to milliseconds). */
  readonly epochMs: number;
  /** Digits of the second's fraction beyond what `epochMs` holds (nanosecond precision), without trailing zeros. */
  readonly fraction: string;
  /** Offset from UTC in seconds. */
  readonly offsetSeconds: number;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)?(?:\[[^\]\s]+\])?$/;

/**
 * Reads a date-time as the IP does, or returns undefined when Java would refuse it. `now` decides the
 * Europe/Oslo offset given to a date-time without one (the IP's quirk: the offset of today, not of that date).
 */
export function parseOffsetDateTime(text: string, now: Date, zone: string = DEFAULT_ZONE): OffsetDateTime | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetSeconds: number;
  if (m[8] === undefined) offsetSeconds = zoneOffsetSeconds(zone, now);
  else if (m[8] === "Z") offsetSeconds = 0;
  else {
    const sign = m[8].startsWith("-") ? -1 : 1;
    const [oh, om, os] = m[8].slice(1).split(":").map(Number) as [number, number, number | undefined];
    if (oh > 18 || om > 59 || (os ?? 0) > 59) return undefined;
    offsetSeconds = sign * (oh * 3600 + om * 60 + (os ?? 0));
    if (Math.abs(offsetSeconds) > 18 * 3600) return undefined;
  }
  const digits = (m[7] ?? "").padEnd(9, "0");
  const millis = Number(digits.slice(0, 3));
  const localMs = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0-99 to 1900-1999.
  const fixedLocalMs = year < 100 ? new Date(localMs).setUTCFullYear(year) : localMs;
  return { epochMs: fixedLocalMs - offsetSeconds * 1000, fraction: digits.slice(3).replace(/0+$/, ""), offsetSeconds };
}

/** Java's ISO_OFFSET_DATE_TIME form, e.g. `2019-03-25T11:35:00+01:00`, `2019-03-25T10:35:00.5Z`. */
export function formatOffsetDateTime(value: OffsetDateTime): string {
  const local = new Date(value.epochMs + value.offsetSeconds * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const fraction = (pad(local.getUTCMilliseconds(), 3) + value.fraction).replace(/0+$/, "");
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    (fraction ? `.${fraction}` : "") +
    formatOffset(value.offsetSeconds)
  );
}

/** `now` in the IP's clock zone (Clock.system(Europe/Oslo)): what OffsetDateTime.now(clock) gives. */
export function offsetDateTimeAt(now: Date, zone: string = DEFAULT_ZONE): OffsetDateTime {
  return { epochMs: now.getTime(), fraction: "", offsetSeconds: zoneOffsetSeconds(zone, now) };
}

/** OffsetDateTime.plusHours: the same offset, even across a daylight-saving change. */
export function plusHours(value: OffsetDateTime, hours: number): OffsetDateTime {
  return { ...value, epochMs: value.epochMs + hours * 3_600_000 };
}

/** Whether `a` is strictly later than `b` (OffsetDateTime.isAfter compares instants). */
export function isAfter(a: OffsetDateTime, b: OffsetDateTime): boolean {
  if (a.epochMs !== b.epochMs) return a.epochMs > b.epochMs;
  return a.fraction.padEnd(6, "0") > b.fraction.padEnd(6, "0");
}

/** The zone's offset from UTC at an instant, in seconds. */
export function zoneOffsetSeconds(zone: string, at: Date): number {
  const name = offsetFormat(zone)
    .formatToParts(at)
    .find((p) => p.type === "timeZoneName")?.value;
  const m = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(name ?? "");
  if (!m) throw new RangeError(`cannot read the offset of time zone ${zone}`);
  if (m[1] === undefined) return 0;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0));
}

/** The zone's offset as "GMT+01:00". */
const offsetFormat = formatsPerZone({ timeZoneName: "longOffset" });

function formatOffset(seconds: number): string {
  if (seconds === 0) return "Z";
  const abs = Math.abs(seconds);
  const pad = (n: number) => String(n).padStart(2, "0");
  const s = abs % 60;
  return `${seconds < 0 ? "-" : "+"}${pad(Math.floor(abs / 3600))}:${pad(Math.floor((abs % 3600) / 60))}${s ? `:${pad(s)}` : ""}`;
}

function daysInMonth(year: number, month: number): number {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
