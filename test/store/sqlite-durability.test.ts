import { expect } from "chai";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openDatabase } from "../../src/store/prisma.js";
import { sqlOf } from "../../src/store/sql.js";
import Database from "better-sqlite3";
import { symlink } from "node:fs/promises";
import { CommitDurability, CommitNotDurableError } from "../../src/store/sqlite-durability.js";
import { Gate } from "../../src/store/sqlite-serial-access.js";
import { sqliteSql } from "../../src/store/sqlite-sql.js";

/** A sync that finishes when the test says so, counting how often it was started. */
function manualSync() {
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  return {
    started: () => pending.length,
    sync: () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })),
    finish: (i: number) => pending[i]!.resolve(),
    fail: (i: number, e: Error) => pending[i]!.reject(e),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("store: durable commits (sqlite-durability.ts)", () => {
  describe("the gate with commit durability", () => {
    let changes: number;
    let s: ReturnType<typeof manualSync>;
    let gate: Gate;
    beforeEach(() => {
      changes = 0;
      s = manualSync();
      gate = new Gate();
      gate.syncCommits(new CommitDurability(() => changes, s.sync));
    });

    /** Holds the gate, writes `rows` rows, lets go; resolves when the gate says what it did is on disk. */
    async function use(rows: number): Promise<void> {
      const leave = await gate.enter();
      changes += rows;
      await leave();
    }

    it("a write's caller goes on only after the log sync that covers it", async () => {
      let done = false;
      const w = use(1).then(() => (done = true));
      await tick();
      expect([s.started(), done, gate.idle]).to.deep.equal([1, false, false]);
      s.finish(0);
      await w;
      expect([done, gate.idle]).to.deep.equal([true, true]);
    });

    it("a reader that came after an unsynced write waits for the sync too, though it wrote nothing", async () => {
      const w = use(1);
      await tick();
      let read = false;
      const r = use(0).then(() => (read = true));
      await tick();
      expect(read).to.equal(false);
      s.finish(0);
      await Promise.all([w, r]);
      expect([read, s.started()]).to.deep.equal([true, 1]);
    });

    it("writes made while a sync runs share the next one", async () => {
      const first = use(1);
      await tick();
      const more = [use(1), use(2), use(1)];
      await tick();
      expect(s.started()).to.equal(1);
      s.finish(0);
      await first;
      await tick();
      expect(s.started()).to.equal(2);
      s.finish(1);
      await Promise.all(more);
      expect(s.started()).to.equal(2);
    });

    it("nothing written, nothing synced: the caller goes on at once", async () => {
      await use(0);
      await use(0);
      expect(s.started()).to.equal(0);
    });

    it("a failed sync is final: those waiting and everyone after fail with CommitNotDurableError, and it is told once", async () => {
      const told: Error[] = [];
      gate = new Gate();
      gate.syncCommits(new CommitDurability(() => changes, s.sync, (e) => told.push(e)));
      const w = use(1);
      await tick();
      s.fail(0, new Error("EIO: i/o error, fdatasync"));
      const err = await w.catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CommitNotDurableError);
      expect((err as Error).message).to.equal("the database's write-ahead log could not be synced: EIO: i/o error, fdatasync");
      // A later sync that succeeds would prove nothing about the pages the failed one did not write.
      const later = await use(0).catch((e: unknown) => e);
      expect(later).to.equal(err);
      expect(s.started()).to.equal(1);
      expect(told).to.deep.equal([err]);
      // The gate itself is not held: the next one gets in (and learns of the failure when it leaves).
      const leave = await gate.enter();
      expect(await leave().catch((e: unknown) => e)).to.equal(err);
    });

    it("a holder whose change count cannot be read (the connection closed) still lets the next one in", async () => {
      const closed = new Gate();
      closed.syncCommits(new CommitDurability(() => (changes === -1 ? (() => { throw new TypeError("The database connection is not open"); })() : changes), s.sync));
      changes = -1;
      for (let i = 0; i < 2; i++) {
        const leave = await closed.enter();
        expect(((await leave().catch((e: unknown) => e)) as Error).message).to.equal("The database connection is not open");
      }
    });
  });

  describe("the SQLite store", () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-durable-"));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("by default syncs the write-ahead log for its commits, several commits to a sync when they come together", async () => {
      const file = path.join(dir, "db.sqlite");
      const opened = await openDatabase(`file:${file}`);
      try {
        const sql = sqlOf(opened.db);
        // SQLite itself only syncs at checkpoints; the store's group commit does the rest.
        expect(await sql.query(`PRAGMA synchronous`)).to.deep.equal([{ synchronous: 1 }]);
        const before = opened.commitSyncs!();
        await sql.execute(`INSERT INTO "WorkerLease" ("name", "holder", "until") VALUES ($1, $2, $3)`, "w-0", "h", new Date());
        const one = opened.commitSyncs!();
        expect([one.commits - before.commits, one.syncs - before.syncs]).to.deep.equal([1, 1]);
        expect(existsSync(`${file}-wal`)).to.equal(true);
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            sql.transaction(async (tx) => {
              await tx.execute(`INSERT INTO "WorkerLease" ("name", "holder", "until") VALUES ($1, $2, $3)`, `w-${i + 1}`, "h", new Date());
            }),
          ),
        );
        const after = opened.commitSyncs!();
        expect(after.commits - one.commits).to.equal(20);
        expect(after.syncs - one.syncs).to.be.within(1, 10);
        expect(await sql.query(`SELECT count(*) AS n FROM "WorkerLease"`)).to.deep.equal([{ n: 21 }]);
      } finally {
        await opened.db.$disconnect();
      }
    });

    it("a transaction that fails keeps its own error when the sync fails; one that committed reports the failed sync", async () => {
      const db = new Database(path.join(dir, "raw.sqlite"));
      try {
        db.pragma("journal_mode = WAL");
        db.exec(`CREATE TABLE t (a INTEGER PRIMARY KEY)`);
        const changes = db.prepare("SELECT total_changes()").pluck();
        const gate = new Gate();
        gate.syncCommits(new CommitDurability(() => changes.get() as number, async () => Promise.reject(new Error("ENOSPC: no space left on device, fdatasync"))));
        const sql = sqliteSql(db, gate);
        const committed = await sql.transaction((tx) => tx.execute(`INSERT INTO t VALUES (1)`)).catch((e: unknown) => e);
        expect(committed).to.be.instanceOf(CommitNotDurableError);
        const own = await sql
          .transaction(async (tx) => {
            await tx.execute(`INSERT INTO t VALUES (2)`);
            throw new Error("refused by the handler");
          })
          .catch((e: unknown) => e);
        expect((own as Error).message).to.equal("refused by the handler");
      } finally {
        db.close();
      }
    });

    it("opened through a symbolic link, syncs the log beside the real file", async () => {
      const real = path.join(dir, "real");
      await openDatabase(`file:${path.join(real, "db.sqlite")}`).then((o) => o.db.$disconnect());
      await symlink(path.join(real, "db.sqlite"), path.join(dir, "link.sqlite"));
      const opened = await openDatabase(`file:${path.join(dir, "link.sqlite")}`);
      try {
        await sqlOf(opened.db).execute(`INSERT INTO "WorkerLease" ("name", "holder", "until") VALUES ($1, $2, $3)`, "w", "h", new Date());
        expect(opened.commitSyncs!().syncs).to.equal(1);
        expect([existsSync(path.join(real, "db.sqlite-wal")), existsSync(path.join(dir, "link.sqlite-wal"))]).to.deep.equal([true, false]);
      } finally {
        await opened.db.$disconnect();
      }
    });

    it("after $disconnect, statements fail instead of waiting for ever", async () => {
      const opened = await openDatabase(`file:${path.join(dir, "db.sqlite")}`);
      const sql = sqlOf(opened.db);
      await opened.db.$disconnect();
      for (let i = 0; i < 2; i++) {
        const err = await Promise.race([
          sql.transaction((tx) => tx.execute(`DELETE FROM "WorkerLease"`)).then(() => "resolved", (e: unknown) => e),
          new Promise((r) => setTimeout(() => r("still waiting after 5 s"), 5000)),
        ]);
        expect(err).to.be.instanceOf(Error);
      }
    });

    it('with sqliteSynchronous "normal" leaves the syncing to SQLite\'s checkpoints', async () => {
      const opened = await openDatabase(`file:${path.join(dir, "db.sqlite")}`, { sqliteSynchronous: "normal" });
      try {
        expect(opened.commitSyncs).to.equal(undefined);
        expect(await sqlOf(opened.db).query(`PRAGMA synchronous`)).to.deep.equal([{ synchronous: 1 }]);
      } finally {
        await opened.db.$disconnect();
      }
    });
  });
});
