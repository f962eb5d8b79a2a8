import type { Db } from "./prisma.js";
import { isDriverUniqueViolation, sqlOf, type SqlStore } from "./sql.js";

/**
 * Named leases in the store (WorkerLease), shared by every instance on one database: taking one is a single
 * conditional UPDATE (or the INSERT of a new name), so two instances cannot both hold it. On PostgreSQL the
 * second UPDATE waits for the first's row lock and then sees the lease taken; SQLite has one writer anyway.
 * Leases are taken on every tick of the workers that use them, so they are SQL of our own (sql.ts).
 */
export class WorkerLeaseRepo {
  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.sql = sqlOf(db);
  }

  /** Takes `name` for `holder` until `until` when it is free at `now` (run out, or `holder`'s own). */
  async acquire(name: string, holder: string, now: Date, until: Date): Promise<boolean> {
    const taken = await this.sql.execute(`UPDATE "WorkerLease" SET "holder" = $1, "until" = $2 WHERE "name" = $3 AND ("until" <= $4 OR "holder" = $1)`, holder, until, name, now);
    if (taken === 1) return true;
    try {
      await this.sql.execute(`INSERT INTO "WorkerLease" ("name", "holder", "until") VALUES ($1, $2, $3)`, name, holder, until);
      return true;
    } catch (e) {
      // Another instance created it first (or holds it): not ours this time.
      if (isDriverUniqueViolation(e)) return false;
      throw e;
    }
  }

  /** Sets when `name` is free again, if `holder` still holds it. */
  async release(name: string, holder: string, until: Date): Promise<void> {
    await this.sql.execute(`UPDATE "WorkerLease" SET "until" = $1 WHERE "name" = $2 AND "holder" = $3`, until, name, holder);
  }

  /** Deletes every lease (a store only this process uses, at start-up); how many there were. */
  async releaseAll(): Promise<number> {
    return this.sql.execute(`DELETE FROM "WorkerLease"`);
  }

  async get(name: string): Promise<{ holder: string; until: Date } | null> {
    const [row] = await this.sql.query<{ holder: string; until: Date }>(`SELECT "holder", "until" FROM "WorkerLease" WHERE "name" = $1`, name);
    return row ?? null;
  }
}
