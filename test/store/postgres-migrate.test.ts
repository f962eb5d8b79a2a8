import path from "node:path";
import { expect } from "chai";
import pg from "pg";
import { checksum, loadMigrations, migrate, MigrationError } from "../../src/store/migrate.js";
import { pgExecutor } from "../../src/store/sql-executor.js";
import { openDatabase } from "../../src/store/prisma.js";
import { createScratchDatabase, postgresReachable, type ScratchDatabase } from "../../scripts/lib/pg-scratch.js";
import {
  diagnoseHistory,
  diffDatabaseToSchema,
  diffMigrationsToSchema,
  isEmptyMigration,
  migrationList,
  openSchemaEngine,
  postgresAdapter,
} from "../../scripts/lib/schema-engine.js";

const root = path.resolve(import.meta.dirname, "../..");
const schemaPath = path.join(root, "prisma/postgresql/schema.prisma");
const migrationsDir = path.join(root, "prisma/migrations-postgresql");

async function rows<T>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

describe("store/migrate on PostgreSQL", function () {
  this.timeout(30_000);
  let scratch: ScratchDatabase | undefined;

  before(async function () {
    if (!(await postgresReachable())) this.skip();
  });
  beforeEach(async () => {
    scratch = await createScratchDatabase("dpi_ap_migrate");
  });
  afterEach(async () => {
    await scratch?.drop();
    scratch = undefined;
  });

  it("applies every migration once and records it in Prisma's _prisma_migrations", async () => {
    const ms = await loadMigrations(migrationsDir);
    expect(ms.length).to.be.greaterThan(0);
    const db = pgExecutor(scratch!.url);
    const first = await migrate(db, ms);
    const second = await migrate(db, ms);
    await db.close();
    expect(first.applied).to.deep.equal(ms.map((m) => m.name));
    expect(second.applied).to.deep.equal([]);
    expect(second.alreadyApplied).to.deep.equal(ms.map((m) => m.name));
    const recorded = await rows<Record<string, unknown>>(scratch!.url, `SELECT * FROM "_prisma_migrations"`);
    expect(recorded).to.have.length(ms.length);
    expect(recorded[0]!.checksum).to.equal(checksum(ms[0]!.sql));
    expect(recorded[0]!.finished_at).to.be.instanceOf(Date);
    expect(recorded[0]!.applied_steps_count).to.equal(1);
  });

  it("the migrations produce exactly what the PostgreSQL schema describes, and Prisma reads our history as in sync", async () => {
    const ms = await loadMigrations(migrationsDir);
    const db = pgExecutor(scratch!.url);
    await migrate(db, ms);
    await db.close();
    const { engine, schema } = await openSchemaEngine(schemaPath, postgresAdapter(scratch!.url));
    const list = await migrationList(migrationsDir, ms);
    expect(isEmptyMigration(await diffMigrationsToSchema(engine, schemaPath, schema, list))).to.equal(true);
    expect(isEmptyMigration(await diffDatabaseToSchema(engine, schemaPath, schema, root))).to.equal(true);
    const diag = (await diagnoseHistory(engine, list)) as unknown as Record<string, unknown>;
    expect(diag).to.include({ history: null, hasMigrationsTable: true });
    expect(diag.failedMigrationNames).to.deep.equal([]);
    expect(diag.editedMigrationNames).to.deep.equal([]);
  });

  it("notices a database that drifted from the schema", async () => {
    const db = pgExecutor(scratch!.url);
    await migrate(db, await loadMigrations(migrationsDir));
    await db.exec(`DROP INDEX "Conversation_conversationId_direction_channel_idx"`);
    await db.close();
    const { engine, schema } = await openSchemaEngine(schemaPath, postgresAdapter(scratch!.url));
    expect(await diffDatabaseToSchema(engine, schemaPath, schema, root)).to.contain("Conversation_conversationId_direction_channel_idx");
  });

  it("access points starting together on one database migrate it once", async () => {
    const ms = await loadMigrations(migrationsDir);
    const executors = [pgExecutor(scratch!.url), pgExecutor(scratch!.url), pgExecutor(scratch!.url)];
    const results = await Promise.all(executors.map((e) => migrate(e, ms)));
    await Promise.all(executors.map((e) => e.close()));
    expect(results.flatMap((r) => r.applied).sort()).to.deep.equal(ms.map((m) => m.name).sort());
    const recorded = await rows<{ n: string }>(scratch!.url, `SELECT COUNT(*) AS n FROM "_prisma_migrations"`);
    expect(Number(recorded[0]!.n)).to.equal(ms.length);
  });

  it("rolls back a failing migration together with its history row", async () => {
    const ms = [
      { name: "001_ok", sql: `CREATE TABLE "T" ("id" INTEGER);`, checksum: checksum(`CREATE TABLE "T" ("id" INTEGER);`) },
      { name: "002_bad", sql: `CREATE TABLE "U" ("id" INTEGER); CREATE TABLE "T" ("id" INTEGER);`, checksum: "x" },
    ];
    const db = pgExecutor(scratch!.url);
    const err = await migrate(db, ms).catch((e: unknown) => e);
    await db.close();
    expect(err).to.be.instanceOf(MigrationError).with.property("code", "migration-failed");
    const tables = await rows<{ tablename: string }>(scratch!.url, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
    expect(tables.map((t) => t.tablename)).to.deep.equal(["_prisma_migrations"]);
    expect(await rows(scratch!.url, `SELECT * FROM "_prisma_migrations"`)).to.deep.equal([]);
  });

  it("openDatabase picks PostgreSQL by URL, migrates it and reports a store several processes may share", async () => {
    const opened = await openDatabase(scratch!.url);
    try {
      expect(opened.provider).to.equal("postgresql");
      expect(opened.singleProcess).to.equal(false);
      expect(opened.applied).to.deep.equal((await loadMigrations(migrationsDir)).map((m) => m.name));
      expect(await opened.db.conversation.count()).to.equal(0);
    } finally {
      await opened.db.$disconnect();
    }
    const again = await openDatabase(scratch!.url);
    await again.db.$disconnect();
    expect(again.applied).to.deep.equal([]);
  });
});
