import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, type ReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Payloads (document packages) live as files, not database rows: they are up to tens of megabytes, are
 * streamed in and out, and never change. A blob is written to a temporary file while its digest is computed,
 * flushed to disk, and only then renamed into place, so a crash never leaves a half-written blob under a key.
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
    try {
      await pipeline(source as NodeJS.ReadableStream, meter, createWriteStream(tmpFile));
      const fh = await open(tmpFile, "r+");
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
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
   * leaves one behind. Only blobs older than `minAgeMs` go, so a write in progress is never touched.
   */
  async sweepOrphans(referenced: ReadonlySet<string>, now: Date, minAgeMs = 60 * 60_000): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.blobs)) {
      if (!/^[0-9a-f-]{36}$/.test(name) || referenced.has(name)) continue;
      const info = await stat(path.join(this.blobs, name)).catch(() => undefined);
      if (!info || now.getTime() - info.mtimeMs < minAgeMs) continue;
      await rm(path.join(this.blobs, name), { force: true });
      removed++;
    }
    return removed;
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
