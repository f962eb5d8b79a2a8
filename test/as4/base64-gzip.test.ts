import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { Base64Gzip } from "../../src/as4/base64-gzip.js";
import { seededBytes } from "../helpers/seeded-bytes.js";

/**
 * The gzip of base64 text by a fixed Huffman table must be gzip every reader takes (zlib's inflate, and GNU gzip's
 * own, which shares no code with zlib), of exactly the bytes given, at the size zlib's Huffman coding reaches.
 */

type Piece = ["plain" | "base64", Buffer];

/** Each piece's output copied at once (the coder reuses its buffer), then the end. */
function gzipOf(pieces: Piece[]): Buffer {
  const gz = new Base64Gzip();
  const out = pieces.map(([kind, bytes]) => Buffer.from(kind === "plain" ? gz.plain(bytes) : gz.base64(bytes)));
  return Buffer.concat([...out, gz.end()]);
}

const text = (n: number, seed: number): Buffer => Buffer.from(seededBytes(n, seed).toString("base64").replace(/=+$/, ""), "latin1").subarray(0, n);

const CASES: [string, Piece[]][] = [
  ["nothing at all", []],
  ["one plain piece", [["plain", Buffer.from('{"sbd":1}')]]],
  ["one base64 character", [["base64", Buffer.from("z")]]],
  ["base64 first, then plain", [["base64", text(3, 1)], ["plain", Buffer.from("==\"}")]]],
  [
    "an SBD: JSON, base64 in pieces of odd and even lengths, empty ones, padding, JSON",
    [
      ["plain", Buffer.from('{"standardBusinessDocumentHeader":{},"digital":{"dokumentpakke":"')],
      ["base64", text(65_536, 2)],
      ["base64", Buffer.alloc(0)],
      ["base64", text(1, 3)],
      ["base64", text(262_143, 4)],
      ["plain", Buffer.alloc(0)],
      ["plain", Buffer.from("QQ==")],
      ["plain", Buffer.from('"}}')],
    ],
  ],
  ["every base64 character, `z` (the 7-bit one) the most", [["base64", Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" + "z".repeat(1000))]]],
];

describe("as4: gzip of base64 text by a fixed code", () => {
  for (const [name, pieces] of CASES) {
    it(`is read by zlib as exactly what was given: ${name}`, () => {
      expect(gunzipSync(gzipOf(pieces)).equals(Buffer.concat(pieces.map(([, b]) => b)))).to.equal(true);
    });
  }

  it("is read by GNU gzip, whose inflate is its own", function () {
    if (spawnSync("gzip", ["--version"]).status !== 0) this.skip();
    const [, pieces] = CASES[4]!;
    const r = spawnSync("gzip", ["-dc"], { input: gzipOf(pieces), maxBuffer: 16 * 1024 * 1024 });
    expect(r.status, r.stderr?.toString()).to.equal(0);
    expect(r.stdout.equals(Buffer.concat(pieces.map(([, b]) => b)))).to.equal(true);
  });

  it("is as small as zlib's Huffman coding makes base64 of random bytes: 6 bits a character, and a little", () => {
    const body = text(1_000_000, 5);
    const size = gzipOf([["base64", body]]).length;
    expect(size / body.length).to.be.within(0.75, 0.7525);
  });

  it("refuses a byte outside the base64 alphabet wherever it is, naming it", () => {
    for (const [bytes, message] of [
      [Buffer.from("AB=C"), "not base64 text: byte 0x3d at 2"],
      [Buffer.from("ABC\n"), "not base64 text: byte 0xa at 3"],
      [Buffer.from("ABC"), undefined],
      [Buffer.from("AB-"), "not base64 text: byte 0x2d at 2"],
    ] as const) {
      const call = () => new Base64Gzip().base64(bytes);
      if (message === undefined) expect(call).not.to.throw();
      else expect(call).to.throw(RangeError, message);
    }
  });

  it("answers in a buffer it reuses, so each answer is read before the next call", () => {
    const gz = new Base64Gzip();
    const first = gz.base64(text(1000, 6));
    const copy = Buffer.from(first);
    gz.base64(text(1000, 7));
    expect(first.equals(copy)).to.equal(false);
  });
});
