import { expect } from "chai";
import pg from "pg";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { IN_FLIGHT_GRACE_MS, PayloadSweeper, type PayloadSweepDeps } from "../../src/core/payload-sweeper.js";
import { FolderBlobStore } from "../../src/store/blob-store.js";
import { PgBlobStore } from "../../src/store/pg-blob-store.js";
import { openDatabase, type Db } from "../../src/store/prisma.js";
import { sqlOf } from "../../src/store/sql.js";
import { SqliteBlobStore } from "../../src/store/sqlite-blob-store.js";
import { eventually } from "../helpers/dpi-network.js";
import { createScratchDatabase, postgresReachable, type ScratchDatabase } from "../../scripts/lib/pg-scratch.js";

const HOUR = 3_600_000;

describe("core/payload-sweeper", function () {
  this.timeout(20_000);
  let dir: string;
  let blobs: FolderBlobStore;
  let spool: string;
  let tmp: string;
  let now: Date;
  let referenced: Set<string>;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "payload-sweeper-"));
    blobs = new FolderBlobStore(dir);
    await blobs.init();
    spool = path.join(dir, "as4-tmp");
    tmp = path.join(dir, "blobs", ".tmp");
    await mkdir(spool);
    now = new Date();
    referenced = new Set();
  });
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const sweeper = (over: Partial<PayloadSweepDeps> = {}) =>
    new PayloadSweeper({ blobs, referencedKeys: async () => referenced, spoolDirs: [spool], intervalMs: 60_000, clock: () => new Date(now.getTime()), log: silentLogger, ...over });

  async function age(file: string, ms: number): Promise<void> {
    const t = new Date(now.getTime() - ms);
    await utimes(file, t, t);
  }

  /** An old and a young entry of each kind: temporary blob file, AS4 spool folder, payload nobody refers to; and an old referenced payload. */
  async function leftovers() {
    for (const name of ["old", "young"]) {
      await writeFile(path.join(tmp, name), "x");
      await mkdir(path.join(spool, name));
      await writeFile(path.join(spool, name, "part"), "x");
    }
    const orphanOld = await blobs.write(Readable.from([Buffer.from("a")]));
    const orphanYoung = await blobs.write(Readable.from([Buffer.from("b")]));
    const kept = await blobs.write(Readable.from([Buffer.from("c")]));
    referenced.add(kept.key);
    for (const f of [path.join(tmp, "old"), path.join(spool, "old"), blobs.pathOf(orphanOld.key), blobs.pathOf(kept.key)]) await age(f, 2 * HOUR);
    for (const f of [path.join(tmp, "young"), path.join(spool, "young"), blobs.pathOf(orphanYoung.key)]) await age(f, HOUR - 1000);
    return { orphanOld, orphanYoung, kept };
  }

  const payloads = async () => (await readdir(path.join(dir, "blobs"))).filter((f) => f !== ".tmp").sort();

  it("removes temporary files, spools and unreferenced payloads older than the in-flight grace, and nothing younger", async () => {
    const { orphanYoung, kept } = await leftovers();
    expect(IN_FLIGHT_GRACE_MS).to.equal(HOUR);
    expect(await sweeper().sweep()).to.deep.equal({ temporary: 2, orphans: 1 });
    expect(await readdir(tmp)).to.deep.equal(["young"]);
    expect(await readdir(spool)).to.deep.equal(["young"]);
    expect(await payloads()).to.deep.equal([orphanYoung.key, kept.key].sort());
  });

  it("sweep(0), for start-up of a store one process owns, removes every leftover but no referenced payload", async () => {
    const { kept } = await leftovers();
    expect(await sweeper().sweep(0)).to.deep.equal({ temporary: 4, orphans: 2 });
    expect(await readdir(tmp)).to.deep.equal([]);
    expect(await readdir(spool)).to.deep.equal([]);
    expect(await payloads()).to.deep.equal([kept.key]);
  });

  it("leaves a payload being written right now alone, and it is stored whole", async () => {
    const source = new PassThrough();
    const writing = blobs.write(source);
    source.write(Buffer.from("first half, "));
    await eventually("the temporary file", async () => ((await readdir(tmp)).length === 1 ? true : undefined));
    expect(await sweeper().sweep()).to.deep.equal({ temporary: 0, orphans: 0 });
    source.end(Buffer.from("second half"));
    const b = await writing;
    expect(await blobs.size(b.key)).to.equal(23);
  });

  it("sweeps periodically once started, the first time one interval after start", async () => {
    const s = sweeper({ intervalMs: 300 });
    await writeFile(path.join(tmp, "crashed"), "x");
    await age(path.join(tmp, "crashed"), 2 * HOUR);
    s.start();
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(await readdir(tmp)).to.deep.equal(["crashed"]);
      await eventually("first sweep", async () => ((await readdir(tmp)).length === 0 ? true : undefined), 5_000);
      // Left by a write interrupted later: the next sweep takes it.
      const orphan = await blobs.write(Readable.from([Buffer.from("x")]));
      await age(blobs.pathOf(orphan.key), 2 * HOUR);
      await eventually("second sweep", async () => ((await payloads()).length === 0 ? true : undefined), 5_000);
    } finally {
      await s.stop();
    }
  });

  it("DPI_AP_SWEEP_INTERVAL_MINUTES sets the interval (default 15 minutes)", () => {
    expect(loadConfig({}).sweepIntervalMs).to.equal(15 * 60_000);
    expect(loadConfig({ DPI_AP_SWEEP_INTERVAL_MINUTES: "0.5" }).sweepIntervalMs).to.equal(30_000);
  });
});

describe("core/payload-sweeper on the PostgreSQL blob store", function () {
  this.timeout(30_000);
  let scratch: ScratchDatabase | undefined;
  let blobs: PgBlobStore | undefined;
  let sql: pg.Client | undefined;

  before(async function () {
    if (!(await postgresReachable())) this.skip();
    scratch = await createScratchDatabase("dpi_ap_sweep");
    const { db } = await openDatabase(scratch.url);
    await db.$disconnect();
    blobs = PgBlobStore.connect(scratch.url, { chunkBytes: 1000 });
    sql = new pg.Client({ connectionString: scratch.url });
    await sql.connect();
  });
  after(async () => {
    await blobs?.close();
    await sql?.end();
    await scratch?.drop();
  });

  it("removes uncommitted writes and unreferenced payloads older than the grace, with their chunks, and nothing younger or referenced", async () => {
    const now = new Date();
    const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
    const kept = await blobs!.write(Readable.from([Buffer.alloc(2500, 1)]));
    const orphanOld = await blobs!.write(Readable.from([Buffer.alloc(2500, 2)]));
    const orphanYoung = await blobs!.write(Readable.from([Buffer.alloc(10, 3)]));
    for (const b of [kept, orphanOld]) await sql!.query(`UPDATE "Blob" SET "committedAt" = $2, "touchedAt" = $2 WHERE "key" = $1`, [b.key, ago(2 * HOUR)]);
    // What writers that died left: a header and a chunk, never committed; one stopped long ago, one just now.
    const crashed = { old: "00000000-0000-4000-8000-000000000001", young: "00000000-0000-4000-8000-000000000002" };
    for (const [key, touched] of [[crashed.old, ago(HOUR + 1000)], [crashed.young, ago(HOUR - 1000)]] as const) {
      await sql!.query(`INSERT INTO "Blob" ("key", "chunkBytes", "createdAt", "touchedAt") VALUES ($1, 1000, $2, $2)`, [key, touched]);
      await sql!.query(`INSERT INTO "BlobChunk" ("key", "seq", "bytes") VALUES ($1, 0, $2)`, [key, Buffer.alloc(1000)]);
    }
    const s = new PayloadSweeper({ blobs: blobs!, referencedKeys: async () => new Set([kept.key]), spoolDirs: [], intervalMs: 60_000, clock: () => now, log: silentLogger });
    expect(await s.sweep()).to.deep.equal({ temporary: 1, orphans: 1 });
    expect((await blobs!.keys()).sort()).to.deep.equal([kept.key, orphanYoung.key].sort());
    const left = (await sql!.query(`SELECT "key", count(*)::int AS "chunks" FROM "BlobChunk" GROUP BY "key" ORDER BY "key"`)).rows;
    expect(left).to.deep.equal(
      [
        { key: crashed.young, chunks: 1 },
        { key: kept.key, chunks: 3 },
        { key: orphanYoung.key, chunks: 1 },
      ].sort((a, b) => a.key.localeCompare(b.key)),
    );
    expect((await blobs!.read(kept.key)).equals(Buffer.alloc(2500, 1))).to.equal(true);
  });
});

describe("core/payload-sweeper on the SQLite blob store", function () {
  this.timeout(30_000);
  let dir: string;
  let db: Db | undefined;
  let blobs: SqliteBlobStore;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "payload-sweeper-sqlite-"));
    db = (await openDatabase(`file:${path.join(dir, "store.db")}`)).db;
    blobs = new SqliteBlobStore(sqlOf(db), { chunkBytes: 1000 });
  });
  afterEach(async () => {
    await db?.$disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it("removes uncommitted writes and unreferenced payloads older than the grace, with their chunks, and nothing younger or referenced", async () => {
    const sql = sqlOf(db!);
    const now = new Date();
    const ago = (ms: number) => new Date(now.getTime() - ms);
    const kept = await blobs.write(Readable.from([Buffer.alloc(2500, 1)]));
    const orphanOld = await blobs.write(Readable.from([Buffer.alloc(2500, 2)]));
    const orphanYoung = await blobs.write(Readable.from([Buffer.alloc(10, 3)]));
    for (const b of [kept, orphanOld]) await sql.execute(`UPDATE "Blob" SET "committedAt" = $2, "touchedAt" = $2 WHERE "key" = $1`, b.key, ago(2 * HOUR));
    // What writers that died left: a header and a chunk, never committed; one stopped long ago, one just now.
    const crashed = { old: "00000000-0000-4000-8000-000000000001", young: "00000000-0000-4000-8000-000000000002" };
    for (const [key, touched] of [[crashed.old, ago(HOUR + 1000)], [crashed.young, ago(HOUR - 1000)]] as const) {
      await sql.execute(`INSERT INTO "Blob" ("key", "chunkBytes", "createdAt", "touchedAt") VALUES ($1, 1000, $2, $2)`, key, touched);
      await sql.execute(`INSERT INTO "BlobChunk" ("key", "seq", "bytes") VALUES ($1, 0, $2)`, key, Buffer.alloc(1000));
    }
    const s = new PayloadSweeper({ blobs, referencedKeys: async () => new Set([kept.key]), spoolDirs: [], intervalMs: 60_000, clock: () => now, log: silentLogger });
    expect(await s.sweep()).to.deep.equal({ temporary: 1, orphans: 1 });
    expect((await blobs.keys()).sort()).to.deep.equal([kept.key, orphanYoung.key].sort());
    const left = await sql.query<{ key: string; chunks: number }>(`SELECT "key", count(*) AS "chunks" FROM "BlobChunk" GROUP BY "key" ORDER BY "key"`);
    expect(left).to.deep.equal(
      [
        { key: crashed.young, chunks: 1 },
        { key: kept.key, chunks: 3 },
        { key: orphanYoung.key, chunks: 1 },
      ].sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
    expect((await blobs.read(kept.key)).equals(Buffer.alloc(2500, 1))).to.equal(true);
    // At start-up of the store its one process owns, nothing is in flight: every leftover goes.
    expect(await s.sweep(0)).to.deep.equal({ temporary: 1, orphans: 1 });
    expect(await blobs.keys()).to.deep.equal([kept.key]);
    expect((await sql.query<{ n: number }>(`SELECT count(*) AS "n" FROM "BlobChunk"`))[0]!.n).to.equal(3);
  });

  it("sweeps orphans among more payloads than one page of keys, keeping every referenced one", async () => {
    const stored = [];
    for (let i = 0; i < 1234; i++) stored.push(await blobs.write(Readable.from([Buffer.from(`payload ${i}`)])));
    const referenced = new Set(stored.filter((_, i) => i % 3 !== 0).map((b) => b.key));
    const s = new PayloadSweeper({ blobs, referencedKeys: async () => referenced, spoolDirs: [], intervalMs: 60_000, clock: () => new Date(), log: silentLogger });
    expect(await s.sweep(0)).to.deep.equal({ temporary: 0, orphans: 412 });
    expect((await blobs.keys()).sort()).to.deep.equal([...referenced].sort());
  });
});
