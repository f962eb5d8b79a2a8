/**
 * Times as the integrasjonspunkt writes and reads them. It runs in Europe/Oslo (DateTimeUtil.DEFAULT_ZONE_ID,
 * hibernate.jdbc.time_zone) and Jackson writes an OffsetDateTime with ISO_OFFSET_DATE_TIME: seconds always, the
 * fraction only when it is not zero and without trailing zeros, the zone as an offset ("2019-03-25T12:38:23+01:00").
 * Its yyyy-MM-dd query parameters are days in that zone.
 */

export const EFORMIDLING_ZONE = "Europe/Oslo";

const offsetFormat = new Intl.DateTimeFormat("en-US", { timeZone: EFORMIDLING_ZONE, timeZoneName: "longOffset" });

/** Minutes east of UTC in Oslo at the instant `d` (60 or 120). */
export function osloOffsetMinutes(d: Date): number {
  const name = offsetFormat.formatToParts(d).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (!m) throw new Error(`unexpected zone name ${name}`);
  if (!m[1]) return 0;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `d` as the integrasjonspunkt's JSON writes an OffsetDateTime in Oslo. */
export function formatOsloDateTime(d: Date): string {
  const offset = osloOffsetMinutes(d);
  const local = new Date(d.getTime() + offset * 60_000);
  const ms = local.getUTCMilliseconds();
  const fraction = ms === 0 ? "" : `.${pad(ms, 3).replace(/0+$/, "")}`;
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${fraction}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/**
 * The instant the Oslo day `year-month-day` begins (month 1-12). Oslo changes its clocks at 01:00 UTC, never
 * near midnight, so the offset in force at the first guess (UTC midnight shifted by the offset there) is the
 * one at local midnight.
 */
export function osloStartOfDay(year: number, month: number, day: number): Date {
  const utcMidnight = Date.UTC(year, month - 1, day);
  const guess = new Date(utcMidnight - osloOffsetMinutes(new Date(utcMidnight)) * 60_000);
  return new Date(utcMidnight - osloOffsetMinutes(guess) * 60_000);
}
