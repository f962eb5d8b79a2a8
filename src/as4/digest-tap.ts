import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/** A pass-through stream that hashes what flows through it; read `digest` after the stream finished. */
export class DigestTap extends Transform {
  readonly #hash: Hash;
  #digest: Buffer | undefined;
  bytes = 0;

  constructor(algorithm: "sha256" | "sha512" = "sha256") {
    super();
    this.#hash = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.#digest = this.#hash.digest();
    cb();
  }

  /** The digest of everything that passed; throws if the stream has not finished. */
  get digest(): Buffer {
    if (this.#digest === undefined) throw new Error("DigestTap: stream not finished");
    return this.#digest;
  }
}
