import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { BlobNotFoundError, BlobTooLargeError, type BlobSource } from "./blob-store.js";

/**
 * Collects incoming pieces and hands them out in chunks of exactly `size` bytes (for readInChunks): the database blob stores
 * (pg-blob-store.ts, sqlite-blob-store.ts) cut a payload into rows of one size whatever sizes the network
 * delivers it in, so a position is found by division.
 */
class ChunkBuffer {
  private pieces: Buffer[] = [];
  private length = 0;

  constructor(private readonly size: number) {}

  add(bytes: Buffer | Uint8Array): void {
    if (bytes.length === 0) return;
    this.pieces.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    this.length += bytes.length;
  }

  /** The next full chunk, or undefined while fewer than `size` bytes are held. */
  take(): Buffer | undefined {
    if (this.length < this.size) return undefined;
    const all = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, this.length);
    const chunk = all.subarray(0, this.size);
    const rest = all.subarray(this.size);
    this.pieces = rest.length ? [rest] : [];
    this.length = rest.length;
    return chunk;
  }

  /** What is left (less than one chunk). */
  rest(): Buffer {
    const all = Buffer.concat(this.pieces, this.length);
    this.pieces = [];
    this.length = 0;
    return all;
  }
}

/** A blob's header as the database stores keep it, and how to fetch one of its chunks. */
export interface ChunkedBlob {
  header(key: string): Promise<{ size: number; chunkBytes: number } | undefined>;
  chunk(key: string, seq: number): Promise<Buffer | undefined>;
}

/** The chunks of a committed blob in order, fetched one at a time as the reader asks for them. */
export async function* chunksOf(blob: ChunkedBlob, key: string): AsyncGenerator<Buffer> {
  const h = await blob.header(key);
  if (!h) throw new BlobNotFoundError(key);
  let got = 0;
  for (let seq = 0; got < h.size; seq++) {
    const bytes = await blob.chunk(key, seq);
    // Deleted while it was read.
    if (!bytes) throw new BlobNotFoundError(key);
    got += bytes.length;
    yield bytes;
  }
}

/** The blob as a stream: byte mode with a one-byte high-water mark, so the next chunk is fetched only once the reader took this one. */
export function openChunks(blob: ChunkedBlob, key: string): Readable {
  return Readable.from(chunksOf(blob, key), { objectMode: false, highWaterMark: 1 });
}

/** The blob whole. */
export async function readChunks(blob: ChunkedBlob, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunksOf(blob, key)) parts.push(c);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Where `length` bytes from `position` start in a chunked blob: the chunk, the offset in it, and how many of them that chunk holds. */
export function chunkSlice(h: { size: number; chunkBytes: number }, position: number, length: number): { seq: number; within: number; n: number } {
  const seq = Math.floor(position / h.chunkBytes);
  const within = position - seq * h.chunkBytes;
  return { seq, within, n: Math.min(length, h.chunkBytes - within, h.size - position) };
}

/**
 * Reads `source` in chunks of `chunkBytes`, handing each full one to `onChunk` as it is complete (in order, one at a
 * time), and fails with BlobTooLargeError as soon as more than `maxBytes` arrived. Returns the size, the SHA-256 and
 * the bytes left over, fewer than one chunk: how the database stores take a payload in.
 */
export async function readInChunks(
  source: BlobSource,
  maxBytes: number,
  chunkBytes: number,
  onChunk: (chunk: Buffer) => Promise<void>,
): Promise<{ size: number; sha256: Buffer; rest: Buffer }> {
  const hash = createHash("sha256");
  const pending = new ChunkBuffer(chunkBytes);
  let size = 0;
  for await (const piece of source as AsyncIterable<Buffer | Uint8Array | string>) {
    const bytes = typeof piece === "string" ? Buffer.from(piece) : piece;
    size += bytes.length;
    if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
    hash.update(bytes);
    pending.add(bytes);
    for (let chunk = pending.take(); chunk; chunk = pending.take()) await onChunk(chunk);
  }
  return { size, sha256: hash.digest(), rest: pending.rest() };
}
