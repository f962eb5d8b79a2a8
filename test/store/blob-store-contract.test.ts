import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect } from "chai";
import pg from "pg";
import { BlobNotFoundError, BlobTooLargeError, FolderBlobStore, isBlobMissing, type BlobStore, type RandomAccessBlob } from "../../src/store/blob-store.js";
import { CHUNK_BYTES, PgBlobStore } from "../../src/store/pg-blob-store.js";
import { openDatabase, type Db } from "../../src/store/prisma.js";
import { sqlOf } from "../../src/store/sql.js";
import { SqliteBlobStore, CHUNK_BYTES as SQLITE_CHUNK_BYTES } from "../../src/store/sqlite-blob-store.js";
import { createScratchDatabase, postgresReachable, type ScratchDatabase } from "../../scripts/lib/pg-scratch.js";

/**
 * One contract, three stores: everything the access point relies on from a BlobStore holds for the folder store,
 * the PostgreSQL store and the SQLite store alike. The database stores run with 1000-byte chunks here (except
 * for the large payload), so that every test crosses chunk boundaries.
 */

/** V8's collector, exposed at run time: the large-payload test measures memory after full collections. */
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const ROOT = path.resolve(import.meta.dirname, "../..");
const SMALL_CHUNK = 1000;
const HOUR = 3_600_000;

interface Harness {
  /** Skips the suite when the store's engine is not there. */
  available(): Promise<boolean>;
  setUp(): Promise<void>;
  /** A new, empty store; `chunkBytes` only means something to the database stores. */
  open(chunkBytes?: number): Promise<BlobStore>;
  /** The chunk size the store uses in production (for the large payload). */
  productionChunkBytes: number;
  /** What interrupted writes left that sweepTemporary would remove. */
  leftovers(): Promise<number>;
  /** The blob-writer-child arguments that point it at this store. */
  childArgs(): string[];
  tearDown(): Promise<void>;
}

function folderHarness(): Harness {
  let dir = "";
  return {
    available: async () => true,
    setUp: async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-blob-contract-"));
    },
    async open() {
      const store = new FolderBlobStore(dir);
      await store.init();
      return store;
    },
    productionChunkBytes: 0,
    leftovers: async () => (await readdir(path.join(dir, "blobs", ".tmp"))).length,
    childArgs: () => ["folder", dir],
    tearDown: () => rm(dir, { recursive: true, force: true }),
  };
}

function postgresHarness(): Harness {
  let scratch: ScratchDatabase | undefined;
  let admin: pg.Client | undefined;
  return {
    available: () => postgresReachable(),
    async setUp() {
      scratch = await createScratchDatabase("dpi_ap_blobs");
      const { db } = await openDatabase(scratch.url);
      await db.$disconnect();
      admin = new pg.Client({ connectionString: scratch.url });
      await admin.connect();
    },
    open: async (chunkBytes = SMALL_CHUNK) => PgBlobStore.connect(scratch!.url, { chunkBytes }),
    productionChunkBytes: CHUNK_BYTES,
    leftovers: async () => Number((await admin!.query(`SELECT count(*) AS n FROM "Blob" WHERE "committedAt" IS NULL`)).rows[0].n),
    childArgs: () => ["database", scratch!.url, String(SMALL_CHUNK)],
    async tearDown() {
      await admin?.end();
      await scratch?.drop();
    },
  };
}

function sqliteHarness(): Harness {
  let dir = "";
  let db: Db | undefined;
  return {
    available: async () => true,
    async setUp() {
      dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-blob-contract-sqlite-"));
      // As the access point opens it: durable commits, so every chunk pays its share of a log sync.
      db = (await openDatabase(`file:${path.join(dir, "store.db")}`, { sqliteSynchronous: "full" })).db;
    },
    open: async (chunkBytes = SMALL_CHUNK) => new SqliteBlobStore(sqlOf(db!), { chunkBytes }),
    productionChunkBytes: SQLITE_CHUNK_BYTES,
    leftovers: async () => (await sqlOf(db!).query<{ n: number }>(`SELECT count(*) AS "n" FROM "Blob" WHERE "committedAt" IS NULL`))[0]!.n,
    childArgs: () => ["sqlite", `file:${path.join(dir, "store.db")}`, String(SMALL_CHUNK)],
    async tearDown() {
      await db?.$disconnect();
      db = undefined;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Bytes that differ from chunk to chunk (a repeated pattern would hide misplaced chunks). */
function pattern(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

/** `bytes` in pieces of irregular sizes, as a network delivers them. */
function pieces(bytes: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let at = 0, n = 1; at < bytes.length; n = (n * 7 + 13) % 1500 + 1) parts.push(bytes.subarray(at, (at += n)));
  return Readable.from(parts);
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function readAt(source: RandomAccessBlob, position: number, length: number): Promise<Buffer> {
  const out = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await source.read(out, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return out.subarray(0, done);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => expect.fail("expected a rejection"), (err: unknown) => err);
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

for (const [name, harness] of [
  ["folder", folderHarness()],
  ["PostgreSQL", postgresHarness()],
  ["SQLite", sqliteHarness()],
] as const) {
  describe(`store/blob-store contract: ${name}`, function () {
    this.timeout(60_000);
    let store: BlobStore;

    before(async function () {
      if (!(await harness.available())) this.skip();
    });
    beforeEach(async () => {
      await harness.setUp();
      store = await harness.open();
    });
    afterEach(async () => {
      await store?.close();
      await harness.tearDown();
    });

    it("writes a stream and gives back its size, SHA-256 and the same bytes, streamed, whole and at any position", async () => {
      const bytes = pattern(4321, 1);
      const b = await store.write(pieces(bytes));
      expect(b.size).to.equal(4321);
      expect(b.sha256.toString("hex")).to.equal(sha256(bytes));
      expect(await store.size(b.key)).to.equal(4321);
      expect((await collect(store.open(b.key))).equals(bytes)).to.equal(true);
      expect((await store.read(b.key)).equals(bytes)).to.equal(true);
      const ra = await store.openRandomAccess(b.key);
      try {
        expect(ra.size).to.equal(4321);
        for (const [at, n] of [[0, 10], [995, 10], [999, 1], [1000, 1000], [1999, 2002], [4300, 100], [4321, 5]] as const) {
          expect((await readAt(ra, at, n)).equals(bytes.subarray(at, at + n)), `${n} bytes at ${at}`).to.equal(true);
        }
      } finally {
        await ra.close();
      }
    });

    it("stores an empty source as an empty blob with write, and as nothing with writeIfAny", async () => {
      const empty = await store.write(Readable.from([]));
      expect(empty.size).to.equal(0);
      expect(empty.sha256.toString("hex")).to.equal(sha256(Buffer.alloc(0)));
      expect(await store.size(empty.key)).to.equal(0);
      expect((await store.read(empty.key)).length).to.equal(0);
      expect(await store.writeIfAny(Readable.from([]))).to.equal(undefined);
      expect(await store.keys()).to.deep.equal([empty.key]);
      const some = (await store.writeIfAny(Readable.from([Buffer.from("x")])))!;
      expect(some.size).to.equal(1);
      expect((await store.keys()).sort()).to.deep.equal([empty.key, some.key].sort());
    });

    it("lists the keys of stored blobs and forgets a deleted one; deleting twice is no error", async () => {
      const a = await store.write(Readable.from([pattern(2500, 2)]));
      const b = await store.write(Readable.from([Buffer.from("b")]));
      expect((await store.keys()).sort()).to.deep.equal([a.key, b.key].sort());
      await store.delete(a.key);
      await store.delete(a.key);
      expect(await store.keys()).to.deep.equal([b.key]);
      expect(await store.size(a.key)).to.equal(undefined);
      expect(await rejection(store.read(a.key))).to.be.instanceOf(BlobNotFoundError);
      expect(await rejection(store.openRandomAccess(a.key))).to.be.instanceOf(BlobNotFoundError);
      expect(isBlobMissing(await rejection(collect(store.open(a.key))))).to.equal(true);
    });

    it("refuses a source over the limit and keeps nothing of it", async () => {
      const err = await rejection(store.write(pieces(pattern(5000, 3)), 4999));
      expect(err).to.be.instanceOf(BlobTooLargeError);
      expect((err as BlobTooLargeError).limit).to.equal(4999);
      expect(await store.keys()).to.deep.equal([]);
      expect(await harness.leftovers()).to.equal(0);
    });

    it("keeps nothing of a source that fails halfway", async () => {
      async function* failing() {
        yield pattern(3500, 4);
        throw new Error("the client went away");
      }
      const err = await rejection(store.write(failing()));
      expect((err as Error).message).to.equal("the client went away");
      expect(await store.keys()).to.deep.equal([]);
      expect(await harness.leftovers()).to.equal(0);
    });

    it("shows a blob being written to nobody, and the sweeper leaves it alone", async () => {
      const source = new PassThrough();
      const writing = store.write(source);
      source.write(pattern(2500, 5));
      // Until the store has begun to keep it (two full chunks in a database, a temporary file in the folder).
      for (let i = 0; (await harness.leftovers()) === 0; i++) {
        if (i > 100) expect.fail("the write never began");
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await store.keys()).to.deep.equal([]);
      expect(await store.sweepTemporary(new Date(), 60_000)).to.equal(0);
      source.end(Buffer.from("end"));
      const b = await writing;
      expect(b.size).to.equal(2503);
      expect(await store.keys()).to.deep.equal([b.key]);
      expect(await harness.leftovers()).to.equal(0);
    });

    it("a process killed mid-write leaves nothing visible, and the sweeper removes what it left once the grace is over", async () => {
      const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/blob-writer-child.ts", ...harness.childArgs()], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
      try {
        for (let i = 0; !output.includes("writing") || (await harness.leftovers()) === 0; i++) {
          if (i > 400 || child.exitCode !== null) expect.fail(`the child never began its write: ${output}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      } finally {
        child.kill("SIGKILL");
      }
      expect(await exited).to.equal("SIGKILL");
      expect(output).to.not.include("finished");
      expect(await store.keys()).to.deep.equal([]);
      expect(await harness.leftovers()).to.equal(1);
      // Younger than the grace: it might still be written (by another instance); older: it goes.
      expect(await store.sweepTemporary(new Date(), HOUR)).to.equal(0);
      expect(await store.sweepTemporary(new Date(Date.now() + 2 * HOUR), HOUR)).to.equal(1);
      expect(await harness.leftovers()).to.equal(0);
    });

    it("takes concurrent writers, each blob whole and its own", async () => {
      const sources = Array.from({ length: 8 }, (_, i) => pattern(1500 + i * 700, 10 + i));
      const stored = await Promise.all(sources.map((bytes) => store.write(pieces(bytes))));
      expect(new Set(stored.map((b) => b.key)).size).to.equal(8);
      expect((await store.keys()).sort()).to.deep.equal(stored.map((b) => b.key).sort());
      for (const [i, b] of stored.entries()) {
        expect(b.sha256.toString("hex")).to.equal(sha256(sources[i]!));
        expect((await collect(store.open(b.key))).equals(sources[i]!), `blob ${i}`).to.equal(true);
      }
    });

    it("copies a blob from its own stream (the DPF mail worker does)", async () => {
      const bytes = pattern(3100, 6);
      const a = await store.write(Readable.from([bytes]));
      const copy = await store.write(store.open(a.key));
      expect(copy.key).to.not.equal(a.key);
      expect(copy.sha256.equals(a.sha256)).to.equal(true);
      expect((await store.read(copy.key)).equals(bytes)).to.equal(true);
    });

    it("sweeps blobs nothing refers to once they are older than the minimum age, never referenced ones", async () => {
      const kept = await store.write(Readable.from([Buffer.from("a")]));
      const orphan = await store.write(Readable.from([pattern(2200, 7)]));
      expect(await store.sweepOrphans(new Set([kept.key]), new Date(), HOUR)).to.equal(0);
      expect(await store.sweepOrphans(new Set([kept.key]), new Date(Date.now() + 2 * HOUR), HOUR)).to.equal(1);
      expect(await store.keys()).to.deep.equal([kept.key]);
      expect(await store.size(orphan.key)).to.equal(undefined);
      const another = await store.write(Readable.from([Buffer.from("c")]));
      expect(await store.sweepOrphans(new Set([kept.key]), new Date(), 0)).to.equal(1);
      expect(await store.size(another.key)).to.equal(undefined);
      expect(await store.sweepOrphans(new Set(), new Date(), 0)).to.equal(1);
      expect(await store.keys()).to.deep.equal([]);
    });

    it("is ready for writes", async () => {
      await store.checkWritable();
      expect(await store.keys()).to.deep.equal([]);
      expect(await harness.leftovers()).to.equal(0);
    });

    it("streams 25 MB in and out without holding it: the process grows by a few MB at most", async () => {
      const large = await harness.open(harness.productionChunkBytes);
      const SIZE = 25 * 1024 * 1024;
      const PIECE = 64 * 1024;
      const EVERY = 2 * 1024 * 1024;
      // RSS after a full collection: what the process holds, not garbage the collector has yet to reach (whose
      // timing is V8's business and would make the figure noise). Taken every 2 MB that pass either way, so a
      // store that gathered the payload before writing or reading it would be caught holding it.
      const rss = () => (gc(), process.memoryUsage.rss());
      let peak = 0;
      const sample = () => void (peak = Math.max(peak, rss()));
      /** The payload, made piece by piece as the store asks for it (never whole in this process either). */
      function* payload(measure: boolean) {
        for (let at = 0; at < SIZE; at += PIECE) {
          if (measure && at % EVERY === 0) sample();
          yield pattern(PIECE, at / PIECE);
        }
      }
      const expected = createHash("sha256");
      for (const p of payload(false)) expected.update(p);
      const digest = expected.digest("hex");
      try {
        // Warm up (pool connections, code paths), so the measurement sees the payload's cost only.
        const warm = await large.write(Readable.from([pattern(3 * 1024 * 1024, 1)]));
        await pipeline(large.open(warm.key), new PassThrough().resume());
        await large.delete(warm.key);
        const base = rss();
        const stored = await large.write(Readable.from(payload(true)));
        const h = createHash("sha256");
        let read = 0;
        await pipeline(large.open(stored.key), async function* (source: AsyncIterable<Buffer>) {
          for await (const c of source) {
            if (Math.floor((read + c.length) / EVERY) > Math.floor(read / EVERY)) sample();
            read += c.length;
            h.update(c);
          }
        });
        sample();
        expect(stored.size).to.equal(SIZE);
        expect(stored.sha256.toString("hex")).to.equal(digest);
        expect(h.digest("hex")).to.equal(digest);
        const grownMb = (peak - base) / 1024 / 1024;
        expect(grownMb, `RSS grew by ${grownMb.toFixed(1)} MB`).to.be.below(8);
      } finally {
        await large.close();
      }
    });
  });
}
