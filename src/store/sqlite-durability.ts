import { open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

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
 * caller that finds nothing pending waits for nothing.
 *
 * A sync that fails is final: after a failed fdatasync Linux may mark the unwritten pages clean, so a later sync
 * that succeeds proves nothing about them. Every caller from then on fails with CommitNotDurableError, and
 * `onFailure` is told once; the access point stops there (app.ts), as PostgreSQL does, and SQLite recovers its
 * log at the next start. Its callers must not act on the failure as on a rolled-back transaction: the commit
 * itself happened.
 */

/** What was committed may not be on disk, because syncing the write-ahead log failed. */
export class CommitNotDurableError extends Error {
  readonly code = "COMMIT_NOT_DURABLE";
  constructor(cause: unknown) {
    super(`the database's write-ahead log could not be synced: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = "CommitNotDurableError";
  }
}
export class CommitDurability {
  /** Commits seen (a change of the connection's change counter between two releases counts as one). */
  private committed = 0;
  private durable = 0;
  private lastChanges: number;
  private syncing: Promise<void> | undefined;
  private syncs = 0;
  private failure: CommitNotDurableError | undefined;

  constructor(
    /** The connection's total_changes(): grows with every row written. */
    private readonly changes: () => number,
    /** Makes what was written to the log so far durable. */
    private readonly sync: () => Promise<void>,
    /** Told once, synchronously, when a sync fails, before anyone waiting hears of it. */
    private readonly onFailure?: (err: CommitNotDurableError) => void,
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
      if (this.failure) throw this.failure;
      this.syncing ??= this.runSync().finally(() => (this.syncing = undefined));
      await this.syncing;
    }
  }

  private async runSync(): Promise<void> {
    // Covers every commit made so far; those made while it runs wait for the next one.
    const target = this.committed;
    this.syncs += 1;
    try {
      await this.sync();
    } catch (err) {
      this.failure ??= new CommitNotDurableError(err);
      this.onFailure?.(this.failure);
      throw this.failure;
    }
    if (target > this.durable) this.durable = target;
  }
}

/**
 * fdatasync of the database's write-ahead log, on the thread pool. `databaseFile` must be the real path (no
 * symbolic link): SQLite puts the log beside the file a link points to. The log is opened at the first sync and
 * kept: SQLite removes it only when the last connection to the database closes, and the store's own connection
 * stays open as long as this is used. A sync runs only after a commit, so the log is there by then: a missing one
 * is an error, not "nothing to sync". At the first sync the folder is synced too, as SQLite does for a new log
 * (the log is made anew at each start).
 */
export function walSync(databaseFile: string): { sync: () => Promise<void>; close: () => Promise<void> } {
  const wal = `${databaseFile}-wal`;
  let handle: FileHandle | undefined;
  return {
    async sync() {
      if (!handle) {
        handle = await open(wal, "r");
        const folder = await open(dirname(wal), "r");
        try {
          await folder.sync();
        } finally {
          await folder.close();
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
