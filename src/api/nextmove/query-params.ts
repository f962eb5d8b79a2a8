import type { Request } from "express";
import { osloStartOfDay } from "../../core/oslo-time.js";
import { NextMoveQueryInvalidError } from "./status-errors.js";

/**
 * Query and path parameters read the way Spring binds them for the integrasjonspunkt's controllers: booleans as
 * Spring's StringToBooleanConverter reads them, numbers as Long, enums by exact name, yyyy-MM-dd days and ISO
 * date-times with an offset. An empty value counts as absent; a value given twice or that does not convert is
 * refused (400), as Spring refuses a value it cannot convert.
 */

type Query = Request["query"];

export function single(query: Query, name: string): string | undefined {
  const v = query[name];
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string") throw new NextMoveQueryInvalidError(`${name}: give it once`);
  return v;
}

const TRUE = ["true", "on", "yes", "1"];
const FALSE = ["false", "off", "no", "0"];

export function booleanParam(query: Query, name: string): boolean | undefined {
  const v = single(query, name)?.trim().toLowerCase();
  if (v === undefined) return undefined;
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw new NextMoveQueryInvalidError(`${name}: "${v}" is not a boolean (true or false)`);
}

/** A Long as Java parses it, within what a JavaScript number holds exactly. */
export function longValue(name: string, v: string): number {
  if (!/^[+-]?\d{1,16}$/.test(v) || !Number.isSafeInteger(Number(v))) throw new NextMoveQueryInvalidError(`${name}: "${v}" is not a number`);
  return Number(v);
}

export function longParam(query: Query, name: string): number | undefined {
  const v = single(query, name);
  return v === undefined ? undefined : longValue(name, v);
}

export function enumParam<T extends string>(query: Query, name: string, values: readonly T[]): T | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw new NextMoveQueryInvalidError(`${name}: "${v}" is not one of ${values.join(", ")}`);
  return v as T;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A yyyy-MM-dd parameter as the Oslo day it names: when it starts and when the next one does. */
export function osloDayParam(query: Query, name: string): { start: Date; end: Date } | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  const m = DAY.exec(v);
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (!m || probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) {
    throw new NextMoveQueryInvalidError(`${name}: "${v}" is not a date (yyyy-MM-dd)`);
  }
  return { start: osloStartOfDay(y, mo, d), end: osloStartOfDay(y, mo, d + 1) };
}

/**
 * ISO_DATE_TIME with an offset, e.g. 2019-03-25T12:38:23+01:00 or …Z. A "+" sent unencoded in a query string
 * arrives as a space; it is read as the "+" it was.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

export function dateTimeParam(query: Query, name: string): Date | undefined {
  const raw = single(query, name);
  if (raw === undefined) return undefined;
  const v = raw.replace(/ (\d{2}:\d{2})$/, "+$1");
  const m = DATE_TIME.exec(v);
  const invalid = () => new NextMoveQueryInvalidError(`${name}: "${raw}" is not an ISO date-time with an offset (e.g. 2019-03-25T12:38:23+01:00)`);
  if (!m) throw invalid();
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw invalid();
  const zone = m[8]!;
  const offsetMin = zone === "Z" ? 0 : (zone.startsWith("-") ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return new Date(probe.getTime() + Math.floor(fraction) - offsetMin * 60_000);
}
