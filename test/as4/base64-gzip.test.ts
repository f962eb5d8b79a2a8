import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { Base64Gzip } from "../../src/as4/base64-gzip.js";
import { seededBytes } from "../helpers/seeded-bytes.js";

/**
 * The gzip of base64 text by a fixed Huffman table must be gzip every reader takes (zlib's inflate, and GNU gzip's
 * own, which shares no code with zlib), of exactly the text given, at the size zlib's Huffman coding reaches.
 */

/** Plain bytes, or bytes whose base64 text is given. */
type Piece = ["plain" | "base64Of", Buffer];

/** Each piece's output copied at once (the coder reuses its buffer), then the end. */
function gzipOf(pieces: Piece[]): Buffer {
  const gz = new Base64Gzip();
  const out = pieces.map(([kind, bytes]) => Buffer.from(kind === "plain" ? gz.plain(bytes) : gz.base64Of(bytes)));
  return Buffer.concat([...out, gz.end()]);
}

/** What the pieces stand for: the plain bytes as they are, the others as base64 text. */
const contentOf = (pieces: Piece[]): Buffer => Buffer.concat(pieces.map(([kind, b]) => (kind === "plain" ? b : Buffer.from(b.toString("base64"), "latin1"))));

/** Bytes whose base64 is the whole alphabet, then `z` (the 7-bit one) a thousand times. */
const everyCharacter = Buffer.concat([
  Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", "base64"),
  Buffer.from("z".repeat(1000), "base64"),
]);

const CASES: [string, Piece[]][] = [
  ["nothing at all", []],
  ["one plain piece", [["plain", Buffer.from('{"sbd":1}')]]],
  ["one group", [["base64Of", seededBytes(3, 1)]]],
  ["base64 first, then plain", [["base64Of", seededBytes(6, 1)], ["plain", Buffer.from("QQ==\"}")]]],
  [
    "an SBD: JSON, base64 in pieces of several sizes, empty ones, the padded last group, JSON",
    [
      ["plain", Buffer.from('{"standardBusinessDocumentHeader":{},"digital":{"dokumentpakke":"')],
      ["base64Of", seededBytes(49_152, 2)],
      ["base64Of", Buffer.alloc(0)],
      ["base64Of", seededBytes(3, 3)],
      ["base64Of", seededBytes(262_143, 4)],
      ["plain", Buffer.alloc(0)],
      ["plain", Buffer.from("QQ==")],
      ["plain", Buffer.from('"}}')],
    ],
  ],
  ["every base64 character, `z` (the 7-bit one) the most", [["base64Of", everyCharacter]]],
];

describe("as4: gzip of base64 text by a fixed code", () => {
  it("covers every character, and `z` most", () => {
    const text = everyCharacter.toString("base64");
    expect(new Set(text).size).to.equal(64);
    expect(text.endsWith("z".repeat(1000))).to.equal(true);
  });

  for (const [name, pieces] of CASES) {
    it(`is read by zlib as exactly what was given: ${name}`, () => {
      expect(gunzipSync(gzipOf(pieces)).equals(contentOf(pieces))).to.equal(true);
    });
  }

  it("is read by GNU gzip, whose inflate is its own", function () {
    if (spawnSync("gzip", ["--version"]).status !== 0) this.skip();
    const [, pieces] = CASES[4]!;
    const r = spawnSync("gzip", ["-dc"], { input: gzipOf(pieces), maxBuffer: 16 * 1024 * 1024 });
    expect(r.status, r.stderr?.toString()).to.equal(0);
    expect(r.stdout.equals(contentOf(pieces))).to.equal(true);
  });

  it("is as small as zlib's Huffman coding makes base64 of random bytes: 6 bits a character, and a little", () => {
    const bytes = seededBytes(750_000, 5);
    const size = gzipOf([["base64Of", bytes]]).length;
    expect(size / 1_000_000).to.be.within(0.75, 0.7525);
  });

  it("takes whole 3-byte groups only", () => {
    for (const n of [1, 2, 4, 262_144]) expect(() => new Base64Gzip().base64Of(Buffer.alloc(n)), String(n)).to.throw(RangeError, `base64Of takes whole 3-byte groups, not ${n} bytes`);
  });

  it("answers in a buffer it reuses, so each answer is read before the next call", () => {
    const gz = new Base64Gzip();
    const first = gz.base64Of(seededBytes(999, 6));
    const copy = Buffer.from(first);
    gz.base64Of(seededBytes(999, 7));
    expect(first.equals(copy)).to.equal(false);
  });
});
