import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { BlobNotFoundError, type BlobSource, type BlobStore, type RandomAccessBlob, type StoredBlob } from "./blob-store.js";
import { chunkSlice, openChunks, readChunks, readInChunks } from "./chunk-buffer.js";
import type { SqlStore } from "./sql.js";

/**
 * The blob store in SQLite (DPI_AP_BLOB_STORE=database with a file: database): the same tables and design as
 * the PostgreSQL store (pg-blob-store.ts), a header row ("Blob") and the bytes in chunk rows ("BlobChunk"),
 * streamed in and out one chunk at a time so nothing holds a blob whole. Its reason is not sharing (a SQLite
 * store has one process) but cost: a payload in the folder store costs a file create, write, fsync, close and a
 * directory fsync, later an open, read and unlink; here it is an insert into a transaction whose log sync the
 * letter's own commits share (group commit, sqlite-durability.ts), and a read is one indexed select.
 *
 * Statements go through the store's direct SQL (sqlite-sql.ts), on the one connection Prisma's adapter opened
 * and through the same gate, so they take their turn with every other statement and each commit is on disk
 * before its writer (or anyone who read it) goes on.
 *
 * Visibility, as in PostgreSQL: the header gets `committedAt` only after the last chunk, and readers ask for
 * committed blobs only, so nobody sees half a blob; a writer that dies leaves an uncommitted header whose
 * `touchedAt` stops moving, which sweepTemporary removes with its chunks (ON DELETE CASCADE; better-sqlite3
 * enforces foreign keys) once it is older than the in-flight grace. Where SQLite differs:
 * - A statement holds the connection synchronously while it runs and everyone else waits, so the chunks are as
 *   small as PostgreSQL's (256 KiB: a fraction of a millisecond to insert or select), and no transaction stays
 *   open across an await on the source: each chunk is its own short transaction, between which the source is
 *   read at the client's pace with the connection free.
 * - There is no statement that inserts into two tables, so a blob of one chunk (the common case) is written
 *   committed by one transaction of two inserts that runs without yielding the connection: one commit, one
 *   share of a log sync. Likewise the header comes with the first chunk, and the last chunk with the commit.
 * - Every chunk's commit waits for its log sync like any commit; a large upload thus gets the disk's pace as
 *   backpressure, and the sync before the commit covers all its chunks.
 * - sweepOrphans cannot hand SQLite the referenced keys as one array parameter: it reads the old committed keys
 *   page by page (each page one short select) and deletes the unreferenced ones one statement each.
 * - Deleting a large blob in one statement would hold the connection while SQLite frees all its pages: it is
 *   hidden first and its chunks go a few per statement (remove()).
 * - Deleted pages go to SQLite's free list and are reused by later payloads; the file does not shrink.
 * - A payload passes through the write-ahead log and is copied into the database file at the next checkpoint,
 *   which SQLite runs inside a commit on the event loop (every 1000 pages of log): payloads make checkpoints come
 *   sooner. For letters of tens of kilobytes that is cheap; a store of many large packages is better off with
 *   the folder store.
 *
 * Times are the process's clock, bound as Prisma's adapter stores a DateTime (ISO text), so the sweeper's
 * comparisons are comparisons of text in one format.
 */

/** Chunks of 256 KiB: as PostgreSQL's, and short enough that one insert or select barely holds the connection. */
export const CHUNK_BYTES = 256 * 1024;

const DEFAULT_SWEEP_AGE_MS = 60 * 60_000;

/** How many committed keys sweepOrphans reads per select. */
const SWEEP_PAGE = 500;

/** Chunks removed per statement when a blob is deleted: 2 MiB of 256 KiB chunks, a few milliseconds at most on this (shared) machine. */
const DELETE_BATCH = 8;

/** Which blob remove() may take ($2: the time a stale write was last touched at or before; null for any). */
const WHICH = {
  any: "1 = 1",
  committed: `"committedAt" IS NOT NULL`,
  stale: `"committedAt" IS NULL AND ($2 IS NULL OR "touchedAt" <= $2)`,
} as const;

export interface SqliteBlobStoreOptions {
  /** Bytes per chunk (tests use small ones to exercise many chunks). */
  chunkBytes?: number;
}

interface Header {
  size: number;
  chunkBytes: number;
}

/** Thrown inside checkWritable's transaction so that it rolls back. */
class ProbeDone extends Error {}

export class SqliteBlobStore implements BlobStore {
  private readonly chunkBytes: number;

  /** `sql`: the direct SQL of a migrated SQLite store (sqlOf of the client openDatabase opened). */
  constructor(
    private readonly sql: SqlStore,
    o: SqliteBlobStoreOptions = {},
  ) {
    if (sql.provider !== "sqlite") throw new Error("SqliteBlobStore needs the direct SQL of a SQLite store");
    this.chunkBytes = o.chunkBytes ?? CHUNK_BYTES;
  }

  async write(source: BlobSource, maxBytes = Number.POSITIVE_INFINITY): Promise<StoredBlob> {
    return (await this.store(source, maxBytes, true))!;
  }

  async writeIfAny(source: BlobSource, maxBytes = Number.POSITIVE_INFINITY): Promise<StoredBlob | undefined> {
    return this.store(source, maxBytes, false);
  }

  private async store(source: BlobSource, maxBytes: number, evenEmpty: boolean): Promise<StoredBlob | undefined> {
    const key = randomUUID();
    let seq = 0;
    try {
      const { size, sha256, rest } = await readInChunks(source, maxBytes, this.chunkBytes, async (chunk) => {
        if (seq === 0) await this.begin(key, chunk);
        else await this.append(key, seq, chunk);
        seq++;
      });
      if (seq === 0) {
        if (rest.length === 0 && !evenEmpty) return undefined;
        await this.writeWhole(key, rest, sha256);
      } else {
        await this.commit(key, seq, rest, size, sha256);
      }
      return { key, size, sha256 };
    } catch (err) {
      if (seq > 0) await this.delete(key).catch(() => {});
      throw err;
    }
  }

  /** The uncommitted header with the first chunk. */
  private async begin(key: string, bytes: Buffer): Promise<void> {
    const at = new Date();
    await this.sql.transaction(async (tx) => {
      await tx.execute(`INSERT INTO "Blob" ("key", "chunkBytes", "createdAt", "touchedAt") VALUES ($1, $2, $3, $3)`, key, this.chunkBytes, at);
      await tx.execute(`INSERT INTO "BlobChunk" ("key", "seq", "bytes") VALUES ($1, 0, $2)`, key, bytes);
    });
  }

  /** One more chunk, and the header touched so the sweeper sees the write is alive. */
  private async append(key: string, seq: number, bytes: Buffer): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await this.touch(tx.execute(`UPDATE "Blob" SET "touchedAt" = $2 WHERE "key" = $1 AND "committedAt" IS NULL`, key, new Date()), key);
      await tx.execute(`INSERT INTO "BlobChunk" ("key", "seq", "bytes") VALUES ($1, $2, $3)`, key, seq, bytes);
    });
  }

  /** The last chunk (if any bytes are left) and the header committed, in one transaction. */
  private async commit(key: string, seq: number, last: Buffer, size: number, sha256: Buffer): Promise<void> {
    const at = new Date();
    await this.sql.transaction(async (tx) => {
      await this.touch(
        tx.execute(`UPDATE "Blob" SET "size" = $2, "sha256" = $3, "committedAt" = $4, "touchedAt" = $4 WHERE "key" = $1 AND "committedAt" IS NULL`, key, size, sha256, at),
        key,
      );
      if (last.length > 0) await tx.execute(`INSERT INTO "BlobChunk" ("key", "seq", "bytes") VALUES ($1, $2, $3)`, key, seq, last);
    });
  }

  /** The header is checked before a chunk is added, so a swept write fails with its reason, not a foreign key. */
  private async touch(update: Promise<number>, key: string): Promise<void> {
    // Only when the write stalled longer than the sweeper's grace and its header was removed.
    if ((await update) !== 1) throw new Error(`payload ${key} was removed before it was committed (the write stalled longer than the sweep grace)`);
  }

  /** A blob of at most one chunk: header and chunk in one transaction, committed at once. */
  private async writeWhole(key: string, bytes: Buffer, sha256: Buffer): Promise<void> {
    const at = new Date();
    await this.sql.transaction(async (tx) => {
      await tx.execute(
        `INSERT INTO "Blob" ("key", "chunkBytes", "size", "sha256", "createdAt", "touchedAt", "committedAt") VALUES ($1, $2, $3, $4, $5, $5, $5)`,
        key,
        this.chunkBytes,
        bytes.length,
        sha256,
        at,
      );
      if (bytes.length > 0) await tx.execute(`INSERT INTO "BlobChunk" ("key", "seq", "bytes") VALUES ($1, 0, $2)`, key, bytes);
    });
  }

  /** Public for chunksOf (chunk-buffer.ts); not part of BlobStore. */
  async header(key: string): Promise<Header | undefined> {
    const [row] = await this.sql.query<{ size: bigint | number; chunkBytes: number }>(`SELECT "size", "chunkBytes" FROM "Blob" WHERE "key" = $1 AND "committedAt" IS NOT NULL`, key);
    return row ? { size: Number(row.size), chunkBytes: row.chunkBytes } : undefined;
  }

  async chunk(key: string, seq: number): Promise<Buffer | undefined> {
    const [row] = await this.sql.query<{ bytes: Buffer }>(`SELECT "bytes" FROM "BlobChunk" WHERE "key" = $1 AND "seq" = $2`, key, seq);
    return row?.bytes;
  }

  open(key: string): Readable {
    return openChunks(this, key);
  }

  read(key: string): Promise<Buffer> {
    return readChunks(this, key);
  }

  async openRandomAccess(key: string): Promise<RandomAccessBlob> {
    const h = await this.header(key);
    if (!h) throw new BlobNotFoundError(key);
    const { sql } = this;
    return {
      size: h.size,
      async read(buffer, offset, length, position) {
        if (length <= 0 || position >= h.size) return { bytesRead: 0 };
        const { seq, within, n } = chunkSlice(h, position, length);
        // substr() of a blob counts bytes from 1; only the slice crosses into JavaScript.
        const [row] = await sql.query<{ part: Buffer }>(`SELECT substr("bytes", $3, $4) AS "part" FROM "BlobChunk" WHERE "key" = $1 AND "seq" = $2`, key, seq, within + 1, n);
        if (!row) throw new BlobNotFoundError(key);
        buffer.set(row.part, offset);
        return { bytesRead: row.part.length };
      },
      close: async () => {},
    };
  }

  async size(key: string): Promise<number | undefined> {
    return (await this.header(key))?.size;
  }

  async delete(key: string): Promise<void> {
    await this.remove(key, "any", null);
  }

  /**
   * Removes the blob under `key` if it is `which` (stale: uncommitted and touched at or before `before`), with
   * its chunks; true when it did. A blob of a few chunks goes in one statement (its chunks by ON DELETE CASCADE).
   * A larger one would hold the connection while SQLite frees every page of it (some 20 ms for 25 MB here), so
   * its header is first made uncommitted, which hides it at once and leaves it to sweepTemporary should the
   * process die now, and its chunks then go a few per statement.
   */
  private async remove(key: string, which: keyof typeof WHICH, before: Date | null): Promise<boolean> {
    const where = WHICH[which];
    const small = await this.sql.execute(
      `DELETE FROM "Blob" WHERE "key" = $1 AND ${where} AND NOT EXISTS (SELECT 1 FROM "BlobChunk" WHERE "key" = $1 AND "seq" >= $3)`,
      key,
      before,
      DELETE_BATCH,
    );
    if (small === 1) return true;
    const hidden = await this.sql.execute(`UPDATE "Blob" SET "committedAt" = NULL, "touchedAt" = $3 WHERE "key" = $1 AND ${where}`, key, before, new Date());
    if (hidden === 0) return false;
    let gone: number;
    do {
      gone = await this.sql.execute(`DELETE FROM "BlobChunk" WHERE "key" = $1 AND "seq" IN (SELECT "seq" FROM "BlobChunk" WHERE "key" = $1 ORDER BY "seq" DESC LIMIT $2)`, key, DELETE_BATCH);
    } while (gone === DELETE_BATCH);
    await this.sql.execute(`DELETE FROM "Blob" WHERE "key" = $1 AND "committedAt" IS NULL`, key);
    return true;
  }

  async keys(): Promise<string[]> {
    return (await this.sql.query<{ key: string }>(`SELECT "key" FROM "Blob" WHERE "committedAt" IS NOT NULL`)).map((r) => r.key);
  }

  async sweepOrphans(referenced: ReadonlySet<string>, now: Date, minAgeMs = DEFAULT_SWEEP_AGE_MS): Promise<number> {
    const before = minAgeMs > 0 ? new Date(now.getTime() - minAgeMs) : null;
    let removed = 0;
    let after = "";
    for (;;) {
      const page = await this.sql.query<{ key: string }>(
        `SELECT "key" FROM "Blob" WHERE "key" > $1 AND "committedAt" IS NOT NULL AND ($2 IS NULL OR "committedAt" <= $2) ORDER BY "key" LIMIT $3`,
        after,
        before,
        SWEEP_PAGE,
      );
      for (const { key } of page) {
        if (!referenced.has(key) && (await this.remove(key, "committed", null))) removed++;
      }
      if (page.length < SWEEP_PAGE) return removed;
      after = page[page.length - 1]!.key;
    }
  }

  async sweepTemporary(now: Date, graceMs: number): Promise<number> {
    const before = graceMs > 0 ? new Date(now.getTime() - graceMs) : null;
    // Few: only writes that died (a write that fails removes its own).
    const stale = await this.sql.query<{ key: string }>(`SELECT "key" FROM "Blob" WHERE "committedAt" IS NULL AND ($1 IS NULL OR "touchedAt" <= $1)`, before);
    let removed = 0;
    for (const { key } of stale) if (await this.remove(key, "stale", before)) removed++;
    return removed;
  }

  /** Readiness: a header can be inserted (and is rolled back at once). */
  async checkWritable(): Promise<void> {
    try {
      await this.sql.transaction(async (tx) => {
        await tx.execute(`INSERT INTO "Blob" ("key", "chunkBytes", "createdAt", "touchedAt") VALUES ($1, 0, $2, $2)`, `probe-${randomUUID()}`, new Date());
        throw new ProbeDone();
      });
    } catch (err) {
      if (!(err instanceof ProbeDone)) throw err;
    }
  }

  /** The connection is the database client's, closed with it. */
  async close(): Promise<void> {}
}
