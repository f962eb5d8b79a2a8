import { expect } from "chai";
import pg from "pg";
import { DEFAULT_POSTGRES_URL, postgresReachable } from "../../scripts/lib/pg-scratch.js";
import { createBenchDatabase, databaseUrl, PgServerCpu } from "../../src/bench/pg-databases.js";

async function exists(name: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: DEFAULT_POSTGRES_URL });
  await c.connect();
  try {
    return (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1;
  } finally {
    await c.end();
  }
}

describe("bench: PostgreSQL databases of a run", function () {
  this.timeout(60_000);

  it("points a server URL at another database, keeping user, host and port", () => {
    expect(databaseUrl("postgresql://postgres@127.0.0.1:5432/postgres", "dpi_ap_bench_c2_0a1b")).to.equal("postgresql://postgres@127.0.0.1:5432/dpi_ap_bench_c2_0a1b");
    expect(databaseUrl("postgres://u:p@db:5433/x?sslmode=disable", "y")).to.equal("postgres://u:p@db:5433/y?sslmode=disable");
  });

  describe("on the server", () => {
    before(async function () {
      if (!(await postgresReachable())) this.skip();
    });

    it("creates a fresh database per corner and drops it, even with a session still open", async () => {
      const db = await createBenchDatabase(DEFAULT_POSTGRES_URL, "dpi_ap_bench_test");
      expect(db.name).to.match(/^dpi_ap_bench_test_[0-9a-f]{10}$/);
      expect(db.url).to.equal(databaseUrl(DEFAULT_POSTGRES_URL, db.name));
      const left = new pg.Client({ connectionString: db.url });
      left.on("error", () => {});
      await left.connect();
      expect(await exists(db.name)).to.equal(true);
      await db.drop();
      expect(await exists(db.name)).to.equal(false);
      await left.end().catch(() => {});
    });

    it("measures the CPU of the backends serving the databases, not of others", async function () {
      const db = await createBenchDatabase(DEFAULT_POSTGRES_URL, "dpi_ap_bench_cpu");
      const worker = new pg.Client({ connectionString: db.url });
      const meter = new PgServerCpu(DEFAULT_POSTGRES_URL, [db.name], 100);
      try {
        await worker.connect();
        // The server's processes are readable only when it runs on this machine.
        if (!(await meter.start())) this.skip();
        const busy = async (c: pg.Client) => c.query("SELECT count(*) FROM generate_series(1, 4000000)");
        await busy(worker);
        const cpu = await meter.stop();
        expect(cpu).to.be.greaterThan(0.05);

        // Work in another database is not counted.
        const other = new pg.Client({ connectionString: DEFAULT_POSTGRES_URL });
        await other.connect();
        try {
          await meter.start();
          await busy(other);
          expect(await meter.stop()).to.be.lessThan(0.05);
        } finally {
          await other.end();
        }
      } finally {
        await meter.close();
        await worker.end().catch(() => {});
        await db.drop();
      }
    });
  });
});
