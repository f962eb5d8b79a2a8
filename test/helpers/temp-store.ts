import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
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
