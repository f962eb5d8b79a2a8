/**
 * Base64 of a byte stream and back, for payloads of tens of megabytes carried as XML text (the DPI dokumentpakke).
 * Both work on bytes and pass text through V8 strings only in pieces of at most 64 KiB: a string past about
 * 128 KiB is allocated in V8's large-object space, which made every conversion 7 to 30 times slower (33 MB of
 * base64 checked and decoded in 64 KiB strings: 25 ms of CPU; in the 256 KiB chunks gunzip hands out: 160–190 ms).
 * Each call still answers with one buffer for the whole chunk it was given, so the stream keeps its chunk size.
 */

/** Characters of base64 text per string. */
const TEXT_PIECE = 64 * 1024;
/** Bytes encoded per string: a whole number of 3-byte groups, giving TEXT_PIECE characters. */
const BYTE_PIECE = (TEXT_PIECE / 4) * 3;

const EMPTY = Buffer.alloc(0);

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Base64 of a byte stream: push each chunk, then end(); the 0–2 bytes that do not fill a group wait for the next. */
export class Base64Encoder {
  #carry: Buffer = EMPTY;

  /** The base64 of every whole 3-byte group so far not yet encoded (possibly empty). */
  push(chunk: Uint8Array): Buffer {
    const data = asBuffer(chunk);
    const total = this.#carry.length + data.length;
    if (total < 3) {
      this.#carry = Buffer.concat([this.#carry, data]);
      return EMPTY;
    }
    const out = Buffer.allocUnsafe(Math.floor(total / 3) * 4);
    let written = 0;
    let at = 0;
    if (this.#carry.length > 0) {
      at = 3 - this.#carry.length;
      written += out.write(Buffer.concat([this.#carry, data.subarray(0, at)]).toString("base64"), written, "latin1");
    }
    const usable = at + Math.floor((data.length - at) / 3) * 3;
    for (let p = at; p < usable; p += BYTE_PIECE) written += out.write(data.toString("base64", p, Math.min(p + BYTE_PIECE, usable)), written, "latin1");
    this.#carry = usable === data.length ? EMPTY : Buffer.from(data.subarray(usable));
    return out;
  }

  /** The last, padded group. */
  end(): Buffer {
    const rest = this.#carry;
    this.#carry = EMPTY;
    return rest.length === 0 ? EMPTY : Buffer.from(rest.toString("base64"), "latin1");
  }
}

const XML_SPACE = /[ \t\r\n]/;
const XML_SPACES = /[ \t\r\n]+/g;
const NOT_BASE64 = /[^A-Za-z0-9+/=]/;
const NOT_PADDING = /[^=]/;
const LAST_GROUP = /^[A-Za-z0-9+/]{2,3}=*$/;
const PADDED_GROUP = /^(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)$/;
const BASE64_ONLY = /^[A-Za-z0-9+/]*$/;
/** Pieces the fast path may fail before a decoder stops trying it (wrapped text fails it in every piece). */
const FAST_MISSES = 2;

/**
 * Strict streaming base64 (xs:base64Binary) from bytes: the standard alphabet, XML whitespace anywhere, `=`
 * padding only in the last 4-character group, no unpadded remainder. `fail` makes the error for a refusal.
 */
export class Base64Decoder {
  /** The characters of an incomplete group, carried to the next piece. */
  #pending = "";
  #padded = false;
  #fastMisses: number;

  /** `options.fast` false scans every piece before decoding it, as the decoder did before its fast path (tests compare the two). */
  constructor(
    private readonly fail: (detail: string) => Error,
    options: { fast?: boolean } = {},
  ) {
    this.#fastMisses = options.fast === false ? FAST_MISSES : 0;
  }

  /**
   * The bytes of every whole group in `text` (and what was pending before it). With `inPlace`, decoded into
   * `text`'s own bytes, which it overwrites, instead of a new buffer (when they fit there, as they do but for a
   * few characters with a group pending): for a caller whose chunk nobody reads again.
   */
  push(text: Uint8Array, inPlace = false): Buffer {
    const data = asBuffer(text);
    const length = Math.floor((this.#pending.length + data.length) / 4) * 3;
    // Each piece is copied to a string before anything is written, and its bytes never end past the piece's end.
    const out = inPlace && length <= data.length ? data : Buffer.allocUnsafe(length);
    let written = 0;
    for (let p = 0; p < data.length; p += TEXT_PIECE) written += this.#piece(data.toString("latin1", p, Math.min(p + TEXT_PIECE, data.length)), out, written);
    return out.subarray(0, written);
  }

  /** The bytes of the last group; a group left incomplete is refused. */
  end(): Buffer {
    const rest = this.#pending;
    this.#pending = "";
    if (rest === "") return EMPTY;
    if (!PADDED_GROUP.test(rest)) throw this.fail("not base64: the last group is incomplete");
    return Buffer.from(rest, "base64");
  }

  /** Decodes one piece (one character per byte) into `out` at `at`; answers the bytes written. */
  #piece(raw: string, out: Buffer, at: number): number {
    if (this.#fastMisses < FAST_MISSES && !this.#padded) {
      const written = this.#fastPiece(raw, out, at);
      if (written >= 0) return written;
      this.#fastMisses += 1;
    }
    return this.#checkedPiece(raw, out, at);
  }

  /**
   * The usual piece, nothing but the 64 characters of the alphabet, decoded without scanning it first: Node's
   * decoder skips any other character (or stops at `=`), so a piece that is not all alphabet gives fewer bytes
   * than its whole groups must; only `-` and `_` (base64url, which xs:base64Binary refuses) does Node take, and
   * they are searched for separately. Answers -1, having decided nothing, for any other piece: the checked path
   * then finds and refuses or strips what is there, exactly as it always did. Bytes this wrote into `out` are
   * overwritten by that path's or not counted.
   */
  #fastPiece(raw: string, out: Buffer, at: number): number {
    const pending = this.#pending;
    const usable = pending.length + raw.length - ((pending.length + raw.length) % 4);
    // Indexes into raw: the characters of the incomplete group after it are not decoded now, so they must pass the
    // scan the decoder skipped.
    const end = usable - pending.length;
    const rest = usable === 0 ? pending + raw : raw.slice(end);
    if (!BASE64_ONLY.test(rest) || raw.includes("-") || raw.includes("_")) return -1;
    if (usable === 0) {
      this.#pending = rest;
      return 0;
    }
    // The group pending is completed on its own: joined to the whole piece, the string would be copied whole.
    const first = pending === "" ? 0 : 4 - pending.length;
    let written = first === 0 ? 0 : out.write(pending + raw.slice(0, first), at, "base64");
    if (end > first) written += out.write(first === 0 && end === raw.length ? raw : raw.slice(first, end), at + written, "base64");
    if (written !== (usable / 4) * 3) return -1;
    this.#pending = rest;
    return written;
  }

  /** Decodes one piece after scanning it for whitespace, characters outside the alphabet and misplaced padding. */
  #checkedPiece(raw: string, out: Buffer, at: number): number {
    // One scan in the usual case (no whitespace); the first whitespace found costs a second.
    let clean = raw;
    let bad = NOT_BASE64.exec(clean);
    if (bad && XML_SPACE.test(bad[0])) {
      clean = raw.replace(XML_SPACES, "");
      bad = NOT_BASE64.exec(clean);
    }
    if (clean === "") return 0;
    if (bad) {
      const c = bad[0].charCodeAt(0);
      throw this.fail(`not base64: unexpected ${c < 0x80 ? `character ${JSON.stringify(bad[0])}` : `byte 0x${c.toString(16)}`}`);
    }
    if (this.#padded && NOT_PADDING.test(clean)) throw this.fail("not base64: misplaced padding");
    const s = this.#pending + clean;
    const eq = s.indexOf("=");
    const usable = eq < 0 ? s.length - (s.length % 4) : eq - (eq % 4);
    this.#pending = s.slice(usable);
    if (eq >= 0) {
      this.#padded = true;
      if (this.#pending.length > 4 || !LAST_GROUP.test(this.#pending)) throw this.fail("not base64: misplaced padding");
    }
    return usable === 0 ? 0 : out.write(s.slice(0, usable), at, "base64");
  }
}
