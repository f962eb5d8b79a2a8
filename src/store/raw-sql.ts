import type { Prisma } from "./generated/client.js";
import type { Db } from "./prisma.js";
import { isDriverUniqueViolation, sqliteForm, type Sql } from "./sql.js";

/**
 * Statements of our own on either of the store's two ways to the database: its direct SQL (sql.ts: the driver
 * itself, for the hot paths) or a Prisma client or transaction client's raw API (for transactions that also use
 * Prisma's model API). Both decode columns by type as Prisma does (dates as Date, booleans as boolean), so a
 * statement means the same on either; it joins the transaction of the client it is given.
 *
 * The SQL is written once with PostgreSQL's numbered placeholders and quoted identifiers (both databases' tables
 * were created with quoted names); for SQLite the placeholders become `?` with the arguments reordered to match.
 */

/** A Prisma client or transaction client: anything with the raw API. */
export type RawClient = Pick<Db, "$queryRawUnsafe" | "$executeRawUnsafe">;

/** Where a statement of ours can run: the direct SQL (or one of its transactions), or a Prisma client. */
export type SqlClient = Sql | RawClient;

type Provider = "sqlite" | "postgresql";

const isDirect = (client: SqlClient): client is Sql => "execute" in client && typeof (client as Sql).execute === "function";

/**
 * Which database a client talks to. Prisma keeps it on every client, transaction clients included, under an
 * internal name; a client without it is refused loudly rather than guessed (every repository test runs both).
 */
export function providerOf(client: SqlClient): Provider {
  if (isDirect(client)) return client.provider;
  const p = (client as { _activeProvider?: unknown })._activeProvider;
  if (p === "sqlite" || p === "postgresql") return p;
  throw new Error(`cannot tell the database of this client (${String(p)})`);
}

function dialect(client: RawClient, sql: string, params: unknown[]): [string, ...unknown[]] {
  if (providerOf(client) === "postgresql") return [sql, ...params];
  const form = sqliteForm(sql);
  return [form.text, ...form.order.map((i) => params[i])];
}

/** Rows of a query (SELECT, or a write with RETURNING). */
export function queryRows<T>(client: SqlClient, sql: string, ...params: unknown[]): Promise<T[]> {
  if (isDirect(client)) return client.query<T>(sql, ...params);
  return client.$queryRawUnsafe<T[]>(...dialect(client, sql, params));
}

/** A write; resolves to the number of rows it changed. */
export function execute(client: SqlClient, sql: string, ...params: unknown[]): Promise<number> {
  if (isDirect(client)) return client.execute(sql, ...params);
  return client.$executeRawUnsafe(...dialect(client, sql, params));
}

/** A statement: its SQL and its parameters. */
export type Statement = [sql: string, ...params: unknown[]];

/** A write on a Prisma client for a batch `$transaction([...])`: it runs only when the batch runs it. */
export function batchable(client: RawClient, [sql, ...params]: Statement): Prisma.PrismaPromise<number> {
  return client.$executeRawUnsafe(...dialect(client, sql, params));
}

/** A unique constraint refused a write: by the model API (P2002), a raw statement (the adapter's kind) or the driver. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; meta?: { driverAdapterError?: { cause?: { kind?: string } } } } | undefined;
  if (e?.code === "P2002") return true;
  if (isDriverUniqueViolation(err)) return true;
  return e?.meta?.driverAdapterError?.cause?.kind === "UniqueConstraintViolation";
}
