import { CHANNELS, type Channel } from "../core/status/index.js";
import type { ListQuery } from "./pages.js";
import { MAX_PAGE_SIZE, type ListFilter } from "./queries.js";

/**
 * The conversation list's query string as typed into the filter form, turned into a filter: a value that is not
 * one of the choices is named in `problems` and left out (the page still shows the rest), never guessed at.
 */

export interface ParsedListQuery {
  /** The values as given, to fill the form again. */
  query: ListQuery;
  filter: ListFilter;
  /** From 0. */
  page: number;
  size: number;
  problems: string[];
}

export const DEFAULT_PAGE_SIZE = 50;
const FIELDS = ["channel", "direction", "status", "sender", "receiver", "from", "to", "q"] as const;
const MAX_TEXT = 200;

function one(raw: Record<string, unknown>, key: string): string {
  const v = raw[key];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === "string" ? s.trim().slice(0, MAX_TEXT) : "";
}

/** A datetime-local value ("2026-12-03T06:20", seconds optional) read as UTC, or a full ISO time with its zone. */
export function parseUtcTime(v: string): Date | undefined {
  const local = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(v);
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v);
  if (!local && !zoned) return undefined;
  const d = new Date(local ? `${v}Z` : v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function parseListQuery(raw: Record<string, unknown>): ParsedListQuery {
  const query = Object.fromEntries(FIELDS.map((k) => [k, one(raw, k)])) as ListQuery;
  const problems: string[] = [];
  const filter: ListFilter = {};
  if (query.channel) {
    const c = query.channel.toUpperCase();
    if ((CHANNELS as readonly string[]).includes(c)) filter.channel = c as Channel;
    else problems.push(`channel "${query.channel}" is not one of ${CHANNELS.join(", ")}`);
  }
  if (query.direction) {
    const d = query.direction.toUpperCase();
    if (d === "OUT" || d === "IN") filter.direction = d;
    else problems.push(`direction "${query.direction}" is not OUT or IN`);
  }
  if (query.status) filter.status = query.status.toUpperCase();
  if (query.sender) filter.sender = query.sender;
  if (query.receiver) filter.receiver = query.receiver;
  if (query.q) filter.text = query.q;
  for (const key of ["from", "to"] as const) {
    if (!query[key]) continue;
    const d = parseUtcTime(query[key]);
    if (d) filter[key] = d;
    else problems.push(`${key} "${query[key]}" is not a time (YYYY-MM-DDTHH:MM, UTC)`);
  }
  const page = Number(one(raw, "page") || "1");
  const size = Number(one(raw, "size") || String(DEFAULT_PAGE_SIZE));
  return {
    query,
    filter,
    page: Number.isInteger(page) && page >= 1 && page <= 1_000_000 ? page - 1 : 0,
    size: Number.isInteger(size) && size >= 1 && size <= MAX_PAGE_SIZE ? size : DEFAULT_PAGE_SIZE,
    problems,
  };
}
