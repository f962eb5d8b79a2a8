import { expect } from "chai";
import pg from "pg";
import { MAX_NAMED_STATEMENTS, pgSql, StatementNames, type PgSqlStore } from "../../src/store/pg-sql.js";
import { createScratchDatabase, postgresReachable, type ScratchDatabase } from "../../scripts/lib/pg-scratch.js";

/**
 * The direct SQL on PostgreSQL prepares its statements by name (pg-sql.ts): each text keeps one name, a capped
 * number of texts get one, and a table changed under a prepared statement (another instance's migration) makes
 * the statements prepared again instead of failing for the rest of the process's life.
 */
describe("PostgreSQL direct SQL: statements prepared by name", function () {
  this.timeout(30_000);

  describe("StatementNames", () => {
    it("names each distinct text once, in the order first asked, up to its cap", () => {
      const names = new StatementNames(true, 2);
      expect(names.nameOf("SELECT 1")).to.equal("s1");
      expect(names.nameOf("SELECT 2")).to.equal("s2");
      expect(names.nameOf("SELECT 1")).to.equal("s1");
      expect(names.nameOf("SELECT 3")).to.equal(undefined);
      expect(names.nameOf("SELECT 2")).to.equal("s2");
      expect(MAX_NAMED_STATEMENTS).to.equal(512);
    });

    it("names nothing when turned off", () => {
      expect(new StatementNames(false).nameOf("SELECT 1")).to.equal(undefined);
    });

    it("starts afresh under new names when told a table changed, and names nothing after eight fresh starts", () => {
      const names = new StatementNames();
      expect(names.nameOf("SELECT 1")).to.equal("s1");
      names.forget();
      expect(names.nameOf("SELECT 2")).to.equal("g2s1");
      expect(names.nameOf("SELECT 1")).to.equal("g2s2");
      for (let i = 0; i < 6; i++) names.forget();
      expect(names.nameOf("SELECT 1")).to.equal("g8s1");
      names.forget();
      expect(names.nameOf("SELECT 1")).to.equal(undefined);
    });
  });

  describe("on a server", () => {
    let scratch: ScratchDatabase | undefined;
    let store: PgSqlStore | undefined;
    let admin: pg.Client | undefined;

    before(async function () {
      if (!(await postgresReachable())) this.skip();
    });
    beforeEach(async () => {
      scratch = await createScratchDatabase("dpi_ap_named_statements");
      admin = new pg.Client({ connectionString: scratch.url });
      await admin.connect();
      await admin.query(`CREATE TABLE "t" ("a" integer)`);
      await admin.query(`INSERT INTO "t" ("a") VALUES (1), (2)`);
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
      await admin?.end();
      admin = undefined;
      await scratch?.drop();
      scratch = undefined;
    });

    /** The connection's prepared statements other than the query asking for them. */
    const preparedOn = async (s: PgSqlStore) =>
      s.transaction(async (tx) => (await tx.query<{ name: string; statement: string }>(`SELECT "name", "statement" FROM pg_prepared_statements ORDER BY "name"`)).filter((r) => !r.statement.includes("pg_prepared_statements")));

    it("prepares a statement once per connection under its name, and answers as before", async () => {
      store = pgSql(scratch!.url, 1);
      const select = `SELECT "a" FROM "t" WHERE "a" >= $1 ORDER BY "a"`;
      for (let i = 0; i < 7; i++) expect(await store.query<{ a: number }>(select, 1)).to.deep.equal([{ a: 1 }, { a: 2 }]);
      expect(await store.execute(`UPDATE "t" SET "a" = "a" + $1`, 10)).to.equal(2);
      expect(await store.query<{ a: number }>(select, 12)).to.deep.equal([{ a: 12 }]);
      expect(await preparedOn(store)).to.deep.equal([
        { name: "s1", statement: select },
        { name: "s2", statement: `UPDATE "t" SET "a" = "a" + $1` },
      ]);
    });

    it("with named statements off, prepares nothing", async () => {
      store = pgSql(scratch!.url, 1, { namedStatements: false });
      expect(await store.query<{ a: number }>(`SELECT "a" FROM "t" ORDER BY "a"`)).to.deep.equal([{ a: 1 }, { a: 2 }]);
      expect(await preparedOn(store)).to.deep.equal([]);
    });

    it("a table changed under a prepared statement: outside a transaction the statement runs again under a new name", async () => {
      store = pgSql(scratch!.url, 1);
      const select = `SELECT * FROM "t" ORDER BY "a"`;
      expect(await store.query(select)).to.deep.equal([{ a: 1 }, { a: 2 }]);
      await admin!.query(`ALTER TABLE "t" ADD COLUMN "b" text DEFAULT 'x'`);
      expect(await store.query(select)).to.deep.equal([
        { a: 1, b: "x" },
        { a: 2, b: "x" },
      ]);
      // The pool dropped the connection the refusal came on; the statement is prepared on the new one by its new name.
      expect((await preparedOn(store)).map((r) => r.name)).to.deep.equal(["g2s1"]);
    });

    it("inside a transaction the change fails the transaction, and the statements after it are prepared afresh", async () => {
      store = pgSql(scratch!.url, 1);
      const select = `SELECT * FROM "t" ORDER BY "a"`;
      await store.query(select);
      await admin!.query(`ALTER TABLE "t" ADD COLUMN "b" text DEFAULT 'x'`);
      let err: unknown;
      try {
        await store.transaction(async (tx) => {
          await tx.execute(`UPDATE "t" SET "a" = "a" + 100`);
          await tx.query(select);
        });
      } catch (e) {
        err = e;
      }
      expect((err as { code?: string })?.code).to.equal("0A000");
      expect((err as Error).message).to.equal("cached plan must not change result type");
      // Rolled back: the update before the refusal is gone. The connection stayed in the pool with the stale
      // statement (s1) and the update (s2); the select now goes by a new name beside them.
      expect(await store.query(select)).to.deep.equal([
        { a: 1, b: "x" },
        { a: 2, b: "x" },
      ]);
      expect((await preparedOn(store)).map((r) => r.name)).to.deep.equal(["g2s1", "s1", "s2"]);
    });
  });
});
