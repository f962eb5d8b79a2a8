import Database from "better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import type { Gate } from "./sqlite-serial-access.js";
import { sqliteForm, TransactionClosedError, type Sql, type SqlStore } from "./sql.js";

/**
 * The store's direct SQL on SQLite (sql.ts), on the connection Prisma's adapter opened and through the same gate
 * (sqlite-serial-access.ts), so Prisma's statements and ours never interleave inside each other's transactions.
 *
 * better-sqlite3 runs a statement synchronously: one outside a transaction runs at once when nobody holds the
 * gate, and a transaction whose work is only our statements runs from BEGIN to COMMIT without giving the event
 * loop away, so it holds the connection for microseconds, not for round trips.
 */

type Statement = BetterSqlite3.Statement<unknown[]>;
/** Turns a row as the driver returns it in raw mode (values in column order) into the row Prisma would give. */
type Shape = (values: unknown[]) => Record<string, unknown>;

interface Prepared {
  statement: Statement;
  order: number[];
  /** For a statement that returns rows (read in raw mode): how a row becomes its object; undefined for a writer. */
  shape: Shape | undefined;
}

/** How Prisma's adapter stores a DateTime (its default "iso8601" format): comparisons in SQL rely on the same text. */
export function sqliteDate(d: Date): string {
  return d.toISOString().replace("Z", "+00:00");
}

function toDate(v: unknown): unknown {
  if (typeof v === "string") return new Date(v);
  if (typeof v === "number" || typeof v === "bigint") return new Date(Number(v));
  return v;
}

/** Per declared column type, what Prisma makes of the stored value (the adapter's conversion and the client's). */
const DECODERS: Record<string, (v: unknown) => unknown> = {
  DATETIME: toDate,
  TIMESTAMP: toDate,
  BOOLEAN: (v) => (typeof v === "number" || typeof v === "bigint" ? Number(v) !== 0 : v),
  BIGINT: (v) => (typeof v === "number" ? BigInt(v) : v),
};

/**
 * The row builder of a statement that returns rows: an object literal with the result's columns in order, each
 * value decoded by its declared type (null stays null). better-sqlite3's own objects cost several microseconds a
 * row more than raw mode's arrays on our wide rows (28 columns of "Conversation": 15 against 10.5 µs for the
 * statement), so rows are read as arrays and built here by a function made once per statement. A column named
 * twice (a join) keeps the last value under its name, as the driver's objects do. A column named `__proto__`
 * would set the literal's prototype: such a statement gets a builder that assigns instead.
 */
function shapeOf(statement: Statement): Shape {
  const columns = statement.columns().map((c) => ({ name: c.name, decode: c.type ? DECODERS[c.type.toUpperCase()] : undefined }));
  const decoders = columns.map((c) => c.decode);
  if (columns.some((c) => c.name === "__proto__")) {
    return (values) => {
      const row: Record<string, unknown> = {};
      columns.forEach((c, i) => {
        const v = values[i];
        Object.defineProperty(row, c.name, { value: c.decode && v !== null && v !== undefined ? c.decode(v) : v, enumerable: true, writable: true, configurable: true });
      });
      return row;
    };
  }
  // Keys are the columns' names as JSON strings and values indexes: nothing of the data goes into the code.
  const fields = columns.map((c, i) => `${JSON.stringify(c.name)}: ${c.decode ? `v[${i}] == null ? v[${i}] : d[${i}](v[${i}])` : `v[${i}]`}`);
  const build = new Function("d", `return function (v) { return { ${fields.join(", ")} }; };`) as (d: unknown[]) => Shape;
  return build(decoders);
}

/** A parameter as the adapter binds it. */
function bindable(v: unknown): unknown {
  if (v instanceof Date) return sqliteDate(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v === undefined) return null;
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

const prepareUncached = Database.prototype.prepare as (this: BetterSqlite3.Database, sql: string) => Statement;

/** Prepared statements of one connection, by SQL text, least recently used dropped first. */
class Statements {
  private readonly cache = new Map<string, Prepared>();
  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly max = 500,
  ) {}

  get(sql: string): Prepared {
    let p = this.cache.get(sql);
    if (p) {
      this.cache.delete(sql);
    } else {
      const form = sqliteForm(sql);
      // The connection's own prepare: Prisma's adapter has it replaced by a cache of views (sqlite-statement-cache.ts).
      const statement = prepareUncached.call(this.db, form.text);
      // Prisma's adapter sets the connection to return every integer as bigint; its client turns them back into
      // numbers but for BIGINT columns, which the row builder does here. Rows come as arrays (raw mode), see shapeOf.
      if (statement.reader) statement.safeIntegers(false).raw(true);
      p = { statement, order: form.order, shape: statement.reader ? shapeOf(statement) : undefined };
      if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(sql, p);
    return p;
  }
}

function runQuery<T>(statements: Statements, sql: string, params: unknown[]): T[] {
  const p = statements.get(sql);
  const args = p.order.map((i) => bindable(params[i]));
  if (!p.statement.reader) {
    p.statement.run(...args);
    return [];
  }
  const rows = p.statement.all(...args) as unknown[][];
  return rows.map(p.shape!) as T[];
}

function runExecute(statements: Statements, sql: string, params: unknown[]): number {
  const p = statements.get(sql);
  const args = p.order.map((i) => bindable(params[i]));
  // A write with RETURNING is a reader: it changed the rows it returned.
  return p.statement.reader ? p.statement.all(...args).length : p.statement.run(...args).changes;
}

/** Runs `work` synchronously inside a promise, so a driver error is a rejection like node-postgres's. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

export function sqliteSql(db: BetterSqlite3.Database, gate: Gate): SqlStore {
  const statements = new Statements(db);
  const begin = prepareUncached.call(db, "BEGIN IMMEDIATE");
  const commit = prepareUncached.call(db, "COMMIT");
  const rollback = prepareUncached.call(db, "ROLLBACK");

  /** One statement outside a transaction: at once when the connection is free, else in its turn. */
  async function outside<T>(work: () => T): Promise<T> {
    if (gate.idle) {
      try {
        return work();
      } finally {
        await gate.settle();
      }
    }
    const leave = await gate.enter();
    try {
      return work();
    } finally {
      await leave();
    }
  }

  return {
    provider: "sqlite",
    query: <T>(sql: string, ...params: unknown[]) => outside(() => runQuery<T>(statements, sql, params)),
    execute: (sql: string, ...params: unknown[]) => outside(() => runExecute(statements, sql, params)),
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const leave = await gate.enter();
      let open = true;
      const inside = <R>(work: () => R): Promise<R> => (open ? settle(work) : Promise.reject(new TransactionClosedError()));
      const tx: Sql = {
        provider: "sqlite",
        query: <R>(sql: string, ...params: unknown[]) => inside(() => runQuery<R>(statements, sql, params)),
        execute: (sql: string, ...params: unknown[]) => inside(() => runExecute(statements, sql, params)),
      };
      let threw = false;
      try {
        begin.run();
        try {
          const out = await fn(tx);
          commit.run();
          return out;
        } catch (err) {
          threw = true;
          // A failed COMMIT can leave SQLite inside the transaction: it is rolled back before the gate opens.
          if (db.inTransaction) rollback.run();
          throw err;
        }
      } finally {
        open = false;
        // A transaction that failed reports its own error, not a failed sync of what others committed.
        await leave().catch((err: unknown) => {
          if (!threw) throw err;
        });
      }
    },
  };
}
