import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import { openDatabase } from "../../src/store/prisma.js";
import { dueMailsQuery } from "../../src/store/dpf-mail-repo.js";
import { claimCondition } from "../../src/store/status-reply-repo.js";
import { sqliteForm } from "../../src/store/sql.js";
import { sqliteDate } from "../../src/store/sqlite-sql.js";

/**
 * The DPF mail and status reply workers claim on every tick, on tables that keep every mail and reply ever sent.
 * Their queries must read the due rows, and their claims the candidates by id, not walk what was sent before or
 * everything due.
 */
describe("worker claims: query plans on SQLite", () => {
  let dir: string;
  let db: Database.Database;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-plan-"));
    const file = path.join(dir, "plan.db");
    await openDatabase(`file:${file}`).then((o) => o.db.$disconnect());
    db = new Database(file);
  });
  after(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** SQLite's plan for a statement written for the direct SQL (`$n` placeholders), one line per step. */
  function planOf(sql: string, params: unknown[]): string[] {
    const form = sqliteForm(sql);
    const args = form.order.map((i) => (params[i] instanceof Date ? sqliteDate(params[i] as Date) : params[i]));
    return (db.prepare(`EXPLAIN QUERY PLAN ${form.text}`).all(...args) as { detail: string }[]).map((r) => r.detail);
  }

  it("DPF mail: reads the due mails off the nextAttemptAt index and sorts only those, instead of walking the table in id order", () => {
    expect(planOf(dueMailsQuery("sqlite"), [new Date(), 10])).to.deep.equal(["SEARCH DpfMail USING INDEX DpfMail_nextAttemptAt_idx (nextAttemptAt<?)", "USE TEMP B-TREE FOR ORDER BY"]);
    expect(dueMailsQuery("postgresql")).to.equal(
      `SELECT "id" FROM "DpfMail" WHERE "sentAt" IS NULL AND "nextAttemptAt" <= $1 AND ("leaseUntil" IS NULL OR "leaseUntil" < $1) ORDER BY "id" LIMIT $2`,
    );
  });

  it("status replies: the claim finds its candidates by id, not by walking the channel's due range", () => {
    const claim = `UPDATE "StatusReply" SET "leaseUntil" = $3 WHERE ${claimCondition("sqlite")} AND "id" IN ($4, $5) RETURNING *`;
    expect(planOf(claim, ["DPO", new Date(), new Date(), 1, 2])).to.deep.equal(["SEARCH StatusReply USING INTEGER PRIMARY KEY (rowid=?)"]);
    expect(claimCondition("postgresql")).to.equal(`"channel" = $1 AND "sentAt" IS NULL AND "nextAttemptAt" <= $2 AND ("leaseUntil" IS NULL OR "leaseUntil" < $2)`);
  });
});
