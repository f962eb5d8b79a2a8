import pg from "pg";
import { TransactionClosedError, type Sql, type SqlStore } from "./sql.js";

/**
 * The store's direct SQL on PostgreSQL (sql.ts): a pool of its own beside Prisma's, on the same database.
 * Transactions are the database's own (READ COMMITTED, as Prisma's), so the two pools' work is isolated as any
 * two clients' is.
 */

const TIMESTAMP = 1114;
const INT8 = 20;

/** Values as Prisma decodes them: a timestamp (stored in UTC, without zone) as a Date, int8 as bigint. */
function typeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === TIMESTAMP) return (s) => new Date(`${s.replace(" ", "T")}Z`);
  if (oid === INT8) return (s) => BigInt(s);
  return pg.types.getTypeParser(oid, (format ?? "text") as "text");
}

/** A parameter as Prisma binds it: a date as UTC wall time (the columns are timestamp without zone). */
function bindable(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString().slice(0, -1);
  if (v === undefined) return null;
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

async function runQuery<T>(on: Queryable, sql: string, params: unknown[]): Promise<T[]> {
  return (await on.query({ text: sql, values: params.map(bindable) })).rows as T[];
}

async function runExecute(on: Queryable, sql: string, params: unknown[]): Promise<number> {
  return (await on.query({ text: sql, values: params.map(bindable) })).rowCount ?? 0;
}

export interface PgSqlStore extends SqlStore {
  close(): Promise<void>;
}

export function pgSql(connectionString: string, max = 10): PgSqlStore {
  const pool = new pg.Pool({ connectionString, max, application_name: "dpi-ap direct sql", types: { getTypeParser: typeParser as typeof pg.types.getTypeParser } });
  // An idle client's error (the server restarted, a connection cut) must not end the process; the next query reconnects.
  pool.on("error", () => undefined);
  return {
    provider: "postgresql",
    query: <T>(sql: string, ...params: unknown[]) => runQuery<T>(pool, sql, params),
    execute: (sql: string, ...params: unknown[]) => runExecute(pool, sql, params),
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let open = true;
      const guard = () => {
        if (!open) throw new TransactionClosedError();
      };
      const tx: Sql = {
        provider: "postgresql",
        query: async <R>(sql: string, ...params: unknown[]) => (guard(), runQuery<R>(client, sql, params)),
        execute: async (sql: string, ...params: unknown[]) => (guard(), runExecute(client, sql, params)),
      };
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        try {
          const out = await fn(tx);
          await client.query("COMMIT");
          return out;
        } catch (err) {
          await client.query("ROLLBACK").catch((e: Error) => (broken = e));
          throw err;
        }
      } finally {
        open = false;
        // A connection whose ROLLBACK failed is not handed out again.
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
