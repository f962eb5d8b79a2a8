import { randomBytes } from "node:crypto";
import pg from "pg";
import { sampleProcess } from "./proc-stats.js";

/**
 * The bench's PostgreSQL side (issue #20): a fresh database per corner for each run, dropped afterwards, and
 * the CPU time of the server processes that serve those databases, which would otherwise be work of the
 * access points that no figure shows.
 */

/** The same server URL pointed at another database. Pure. */
export function databaseUrl(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

async function admin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000, application_name: "dpi-ap bench" });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new empty database named `<prefix>_<random>`; the access points migrate it when they start. */
export async function createBenchDatabase(serverUrl: string, prefix: string): Promise<BenchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    url: databaseUrl(serverUrl, name),
    // FORCE: an instance killed mid-run may leave a session behind.
    drop: () => admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}

/** Application name of the bench's own connections, which are left out of the server's CPU figure. */
export const BENCH_APPLICATION_NAME = "dpi-ap bench";

/**
 * Sums the CPU time of the server's backend processes connected to `databases` (read from /proc, so only when
 * the server runs on this machine). A backend first seen mid-window counts from zero (it started in it); one
 * that ended counts up to its last sample, at most a refresh interval short.
 */
export class PgServerCpu {
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** pid → CPU seconds at the window's start (0 for backends that appeared later) and at the last sample. */
  private readonly backends = new Map<number, { first: number; last: number }>();
  private seen = false;

  constructor(
    private readonly serverUrl: string,
    private readonly databases: readonly string[],
    private readonly refreshMs = 1000,
  ) {}

  private async pids(): Promise<number[]> {
    this.client ??= await (async () => {
      const c = new pg.Client({ connectionString: this.serverUrl, application_name: BENCH_APPLICATION_NAME });
      await c.connect();
      return c;
    })();
    const r = await this.client.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = ANY($1) AND backend_type = 'client backend' AND application_name <> $2",
      [this.databases, BENCH_APPLICATION_NAME],
    );
    return r.rows.map((row) => row.pid);
  }

  private async sample(initial: boolean): Promise<void> {
    for (const pid of await this.pids()) {
      const cpu = sampleProcess(pid)?.cpuSeconds;
      if (cpu === undefined) continue;
      this.seen = true;
      const known = this.backends.get(pid);
      if (known) known.last = cpu;
      else this.backends.set(pid, { first: initial ? cpu : 0, last: cpu });
    }
    // Backends that ended keep their last sample.
  }

  /** Starts a window; false when the server's processes cannot be read (another machine, no /proc). */
  async start(): Promise<boolean> {
    this.backends.clear();
    this.seen = false;
    await this.sample(true);
    this.timer = setInterval(() => void this.sample(false).catch(() => {}), this.refreshMs);
    this.timer.unref();
    return this.seen;
  }

  /** Ends the window: CPU seconds spent in it, undefined when nothing could be read. */
  async stop(): Promise<number | undefined> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sample(false).catch(() => {});
    if (!this.seen) return undefined;
    let sum = 0;
    for (const b of this.backends.values()) sum += b.last - b.first;
    return sum;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.client?.end().catch(() => {});
    this.client = undefined;
  }
}
