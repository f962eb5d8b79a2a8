import type { Request } from "express";
import type { SortDirection } from "../../store/nextmove-status-repo.js";
import { NextMoveQueryInvalidError } from "./status-errors.js";

/**
 * Spring Data paging as the integrasjonspunkt's controllers take and answer it. Requests: `page` (from 0),
 * `size` and `sort=property(,property)*(,asc|desc)`, read as PageableHandlerMethodArgumentResolver and
 * SortHandlerMethodArgumentResolver read them (a page or size that is not a number counts as 0, a negative one
 * as 0, a size below 1 as the default, above 2000 as 2000; `sort` replaces the endpoint's default order). Answers:
 * a PageImpl as Jackson writes it (content, pageable, totalElements, totalPages, size, number, sort, first, last,
 * numberOfElements, empty), as in cuke/nextmove_send_dpo.feature and the integrasjonspunkt's REST docs.
 */

export const DEFAULT_PAGE_SIZE = 10;
/** spring.data.web.pageable.max-page-size */
export const MAX_PAGE_SIZE = 2000;

export interface SortOrder<F extends string> {
  field: F;
  direction: SortDirection;
}

export interface Pageable<F extends string> {
  page: number;
  size: number;
  sort: SortOrder<F>[];
}

function springInt(v: unknown): number | undefined {
  if (typeof v !== "string" || v.trim() === "") return undefined;
  const s = v.trim();
  if (!/^[+-]?\d+$/.test(s)) return 0;
  const n = Number(s);
  return n < 0 ? 0 : Math.min(n, Number.MAX_SAFE_INTEGER);
}

function sortParams(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((s): s is string => typeof s === "string" && s.trim() !== "");
}

/** The paging of a request; `sortable` are the properties it may be sorted by. */
export function pageableOf<F extends string>(query: Request["query"], defaults: { sort: SortOrder<F>[] }, sortable: readonly F[]): Pageable<F> {
  const first = (k: string) => (Array.isArray(query[k]) ? (query[k] as unknown[])[0] : query[k]);
  const page = Math.min(springInt(first("page")) ?? 0, Math.floor(Number.MAX_SAFE_INTEGER / MAX_PAGE_SIZE));
  const requested = springInt(first("size"));
  const size = requested === undefined || requested < 1 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
  const sort: SortOrder<F>[] = [];
  for (const param of sortParams(query.sort)) {
    const tokens = param.split(",").map((t) => t.trim()).filter((t) => t !== "");
    const last = tokens.at(-1)?.toLowerCase();
    const direction: SortDirection = last === "desc" ? "desc" : "asc";
    const properties = last === "asc" || last === "desc" ? tokens.slice(0, -1) : tokens;
    for (const p of properties) {
      if (!(sortable as readonly string[]).includes(p)) throw new NextMoveQueryInvalidError(`sort: cannot sort by "${p}"; by ${sortable.join(", ")}`);
      sort.push({ field: p as F, direction });
    }
  }
  return { page, size, sort: sort.length > 0 ? sort : defaults.sort };
}

interface SortJson {
  empty: boolean;
  sorted: boolean;
  unsorted: boolean;
}

export interface SpringPage<T> {
  content: T[];
  pageable: { pageNumber: number; pageSize: number; sort: SortJson; offset: number; paged: true; unpaged: false };
  last: boolean;
  totalElements: number;
  totalPages: number;
  size: number;
  number: number;
  sort: SortJson;
  first: boolean;
  numberOfElements: number;
  empty: boolean;
}

/** A page as Spring writes PageImpl; `sorted`: whether the page has an order (every endpoint here but the subscription list). */
export function springPage<T>(content: T[], total: number, p: { page: number; size: number; sorted: boolean }): SpringPage<T> {
  const sort = (): SortJson => ({ empty: !p.sorted, sorted: p.sorted, unsorted: !p.sorted });
  const totalPages = Math.ceil(total / p.size);
  return {
    content,
    pageable: { pageNumber: p.page, pageSize: p.size, sort: sort(), offset: p.page * p.size, paged: true, unpaged: false },
    last: p.page + 1 >= totalPages,
    totalElements: total,
    totalPages,
    size: p.size,
    number: p.page,
    sort: sort(),
    first: p.page === 0,
    numberOfElements: content.length,
    empty: content.length === 0,
  };
}
