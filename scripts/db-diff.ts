/**
 * Writes the next migration: the SQL that takes a database built from prisma/migrations to what
 * prisma/schema.prisma describes, computed by Prisma's own schema engine (wasm build) on a scratch SQLite file.
 *   npm run db:diff -- <name>        writes prisma/migrations/<timestamp>_<name>/migration.sql
 *   npm run db:diff -- --check       exits 1 when the schema and the migrations differ
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { loadMigrations } from "../src/store/migrate.js";
import { diffMigrationsToSchema, isEmptyMigration, migrationList, openSchemaEngine } from "./lib/schema-engine.js";

const root = path.resolve(import.meta.dirname, "..");
const schemaPath = path.join(root, "prisma/schema.prisma");
const dir = path.join(root, "prisma/migrations");

const arg = process.argv[2];
if (!arg) {
  console.error("usage: db-diff <migration-name> | --check");
  process.exit(2);
}
const scratch = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-diff-"));
try {
  const { engine, schema } = await openSchemaEngine(schemaPath, new PrismaBetterSqlite3({ url: `file:${path.join(scratch, "main.db")}` }));
  const sql = await diffMigrationsToSchema(engine, schemaPath, schema, await migrationList(dir, await loadMigrations(dir)));
  const empty = isEmptyMigration(sql);
  if (arg === "--check") {
    if (!empty) {
      console.error(sql);
      process.exit(1);
    }
    console.log("migrations match schema.prisma");
  } else if (empty) {
    console.log("schema.prisma already matches the migrations; nothing written");
  } else {
    const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
    const target = path.join(dir, `${stamp}_${arg.replace(/[^a-z0-9_]+/gi, "_")}`);
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, "migration.sql"), sql);
    console.log(`wrote ${path.relative(root, target)}/migration.sql`);
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
