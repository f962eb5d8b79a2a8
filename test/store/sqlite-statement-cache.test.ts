import { expect } from "chai";
import Database from "better-sqlite3";
import { cacheStatements } from "../../src/store/sqlite-statement-cache.js";

/** The statement cache under Prisma's SQLite adapter, driven the way the adapter drives it. */
describe("SQLite statement cache", () => {
  type View = { bind(args: unknown[]): { reader: boolean; run(): { changes: number }; columns(): { name: string }[]; raw(): { all(): unknown[] } }; run(): unknown };

  function open(max?: number) {
    const db = new Database(":memory:");
    const prepare = db.prepare.bind(db);
    const prepared: string[] = [];
    db.prepare = ((sql: string) => (prepared.push(sql), prepare(sql))) as typeof db.prepare;
    cacheStatements(db, max);
    return { db, view: (sql: string) => (db.prepare as unknown as (s: string) => View)(sql), prepared };
  }

  it("prepares a statement once and runs it with each call's arguments", () => {
    const { view, prepared } = open();
    view("CREATE TABLE t (id INTEGER, name TEXT)").run();
    const insert = "INSERT INTO t (id, name) VALUES (?, ?)";
    expect(view(insert).bind([1, "en"]).run().changes).to.equal(1);
    expect(view(insert).bind([2, "to"]).run().changes).to.equal(1);
    const select = view("SELECT id, name FROM t WHERE id >= ? ORDER BY id").bind([1]);
    expect([select.reader, select.columns().map((c) => c.name), select.raw().all()]).to.deep.equal([true, ["id", "name"], [[1, "en"], [2, "to"]]]);
    expect(view("SELECT id, name FROM t WHERE id >= ? ORDER BY id").bind([2]).raw().all()).to.deep.equal([[2, "to"]]);
    expect(prepared).to.deep.equal(["CREATE TABLE t (id INTEGER, name TEXT)", insert, "SELECT id, name FROM t WHERE id >= ? ORDER BY id"]);
  });

  it("keeps at most `max` statements, dropping the least recently used", () => {
    const { view, prepared } = open(2);
    view("SELECT 1").run();
    view("SELECT 2").run();
    view("SELECT 1").run();
    view("SELECT 3").run();
    view("SELECT 1").run();
    view("SELECT 2").run();
    expect(prepared).to.deep.equal(["SELECT 1", "SELECT 2", "SELECT 3", "SELECT 2"]);
  });
});
