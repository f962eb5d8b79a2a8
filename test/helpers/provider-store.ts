import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createScratchDatabase, postgresReachable } from "../../scripts/lib/pg-scratch.js";
import { openDatabase, type DatabaseProvider, type Db } from "../../src/store/prisma.js";

/**
 * A migrated store of either provider for one test: SQLite in a temp folder, or a scratch PostgreSQL
 * database dropped on close. `skipWithoutPostgres` in a `before` hook skips a PostgreSQL suite when no server
 * answers (scripts/lib/pg-scratch.ts says where it looks).
 */

export const PROVIDERS: readonly DatabaseProvider[] = ["sqlite", "postgresql"];

export interface ProviderStore {
  db: Db;
  /** Another client on the same database (a second process); closed with the store. */
  connect(): Promise<Db>;
  close(): Promise<void>;
}

export async function openProviderStore(provider: DatabaseProvider, prefix: string): Promise<ProviderStore> {
  let url: string;
  let remove: () => Promise<void>;
  if (provider === "postgresql") {
    const scratch = await createScratchDatabase(prefix.replace(/[^a-z0-9_]/gi, "_"));
    url = scratch.url;
    remove = () => scratch.drop();
  } else {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    url = `file:${path.join(dir, "db.sqlite")}`;
    remove = () => rm(dir, { recursive: true, force: true });
  }
  const clients: Db[] = [];
  const connect = async () => {
    const { db } = await openDatabase(url);
    clients.push(db);
    return db;
  };
  try {
    const db = await connect();
    return {
      db,
      connect,
      async close() {
        for (const c of clients.splice(0)) await c.$disconnect();
        await remove();
      },
    };
  } catch (err) {
    await remove();
    throw err;
  }
}

export async function skipWithoutPostgres(this: Mocha.Context, provider: DatabaseProvider): Promise<void> {
  if (provider === "postgresql" && !(await postgresReachable())) this.skip();
}
