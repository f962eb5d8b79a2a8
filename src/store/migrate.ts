import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { SqlExecutor } from "./sql-executor.js";

/**
 * Applies the committed SQL migrations in name order and records them in Prisma's own `_prisma_migrations`
 * table, so `prisma migrate deploy/status` stay in agreement wherever the native engine is available.
 * Prisma's CLI cannot be used at run time here: its schema engine is a download this machine may not reach.
 */

export class MigrationError extends Error {
  constructor(
    readonly code: "migration-edited" | "migration-unfinished" | "migration-failed" | "migration-unknown",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MigrationError";
  }
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

const TABLE_DDL = {
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`,
  postgresql: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`,
} as const;

export function checksum(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

/** Prisma's engine reads these as RFC 3339 with an explicit +00:00 offset, not "Z". */
function timestamp(d: Date): string {
  return d.toISOString().replace("Z", "+00:00");
}

export async function loadMigrations(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const out: MigrationFile[] = [];
  for (const name of names) {
    const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
    out.push({ name, sql, checksum: checksum(sql) });
  }
  return out;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

export async function migrate(db: SqlExecutor, migrations: MigrationFile[], now: () => Date = () => new Date()): Promise<MigrateResult> {
  // Under the migrators' lock: two PostgreSQL migrators racing on CREATE TABLE IF NOT EXISTS could otherwise
  // both try to create it, and one would fail. Its own transaction, so the table stays when a migration fails.
  await db.transaction(() => db.exec(TABLE_DDL[db.provider]));
  return db.transaction(async () => {
    const rows = await db.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`,
    );
    const done = new Map<string, AppliedRow>();
    for (const r of rows) {
      if (r.rolled_back_at != null) continue;
      if (r.finished_at == null) {
        throw new MigrationError("migration-unfinished", `migration ${r.migration_name} started but never finished; repair the database by hand`);
      }
      done.set(r.migration_name, r);
    }
    const known = new Set(migrations.map((m) => m.name));
    for (const name of done.keys()) {
      if (!known.has(name)) {
        throw new MigrationError("migration-unknown", `database has migration ${name} which this build does not know (newer version ran here?)`);
      }
    }
    const result: MigrateResult = { applied: [], alreadyApplied: [] };
    for (const m of migrations) {
      const row = done.get(m.name);
      if (row) {
        if (row.checksum !== m.checksum) {
          throw new MigrationError("migration-edited", `migration ${m.name} was edited after it was applied (checksum differs)`);
        }
        result.alreadyApplied.push(m.name);
        continue;
      }
      const started = timestamp(now());
      try {
        await db.exec(m.sql);
      } catch (err) {
        throw new MigrationError("migration-failed", `migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      await db.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, $4, $5, 1)`,
        [randomUUID(), m.checksum, timestamp(now()), m.name, started],
      );
      result.applied.push(m.name);
    }
    return result;
  });
}
