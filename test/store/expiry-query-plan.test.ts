import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import { openDatabase } from "../../src/store/prisma.js";
import { overdueQuery } from "../../src/store/outbox-repo.js";
import { sqliteForm } from "../../src/store/sql.js";
import { sqliteDate } from "../../src/store/sqlite-sql.js";

/**
 * The expiry sweep runs on a timer over a table that keeps every conversation ever sent. Its query must read the
 * unfinished outgoing conversations whose expiry passed off an index in expiry order and stop at the limit: a plan
 * that sorts (a temporary B-tree) reads every outgoing conversation on every sweep.
 */
describe("expiry sweep: query plan on SQLite", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-plan-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const letterTypes of [["digital"], ["digital", "print", "fysisk"]]) {
    it(`reads the overdue letters off the (direction, finished, expiry) index without sorting: ${letterTypes.length} letter type(s)`, async () => {
      const file = path.join(dir, `${letterTypes.length}.db`);
      const opened = await openDatabase(`file:${file}`);
      await opened.db.$disconnect();
      const db = new Database(file);
      try {
        const { select, params } = overdueQuery(new Date(), letterTypes, 100);
        const form = sqliteForm(select);
        const bound = (v: unknown) => (v instanceof Date ? sqliteDate(v) : typeof v === "boolean" ? Number(v) : v);
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${form.text}`).all(...form.order.map((i) => bound(params[i]))) as { detail: string }[]).map((r) => r.detail);
        expect(plan).to.deep.equal(["SEARCH Conversation USING INDEX Conversation_direction_finished_expiry_idx (direction=? AND finished=? AND expiry<?)"]);
      } finally {
        db.close();
      }
    });
  }
});
