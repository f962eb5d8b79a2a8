/**
 * Throw-away PostgreSQL databases for developer tooling and tests: each gets a random name on the server of
 * `serverUrl` and is dropped afterwards, so runs never share state.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

/** Where tooling and tests look for a PostgreSQL server they may create databases on. */
export const DEFAULT_POSTGRES_URL = process.env.DPI_AP_SCRATCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export interface ScratchDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** The same server URL pointed at another database. */
export function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** True when a server answers at `serverUrl` (tests skip otherwise). */
export async function postgresReachable(serverUrl = DEFAULT_POSTGRES_URL): Promise<boolean> {
  const c = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

async function admin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createScratchDatabase(prefix = "dpi_ap_scratch", serverUrl = DEFAULT_POSTGRES_URL): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    url: withDatabase(serverUrl, name),
    // FORCE: a pool a test forgot to close must not leave the database behind.
    drop: () => admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}
