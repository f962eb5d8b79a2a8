import { createHash, randomUUID } from "node:crypto";
import { close as fsClose, createReadStream, fsync as fsFsync, open as fsOpen, write as fsWrite, writev as fsWritev, type ReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { SharedFlush } from "./shared-flush.js";

/**
 * Payloads (document packages, eFormidling files and packages) are kept apart from the message rows: they are
 * up to tens of megabytes, are streamed in and out, and never change. Where they live is the BlobStore's
 * business: files in a folder (FolderBlobStore below, the default) or chunked rows in the database
 * (DPI_AP_BLOB_STORE=database: pg-blob-store.ts, sqlite-blob-store.ts). Callers use only this interface, never a
 * file path, so any of them serves the whole access point.
 */

export interface StoredBlob {
  key: string;
  size: number;
  sha256: Buffer;
}

export type BlobSource = AsyncIterable<Buffer | Uint8Array> | NodeJS.ReadableStream;

/** Reads at any position of a stored blob, holding no more of it than the caller asks for. */
export interface RandomAccessBlob {
  readonly size: number;
  /** Like FileHandle.read: may return fewer bytes than asked for (never 0 before the end). */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * Bytes per piece read, where the store reads a file (the folder store; the database stores read their rows).
   * Pass a larger one (the outbox uses 256 KiB) only for a payload known to be large: each piece costs a read
   * call and a callback, so reading 25 MB in 64 KiB pieces cost tens of milliseconds more, but each open
   * allocates a piece up front, so a small file read this way would hold memory it never fills. 1 MiB pieces
   * took no less CPU than 256 KiB and left more resident memory. Default 64 KiB.
   */
  chunkBytes?: number;
}

export interface BlobStore {
  /**
   * Streams source into a new blob, failing with BlobTooLargeError as soon as more than maxBytes arrive.
   * The blob is not visible under its key until the returned promise resolves, and a crash before that leaves
   * nothing visible (only leftovers for sweepTemporary).
   */
  write(source: BlobSource, maxBytes?: number): Promise<StoredBlob>;
  /**
   * Like write, but a source that ends without a single byte makes no blob and stores nothing: undefined.
   * For payloads that are often absent (an AS4 receipt carries no dokumentpakke).
   */
  writeIfAny(source: BlobSource, maxBytes?: number): Promise<StoredBlob | undefined>;
  /** The blob's bytes as a stream, read piece by piece; a missing blob fails the stream (see isBlobMissing). */
  open(key: string, options?: OpenOptions): Readable;
  /**
   * The blob's bytes whole, in memory: only for callers that need them whole anyway (XML to parse, a package to
   * decrypt or repackage). Throws BlobNotFoundError.
   */
  read(key: string): Promise<Buffer>;
  /** Random access to the blob (reading a CMS structure without its content). Throws BlobNotFoundError. */
  openRandomAccess(key: string): Promise<RandomAccessBlob>;
  /** The size of a stored blob; undefined when there is none under the key. */
  size(key: string): Promise<number | undefined>;
  /** Removes the blob; a missing one is no error. */
  delete(key: string): Promise<void>;
  /** The keys of every stored blob (not those being written). */
  keys(): Promise<string[]>;
  /**
   * Removes blobs no stored message refers to: a crash between writing a blob and committing its message
   * leaves one behind. Only blobs stored more than `minAgeMs` before `now` go (all of them for 0), so a blob
   * whose message is about to be committed is never touched.
   */
  sweepOrphans(referenced: ReadonlySet<string>, now: Date, minAgeMs?: number): Promise<number>;
  /**
   * Removes what interrupted writes left, last written to more than `graceMs` before `now` (all of it for 0).
   * A write in progress touches its leftovers with every chunk, so it is younger than any sensible grace.
   */
  sweepTemporary(now: Date, graceMs: number): Promise<number>;
  /** Readiness: a blob could be written now. */
  checkWritable(): Promise<void>;
  /** Releases connections (the folder store holds none). */
  close(): Promise<void>;
}

export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`payload exceeds ${limit} bytes`);
    this.name = "BlobTooLargeError";
  }
}

export class BlobNotFoundError extends Error {
  readonly code = "blob-not-found";
  constructor(readonly key: string) {
    super(`no stored payload ${key}`);
    this.name = "BlobNotFoundError";
  }
}

/** Whether err says the blob is not there: BlobNotFoundError, or the folder store's stream failing with ENOENT. */
export function isBlobMissing(err: unknown): boolean {
  return err instanceof BlobNotFoundError || (err as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

/**
 * The folder store: a blob is written to a temporary file while its digest is computed, flushed to disk, and
 * only then renamed into place, so a crash never leaves a half-written blob under a key. What a crash leaves
 * behind (temporary files, blobs whose message was never committed) is swept by core/payload-sweeper.ts.
 */
export class FolderBlobStore implements BlobStore {
  private readonly blobs: string;
  private readonly tmp: string;
  /** Flushes the folder after renames into it, one flush for the writers that finish together. */
  private readonly directorySync: SharedFlush;

  constructor(root: string) {
    this.blobs = path.join(root, "blobs");
    this.tmp = path.join(root, "blobs", ".tmp");
    this.directorySync = new SharedFlush(() => syncDirectory(this.blobs));
  }

  /**
   * Creates the folders and removes temporary files a crash left behind. When other processes share the
   * folder (a PostgreSQL deployment), only files older than `staleAfterMs` go: theirs may still be written.
   */
  async init(o: { shared?: boolean; staleAfterMs?: number } = {}): Promise<void> {
    await mkdir(this.tmp, { recursive: true });
    await removeStale(this.tmp, o.shared ? (o.staleAfterMs ?? 60 * 60_000) : 0);
  }

  /**
   * Streams source into a new blob, failing with BlobTooLargeError as soon as more than maxBytes arrive.
   * The blob is not visible under its key until the returned promise resolves.
   */
  async write(source: BlobSource, maxBytes = Number.POSITIVE_INFINITY): Promise<StoredBlob> {
    return (await this.store(source, maxBytes, true))!;
  }

  /**
   * Like write, but a source that ends without a single byte makes no blob and touches no file: undefined.
   * For payloads that are often absent (an AS4 receipt carries no dokumentpakke).
   */
  async writeIfAny(source: BlobSource, maxBytes = Number.POSITIVE_INFINITY): Promise<StoredBlob | undefined> {
    return this.store(source, maxBytes, false);
  }

  private async store(source: BlobSource, maxBytes: number, evenEmpty: boolean): Promise<StoredBlob | undefined> {
    const key = randomUUID();
    const tmpFile = path.join(this.tmp, key);
    const hash = createHash("sha256");
    let size = 0;
    // A plain loop over the source instead of a stream pipeline into a Writable: the same backpressure (the
    // next chunk is asked for once this one is written), without a pipeline's AbortController, a Transform and
    // a Writable per payload. The file is made with the first byte, as before, so a write in progress is seen
    // by the sweeper; the descriptor is a plain one (callback fs), never left to a FileHandle's collector.
    // Chunks are gathered up to WRITE_BATCH_BYTES and written with one writev: an upload arrives in pieces of
    // 64 KiB or less, and a write call per piece cost more CPU than the copying itself.
    let fd: number | undefined;
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    try {
      for await (const piece of source as AsyncIterable<Buffer | Uint8Array | string>) {
        const chunk = typeof piece === "string" ? Buffer.from(piece) : piece;
        size += chunk.byteLength;
        if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
        hash.update(chunk);
        fd ??= await fileOps.openNew(tmpFile);
        batch.push(chunk);
        batchBytes += chunk.byteLength;
        if (batchBytes >= WRITE_BATCH_BYTES) {
          const full = batch;
          batch = [];
          await fileOps.writeAllv(fd, full, batchBytes);
          batchBytes = 0;
        }
      }
      if (fd !== undefined && batchBytes > 0) await fileOps.writeAllv(fd, batch, batchBytes);
      if (fd === undefined) {
        if (!evenEmpty) return undefined;
        fd = await fileOps.openNew(tmpFile);
      }
      await fileOps.fsync(fd);
      const closing = fd;
      fd = undefined;
      await fileOps.close(closing);
      await rename(tmpFile, this.pathOf(key));
      await this.directorySync.sync();
    } catch (err) {
      if (fd !== undefined) await fileOps.close(fd).catch(() => {});
      await rm(tmpFile, { force: true });
      throw err;
    }
    return { key, size, sha256: hash.digest() };
  }

  /**
   * Removes blobs no stored message refers to: a crash between writing a blob and committing its message
   * leaves one behind. Only blobs older than `minAgeMs` go (all of them for 0), so a write in progress is never
   * touched.
   */
  async sweepOrphans(referenced: ReadonlySet<string>, now: Date, minAgeMs = 60 * 60_000): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.blobs)) {
      if (!BLOB_KEY.test(name) || referenced.has(name)) continue;
      const info = await stat(path.join(this.blobs, name)).catch(() => undefined);
      if (!info || (minAgeMs > 0 && now.getTime() - info.mtimeMs < minAgeMs)) continue;
      await rm(path.join(this.blobs, name), { force: true });
      removed++;
    }
    return removed;
  }

  /**
   * Removes temporary files last written more than `graceMs` before `now` (all of them for 0): writes a crash
   * interrupted. A write in progress touches its file with every chunk, so it is younger than any sensible grace.
   */
  async sweepTemporary(now: Date, graceMs: number): Promise<number> {
    return removeStale(this.tmp, graceMs, now.getTime());
  }

  /** Readiness: the folder exists and a file can be created in it. */
  async checkWritable(): Promise<void> {
    const probe = path.join(this.tmp, `probe-${randomUUID()}`);
    await writeFile(probe, "");
    await rm(probe, { force: true });
  }

  open(key: string, options: OpenOptions = {}): ReadStream {
    return createReadStream(this.pathOf(key), options.chunkBytes !== undefined ? { highWaterMark: options.chunkBytes } : {});
  }

  async read(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key)).catch((err: unknown) => {
      throw isBlobMissing(err) ? new BlobNotFoundError(key) : err;
    });
  }

  async openRandomAccess(key: string): Promise<RandomAccessBlob> {
    const fh = await open(this.pathOf(key), "r").catch((err: unknown) => {
      throw isBlobMissing(err) ? new BlobNotFoundError(key) : err;
    });
    try {
      const { size } = await fh.stat();
      return { size, read: (buffer, offset, length, position) => fh.read(buffer, offset, length, position), close: () => fh.close() };
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async size(key: string): Promise<number | undefined> {
    return stat(this.pathOf(key)).then((s) => s.size, () => undefined);
  }

  async delete(key: string): Promise<void> {
    // unlink alone: rm would look the path up first (one more call per payload) to see whether it is a folder.
    await unlink(this.pathOf(key)).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    });
  }

  async keys(): Promise<string[]> {
    return (await readdir(this.blobs)).filter((name) => BLOB_KEY.test(name));
  }

  async close(): Promise<void> {}

  /** The blob's file: for tests of this store only (callers use the BlobStore interface). */
  pathOf(key: string): string {
    if (!BLOB_KEY.test(key)) throw new Error(`not a blob key: ${key}`);
    return path.join(this.blobs, key);
  }
}

const BLOB_KEY = /^[0-9a-f-]{36}$/;
/** Bytes gathered per write of a blob (see store); bounded so an upload in progress holds little memory. */
const WRITE_BATCH_BYTES = 256 * 1024;

/** The file calls of a blob write, on plain descriptors: a FileHandle and its promise machinery per call cost more. */
const fileOps = {
  openNew: (file: string) => new Promise<number>((resolve, reject) => fsOpen(file, "wx", (err, fd) => (err ? reject(err) : resolve(fd)))),
  async writeAll(fd: number, chunk: Uint8Array): Promise<void> {
    for (let at = 0; at < chunk.byteLength; ) {
      at += await new Promise<number>((resolve, reject) => fsWrite(fd, chunk, at, chunk.byteLength - at, null, (err, n) => (err ? reject(err) : resolve(n))));
    }
  },
  /** Writes `chunks` (`total` bytes) in order: one writev, then plain writes for whatever it left. */
  async writeAllv(fd: number, chunks: Uint8Array[], total: number): Promise<void> {
    let skip = await new Promise<number>((resolve, reject) => fsWritev(fd, chunks as NodeJS.ArrayBufferView[], null, (err, n) => (err ? reject(err) : resolve(n))));
    if (skip === total) return;
    for (const c of chunks) {
      if (skip >= c.byteLength) {
        skip -= c.byteLength;
        continue;
      }
      await fileOps.writeAll(fd, skip === 0 ? c : c.subarray(skip));
      skip = 0;
    }
  },
  fsync: (fd: number) => new Promise<void>((resolve, reject) => fsFsync(fd, (err) => (err ? reject(err) : resolve()))),
  close: (fd: number) => new Promise<void>((resolve, reject) => fsClose(fd, (err) => (err ? reject(err) : resolve()))),
};

/** Makes a rename durable: the directory entry is flushed too (a no-op where directories cannot be opened). */
async function syncDirectory(dir: string): Promise<void> {
  const fd = await new Promise<number | undefined>((resolve) => fsOpen(dir, "r", (err, fd) => resolve(err ? undefined : fd)));
  if (fd === undefined) return;
  try {
    await fileOps.fsync(fd);
  } catch {
    // some file systems refuse fsync on directories; the data itself is already flushed
  } finally {
    await fileOps.close(fd);
  }
}

/** Removes the entries of `dir` last modified more than `ageMs` ago (all of them for 0). */
export async function removeStale(dir: string, ageMs: number, now = Date.now()): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const p = path.join(dir, name);
    const info = await stat(p).catch(() => undefined);
    if (!info || (ageMs > 0 && now - info.mtimeMs < ageMs)) continue;
    await rm(p, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
