import { constants as zlibConstants, crc32, deflateRawSync } from "node:zlib";

/**
 * Gzip (RFC 1952) of a payload whose bulk is base64 text, such as DPI's SBD with the dokumentpakke in it. Base64 of
 * ciphertext is 64 characters in equal shares, where LZ77 finds nothing and the best Huffman code is 6 bits a
 * character: zlib's Huffman-only mode gets there too, but spends 7 ns a byte counting symbols and building a code
 * per block (0.22 s of CPU for 33 MB of base64). This writes each base64 piece as a deflate block with that code
 * fixed in advance (63 characters at 6 bits, `z` and the end of block at 7: a complete code, 75.2 % of the text),
 * a table lookup per character. The other pieces (the JSON around the base64, its padding) go through zlib's own
 * deflate; every piece ends on a byte boundary (an empty stored block, as zlib's Z_SYNC_FLUSH), so zlib's output and
 * ours follow each other, and `end` closes the stream with an empty final block and the gzip trailer. Any inflater
 * reads it: it is ordinary deflate, dynamic Huffman blocks whose code lengths are sent in the block header.
 *
 * Each answer is valid until the next call: the output buffer is reused, so the caller consumes it at once.
 */
export class Base64Gzip {
  #crc = 0;
  #size = 0;
  #headerSent = false;
  #out: Buffer = Buffer.alloc(0);
  #text: Buffer = Buffer.alloc(0);

  /** Any bytes, deflated by zlib as compression.ts's gzip does (Huffman only), so a large piece costs what it did there. */
  plain(bytes: Uint8Array): Buffer {
    if (bytes.byteLength === 0) return this.#lead();
    this.#count(bytes);
    return this.#lead(deflateRawSync(bytes, { strategy: zlibConstants.Z_HUFFMAN_ONLY, finishFlush: zlibConstants.Z_SYNC_FLUSH }));
  }

  /**
   * The base64 text of `bytes`, a whole number of 3-byte groups (so no padding), else a RangeError: coded from the
   * bytes themselves, 12 bits (two characters) a lookup; the text is made only for the CRC-32.
   */
  base64Of(bytes: Uint8Array): Buffer {
    const n = bytes.byteLength;
    if (n % 3 !== 0) throw new RangeError(`base64Of takes whole 3-byte groups, not ${n} bytes`);
    if (n === 0) return this.#lead();
    const data = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, n);
    const chars = (n / 3) * 4;
    if (this.#text.length < chars) this.#text = Buffer.allocUnsafe(chars);
    let written = 0;
    // In strings of 64 KiB at most: V8 is many times slower on strings past about 128 KiB (base64-stream.ts).
    for (let p = 0; p < n; p += TEXT_PIECE_BYTES) written += this.#text.write(data.toString("base64", p, Math.min(p + TEXT_PIECE_BYTES, n)), written, "latin1");
    this.#count(this.#text.subarray(0, chars));
    // Header and block header, 7 bits a character, end of block and the empty stored block.
    const room = GZIP_HEADER.length + BLOCK_HEADER_BYTES + Math.ceil((chars * 7) / 8) + 8;
    if (this.#out.length < room) this.#out = Buffer.allocUnsafe(Math.max(room, this.#out.length * 2));
    const out = this.#out;
    let at = 0;
    if (!this.#headerSent) {
      this.#headerSent = true;
      at = GZIP_HEADER.copy(out, 0);
    }
    let acc = 0;
    let bits = 0;
    for (const [value, length] of BLOCK_HEADER) {
      acc |= value << bits;
      bits += length;
      while (bits >= 8) {
        out[at++] = acc & 0xff;
        acc >>>= 8;
        bits -= 8;
      }
    }
    // Each 3 bytes are two 12-bit halves, each two characters: codes of 12–14 bits, so at most 30 bits are held.
    // The two halves are written out rather than looped over: the loop measured some 10 % slower per 25 MB.
    for (let i = 0; i < n; i += 3) {
      const group = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
      const first = PAIR[group >>> 12]!;
      acc |= (first & 0xffff) << bits;
      bits += first >>> 16;
      if (bits >= 16) {
        out[at++] = acc & 0xff;
        out[at++] = (acc >>> 8) & 0xff;
        acc >>>= 16;
        bits -= 16;
      }
      const second = PAIR[group & 0xfff]!;
      acc |= (second & 0xffff) << bits;
      bits += second >>> 16;
      if (bits >= 16) {
        out[at++] = acc & 0xff;
        out[at++] = (acc >>> 8) & 0xff;
        acc >>>= 16;
        bits -= 16;
      }
    }
    while (bits >= 8) {
      out[at++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
    // End of block, then an empty stored block (BFINAL 0, BTYPE 00) padded to the byte, LEN 0, NLEN 0xffff.
    acc |= END_OF_BLOCK << bits;
    bits += END_OF_BLOCK_BITS + 3;
    while (bits > 0) {
      out[at++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
    out[at++] = 0x00;
    out[at++] = 0x00;
    out[at++] = 0xff;
    out[at++] = 0xff;
    return out.subarray(0, at);
  }

  /** The final (empty, fixed-code) block and the trailer: CRC-32 and size of everything given. */
  end(): Buffer {
    const tail = Buffer.allocUnsafe(10);
    tail[0] = 0x03;
    tail[1] = 0x00;
    tail.writeUInt32LE(this.#crc >>> 0, 2);
    tail.writeUInt32LE(this.#size % 2 ** 32, 6);
    return this.#lead(tail);
  }

  #count(bytes: Uint8Array): void {
    this.#crc = crc32(bytes, this.#crc);
    this.#size += bytes.byteLength;
  }

  /** `rest` preceded by the gzip header if nothing went out yet. */
  #lead(rest: Buffer = EMPTY): Buffer {
    if (this.#headerSent) return rest;
    this.#headerSent = true;
    return Buffer.concat([GZIP_HEADER, rest]);
  }
}

const EMPTY = Buffer.alloc(0);
/** Bytes turned into one base64 string for the CRC: 64 KiB of text. */
const TEXT_PIECE_BYTES = 48 * 1024;

/** ID1 ID2, CM deflate, no flags, no time, XFL 4 (fastest), OS 3 (Unix): as zlib writes it for Huffman only. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x03]);

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** The base64 character whose code is 7 bits long (the last in byte order, so it shares the 7-bit codes' end). */
const LONG_CHARACTER = "z".charCodeAt(0);
const END_OF_BLOCK_SYMBOL = 256;

/** Code length of each literal/length symbol 0–256: 6 bits for the base64 characters, 7 for `z` and end of block. */
const LITERAL_LENGTHS: number[] = Array.from({ length: 257 }, () => 0);
for (const c of BASE64_ALPHABET) LITERAL_LENGTHS[c.charCodeAt(0)] = 6;
LITERAL_LENGTHS[LONG_CHARACTER] = 7;
LITERAL_LENGTHS[END_OF_BLOCK_SYMBOL] = 7;
/** Two distance codes of one bit, unused: zlib too sends at least two, which every inflater takes. */
const DISTANCE_LENGTHS = [1, 1];

/** Canonical Huffman codes (RFC 1951 3.2.2) for `lengths`, bit-reversed as deflate writes them (first bit lowest). */
function canonicalCodes(lengths: readonly number[]): number[] {
  const max = Math.max(...lengths);
  const count: number[] = Array.from({ length: max + 1 }, () => 0);
  for (const l of lengths) if (l > 0) count[l]! += 1;
  // Lengths of 0 are no codes at all (RFC 1951 3.2.2, bl_count[0] = 0).
  count[0] = 0;
  const next: number[] = Array.from({ length: max + 1 }, () => 0);
  let code = 0;
  for (let bits = 1; bits <= max; bits++) {
    code = (code + count[bits - 1]!) << 1;
    next[bits] = code;
  }
  return lengths.map((l) => (l === 0 ? 0 : reverse(next[l]!++, l)));
}

function reverse(code: number, length: number): number {
  let r = 0;
  for (let i = 0; i < length; i++) r |= ((code >>> i) & 1) << (length - 1 - i);
  return r;
}

const LITERAL_CODES = canonicalCodes(LITERAL_LENGTHS);
/** Codes of two base64 characters, indexed by their 12 bits (the first character's 6 above): code low, length high. */
const PAIR = new Int32Array(4096);
for (let pair = 0; pair < 4096; pair++) {
  const first = BASE64_ALPHABET.charCodeAt(pair >>> 6);
  const second = BASE64_ALPHABET.charCodeAt(pair & 0x3f);
  const firstLength = LITERAL_LENGTHS[first]!;
  PAIR[pair] = (LITERAL_CODES[first]! | (LITERAL_CODES[second]! << firstLength)) | ((firstLength + LITERAL_LENGTHS[second]!) << 16);
}
const END_OF_BLOCK = LITERAL_CODES[END_OF_BLOCK_SYMBOL]!;
const END_OF_BLOCK_BITS = LITERAL_LENGTHS[END_OF_BLOCK_SYMBOL]!;

/**
 * The block header: BFINAL 0, BTYPE 10 (dynamic codes), the code lengths above run-length coded with the code length
 * alphabet (RFC 1951 3.2.7), as (value, bits) fields in the order written.
 */
const BLOCK_HEADER: readonly (readonly [number, number])[] = (() => {
  // Each code length symbol used, with its extra bits: literal lengths 0–15, 17 (3–10 zeros), 18 (11–138 zeros).
  const symbols: [number, number, number][] = [];
  const all = [...LITERAL_LENGTHS, ...DISTANCE_LENGTHS];
  for (let i = 0; i < all.length; ) {
    let run = 1;
    // Runs of zeros stay within the literal lengths, so no run crosses into the distance lengths.
    const limit = i < LITERAL_LENGTHS.length ? LITERAL_LENGTHS.length : all.length;
    while (all[i] === 0 && i + run < limit && all[i + run] === 0 && run < 138) run++;
    if (all[i] === 0 && run >= 11) symbols.push([18, run - 11, 7]);
    else if (all[i] === 0 && run >= 3) symbols.push([17, run - 3, 3]);
    else {
      run = 1;
      symbols.push([all[i]!, 0, 0]);
    }
    i += run;
  }
  const clLengths: number[] = Array.from({ length: 19 }, () => 0);
  const used = [...new Set(symbols.map(([s]) => s))];
  // The most frequent symbol (the length 6) gets one bit, the others (at most four) three: a complete code.
  const frequent = used.reduce((a, b) => (symbols.filter(([s]) => s === b).length > symbols.filter(([s]) => s === a).length ? b : a));
  if (used.length !== 5) throw new Error(`the code length alphabet needs ${used.length} symbols, the fixed code has room for 5`);
  for (const s of used) clLengths[s] = s === frequent ? 1 : 3;
  const clCodes = canonicalCodes(clLengths);
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  let hclen = order.length;
  while (clLengths[order[hclen - 1]!] === 0) hclen--;
  const fields: [number, number][] = [
    [0, 1],
    [2, 2],
    [LITERAL_LENGTHS.length - 257, 5],
    [DISTANCE_LENGTHS.length - 1, 5],
    [hclen - 4, 4],
  ];
  for (let i = 0; i < hclen; i++) fields.push([clLengths[order[i]!]!, 3]);
  for (const [s, extra, extraBits] of symbols) {
    fields.push([clCodes[s]!, clLengths[s]!]);
    if (extraBits > 0) fields.push([extra, extraBits]);
  }
  return fields;
})();
const BLOCK_HEADER_BYTES = Math.ceil(BLOCK_HEADER.reduce((n, [, bits]) => n + bits, 0) / 8) + 1;
