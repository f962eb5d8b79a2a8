import { open, type FileHandle } from "node:fs/promises";

/**
 * Group commit for the one SQLite connection (DPI_AP_SQLITE_SYNCHRONOUS=full).
 *
 * SQLite's own synchronous=FULL syncs the write-ahead log inside every COMMIT: better-sqlite3 runs it on the
 * event loop, which then stands still for the sync (about 0.6 ms here, some nine times per letter), and two
 * commits never share one. Instead the connection runs with synchronous=NORMAL (SQLite writes the log, syncs it
 * only at checkpoints, and stays consistent) and this class makes the log durable off the event loop, with one
 * sync for every commit made while the previous sync ran.
 *
 * Nothing may be answered on the strength of a commit that is not yet on disk: not the commit's own caller, and
 * not a later caller that read what it wrote. So everyone who used the connection (the gate in
 * sqlite-serial-access.ts asks at each release) waits until every commit made before it let go is synced. A
 * caller that finds nothing pending waits for nothing; a sync that fails fails everyone waiting on it, and the
 * next caller tries again.
 */
export class CommitDurability {
  /** Commits seen (a change of the connection's change counter between two releases counts as one). */
  private committed = 0;
  private durable = 0;
  private lastChanges: number;
  private syncing: Promise<void> | undefined;
  private syncs = 0;

  constructor(
    /** The connection's total_changes(): grows with every row written. */
    private readonly changes: () => number,
    /** Makes what was written to the log so far durable. */
    private readonly sync: () => Promise<void>,
  ) {
    this.lastChanges = changes();
  }

  /** Nothing written is waiting for its sync. */
  get settled(): boolean {
    return this.durable === this.committed;
  }

  /** Commits counted and syncs run, for metrics and tests. */
  stats(): { commits: number; syncs: number } {
    return { commits: this.committed, syncs: this.syncs };
  }

  /**
   * Called by whoever held the connection, before it lets the next one in: notes a write it made, and returns
   * the point its result depends on (every commit so far).
   */
  mark(): number {
    const n = this.changes();
    if (n !== this.lastChanges) {
      this.lastChanges = n;
      this.committed += 1;
    }
    return this.committed;
  }

  /** Resolves once every commit up to `point` is durable. */
  async until(point: number): Promise<void> {
    while (this.durable < point) {
      this.syncing ??= this.runSync().finally(() => (this.syncing = undefined));
      await this.syncing;
    }
  }

  private async runSync(): Promise<void> {
    // Covers every commit made so far; those made while it runs wait for the next one.
    const target = this.committed;
    this.syncs += 1;
    await this.sync();
    if (target > this.durable) this.durable = target;
  }
}

/**
 * fdatasync of the database's write-ahead log, on the thread pool. The log is opened at the first sync and kept:
 * SQLite removes it only when the last connection to the database closes, and the store's own connection stays
 * open as long as this is used. Before anything is written there may be no log, and nothing to sync.
 */
export function walSync(databaseFile: string): { sync: () => Promise<void>; close: () => Promise<void> } {
  const wal = `${databaseFile}-wal`;
  let handle: FileHandle | undefined;
  return {
    async sync() {
      if (!handle) {
        try {
          handle = await open(wal, "r");
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
          throw err;
        }
      }
      await handle.datasync();
    },
    async close() {
      await handle?.close();
      handle = undefined;
    },
  };
}
