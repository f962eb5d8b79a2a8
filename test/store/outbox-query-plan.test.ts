import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import { openDatabase } from "../../src/store/prisma.js";
import { claimUpdate, dueQuery, wakeStatement } from "../../src/store/outbox-repo.js";
import { sqliteForm } from "../../src/store/sql.js";
import { sqliteDate } from "../../src/store/sqlite-sql.js";

/**
 * The outbox claims due conversations many times a second, on a table that keeps every conversation ever sent.
 * Its query must read the due rows off an index in order and stop at the limit: a plan that sorts (a temporary
 * B-tree) walks every outgoing conversation on every claim, which grows with the table. The claim's UPDATE of the
 * candidates must find them by primary key: walking the due range instead grows with a backlog. The wake in every
 * SENDT commit must read only the peer's waiting messages, not every message in back-off.
 */
describe("outbox claim and wake: query plans on SQLite", () => {
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
        const query = dueQuery(new Date(), 8, expiring, channels);
        expect(planOf(db, query.select, query.params)).to.deep.equal(["SEARCH Conversation USING INDEX Conversation_direction_nextAttemptAt_messageId_idx (direction=? AND nextAttemptAt<?)"]);
      } finally {
        db.close();
      }
    });

    it(`claims the candidates by primary key, not by walking the due range: ${name}`, async () => {
      const file = path.join(dir, `claim-${name.length}.db`);
      const opened = await openDatabase(`file:${file}`);
      await opened.db.$disconnect();
      const db = new Database(file);
      try {
        const claim = claimUpdate("sqlite", dueQuery(new Date(), 8, expiring, channels), new Date(), new Date(), ["m-1", "m-2", "m-3"]);
        expect(planOf(db, claim.sql, claim.params)).to.deep.equal(["SEARCH Conversation USING INDEX sqlite_autoindex_Conversation_1 (direction=? AND messageId=?)"]);
      } finally {
        db.close();
      }
    });
  }

  it("wakes a peer's waiting messages off the (lastPeer, nextAttemptAt) index", async () => {
    const file = path.join(dir, "wake.db");
    const opened = await openDatabase(`file:${file}`);
    await opened.db.$disconnect();
    const db = new Database(file);
    try {
      expect(planOf(db, wakeStatement("sqlite"), [new Date(), new Date(), "https://ap.example/as4"])).to.deep.equal([
        "SEARCH Conversation USING INDEX Conversation_lastPeer_nextAttemptAt_idx (lastPeer=? AND nextAttemptAt>?)",
      ]);
    } finally {
      db.close();
    }
    expect(wakeStatement("postgresql").replace(/\s+/g, " ")).to.equal(
      `UPDATE "Conversation" SET "nextAttemptAt" = $1, "updatedAt" = $2 WHERE "direction" = 'OUT' AND "lastPeer" = $3 AND "nextAttemptAt" > $1 AND ("leaseUntil" IS NULL OR "leaseUntil" < $1)`,
    );
  });

  it("gives PostgreSQL, which plans by statistics, the due condition as the candidates' query has it", () => {
    const query = dueQuery(new Date(), 8, ["digital"], ["DPI"]);
    const claim = claimUpdate("postgresql", query, new Date(), new Date(), ["m-1"]);
    expect(claim.sql).to.equal(`UPDATE "Conversation" SET "leaseUntil" = $2, "updatedAt" = $5 WHERE ${query.due} AND "messageId" IN ($6) RETURNING *`);
    expect(query.due).to.equal(
      `"direction" = 'OUT' AND "nextAttemptAt" <= $1 AND ("leaseUntil" IS NULL OR "leaseUntil" < $1) AND "channel" IN ($3) AND ("documentType" NOT IN ($4) OR "expiry" IS NULL OR "expiry" > $1)`,
    );
  });
});

/** SQLite's plan for a statement written for the direct SQL (`$n` placeholders), one line per step. */
function planOf(db: Database.Database, sql: string, params: unknown[]): string[] {
  const form = sqliteForm(sql);
  const args = form.order.map((i) => (params[i] instanceof Date ? sqliteDate(params[i] as Date) : params[i]));
  return (db.prepare(`EXPLAIN QUERY PLAN ${form.text}`).all(...args) as { detail: string }[]).map((r) => r.detail);
}
