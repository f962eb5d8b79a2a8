import Database from "better-sqlite3";
import type pg from "pg";
import { loadModule } from "../lazy-module.js";

/**
 * The few raw-SQL operations the migration runner needs, over either driver. Prisma's client cannot run
 * multi-statement DDL scripts, so migrations go through the driver directly.
 */
export interface SqlExecutor {
  readonly provider: "sqlite" | "postgresql";
  exec(script: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs fn in one transaction that also holds the database's write lock (one migrator at a time). */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function sqliteExecutor(file: string): SqlExecutor {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 10000");
  // Positional "$1" placeholders keep the runner's SQL identical for both providers.
  const toSqlite = (sql: string) => sql.replace(/\$\d+/g, "?");
  return {
    provider: "sqlite",
    async exec(script) {
      db.exec(script);
    },
    async query<T>(sql: string, params: unknown[] = []) {
      const stmt = db.prepare(toSqlite(sql));
      if (stmt.reader) return stmt.all(...params) as T[];
      stmt.run(...params);
      return [];
    },
    async transaction(fn) {
      db.exec("BEGIN IMMEDIATE");
      try {
        const out = await fn();
        db.exec("COMMIT");
        return out;
      } catch (err) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw err;
      }
    },
    async close() {
      db.close();
    },
  };
}

/** Key of the advisory lock migrators take on PostgreSQL (any constant shared by every version of this program). */
const MIGRATION_LOCK_KEY = 0x64706961; // "dpia"

/**
 * One connection (not a pool): the runner's statements must all run inside its one transaction. The
 * transaction-scoped advisory lock makes concurrent migrators (several access points starting on one database)
 * wait for each other; it is released by COMMIT or ROLLBACK.
 */
export function pgExecutor(connectionString: string): SqlExecutor {
  let client: pg.Client | undefined;
  let connected: Promise<pg.Client> | undefined;
  // node-postgres is loaded on first use, so a SQLite access point, which never migrates PostgreSQL, never holds it.
  const ready = () =>
    (connected ??= loadModule(() => import("pg"), "pg").then(async ({ Client }) => {
      client = new Client({ connectionString });
      await client.connect();
      return client;
    }));
  return {
    provider: "postgresql",
    async exec(script) {
      // Without parameters node-postgres uses the simple query protocol, which accepts several statements.
      await (await ready()).query(script);
    },
    async query<T>(sql: string, params: unknown[] = []) {
      return (await (await ready()).query(sql, params)).rows as T[];
    },
    async transaction(fn) {
      const c = await ready();
      await c.query("BEGIN");
      try {
        await c.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
        const out = await fn();
        await c.query("COMMIT");
        return out;
      } catch (err) {
        await c.query("ROLLBACK").catch(() => {});
        throw err;
      }
    },
    async close() {
      // A client exists once node-postgres loaded; it is ended even when connecting failed, as before.
      if (client) await client.end();
    },
  };
}
