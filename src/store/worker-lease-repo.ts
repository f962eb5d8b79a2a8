import type { Db } from "./prisma.js";

/**
 * Named leases in the store (WorkerLease), shared by every instance on one database: taking one is a single
 * conditional UPDATE (or the INSERT of a new name), so two instances cannot both hold it. On PostgreSQL the
 * second UPDATE waits for the first's row lock and then sees the lease taken; SQLite has one writer anyway.
 */
export class WorkerLeaseRepo {
  constructor(private readonly db: Db) {}

  /** Takes `name` for `holder` until `until` when it is free at `now` (run out, or `holder`'s own). */
  async acquire(name: string, holder: string, now: Date, until: Date): Promise<boolean> {
    const { count } = await this.db.workerLease.updateMany({ where: { name, OR: [{ until: { lte: now } }, { holder }] }, data: { holder, until } });
    if (count === 1) return true;
    try {
      await this.db.workerLease.create({ data: { name, holder, until } });
      return true;
    } catch (e) {
      // Another instance created it first (or holds it): not ours this time.
      if ((e as { code?: string }).code === "P2002") return false;
      throw e;
    }
  }

  /** Sets when `name` is free again, if `holder` still holds it. */
  async release(name: string, holder: string, until: Date): Promise<void> {
    await this.db.workerLease.updateMany({ where: { name, holder }, data: { until } });
  }

  /** Deletes every lease (a store only this process uses, at start-up); how many there were. */
  async releaseAll(): Promise<number> {
    return (await this.db.workerLease.deleteMany({})).count;
  }

  async get(name: string): Promise<{ holder: string; until: Date } | null> {
    return this.db.workerLease.findUnique({ where: { name }, select: { holder: true, until: true } });
  }
}
