import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createScratchDatabase } from "../../scripts/lib/pg-scratch.js";
import { openDatabase, type Db } from "../../src/store/prisma.js";

export interface TempStore {
  db: Db;
  close(): Promise<void>;
}

/** A migrated SQLite store in a fresh temp folder; close() disconnects and removes the folder. */
export async function openTempStore(prefix: string): Promise<TempStore> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  try {
    const { db } = await openDatabase(`file:${path.join(dir, "db.sqlite")}`);
    return {
      db,
      async close() {
        await db.$disconnect();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A fresh migrated store on `provider`: SQLite in a temp folder, or a scratch PostgreSQL database; with its URL. */
export async function openStoreOn(provider: "sqlite" | "postgresql", name: string): Promise<TempStore & { url: string }> {
  if (provider === "postgresql") {
    const scratch = await createScratchDatabase(`dpi_ap_${name.replace(/\W/g, "_")}`);
    try {
      const { db } = await openDatabase(scratch.url);
      return { db, url: scratch.url, close: async () => (await db.$disconnect(), await scratch.drop()) };
    } catch (err) {
      await scratch.drop();
      throw err;
    }
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), `dpi-ap-${name}-`));
  const url = `file:${path.join(dir, "db.sqlite")}`;
  try {
    const { db } = await openDatabase(url);
    return { db, url, close: async () => (await db.$disconnect(), await rm(dir, { recursive: true, force: true })) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
