import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadMigrations, migrate } from "../../src/store/migrate.js";
import { pgExecutor, sqliteExecutor, type SqlExecutor } from "../../src/store/sql-executor.js";
import { createScratchDatabase, postgresReachable, type ScratchDatabase } from "../../scripts/lib/pg-scratch.js";

/**
 * The migration that lower-cases message ids stored before ids were keyed in lower case: each row follows its
 * message, twins that differ only in case keep their spelling, and what was already lower case is untouched.
 */

const root = path.resolve(import.meta.dirname, "../..");
const MIGRATION = "20261202160813_lowercase_message_ids";

const A = "4C96FB25-54B0-4560-A954-AFDEED10077B";
const B = "B63B72A3-EC7A-4D70-94F1-699EF899864F";
const TWIN = "0D8A0E7C-1B0A-4F32-9F0E-3B2C7A1E5D44";
const MIXED_TWIN = "7E1C2D3B-4A5F-4E6D-8C7B-9A0F1E2D3C4B";
const LOWER = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";

async function seed(db: SqlExecutor): Promise<void> {
  const message = (id: string, direction: string) =>
    db.query(
      `INSERT INTO "Message" ("id", "direction", "conversationId", "documentType", "process", "standard", "senderOrg", "receiverOrg", "avsenderOrg", "forretningsmelding", "status", "updatedAt")
       VALUES ($1, $2, 'c', 'digital', 'p', 's', '0192:910076787', '0192:984661185', '0192:910076787', 'jws', 'OPPRETTET', CURRENT_TIMESTAMP)`,
      [id, direction],
    );
  const status = (id: string, direction: string, s: string) =>
    db.query(`INSERT INTO "MessageStatus" ("messageDirection", "messageId", "status", "createdAt") VALUES ($1, $2, $3, CURRENT_TIMESTAMP)`, [direction, id, s]);
  const exchange = (as4: string, direction: string, id: string) =>
    db.query(`INSERT INTO "As4Exchange" ("as4MessageId", "direction", "messageId", "peerPartyId", "createdAt") VALUES ($1, $2, $3, 'POP000002', CURRENT_TIMESTAMP)`, [as4, direction, id]);

  await message(A, "OUT");
  await status(A, "OUT", "OPPRETTET");
  await status(A, "OUT", "SENDT");
  await exchange("as4-out@pop000001", "OUT", A);
  await message(B, "IN");
  await status(B, "IN", "MOTTATT");
  await exchange("as4-in@pop000002", "IN", B);
  await message(TWIN, "OUT");
  await message(TWIN.toLowerCase(), "OUT");
  await message(MIXED_TWIN, "OUT");
  await message(MIXED_TWIN.slice(0, 9).toLowerCase() + MIXED_TWIN.slice(9), "OUT");
  await status(MIXED_TWIN, "OUT", "OPPRETTET");
  await message(LOWER, "OUT");
}

async function expectMigrated(db: SqlExecutor): Promise<void> {
  const ids = (await db.query<{ direction: string; id: string }>(`SELECT "direction", "id" FROM "Message" ORDER BY "direction", "id"`)).map((r) => `${r.direction} ${r.id}`);
  expect(ids.sort()).to.deep.equal(
    [
      `OUT ${A.toLowerCase()}`,
      `IN ${B.toLowerCase()}`,
      `OUT ${TWIN}`,
      `OUT ${TWIN.toLowerCase()}`,
      `OUT ${MIXED_TWIN}`,
      `OUT ${MIXED_TWIN.slice(0, 9).toLowerCase() + MIXED_TWIN.slice(9)}`,
      `OUT ${LOWER}`,
    ].sort(),
  );
  const statuses = (await db.query<{ messageDirection: string; messageId: string; status: string }>(`SELECT "messageDirection", "messageId", "status" FROM "MessageStatus" ORDER BY "id"`)).map(
    (r) => `${r.messageDirection} ${r.messageId} ${r.status}`,
  );
  expect(statuses).to.deep.equal([`OUT ${A.toLowerCase()} OPPRETTET`, `OUT ${A.toLowerCase()} SENDT`, `IN ${B.toLowerCase()} MOTTATT`, `OUT ${MIXED_TWIN} OPPRETTET`]);
  const exchanges = (await db.query<{ direction: string; messageId: string }>(`SELECT "direction", "messageId" FROM "As4Exchange" ORDER BY "direction"`)).map((r) => `${r.direction} ${r.messageId}`);
  expect(exchanges).to.deep.equal([`IN ${B}`, `OUT ${A.toLowerCase()}`]);
}

async function runScenario(db: SqlExecutor, migrationsDir: string): Promise<void> {
  const all = await loadMigrations(migrationsDir);
  expect(all.map((m) => m.name)).to.include(MIGRATION);
  await migrate(db, all.filter((m) => m.name < MIGRATION));
  await seed(db);
  // Up to this migration: the later conversation model renames the tables (conversation-migration.test.ts).
  const result = await migrate(db, all.filter((m) => m.name <= MIGRATION));
  expect(result.applied).to.include(MIGRATION);
  await expectMigrated(db);
}

describe("store/migration: lower-case message ids", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-lower-ids-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("SQLite with foreign keys enforced (statuses follow by ON UPDATE CASCADE)", async () => {
    const db = sqliteExecutor(path.join(dir, "fk.db"));
    try {
      await runScenario(db, path.join(root, "prisma/migrations"));
    } finally {
      await db.close();
    }
  });

  it("SQLite without foreign key enforcement (statuses follow by the migration's own update)", async () => {
    const db = sqliteExecutor(path.join(dir, "nofk.db"));
    try {
      await db.exec("PRAGMA foreign_keys = OFF");
      await runScenario(db, path.join(root, "prisma/migrations"));
    } finally {
      await db.close();
    }
  });

  describe("PostgreSQL", function () {
    this.timeout(30_000);
    let scratch: ScratchDatabase | undefined;
    before(async function () {
      if (!(await postgresReachable())) this.skip();
    });
    afterEach(async () => {
      await scratch?.drop();
      scratch = undefined;
    });

    it("the same outcome", async () => {
      scratch = await createScratchDatabase("dpi_ap_lower_ids");
      const db = pgExecutor(scratch.url);
      try {
        await runScenario(db, path.join(root, "prisma/migrations-postgresql"));
      } finally {
        await db.close();
      }
    });
  });
});
