import { Transform, type TransformCallback } from "node:stream";
import { EbmsError, type EbmsErrorCode } from "./ebms-errors.js";

/**
 * Size limits as pass-through streams. A budget can be shared by several streams (all parts of one message)
 * or owned by one (a single part); a stream may draw on several budgets at once.
 */

/** A size limit was passed; `code` is the EBMS error the limit maps to where it guards. */
export class SizeLimitError extends EbmsError {
  constructor(
    /** What was being counted, e.g. "decompressed payload". */
    readonly what: string,
    readonly limit: number,
    code: EbmsErrorCode,
  ) {
    super(code, `${what} exceeds the limit of ${limit} bytes`);
    this.name = "SizeLimitError";
  }
}

export class ByteBudget {
  #used = 0;
  constructor(
    readonly limit: number,
    readonly what: string,
    readonly ebmsCode: EbmsErrorCode,
  ) {
    if (!(limit >= 0)) throw new RangeError(`limit must be >= 0, got ${limit}`);
  }

  get used(): number {
    return this.#used;
  }

  /** Accounts for `n` more bytes; throws once the total passes the limit. */
  take(n: number): void {
    this.#used += n;
    if (this.#used > this.limit) throw new SizeLimitError(this.what, this.limit, this.ebmsCode);
  }
}

/** A pass-through stream that charges every byte to each budget and fails on the first overrun. */
export function limitBytes(...budgets: ByteBudget[]): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      try {
        for (const b of budgets) b.take(chunk.length);
      } catch (err) {
        cb(err as Error);
        return;
      }
      cb(null, chunk);
    },
  });
}

/** A pass-through stream that only counts. */
export class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}
