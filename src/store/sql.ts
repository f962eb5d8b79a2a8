import type { Db } from "./prisma.js";

/**
 * SQL of our own, run on the database driver directly (better-sqlite3, node-postgres) instead of through
 * Prisma's client, for the statements every letter runs: Prisma's request handling costs about 80 µs a statement
 * where the driver takes under 10, and its interactive transactions hold SQLite's one connection across round
 * trips. Rows come back decoded as Prisma decodes them (dates as Date, booleans as boolean, BIGINT as bigint,
 * bytes as Buffer), so the generated row types describe them.
 *
 * Statements are written once with PostgreSQL's numbered placeholders (`$1`) and quoted identifiers (both
 * databases' tables were created with quoted names); SQLite gets `?` with the arguments reordered to match.
 */
export interface Sql {
  readonly provider: "sqlite" | "postgresql";
  /** Rows of a query (SELECT, or a write with RETURNING). */
  query<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** A write; resolves to the number of rows it changed. */
  execute(sql: string, ...params: unknown[]): Promise<number>;
}

/** A store's direct SQL: statements outside a transaction, and transactions. */
export interface SqlStore extends Sql {
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Every statement of
   * the transaction goes through `tx`; a statement on the store itself from inside `fn` waits for the
   * transaction to end (on SQLite, forever), as with Prisma's transactions.
   */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
}

/** A transaction's handle ended: a statement issued after COMMIT or ROLLBACK (a promise left running) is refused. */
export class TransactionClosedError extends Error {
  constructor() {
    super("statement issued on a transaction that has ended");
    this.name = "TransactionClosedError";
  }
}

const STORES = new WeakMap<object, SqlStore>();

/** Binds a client opened by openDatabase to its direct SQL (same database, same SQLite connection). */
export function attachSql(db: Db, store: SqlStore): void {
  STORES.set(db, store);
}

/** The direct SQL of a client opened by openDatabase. */
export function sqlOf(db: Db): SqlStore {
  const store = STORES.get(db);
  if (!store) throw new Error("this database client was not opened by openDatabase: it has no direct SQL");
  return store;
}

/** SQLite's form of a statement: its text with `?`, and which argument each `?` takes. */
export interface SqliteForm {
  text: string;
  order: number[];
}

const SQLITE_FORMS = new Map<string, SqliteForm>();

/** The statement with `?` placeholders, and the argument each takes (cached by text). */
export function sqliteForm(sql: string): SqliteForm {
  let form = SQLITE_FORMS.get(sql);
  if (!form) {
    const order: number[] = [];
    const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
      order.push(Number(n) - 1);
      return "?";
    });
    form = { text, order };
    // Statements with lists of values (IN ($3, $4, …)) vary in text; keep the cache bounded.
    if (SQLITE_FORMS.size >= 2000) SQLITE_FORMS.delete(SQLITE_FORMS.keys().next().value!);
    SQLITE_FORMS.set(sql, form);
  }
  return form;
}

/** A unique constraint refused a driver's write (better-sqlite3's or node-postgres's error). */
export function isDriverUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}
