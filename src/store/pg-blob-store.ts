import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import pg from "pg";
import { BlobNotFoundError, type BlobSource, type BlobStore, type RandomAccessBlob, type StoredBlob } from "./blob-store.js";
import { chunkSlice, openChunks, readChunks, readInChunks } from "./chunk-buffer.js";
import { queryNamed, StatementNames } from "./pg-sql.js";

/**
 * The blob store in PostgreSQL (DPI_AP_BLOB_STORE=database), so that access point instances sharing a database
 * share their payloads without a shared folder. A blob is a header row ("Blob") and its bytes cut into chunks of
 * CHUNK_BYTES ("BlobChunk", bytea), streamed in and out one chunk at a time: nothing holds a blob whole.
 *
 * Why chunked rows and not large objects: a chunk row belongs to its blob (deleting the header cascades), so
 * no large object is ever orphaned outside the tables (no vacuumlo); the rows are covered by the same
 * migrations, backups of the schema and permissions as every other table; the lo API works only inside a
 * transaction per access; and reading a position is one indexed query (key, seq) plus substring().
 *
 * Visibility, like the folder store's temporary file and rename: the header is written with the first chunk
 * and `committedAt` is set only after the last one, so readers (which ask for committed blobs only) never see
 * half a blob. Each chunk is its own short statement rather than one transaction around the whole upload: an
 * upload may take minutes at the client's pace, and a transaction held that long would hold a pooled
 * connection (a pool of them, with several uploads at once, while a copy blob-to-blob needs a second one) and
 * hold back vacuum. A writer that dies leaves an uncommitted header whose `touchedAt` stops moving; the
 * payload sweeper removes it and its chunks (sweepTemporary) once it is older than the in-flight grace.
 * A blob that fits one chunk, the common case, is written committed in a single statement.
 *
 * Times are the process's clock, as file times are the operating system's: the sweeper compares them with
 * the `now` it is given. They are sent as ISO strings, so a `timestamp` column holds UTC whatever the
 * session's time zone.
 */

/**
 * Chunks of 256 KiB. What one chunk costs in flight is a few times its size (the bind message on the way in;
 * the hex text of bytea and the decoded copy on the way out), so a read or write holds about a megabyte
 * whatever the payload's size, while a 25 MB package is still only 100 rows (a quarter of a second each way on this machine).
 */
export const CHUNK_BYTES = 256 * 1024;

const DEFAULT_SWEEP_AGE_MS = 60 * 60_000;

export interface PgBlobStoreOptions {
  /** Bytes per chunk (tests use small ones to exercise many chunks). */
  chunkBytes?: number;
  /** Connections in the store's own pool. */
  maxConnections?: number;
  /** Prepare the statements each payload runs by name on each connection (default true; pg-sql.ts). */
  namedStatements?: boolean;
}

interface Header {
  size: number;
  chunkBytes: number;
}

export class PgBlobStore implements BlobStore {
  private readonly chunkBytes: number;
  private readonly names: StatementNames;

  private constructor(
    private readonly pool: pg.Pool,
    o: PgBlobStoreOptions,
  ) {
    this.chunkBytes = o.chunkBytes ?? CHUNK_BYTES;
    this.names = new StatementNames(o.namedStatements ?? true);
  }

  /** A statement every payload runs: prepared by name (pg-sql.ts). */
  private q<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return queryNamed<R>(this.pool, this.names, text, values);
  }

  /**
   * A store on its own connection pool to the database of `url` (already migrated: the tables come with the
   * store's migrations). Prisma cannot stream bytea, so this talks to PostgreSQL through `pg` directly.
   */
  static connect(url: string, o: PgBlobStoreOptions = {}): PgBlobStore {
    const pool = new pg.Pool({ connectionString: url, max: o.maxConnections ?? 10, application_name: "dpi-ap blob store" });
    // An idle connection the server dropped: the pool replaces it on the next query, which reports any failure.
    pool.on("error", () => {});
    return new PgBlobStore(pool, o);
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
        if (seq === 0) await this.begin(key);
        await this.append(key, seq++, chunk);
      });
      if (seq === 0) {
        if (rest.length === 0 && !evenEmpty) return undefined;
        await this.writeWhole(key, rest, sha256);
        return { key, size, sha256 };
      }
      if (rest.length > 0) await this.append(key, seq++, rest);
      await this.commit(key, size, sha256);
      return { key, size, sha256 };
    } catch (err) {
      if (seq > 0) await this.delete(key).catch(() => {});
      throw err;
    }
  }

  /** The uncommitted header, written before the first chunk (the chunks refer to it). */
  private async begin(key: string): Promise<void> {
    const at = new Date().toISOString();
    await this.pool.query(`INSERT INTO "Blob" ("key", "chunkBytes", "createdAt", "touchedAt") VALUES ($1, $2, $3, $3)`, [key, this.chunkBytes, at]);
  }

  /** One chunk, and the header touched so the sweeper sees the write is alive. */
  private async append(key: string, seq: number, bytes: Buffer): Promise<void> {
    await this.pool.query(
      `WITH chunk AS (INSERT INTO "BlobChunk" ("key", "seq", "bytes") VALUES ($1, $2, $3)) UPDATE "Blob" SET "touchedAt" = $4 WHERE "key" = $1`,
      [key, seq, bytes, new Date().toISOString()],
    );
  }

  private async commit(key: string, size: number, sha256: Buffer): Promise<void> {
    const at = new Date().toISOString();
    const r = await this.pool.query(`UPDATE "Blob" SET "size" = $2, "sha256" = $3, "committedAt" = $4, "touchedAt" = $4 WHERE "key" = $1 AND "committedAt" IS NULL`, [key, size, sha256, at]);
    // Only when the write stalled longer than the sweeper's grace and its header was removed.
    if (r.rowCount !== 1) throw new Error(`payload ${key} was removed before it was committed (the write stalled longer than the sweep grace)`);
  }

  /** A blob of at most one chunk: header and chunk in one statement, committed at once. */
  private async writeWhole(key: string, bytes: Buffer, sha256: Buffer): Promise<void> {
    const at = new Date().toISOString();
    await this.q(
      `WITH header AS (INSERT INTO "Blob" ("key", "chunkBytes", "size", "sha256", "createdAt", "touchedAt", "committedAt") VALUES ($1, $2, $3, $4, $5, $5, $5))
       INSERT INTO "BlobChunk" ("key", "seq", "bytes") SELECT $1, 0, $6 WHERE octet_length($6::bytea) > 0`,
      [key, this.chunkBytes, bytes.length, sha256, at, bytes],
    );
  }

  /** Public for chunksOf (chunk-buffer.ts); not part of BlobStore. */
  async header(key: string): Promise<Header | undefined> {
    const r = await this.q<{ size: string; chunkBytes: number }>(`SELECT "size", "chunkBytes" FROM "Blob" WHERE "key" = $1 AND "committedAt" IS NOT NULL`, [key]);
    const row = r.rows[0];
    return row ? { size: Number(row.size), chunkBytes: row.chunkBytes } : undefined;
  }

  async chunk(key: string, seq: number): Promise<Buffer | undefined> {
    const r = await this.q<{ bytes: Buffer }>(`SELECT "bytes" FROM "BlobChunk" WHERE "key" = $1 AND "seq" = $2`, [key, seq]);
    return r.rows[0]?.bytes;
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
    const { pool } = this;
    return {
      size: h.size,
      async read(buffer, offset, length, position) {
        if (length <= 0 || position >= h.size) return { bytesRead: 0 };
        const { seq, within, n } = chunkSlice(h, position, length);
        // substring() counts from 1; on uncompressed (EXTERNAL) storage it fetches only the slice.
        const r = await pool.query<{ part: Buffer }>(`SELECT substring("bytes" FROM $3 FOR $4) AS "part" FROM "BlobChunk" WHERE "key" = $1 AND "seq" = $2`, [key, seq, within + 1, n]);
        const part = r.rows[0]?.part;
        if (!part) throw new BlobNotFoundError(key);
        buffer.set(part, offset);
        return { bytesRead: part.length };
      },
      close: async () => {},
    };
  }

  async size(key: string): Promise<number | undefined> {
    return (await this.header(key))?.size;
  }

  async delete(key: string): Promise<void> {
    // The chunks go with their header (ON DELETE CASCADE).
    await this.q(`DELETE FROM "Blob" WHERE "key" = $1`, [key]);
  }

  async keys(): Promise<string[]> {
    return (await this.pool.query<{ key: string }>(`SELECT "key" FROM "Blob" WHERE "committedAt" IS NOT NULL`)).rows.map((r) => r.key);
  }

  async sweepOrphans(referenced: ReadonlySet<string>, now: Date, minAgeMs = DEFAULT_SWEEP_AGE_MS): Promise<number> {
    const before = minAgeMs > 0 ? new Date(now.getTime() - minAgeMs).toISOString() : null;
    const r = await this.pool.query(
      `DELETE FROM "Blob" WHERE "committedAt" IS NOT NULL AND NOT ("key" = ANY($1::text[])) AND ($2::timestamp IS NULL OR "committedAt" <= $2::timestamp)`,
      [[...referenced], before],
    );
    return r.rowCount ?? 0;
  }

  async sweepTemporary(now: Date, graceMs: number): Promise<number> {
    const before = graceMs > 0 ? new Date(now.getTime() - graceMs).toISOString() : null;
    const r = await this.pool.query(`DELETE FROM "Blob" WHERE "committedAt" IS NULL AND ($1::timestamp IS NULL OR "touchedAt" <= $1::timestamp)`, [before]);
    return r.rowCount ?? 0;
  }

  /** Readiness: a header can be inserted (and is rolled back at once). */
  async checkWritable(): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN");
      await c.query(`INSERT INTO "Blob" ("key", "chunkBytes", "createdAt", "touchedAt") VALUES ($1, 0, now(), now())`, [`probe-${randomUUID()}`]);
    } finally {
      await c.query("ROLLBACK").catch(() => {});
      c.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
