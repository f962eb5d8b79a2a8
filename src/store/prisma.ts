import path from "node:path";
import { mkdir } from "node:fs/promises";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/client.js";
import { loadMigrations, migrate } from "./migrate.js";
import { sqliteExecutor } from "./sql-executor.js";

export type Db = InstanceType<typeof PrismaClient>;

const MIGRATIONS_DIR = path.resolve(import.meta.dirname, "../../prisma/migrations");

export class UnsupportedDatabaseError extends Error {
  constructor(url: string) {
    super(`unsupported database URL "${url.replace(/\/\/[^@]*@/, "//***@")}": use file:<path> (SQLite)`);
    this.name = "UnsupportedDatabaseError";
  }
}

export function sqliteFile(databaseUrl: string): string {
  if (!databaseUrl.startsWith("file:")) throw new UnsupportedDatabaseError(databaseUrl);
  return databaseUrl.slice("file:".length);
}

/** Applies pending migrations, then opens the Prisma client. */
export async function openDatabase(databaseUrl: string): Promise<{ db: Db; applied: string[] }> {
  const file = sqliteFile(databaseUrl);
  if (file !== ":memory:") await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const executor = sqliteExecutor(file);
  let applied: string[];
  try {
    applied = (await migrate(executor, await loadMigrations(MIGRATIONS_DIR))).applied;
  } finally {
    await executor.close();
  }
  const db = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }) });
  return { db, applied };
}
