import type { Prisma } from "./generated/client.js";
import type { Db } from "./prisma.js";

/**
 * Statements of the hot paths written as SQL of our own and run through the client's raw API, which skips
 * Prisma's query compiler and interpreter (about a third of the CPU of the model API per statement). They run on
 * the client or transaction they are given, so they join the caller's transaction like model queries do, and
 * Prisma still decodes the columns by type (dates as Date, booleans as boolean) on both databases.
 *
 * The SQL is written once with PostgreSQL's numbered placeholders and quoted identifiers (both databases' tables
 * were created with quoted names); for SQLite the placeholders become `?` with the arguments reordered to match.
 */

/** A client or transaction client: anything with the raw API. */
export type RawClient = Pick<Db, "$queryRawUnsafe" | "$executeRawUnsafe">;

type Provider = "sqlite" | "postgresql";

/** SQLite's form of a statement: its text with `?`, and which argument each `?` takes. */
interface SqliteForm {
  text: string;
  order: number[];
}

const SQLITE_FORMS = new Map<string, SqliteForm>();

function sqliteForm(sql: string): SqliteForm {
  let form = SQLITE_FORMS.get(sql);
  if (!form) {
    const order: number[] = [];
    const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
      order.push(Number(n) - 1);
      return "?";
    });
    form = { text, order };
    SQLITE_FORMS.set(sql, form);
  }
  return form;
}

/**
 * Which database a client talks to. Prisma keeps it on every client, transaction clients included, under an
 * internal name; a client without it is refused loudly rather than guessed (every repository test runs both).
 */
export function providerOf(client: RawClient): Provider {
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
export function queryRows<T>(client: RawClient, sql: string, ...params: unknown[]): Prisma.PrismaPromise<T[]> {
  return client.$queryRawUnsafe<T[]>(...dialect(client, sql, params));
}

/** A write; resolves to the number of rows it changed. Usable in a batch `$transaction([...])`. */
export function execute(client: RawClient, sql: string, ...params: unknown[]): Prisma.PrismaPromise<number> {
  return client.$executeRawUnsafe(...dialect(client, sql, params));
}

/** A unique constraint refused a write, by the model API (P2002) or a raw statement (the driver's kind). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; meta?: { driverAdapterError?: { cause?: { kind?: string } } } } | undefined;
  if (e?.code === "P2002") return true;
  return e?.meta?.driverAdapterError?.cause?.kind === "UniqueConstraintViolation";
}
