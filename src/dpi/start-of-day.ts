/**
 * The first instant of a calendar date in a time zone, written as an RFC 3339 date-time with that zone's
 * offset (e.g. 2019-05-12 in Europe/Oslo is 2019-05-12T00:00:00+02:00). Digdir's integrasjonspunkt turns a
 * NextMove virkningsdato into the DPI virkningstidspunkt this way (LocalDate.atStartOfDay in its clock's zone).
 * Where a zone skips midnight, the day starts when the clock jumps, as in java.time; seconds are always written,
 * as RFC 3339 requires (java.time leaves out zero seconds).
 */

import { formatsPerZone } from "../zone-format.js";

const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Throws a RangeError for a date that is not YYYY-MM-DD or a zone the runtime does not know. */
export function startOfDay(date: string, timeZone: string): string {
  const m = FULL_DATE.exec(date);
  if (!m) throw new RangeError(`${JSON.stringify(date)} is not a YYYY-MM-DD date`);
  const midnightUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Local midnight read with the offset in force at UTC midnight, then with the offset in force at that reading:
  // one of the two is the day's first instant. In a gap, the earlier offset lands on the jump itself.
  const first = midnightUtc - offsetMinutes(midnightUtc, timeZone) * 60_000;
  const second = midnightUtc - offsetMinutes(first, timeZone) * 60_000;
  const onTheDay = [first, second].filter((t) => localDateTime(t, timeZone).startsWith(`${date}T`)).sort((a, b) => a - b);
  return localDateTime(onTheDay[0] ?? second, timeZone);
}

const formatter = formatsPerZone({
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  timeZoneName: "longOffset",
});

function partsAt(instant: number, timeZone: string): Record<string, string> {
  return Object.fromEntries(formatter(timeZone).formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
}

/** Minutes east of UTC; "GMT" alone means zero. */
function offsetMinutes(instant: number, timeZone: string): number {
  const name = partsAt(instant, timeZone)["timeZoneName"] ?? "GMT";
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (!m) throw new RangeError(`unexpected offset ${JSON.stringify(name)} for ${timeZone}`);
  if (m[1] === undefined) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === "-" ? -minutes : minutes;
}

function localDateTime(instant: number, timeZone: string): string {
  const p = partsAt(instant, timeZone);
  const offset = offsetMinutes(instant, timeZone);
  const time = `${p["year"]}-${p["month"]}-${p["day"]}T${p["hour"]}:${p["minute"]}:${p["second"]}`;
  // java.time writes a zero offset as Z.
  if (offset === 0) return `${time}Z`;
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${time}${sign}${hh}:${mm}`;
}
