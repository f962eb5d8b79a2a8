import { expect } from "chai";
import { Base64Decoder, Base64Encoder } from "../../src/peppol/base64-stream.js";
import { cut, seededBytes } from "../helpers/seeded-bytes.js";

const bytes = seededBytes;

class Refused extends Error {}
const decoder = () => new Base64Decoder((detail) => new Refused(detail));

function encodeAll(chunks: readonly Uint8Array[]): Buffer {
  const e = new Base64Encoder();
  return Buffer.concat([...chunks.map((c) => e.push(c)), e.end()]);
}

function decodeAll(chunks: readonly Uint8Array[]): Buffer {
  const d = decoder();
  return Buffer.concat([...chunks.map((c) => d.push(c)), d.end()]);
}

function refusal(chunks: readonly Uint8Array[]): string {
  try {
    decodeAll(chunks);
  } catch (e) {
    expect(e).to.be.instanceOf(Refused);
    return (e as Error).message;
  }
  return expect.fail("decoded");
}

describe("peppol/base64-stream", () => {
  const data = bytes(300_001, 5);
  const text = Buffer.from(data.toString("base64"), "latin1");
  const small = data.subarray(0, 5_002);
  const smallText = Buffer.from(small.toString("base64"), "latin1");

  it("encodes a stream to Node's base64 whatever the chunk sizes, one output buffer per input chunk", () => {
    for (const sizes of [[1], [2, 5]]) expect(encodeAll(cut(small, sizes)).equals(smallText), `chunks of ${sizes.join(", ")}`).to.equal(true);
    for (const sizes of [[65_536], [49_151, 1, 49_153], [262_144], [1_048_576], [7, 200_000, 3]]) {
      expect(encodeAll(cut(data, sizes)).equals(text), `chunks of ${sizes.join(", ")}`).to.equal(true);
    }
    const e = new Base64Encoder();
    expect(e.push(bytes(262_144)).length).to.equal((262_143 / 3) * 4);
    expect(e.end().toString("latin1")).to.equal(bytes(262_144).subarray(262_143).toString("base64"));
    expect(new Base64Encoder().end().length).to.equal(0);
  });

  it("encodes into a buffer it is given, reused from piece to piece, the same text; a buffer too small is not used", () => {
    for (const sizes of [[1], [2, 5], [65_536], [49_151, 1, 49_153], [7, 200_000, 3]]) {
      const [source, expected] = sizes[0]! < 10 ? [small, smallText] : [data, text];
      const e = new Base64Encoder();
      const into = Buffer.alloc(Base64Encoder.room(Math.max(...sizes)));
      const pieces: Buffer[] = [];
      for (const chunk of cut(source, sizes)) {
        const piece = e.push(chunk, into);
        // A copy, since the next push overwrites it; the piece itself is a view of `into` whenever it is not empty.
        if (piece.length > 0) expect(piece.buffer).to.equal(into.buffer);
        pieces.push(Buffer.from(piece));
        into.fill(0x2a);
      }
      pieces.push(e.end());
      expect(Buffer.concat(pieces).equals(expected), `chunks of ${sizes.join(", ")}`).to.equal(true);
    }
    expect(Base64Encoder.room(0)).to.equal(0);
    expect(Base64Encoder.room(1)).to.equal(4);
    expect(Base64Encoder.room(3)).to.equal(4);
    expect(Base64Encoder.room(4)).to.equal(8);
    const tooSmall = Buffer.alloc(8, 0x2a);
    const out = new Base64Encoder().push(bytes(300), tooSmall);
    expect(out.buffer).to.not.equal(tooSmall.buffer);
    expect(out.toString("latin1")).to.equal(bytes(300).toString("base64"));
    expect(tooSmall.equals(Buffer.alloc(8, 0x2a))).to.equal(true);
  });

  it("decodes a stream whatever the chunk sizes, also across its 64 KiB pieces and with XML whitespace anywhere", () => {
    for (const sizes of [[1], [3, 4, 5]]) expect(decodeAll(cut(smallText, sizes)).equals(small), `chunks of ${sizes.join(", ")}`).to.equal(true);
    for (const sizes of [[65_536], [65_535, 2, 65_537], [262_144], [1_048_576]]) {
      expect(decodeAll(cut(text, sizes)).equals(data), `chunks of ${sizes.join(", ")}`).to.equal(true);
    }
    const wrapped = Buffer.from(`\n ${text.toString("latin1").replace(/.{76}/g, "$&\r\n\t")}  \n`, "latin1");
    for (const sizes of [[262_144], [65_536], [1_013]]) expect(decodeAll(cut(wrapped, sizes)).equals(data), `wrapped, chunks of ${sizes.join(", ")}`).to.equal(true);
    const d = decoder();
    expect(d.push(text).length).to.equal(data.length - 1); // the padded last group waits for end()
    expect(d.end().equals(data.subarray(data.length - 1))).to.equal(true);
  });

  it("refuses what is not strict base64, wherever the chunks end", () => {
    const t = text.toString("latin1");
    const at = (s: string) => Buffer.from(s, "latin1");
    expect(refusal([at(`${t.slice(0, 100_000)}*${t.slice(100_000)}`)])).to.equal('not base64: unexpected character "*"');
    expect(refusal([at(t.slice(0, 70_000)), Buffer.from("é", "utf8"), at(t.slice(70_000))])).to.equal("not base64: unexpected byte 0xc3");
    expect(refusal([at(`${t}AAAA`)])).to.equal("not base64: misplaced padding");
    expect(refusal([at(t), at("AAAA")])).to.equal("not base64: misplaced padding");
    expect(refusal([at(`AA==${t}`)])).to.equal("not base64: misplaced padding");
    expect(refusal([at(t.replace(/=+$/, ""))])).to.equal("not base64: the last group is incomplete");
    expect(refusal(cut(at(t.replace(/=+$/, "")), [65_536]))).to.equal("not base64: the last group is incomplete");
  });
});
