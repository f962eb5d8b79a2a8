import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { openDatabase, SQLITE_CACHE_SIZE } from "../../src/store/prisma.js";
import { sqlOf } from "../../src/store/sql.js";

/** What the store's one SQLite connection may hold in memory (issue #17: peak RSS per access point). */
describe("store: the SQLite connection's memory", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-sqlite-memory-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("has SQLite's own 2 MB page cache, not better-sqlite3's 16 MB, and maps none of the file", async () => {
    expect(SQLITE_CACHE_SIZE).to.equal(-2000);
    const opened = await openDatabase(`file:${path.join(dir, "ap.db")}`);
    try {
      const sql = sqlOf(opened.db);
      expect(await sql.query(`PRAGMA cache_size`)).to.deep.equal([{ cache_size: -2000 }]);
      expect(await sql.query(`PRAGMA mmap_size`)).to.deep.equal([{ mmap_size: 0 }]);
    } finally {
      await opened.db.$disconnect();
    }
  });
});
