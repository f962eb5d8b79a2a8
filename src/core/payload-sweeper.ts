import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import { removeStale, type BlobStore } from "../store/blob-store.js";
import { PollingLoop } from "./polling-loop.js";

/**
 * Clears what interrupted writes leave: the blob store's unfinished writes (temporary files of the folder
 * store, uncommitted headers and chunks of the database store), AS4 spool folders that were never finished,
 * and payloads no stored message refers to (a crash between writing a payload and committing its message).
 * It runs at start-up and then every `intervalMs`, not only when the process happens to restart.
 *
 * The safety rule: only what is older than the in-flight grace goes. A write in progress — this process's,
 * or on a shared (PostgreSQL) store another process's — touches its temporary file as it writes, and a
 * finished payload is committed with its message within the request that brought it, so anything younger
 * may still be wanted. Only at start-up of a store one process owns (SQLite) is nothing in flight, and then
 * everything unreferenced can go at once (`sweep(0)`, before the server listens).
 */

/**
 * The in-flight grace: comfortably longer than any request may take (the HTTP server's request timeout is
 * 10 minutes; the AS4 answer timeout 2 minutes) plus the checks before a message is committed.
 */
export const IN_FLIGHT_GRACE_MS = 60 * 60_000;

export interface PayloadSweepDeps {
  blobs: BlobStore;
  /** Blob keys stored messages refer to. */
  referencedKeys: () => Promise<ReadonlySet<string>>;
  /** Further spool folders whose entries are all temporary (the AS4 temp folder). */
  spoolDirs: readonly string[];
  intervalMs: number;
  /** Default IN_FLIGHT_GRACE_MS. */
  graceMs?: number;
  clock: Clock;
  log: Logger;
}

export interface SweepResult {
  /** Temporary files and spool folders removed. */
  temporary: number;
  /** Payloads removed that no message refers to. */
  orphans: number;
}

export class PayloadSweeper {
  private readonly loop: PollingLoop;

  constructor(private readonly deps: PayloadSweepDeps) {
    this.loop = new PollingLoop({
      pollMs: deps.intervalMs,
      waitFirst: true,
      pass: async () => (await this.sweep(), false),
      onError: (err) => deps.log.error({ err }, "payload sweep failed"),
    });
  }

  /** Sweeps every `intervalMs`; the first sweep comes one interval after start (start-up sweeps by itself). */
  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Removes what is older than `graceMs` (everything left over for 0); returns how much went. */
  async sweep(graceMs = this.deps.graceMs ?? IN_FLIGHT_GRACE_MS): Promise<SweepResult> {
    const { deps } = this;
    const now = deps.clock();
    let temporary = await deps.blobs.sweepTemporary(now, graceMs);
    for (const dir of deps.spoolDirs) temporary += await removeStale(dir, graceMs, now.getTime());
    // The keys are read before the folder is listed: a payload committed in between is younger than the grace.
    const orphans = await deps.blobs.sweepOrphans(await deps.referencedKeys(), now, graceMs);
    if (temporary || orphans) deps.log.warn({ temporary, orphans, graceMs }, "removed files left by interrupted writes");
    return { temporary, orphans };
  }
}
