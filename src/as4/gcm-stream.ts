import { createCipheriv, createDecipheriv, createHash, randomBytes, type CipherGCM, type DecipherGCM } from "node:crypto";
import { once } from "node:events";
import { Transform, type TransformCallback } from "node:stream";
import { finished } from "node:stream/promises";
import { EbmsError } from "./ebms-errors.js";
import type { Spool } from "./temp-files.js";

/**
 * AES-128-GCM as used by XML Encryption 1.1 for attachments: the octets are IV(12) ‖ ciphertext ‖ tag(16).
 * GCM hands out plaintext before it has checked the tag, so decrypted bytes must go to a spool that is
 * readable only after `final()` succeeded: use `decryptToSpool`, not the raw transform, for untrusted input.
 */

export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
export const AES128_KEY_BYTES = 16;
export const EBMS_FAILED_DECRYPTION = "EBMS:0102";

/** Wrong key, tampered or truncated ciphertext: EBMS:0102 FailedDecryption. */
export class GcmDecryptionError extends EbmsError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(EBMS_FAILED_DECRYPTION, detail, options);
    this.name = "GcmDecryptionError";
  }
}

function checkKey(key: Buffer): void {
  if (key.length !== AES128_KEY_BYTES) throw new RangeError(`AES-128 key must be 16 bytes, got ${key.length}`);
}

/**
 * AES-128-GCM encryption piece by piece, for a caller that drives it itself instead of through a stream: `iv` goes
 * first on the wire, then each `update`'s ciphertext, then `final`'s (the cipher's last bytes and the tag).
 */
export class GcmEncryptor {
  readonly iv: Buffer;
  readonly #cipher: CipherGCM;

  /** `iv` is injectable for deterministic tests and must never repeat for one key. */
  constructor(key: Buffer, iv: Buffer = randomBytes(GCM_IV_BYTES)) {
    checkKey(key);
    if (iv.length !== GCM_IV_BYTES) throw new RangeError(`GCM IV must be 12 bytes, got ${iv.length}`);
    this.iv = iv;
    this.#cipher = createCipheriv("aes-128-gcm", key, iv);
  }

  /** The ciphertext of `plaintext`, in a new buffer (the plaintext's may be reused at once). */
  update(plaintext: Uint8Array): Buffer {
    return this.#cipher.update(plaintext);
  }

  /** The cipher's last bytes and the authentication tag. */
  final(): Buffer {
    const last = this.#cipher.final();
    return last.length === 0 ? this.#cipher.getAuthTag() : Buffer.concat([last, this.#cipher.getAuthTag()]);
  }
}

/** Encrypts a stream; `iv` is injectable for deterministic tests and must never repeat for one key. */
export function gcmEncryptStream(key: Buffer, iv?: Buffer): Transform {
  const cipher = new GcmEncryptor(key, iv);
  let ivSent = false;
  const sendIv = (t: Transform): void => {
    if (!ivSent) {
      t.push(cipher.iv);
      ivSent = true;
    }
  };
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      sendIv(this);
      cb(null, cipher.update(chunk));
    },
    flush(cb: TransformCallback) {
      sendIv(this);
      cb(null, cipher.final());
    },
  });
}

/**
 * The same as {@link gcmEncryptStream} for content already in memory, in one call: IV ‖ ciphertext ‖ tag, the
 * very bytes the stream writes for the same key and IV.
 */
export function gcmEncrypt(key: Buffer, plaintext: Buffer, iv: Buffer = randomBytes(GCM_IV_BYTES)): Buffer {
  checkKey(key);
  if (iv.length !== GCM_IV_BYTES) throw new RangeError(`GCM IV must be 12 bytes, got ${iv.length}`);
  const cipher = createCipheriv("aes-128-gcm", key, iv);
  const body = cipher.update(plaintext);
  const last = cipher.final();
  return Buffer.concat([iv, body, last, cipher.getAuthTag()]);
}

/**
 * The same as {@link gcmDecryptStream} for IV ‖ ciphertext ‖ tag already in memory, with the same errors; the
 * plaintext is returned only after the tag checked out.
 */
export function gcmDecrypt(key: Buffer, data: Buffer): Buffer {
  checkKey(key);
  if (data.length < GCM_IV_BYTES + GCM_TAG_BYTES) throw new GcmDecryptionError("ciphertext shorter than IV and authentication tag");
  const decipher = createDecipheriv("aes-128-gcm", key, data.subarray(0, GCM_IV_BYTES)) as DecipherGCM;
  const cut = data.length - GCM_TAG_BYTES;
  const body = decipher.update(data.subarray(GCM_IV_BYTES, cut));
  try {
    decipher.setAuthTag(data.subarray(cut));
    const last = decipher.final();
    return last.length === 0 ? body : Buffer.concat([body, last]);
  } catch (err) {
    throw new GcmDecryptionError("AES-GCM authentication failed", { cause: err });
  }
}

/**
 * Decrypts IV ‖ ciphertext ‖ tag given piece by piece. The last 16 bytes seen so far are always held back, because
 * only the end tells which bytes are the tag. It keeps nothing of a piece but copies, so a caller may fill the same
 * buffer again once `update` returned.
 */
class GcmDecryptor {
  #head: Buffer = Buffer.alloc(0);
  #decipher: DecipherGCM | undefined;
  #tail: Buffer = Buffer.alloc(0);

  constructor(private readonly key: Buffer) {
    checkKey(key);
  }

  /** Hands `out` the plaintext of everything but the bytes held back (none, one or two buffers). */
  update(chunk: Buffer, out: (plain: Buffer) => void): void {
    if (this.#decipher === undefined) {
      this.#head = Buffer.concat([this.#head, chunk]);
      if (this.#head.length < GCM_IV_BYTES) return;
      this.#decipher = createDecipheriv("aes-128-gcm", this.key, this.#head.subarray(0, GCM_IV_BYTES)) as DecipherGCM;
      chunk = this.#head.subarray(GCM_IV_BYTES);
      this.#head = Buffer.alloc(0);
    }
    if (chunk.length < GCM_TAG_BYTES) {
      // A short chunk: joining it to the held-back bytes copies at most 31 bytes.
      const data = Buffer.concat([this.#tail, chunk]);
      if (data.length <= GCM_TAG_BYTES) {
        this.#tail = data;
        return;
      }
      const cut = data.length - GCM_TAG_BYTES;
      this.#tail = Buffer.from(data.subarray(cut));
      out(this.#decipher.update(data.subarray(0, cut)));
      return;
    }
    // The bytes held back are not the tag after all, and go first; the chunk is not copied to join them.
    if (this.#tail.length > 0) out(this.#decipher.update(this.#tail));
    const cut = chunk.length - GCM_TAG_BYTES;
    // a copy: the chunk's buffer may be filled again, and a large one is not kept alive by a 16-byte view
    this.#tail = Buffer.from(chunk.subarray(cut));
    out(this.#decipher.update(chunk.subarray(0, cut)));
  }

  /** The last plaintext bytes once the tag checked out; GcmDecryptionError otherwise. */
  final(): Buffer {
    if (this.#decipher === undefined || this.#tail.length < GCM_TAG_BYTES) {
      throw new GcmDecryptionError("ciphertext shorter than IV and authentication tag");
    }
    try {
      this.#decipher.setAuthTag(this.#tail);
      return this.#decipher.final();
    } catch (err) {
      throw new GcmDecryptionError("AES-GCM authentication failed", { cause: err });
    }
  }
}

/**
 * Decrypts IV ‖ ciphertext ‖ tag as a stream (see GcmDecryptor). Fails at the end with GcmDecryptionError if the
 * tag is wrong.
 */
export function gcmDecryptStream(key: Buffer): Transform {
  const decryptor = new GcmDecryptor(key);
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      decryptor.update(chunk, (plain) => this.push(plain));
      cb();
    },
    flush(cb: TransformCallback) {
      let last: Buffer;
      try {
        last = decryptor.final();
      } catch (err) {
        return cb(err as Error);
      }
      cb(null, last);
    },
  });
}

export interface DecryptedContent {
  size: number;
  sha256: Buffer;
}

/**
 * Decrypts `source` (pieces of the ciphertext, or the whole of it in memory) into `spool`. The spool is readable
 * only once it was written, which happens after the tag checked out; on any failure it is released (memory
 * dropped, file removed), so no unverified plaintext is left anywhere. Pieces are deciphered before the next one
 * is asked for, so a source may hand out one buffer filled again and again (SpooledContent.readInto).
 */
export async function decryptToSpool(source: Buffer | AsyncIterable<Buffer>, key: Buffer, spool: Spool): Promise<DecryptedContent> {
  if (source instanceof Buffer) {
    // Content in memory takes one call each instead of a pipeline of streams; put() releases on its own failure.
    let plain: Buffer;
    try {
      plain = gcmDecrypt(key, source);
    } catch (err) {
      await spool.release();
      throw err;
    }
    const sha256 = createHash("sha256").update(plain).digest();
    await spool.put(plain);
    return { size: plain.length, sha256 };
  }
  // A loop rather than a pipeline of streams (decipher, digest, spool): no Transform per step, and a source's
  // buffer is free again as soon as its piece was deciphered.
  const decryptor = new GcmDecryptor(key);
  const hash = createHash("sha256");
  const sink = spool.sink;
  let size = 0;
  let full = false;
  const write = (plain: Buffer): void => {
    if (plain.length === 0) return;
    size += plain.length;
    hash.update(plain);
    if (!sink.write(plain)) full = true;
  };
  // The sink's own failure (a full disk) ends the loop at its next wait instead of going unhandled.
  const failed = new Promise<never>((_, reject) => sink.once("error", reject));
  failed.catch(() => undefined);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      decryptor.update(chunk, write);
      if (full) {
        await Promise.race([once(sink, "drain"), failed]);
        full = false;
      }
    }
    write(decryptor.final());
    sink.end();
    await Promise.race([finished(sink), failed]);
  } catch (err) {
    await spool.release();
    throw err;
  }
  return { size, sha256: hash.digest() };
}
