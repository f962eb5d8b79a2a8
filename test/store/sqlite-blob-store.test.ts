import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { expect } from "chai";
import { openDatabase, type OpenedDatabase } from "../../src/store/prisma.js";
import { sqlOf } from "../../src/store/sql.js";
import { CHUNK_BYTES, SqliteBlobStore } from "../../src/store/sqlite-blob-store.js";

/**
 * What the SQLite blob store adds to the blob-store contract (blob-store-contract.test.ts): it shares the store's
 * one connection, so it must never hold it while it waits for its source or its reader, a small payload must
 * cost one commit, and what a crash leaves must be found and removed after a restart.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const HOUR = 3_600_000;

describe("store/sqlite-blob-store", function () {
  this.timeout(30_000);
  let dir: string;
  let url: string;
  let opened: OpenedDatabase;
  let blobs: SqliteBlobStore;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-sqlite-blobs-"));
    url = `file:${path.join(dir, "store.db")}`;
    opened = await openDatabase(url, { sqliteSynchronous: "full" });
    blobs = new SqliteBlobStore(sqlOf(opened.db));
  });
  afterEach(async () => {
    await opened?.db.$disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  const sql = () => sqlOf(opened.db);
  const chunkRows = async (key?: string) =>
    key === undefined
      ? (await sql().query<{ n: number }>(`SELECT count(*) AS "n" FROM "BlobChunk"`))[0]!.n
      : (await sql().query<{ n: number }>(`SELECT count(*) AS "n" FROM "BlobChunk" WHERE "key" = $1`, key))[0]!.n;
  const commits = () => opened.commitSyncs!().commits;

  /** Settles with "blocked" when `p` has not settled within `ms`. */
  const within = <T>(p: Promise<T>, ms = 2_000) => Promise.race([p, new Promise<"blocked">((r) => setTimeout(() => r("blocked"), ms))]);

  it("refuses the direct SQL of a PostgreSQL store", () => {
    expect(() => new SqliteBlobStore({ ...sql(), provider: "postgresql" })).to.throw("SqliteBlobStore needs the direct SQL of a SQLite store");
  });

  it("writes a payload of one chunk (a 25 kB letter) in one commit, a header and one chunk row", async () => {
    const before = commits();
    const b = await blobs.write(Readable.from([Buffer.alloc(12_000, 1), Buffer.alloc(13_000, 2)]));
    expect(commits() - before).to.equal(1);
    expect(await chunkRows(b.key)).to.equal(1);
    expect(await blobs.size(b.key)).to.equal(25_000);
  });

  it("cuts a large payload into chunks of 256 KiB, one commit each, the last with the header's commit", async () => {
    const before = commits();
    const b = await blobs.write(Readable.from([Buffer.alloc(2 * CHUNK_BYTES + 10, 7)]));
    expect(commits() - before).to.equal(3);
    const rows = await sql().query<{ seq: number; n: number }>(`SELECT "seq", length("bytes") AS "n" FROM "BlobChunk" WHERE "key" = $1 ORDER BY "seq"`, b.key);
    expect(rows).to.deep.equal([
      { seq: 0, n: CHUNK_BYTES },
      { seq: 1, n: CHUNK_BYTES },
      { seq: 2, n: 10 },
    ]);
  });

  it("deletes a payload of a few chunks in one statement, a larger one hidden first and then a few chunks per statement", async () => {
    const small = await blobs.write(Readable.from([Buffer.alloc(25_000, 1)]));
    const chunked = new SqliteBlobStore(sql(), { chunkBytes: 1000 });
    const large = await chunked.write(Readable.from([Buffer.alloc(20_000, 2)]));
    expect(await chunkRows(large.key)).to.equal(20);
    let before = commits();
    await blobs.delete(small.key);
    expect(commits() - before).to.equal(1);
    before = commits();
    await chunked.delete(large.key);
    // Hidden (uncommitted), 8 + 8 + 4 chunks, the header.
    expect(commits() - before).to.equal(5);
    expect(await chunkRows()).to.equal(0);
    expect((await sql().query<{ n: number }>(`SELECT count(*) AS "n" FROM "Blob"`))[0]!.n).to.equal(0);
    await chunked.delete(large.key);
  });

  it("holds no transaction while it waits for its source: others write and commit meanwhile", async () => {
    const source = new PassThrough();
    const writing = blobs.write(source);
    source.write(Buffer.alloc(CHUNK_BYTES + 100, 3));
    for (let i = 0; (await chunkRows()) === 0; i++) {
      if (i > 100) expect.fail("the write never began");
      await new Promise((r) => setTimeout(r, 10));
    }
    // A transaction needs the connection to itself: it could not start if the write held one open.
    const other = await within(sql().transaction(async (tx) => tx.execute(`INSERT INTO "WorkerLease" ("name", "holder", "until") VALUES ('x', 'y', $1)`, new Date())));
    expect(other).to.equal(1);
    const small = await within(blobs.write(Readable.from([Buffer.from("meanwhile")])));
    expect(small).to.not.equal("blocked");
    source.end();
    const b = await writing;
    expect(b.size).to.equal(CHUNK_BYTES + 100);
    expect(await chunkRows(b.key)).to.equal(2);
  });

  it("reads a large payload chunk by chunk as its reader asks, with the connection free in between", async () => {
    const bytes = Buffer.alloc(4 * CHUNK_BYTES, 0);
    for (let i = 0; i < 4; i++) bytes.fill(i + 1, i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
    const b = await blobs.write(Readable.from([bytes]));
    const stream = blobs.open(b.key);
    const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first = (await it.next()).value as Buffer;
    expect(first.length).to.equal(CHUNK_BYTES);
    expect(first[0]).to.equal(1);
    // The reader has paused after one chunk: the store fetched at most one more ahead, and others go on.
    const meanwhile = await within(blobs.write(Readable.from([Buffer.from("meanwhile")])));
    expect(meanwhile).to.not.equal("blocked");
    const rest: Buffer[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    expect(rest.map((c) => [c.length, c[0]])).to.deep.equal([
      [CHUNK_BYTES, 2],
      [CHUNK_BYTES, 3],
      [CHUNK_BYTES, 4],
    ]);
  });

  it("a process killed mid-write leaves nothing visible after a restart, and sweepTemporary removes its header and chunks", async () => {
    const kept = await blobs.write(Readable.from([Buffer.alloc(2500, 9)]));
    const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/blob-writer-child.ts", "sqlite", url, "1000"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    try {
      // The child writes 8000 bytes in 1000-byte chunks and never ends: wait for all eight rows.
      for (let i = 0; !output.includes("writing") || (await chunkRows()) < 1 + 8; i++) {
        if (i > 400 || child.exitCode !== null) expect.fail(`the child never wrote its chunks: ${output}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      child.kill("SIGKILL");
    }
    expect(await exited).to.equal("SIGKILL");
    // A restart: the store is opened anew on what the crash left.
    await opened.db.$disconnect();
    opened = await openDatabase(url, { sqliteSynchronous: "full" });
    blobs = new SqliteBlobStore(sqlOf(opened.db));
    expect(await blobs.keys()).to.deep.equal([kept.key]);
    expect(await chunkRows()).to.equal(1 + 8);
    expect(await blobs.sweepTemporary(new Date(), HOUR)).to.equal(0);
    expect(await blobs.sweepTemporary(new Date(Date.now() + 2 * HOUR), HOUR)).to.equal(1);
    expect(await chunkRows()).to.equal(1);
    expect((await blobs.read(kept.key)).equals(Buffer.alloc(2500, 9))).to.equal(true);
  });

  it("a write whose header was swept while it stalled fails with that reason and leaves nothing", async () => {
    const source = new PassThrough();
    const writing = new SqliteBlobStore(sql(), { chunkBytes: 1000 }).write(source);
    source.write(Buffer.alloc(1500, 1));
    for (let i = 0; (await chunkRows()) === 0; i++) {
      if (i > 100) expect.fail("the write never began");
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await blobs.sweepTemporary(new Date(), 0)).to.equal(1);
    source.end(Buffer.alloc(1000, 2));
    const err = await writing.then(() => expect.fail("expected a rejection"), (e: unknown) => e as Error);
    expect(err.message).to.match(/^payload [0-9a-f-]{36} was removed before it was committed/);
    expect(await chunkRows()).to.equal(0);
    expect(await blobs.keys()).to.deep.equal([]);
  });
});
