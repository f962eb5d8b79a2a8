import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import Database from "better-sqlite3";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { checksum, loadMigrations, migrate, MigrationError } from "../../src/store/migrate.js";
import { sqliteExecutor } from "../../src/store/sql-executor.js";
import {
  diagnoseHistory,
  diffDatabaseToSchema,
  diffMigrationsToSchema,
  isEmptyMigration,
  migrationList,
  openSchemaEngine,
} from "../../scripts/lib/schema-engine.js";

const root = path.resolve(import.meta.dirname, "../..");
const schemaPath = path.join(root, "prisma/schema.prisma");
const migrationsDir = path.join(root, "prisma/migrations");

describe("store/migrate", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-migrate-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("applies every migration once and records it in Prisma's _prisma_migrations", async () => {
    const file = path.join(dir, "a.db");
    const ms = await loadMigrations(migrationsDir);
    expect(ms.length).to.be.greaterThan(0);
    const db = sqliteExecutor(file);
    const first = await migrate(db, ms);
    const second = await migrate(db, ms);
    await db.close();
    expect(first.applied).to.deep.equal(ms.map((m) => m.name));
    expect(second.applied).to.deep.equal([]);
    expect(second.alreadyApplied).to.deep.equal(ms.map((m) => m.name));
    const rows = new Database(file).prepare(`SELECT * FROM "_prisma_migrations"`).all() as Record<string, unknown>[];
    expect(rows).to.have.length(ms.length);
    expect(rows[0]!.checksum).to.equal(checksum(ms[0]!.sql));
    expect(String(rows[0]!.finished_at)).to.match(/\+00:00$/);
    expect(rows[0]!.applied_steps_count).to.equal(1);
  });

  it("the migrations produce exactly what schema.prisma describes, and Prisma reads our history as in sync", async () => {
    const file = path.join(dir, "b.db");
    const ms = await loadMigrations(migrationsDir);
    const db = sqliteExecutor(file);
    await migrate(db, ms);
    await db.close();
    const { engine, schema } = await openSchemaEngine(schemaPath, new PrismaBetterSqlite3({ url: `file:${file}` }));
    const list = await migrationList(migrationsDir, ms);
    expect(isEmptyMigration(await diffMigrationsToSchema(engine, schemaPath, schema, list))).to.equal(true);
    expect(isEmptyMigration(await diffDatabaseToSchema(engine, schemaPath, schema, root))).to.equal(true);
    const diag = (await diagnoseHistory(engine, list)) as unknown as Record<string, unknown>;
    expect(diag).to.include({ history: null, hasMigrationsTable: true });
    expect(diag.failedMigrationNames).to.deep.equal([]);
    expect(diag.editedMigrationNames).to.deep.equal([]);
  });

  it("notices a database that drifted from schema.prisma", async () => {
    const file = path.join(dir, "c.db");
    const db = sqliteExecutor(file);
    await migrate(db, await loadMigrations(migrationsDir));
    await db.exec(`DROP INDEX "Conversation_conversationId_direction_channel_idx"`);
    await db.close();
    const { engine, schema } = await openSchemaEngine(schemaPath, new PrismaBetterSqlite3({ url: `file:${file}` }));
    const sql = await diffDatabaseToSchema(engine, schemaPath, schema, root);
    expect(sql).to.contain("Conversation_conversationId_direction_channel_idx");
  });

  it("refuses a migration edited after it was applied", async () => {
    const mdir = path.join(dir, "migrations");
    await mkdir(path.join(mdir, "001_a"), { recursive: true });
    await writeFile(path.join(mdir, "001_a/migration.sql"), `CREATE TABLE "T" ("id" INTEGER);`);
    const db = sqliteExecutor(path.join(dir, "d.db"));
    await migrate(db, await loadMigrations(mdir));
    await writeFile(path.join(mdir, "001_a/migration.sql"), `CREATE TABLE "T" ("id" TEXT);`);
    const err = await migrate(db, await loadMigrations(mdir)).catch((e: unknown) => e);
    await db.close();
    expect(err).to.be.instanceOf(MigrationError).with.property("code", "migration-edited");
  });

  it("rolls back a failing migration together with its history row", async () => {
    const mdir = path.join(dir, "migrations");
    await mkdir(path.join(mdir, "001_ok"), { recursive: true });
    await mkdir(path.join(mdir, "002_bad"), { recursive: true });
    await writeFile(path.join(mdir, "001_ok/migration.sql"), `CREATE TABLE "T" ("id" INTEGER);`);
    await writeFile(path.join(mdir, "002_bad/migration.sql"), `CREATE TABLE "U" ("id" INTEGER); CREATE TABLE "T" ("id" INTEGER);`);
    const file = path.join(dir, "e.db");
    const db = sqliteExecutor(file);
    const err = await migrate(db, await loadMigrations(mdir)).catch((e: unknown) => e);
    await db.close();
    expect(err).to.be.instanceOf(MigrationError).with.property("code", "migration-failed");
    const raw = new Database(file);
    const tables = raw.prepare(`SELECT name FROM sqlite_master WHERE type='table'`).all().map((r) => (r as { name: string }).name);
    expect(tables).to.not.include("U");
    expect(tables).to.not.include("T");
    expect(raw.prepare(`SELECT COUNT(*) AS n FROM "_prisma_migrations"`).get()).to.deep.equal({ n: 0 });
  });

  it("refuses a database that knows a migration this build does not", async () => {
    const mdir = path.join(dir, "migrations");
    await mkdir(path.join(mdir, "001_a"), { recursive: true });
    await writeFile(path.join(mdir, "001_a/migration.sql"), `CREATE TABLE "T" ("id" INTEGER);`);
    const db = sqliteExecutor(path.join(dir, "f.db"));
    await migrate(db, await loadMigrations(mdir));
    const err = await migrate(db, []).catch((e: unknown) => e);
    await db.close();
    expect(err).to.be.instanceOf(MigrationError).with.property("code", "migration-unknown");
  });
});
