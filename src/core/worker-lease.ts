import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Clock } from "../clock.js";
import type { WorkerLeaseRepo } from "../store/worker-lease-repo.js";

/**
 * Work that runs on one instance at a time when several share a database (README, "Several instances"): a
 * scheduled poll of an external party runs once per interval across the cluster, not once per instance, and a
 * pass over shared state is not run twice at once. A pass takes the named lease for `holdMs` and renews it every
 * third of that while it runs, so a long pass keeps it and an instance that dies mid-pass loses it within
 * `holdMs`; afterwards the lease stays taken until `quietMs` after the pass began, so the next pass anywhere
 * waits for the interval. A store only one process uses is freed of leases at start-up (src/server.ts).
 */
export interface ExclusivePass {
  /** Runs `pass` when this instance gets `name`; undefined when another instance holds it. */
  run<T>(name: string, o: { holdMs: number; quietMs: number }, pass: () => Promise<T>): Promise<T | undefined>;
}

/** This process's holder name: host, process id and a random part (a restarted process is another holder). */
export const INSTANCE_NAME = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;

export function exclusivePasses(leases: WorkerLeaseRepo, clock: Clock, holder: string = INSTANCE_NAME): ExclusivePass {
  return {
    async run(name, o, pass) {
      const started = clock();
      if (!(await leases.acquire(name, holder, started, new Date(started.getTime() + o.holdMs)))) return undefined;
      const renew = setInterval(() => {
        const now = clock();
        // A failed renewal (the database away) leaves the lease to run out; the pass itself goes on.
        leases.acquire(name, holder, now, new Date(now.getTime() + o.holdMs)).catch(() => {});
      }, Math.max(1, Math.floor(o.holdMs / 3)));
      renew.unref();
      try {
        return await pass();
      } finally {
        clearInterval(renew);
        const quiet = new Date(started.getTime() + o.quietMs);
        const now = clock();
        await leases.release(name, holder, quiet > now ? quiet : now);
      }
    },
  };
}
