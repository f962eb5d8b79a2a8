import Database from "better-sqlite3";

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
