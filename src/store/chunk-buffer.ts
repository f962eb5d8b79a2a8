/**
 * Collects incoming pieces and hands them out in chunks of exactly `size` bytes: the database blob stores
 * (pg-blob-store.ts, sqlite-blob-store.ts) cut a payload into rows of one size whatever sizes the network
 * delivers it in, so a position is found by division.
 */
export class ChunkBuffer {
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
