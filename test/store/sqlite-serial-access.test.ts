import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { openDatabase, type Db } from "../../src/store/prisma.js";
import { execute, queryRows } from "../../src/store/raw-sql.js";

/**
 * One SQLite connection serves every request: a statement outside a transaction must not run inside another
 * request's open transaction (it would read uncommitted rows, and its write would be undone by that
 * transaction's rollback although it was reported done).
 */
describe("SQLite: statements outside a transaction wait for an open one", () => {
  let dir: string;
  let db: Db;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-serial-"));
    db = (await openDatabase(`file:${path.join(dir, "ap.db")}`)).db;
  });
  afterEach(async () => {
    await db.$disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  /** A transaction that writes a row, waits `ms` and then fails (rolled back). */
  function failingTransaction(ms: number): Promise<string> {
    return db
      .$transaction(async (tx) => {
        await tx.workerLease.create({ data: { name: "inside", holder: "h", until: new Date() } });
        await new Promise((r) => setTimeout(r, ms));
        throw new Error("rolled back");
      })
      .then(
        () => "committed",
        (err: Error) => err.message,
      );
  }

  it("a read issued meanwhile does not see the transaction's uncommitted row", async () => {
    const tx = failingTransaction(150);
    await new Promise((r) => setTimeout(r, 30));
    const viaModel = (await db.workerLease.findMany()).map((r) => r.name);
    const viaRaw = (await queryRows<{ name: string }>(db, `SELECT "name" FROM "WorkerLease"`)).map((r) => r.name);
    expect(await tx).to.equal("rolled back");
    expect(viaModel).to.deep.equal([]);
    expect(viaRaw).to.deep.equal([]);
  });

  it("a write issued meanwhile survives the transaction's rollback", async () => {
    const tx = failingTransaction(150);
    await new Promise((r) => setTimeout(r, 30));
    await execute(db, `INSERT INTO "WorkerLease" ("name", "holder", "until") VALUES ($1, $2, $3)`, "outside-raw", "h", new Date());
    await db.workerLease.create({ data: { name: "outside-model", holder: "h", until: new Date() } });
    expect(await tx).to.equal("rolled back");
    const names = (await db.workerLease.findMany({ orderBy: { name: "asc" } })).map((r) => r.name);
    expect(names).to.deep.equal(["outside-model", "outside-raw"]);
  });

  it("transactions still take turns and both commit", async () => {
    const write = (name: string) =>
      db.$transaction(async (tx) => {
        await tx.workerLease.create({ data: { name, holder: "h", until: new Date() } });
        await new Promise((r) => setTimeout(r, 20));
      });
    await Promise.all([write("a"), write("b"), db.workerLease.count()]);
    expect((await db.workerLease.findMany({ orderBy: { name: "asc" } })).map((r) => r.name)).to.deep.equal(["a", "b"]);
  });
});
