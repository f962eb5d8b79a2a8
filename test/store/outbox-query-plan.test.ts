import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import { openDatabase } from "../../src/store/prisma.js";
import { dueQuery } from "../../src/store/outbox-repo.js";
import { sqliteForm } from "../../src/store/sql.js";
import { sqliteDate } from "../../src/store/sqlite-sql.js";

/**
 * The outbox claims due conversations many times a second, on a table that keeps every conversation ever sent.
 * Its query must read the due rows off an index in order and stop at the limit: a plan that sorts (a temporary
 * B-tree) walks every outgoing conversation on every claim, which grows with the table.
 */
describe("outbox claim: query plan on SQLite", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-plan-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [name, expiring, channels] of [
    ["every channel", [], undefined],
    ["some channels, letters that expire", ["digital", "print"], ["DPI", "DPO"]],
  ] as const) {
    it(`reads the due conversations off the (direction, nextAttemptAt, messageId) index without sorting: ${name}`, async () => {
      const file = path.join(dir, `${name.length}.db`);
      const opened = await openDatabase(`file:${file}`);
      await opened.db.$disconnect();
      const db = new Database(file);
      try {
        const { select, params } = dueQuery(new Date(), 8, expiring, channels);
        const form = sqliteForm(select);
        const args = form.order.map((i) => (params[i] instanceof Date ? sqliteDate(params[i] as Date) : params[i]));
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${form.text}`).all(...args) as { detail: string }[]).map((r) => r.detail);
        expect(plan).to.deep.equal(["SEARCH Conversation USING INDEX Conversation_direction_nextAttemptAt_messageId_idx (direction=? AND nextAttemptAt<?)"]);
      } finally {
        db.close();
      }
    });
  }
});
