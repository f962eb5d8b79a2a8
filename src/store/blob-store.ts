import { createHash, randomUUID } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat, writeFile, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Payloads (document packages) live as files, not database rows: they are up to tens of megabytes, are
 * streamed in and out, and never change. A blob is written to a temporary file while its digest is computed,
 * flushed to disk, and only then renamed into place, so a crash never leaves a half-written blob under a key.
 * What a crash leaves behind (temporary files, blobs whose message was never committed) is swept by
 * core/payload-sweeper.ts.
 */

export interface StoredBlob {
  key: string;
  size: number;
  sha256: Buffer;
}

export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`payload exceeds ${limit} bytes`);
    this.name = "BlobTooLargeError";
  }
}

export class BlobStore {
  private readonly blobs: string;
  private readonly tmp: string;

  constructor(root: string) {
    this.blobs = path.join(root, "blobs");
    this.tmp = path.join(root, "blobs", ".tmp");
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
  async write(source: AsyncIterable<Buffer | Uint8Array> | NodeJS.ReadableStream, maxBytes = Number.POSITIVE_INFINITY): Promise<StoredBlob> {
    return (await this.store(source, maxBytes, true))!;
  }

  /**
   * Like write, but a source that ends without a single byte makes no blob and touches no file: undefined.
   * For payloads that are often absent (an AS4 receipt carries no dokumentpakke).
   */
  async writeIfAny(source: AsyncIterable<Buffer | Uint8Array> | NodeJS.ReadableStream, maxBytes = Number.POSITIVE_INFINITY): Promise<StoredBlob | undefined> {
    return this.store(source, maxBytes, false);
  }

  private async store(source: AsyncIterable<Buffer | Uint8Array> | NodeJS.ReadableStream, maxBytes: number, evenEmpty: boolean): Promise<StoredBlob | undefined> {
    const key = randomUUID();
    const tmpFile = path.join(this.tmp, key);
    const hash = createHash("sha256");
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > maxBytes) return cb(new BlobTooLargeError(maxBytes));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    const file = new SpoolFile(tmpFile, evenEmpty);
    try {
      await pipeline(source as NodeJS.ReadableStream, meter, file);
      if (!file.created) return undefined;
      await rename(tmpFile, this.pathOf(key));
      await syncDirectory(this.blobs);
    } catch (err) {
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
      if (!/^[0-9a-f-]{36}$/.test(name) || referenced.has(name)) continue;
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

  open(key: string): ReadStream {
    return createReadStream(this.pathOf(key));
  }

  async size(key: string): Promise<number | undefined> {
    return stat(this.pathOf(key)).then((s) => s.size, () => undefined);
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  pathOf(key: string): string {
    if (!/^[0-9a-f-]{36}$/.test(key)) throw new Error(`not a blob key: ${key}`);
    return path.join(this.blobs, key);
  }
}

/**
 * The sink of a blob write: creates its file only when the first byte arrives (at the end when `evenEmpty`
 * and none came), and flushes it to disk before the stream finishes.
 */
class SpoolFile extends Writable {
  private fh: FileHandle | undefined;
  private released = false;
  /** The file operation under way; destroy waits for it, so no handle is opened after the stream died. */
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly evenEmpty: boolean,
  ) {
    super();
  }

  get created(): boolean {
    return this.fh !== undefined;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.pending = this.append(chunk);
    this.pending.then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.pending = this.finish();
    this.pending.then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const release = async () => {
      await this.pending.catch(() => {});
      if (!this.fh || this.released) return;
      this.released = true;
      await this.fh.close().catch(() => {});
    };
    release().then(() => cb(err));
  }

  private async append(chunk: Buffer): Promise<void> {
    this.fh ??= await open(this.file, "wx");
    for (let at = 0; at < chunk.length; ) at += (await this.fh.write(chunk, at, chunk.length - at)).bytesWritten;
  }

  private async finish(): Promise<void> {
    if (!this.fh && this.evenEmpty) this.fh = await open(this.file, "wx");
    if (!this.fh) return;
    await this.fh.sync();
    this.released = true;
    await this.fh.close();
  }
}

/** Makes a rename durable: the directory entry is flushed too (a no-op where directories cannot be opened). */
async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, "r").catch(() => undefined);
  if (!fh) return;
  try {
    await fh.sync();
  } catch {
    // some file systems refuse fsync on directories; the data itself is already flushed
  } finally {
    await fh.close();
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
