import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openDatabase } from "../../src/store/prisma.js";
import { sqlOf } from "../../src/store/sql.js";

/**
 * SQLite would run a database it finds in WAL mode with synchronous=NORMAL (better-sqlite3 is built with
 * SQLITE_DEFAULT_WAL_SYNCHRONOUS=1), where a power loss can undo the last commits. A letter answered with a
 * receipt or a 201 must survive that, so the store sets FULL unless told otherwise.
 */
describe("store: SQLite synchronous setting", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-sync-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function synchronousOf(options: Parameters<typeof openDatabase>[1]): Promise<number> {
    // Opened twice: the second time SQLite finds the file already in WAL mode, where it would pick NORMAL.
    const url = `file:${path.join(dir, "db.sqlite")}`;
    await (await openDatabase(url, options)).db.$disconnect();
    const { db } = await openDatabase(url, options);
    try {
      const [row] = await sqlOf(db).query<{ synchronous: number | bigint }>("PRAGMA synchronous");
      return Number(row!.synchronous);
    } finally {
      await db.$disconnect();
    }
  }

  it("is FULL (2) by default, also on a database already in WAL mode", async () => {
    expect(await synchronousOf({})).to.equal(2);
  });

  it('is NORMAL (1) with sqliteSynchronous "normal"', async () => {
    expect(await synchronousOf({ sqliteSynchronous: "normal" })).to.equal(1);
  });
});
