import type { Conversation } from "./generated/client.js";

/**
 * Conditions on Conversation rows as data, for the queries whose WHERE clause is put together from parts (a
 * reader's read scope, src/core/read-scope.ts; a channel's list filters; the NextMove API's query parameters) and
 * run as the store's direct SQL (sql.ts). A condition is built by the functions below and written out once, by
 * renderCondition, as SQL that means the same on SQLite and PostgreSQL, with its values as parameters.
 *
 * The meaning is the one Prisma's where-objects had for the same filters: an empty `all` matches every row, an
 * empty `any` and an empty `oneOf` none; `equals(column, null)` is IS NULL; a comparison or a non-empty list
 * never matches NULL; `startsWith` and `contains` are LIKE with the value's wildcards escaped (so ASCII letters compare
 * case-insensitively on SQLite and exactly on PostgreSQL, as Prisma's did). Column names are the code's own,
 * never input.
 */

export type SqlValue = string | number | boolean | Date;

/** A table with one row per conversation at most, keyed by the conversation's (direction, messageId). */
export type ChannelTable = "DpiMessage" | "NextMoveMessage";

export type Condition =
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly column: string; readonly equals: SqlValue | null }
  | { readonly column: string; readonly oneOf: readonly SqlValue[] }
  | { readonly column: string; readonly noneOf: readonly SqlValue[] }
  | { readonly column: string; readonly startsWith: string }
  | { readonly column: string; readonly contains: string }
  | { readonly column: string; readonly compare: "<" | "<=" | ">" | ">="; readonly value: SqlValue }
  | { readonly column: string; readonly isSet: true }
  | { readonly hasRow: ChannelTable; readonly where: Condition }
  | { readonly amongConversations: readonly Condition[] };

type Column<R> = keyof R & string;

/** Matches every row. */
export const TRUE: Condition = { all: [] };
/** Matches no row. */
export const FALSE: Condition = { any: [] };

/** Every one of `conditions` (nested `all`s are flattened into one, so a reader sees their parts side by side). */
export function all(...conditions: Condition[]): Condition {
  const flat = conditions.flatMap((c) => ("all" in c ? c.all : [c]));
  return flat.length === 1 ? flat[0]! : { all: flat };
}

/** Any of `conditions`; none given, no row. */
export function any(...conditions: Condition[]): Condition {
  return conditions.length === 1 ? conditions[0]! : { any: conditions };
}

/** The column equals `value`; null: the column is NULL. */
export function equals<R = Conversation>(column: Column<R>, value: SqlValue | null): Condition {
  return { column, equals: value };
}

/** The column is one of `values`; none given, no row. */
export function oneOf<R = Conversation>(column: Column<R>, values: readonly SqlValue[]): Condition {
  return { column, oneOf: [...values] };
}

/** The column is none of `values` (a NULL column matches only when `values` is empty, as in SQL); none given, every row. */
export function noneOf<R = Conversation>(column: Column<R>, values: readonly SqlValue[]): Condition {
  return { column, noneOf: [...values] };
}

/** The column's text starts with `prefix`. */
export function startsWith<R = Conversation>(column: Column<R>, prefix: string): Condition {
  return { column, startsWith: prefix };
}

/** The column's text contains `part` (compared as startsWith compares; never true for NULL). */
export function contains<R = Conversation>(column: Column<R>, part: string): Condition {
  return { column, contains: part };
}

/** The column compared with `value` (never true for NULL). */
export function compare<R = Conversation>(column: Column<R>, op: "<" | "<=" | ">" | ">=", value: SqlValue): Condition {
  return { column, compare: op, value };
}

/** The column is not NULL. */
export function isSet<R = Conversation>(column: Column<R>): Condition {
  return { column, isSet: true };
}

/** The conversation has its row in `table` and that row matches `where` (whose columns are the table's). */
export function hasRow(table: ChannelTable, where: Condition = TRUE): Condition {
  return { hasRow: table, where };
}

/**
 * The row's messageId is one of those of the conversations matching any of `lookups` (each with its own
 * direction): a superset of the rows a query wants, stated so that the database looks each lookup up on its own
 * (a UNION ALL of them) and can use an index for each, where it would scan for the OR of the same conditions.
 */
export function amongConversations(...lookups: Condition[]): Condition {
  return { amongConversations: lookups };
}

/**
 * The condition as SQL over `row` (a table name or alias, quoted as it should appear), its values appended to
 * `params` as `$n` placeholders numbered after those already there. An OR comes in brackets, so the text can
 * stand beside other conditions with AND as it is.
 */
export function renderCondition(c: Condition, params: unknown[], row = `"Conversation"`): string {
  const sql = render(c, params, row, 0);
  return "any" in c && c.any.length > 1 ? `(${sql})` : sql;
}

function render(c: Condition, params: unknown[], row: string, depth: number): string {
  const col = (name: string) => `${row}."${name}"`;
  const param = (v: unknown) => `$${params.push(v)}`;
  const nested = (child: Condition) => {
    const sql = render(child, params, row, depth);
    return isCompound(child) ? `(${sql})` : sql;
  };
  if ("all" in c) return c.all.length === 0 ? "1 = 1" : c.all.map(nested).join(" AND ");
  if ("any" in c) return c.any.length === 0 ? "1 = 0" : c.any.map(nested).join(" OR ");
  if ("hasRow" in c) {
    const alias = `r${depth + 1}`;
    const key = `${alias}."direction" = ${row}."direction" AND ${alias}."messageId" = ${row}."messageId"`;
    const inner = isTrue(c.where) ? "" : ` AND ${isCompound(c.where) ? `(${render(c.where, params, alias, depth + 1)})` : render(c.where, params, alias, depth + 1)}`;
    return `EXISTS (SELECT 1 FROM "${c.hasRow}" ${alias} WHERE ${key}${inner})`;
  }
  if ("amongConversations" in c) {
    if (c.amongConversations.length === 0) return "1 = 0";
    const alias = `u${depth + 1}`;
    const lookups = c.amongConversations.map((l) => `SELECT ${alias}."messageId" FROM "Conversation" ${alias} WHERE ${render(l, params, alias, depth + 1)}`);
    return `${col("messageId")} IN (${lookups.join(" UNION ALL ")})`;
  }
  if ("equals" in c) return c.equals === null ? `${col(c.column)} IS NULL` : `${col(c.column)} = ${param(c.equals)}`;
  if ("oneOf" in c) return c.oneOf.length === 0 ? "1 = 0" : `${col(c.column)} IN (${c.oneOf.map(param).join(", ")})`;
  if ("noneOf" in c) return c.noneOf.length === 0 ? "1 = 1" : `${col(c.column)} NOT IN (${c.noneOf.map(param).join(", ")})`;
  if ("startsWith" in c) return `${col(c.column)} LIKE ${param(`${likeEscaped(c.startsWith)}%`)} ESCAPE '\\'`;
  if ("contains" in c) return `${col(c.column)} LIKE ${param(`%${likeEscaped(c.contains)}%`)} ESCAPE '\\'`;
  if ("compare" in c) return `${col(c.column)} ${c.compare} ${param(c.value)}`;
  return `${col(c.column)} IS NOT NULL`;
}

/** `text` with LIKE's wildcards and its escape character escaped, so they match as characters. */
const likeEscaped = (text: string) => text.replace(/[\\%_]/g, (ch) => `\\${ch}`);

const isCompound = (c: Condition) => ("all" in c && c.all.length > 1) || ("any" in c && c.any.length > 1);
const isTrue = (c: Condition) => "all" in c && c.all.length === 0;

/** The value `column` must equal for `c` to match, when `c` (or one of its `all` parts) says so; else undefined. */
export function requiredValue(c: Condition, column: string): SqlValue | undefined {
  const parts = "all" in c ? c.all : [c];
  for (const p of parts) if ("equals" in p && p.column === column && p.equals !== null) return p.equals;
  return undefined;
}
