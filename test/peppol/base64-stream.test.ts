import { expect } from "chai";
import { Base64Decoder, Base64Encoder } from "../../src/peppol/base64-stream.js";
import { cut, seededBytes } from "../helpers/seeded-bytes.js";

const bytes = seededBytes;

class Refused extends Error {}
const decoder = (fast = true) => new Base64Decoder((detail) => new Refused(detail), { fast });

function encodeAll(chunks: readonly Uint8Array[]): Buffer {
  const e = new Base64Encoder();
  return Buffer.concat([...chunks.map((c) => e.push(c)), e.end()]);
}

function decodeAll(chunks: readonly Uint8Array[], fast = true): Buffer {
  const d = decoder(fast);
  return Buffer.concat([...chunks.map((c) => d.push(c)), d.end()]);
}

function refusal(chunks: readonly Uint8Array[], fast = true): string {
  try {
    decodeAll(chunks, fast);
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

  it("decodes in place into the chunk it was given when the bytes fit there, else into a new buffer", () => {
    for (const sizes of [[65_536], [262_144], [1, 2, 3, 4, 5, 65_537], [text.length]]) {
      const d = decoder();
      const out: Buffer[] = [];
      for (const chunk of cut(Buffer.from(text), sizes)) {
        const got = d.push(chunk, true);
        if (got.length > 0 && got.length <= chunk.length - 3) expect(got.buffer === chunk.buffer && got.byteOffset === chunk.byteOffset, `chunks of ${sizes.join(", ")}`).to.equal(true);
        if (got.length > chunk.length) expect(got.buffer).to.not.equal(chunk.buffer);
        out.push(Buffer.from(got));
      }
      out.push(d.end());
      expect(Buffer.concat(out).equals(data), `chunks of ${sizes.join(", ")}`).to.equal(true);
    }
    // Three characters pending and one more: three bytes do not fit in the one-byte chunk.
    const d = decoder();
    expect(d.push(Buffer.from("QUJ"), true).length).to.equal(0);
    const one = Buffer.from("D");
    const got = d.push(one, true);
    expect(got.toString("latin1")).to.equal("ABC");
    expect(one.toString("latin1")).to.equal("D");
  });

  describe("the fast path (pieces decoded without a scan first)", () => {
    const t = text.toString("latin1");
    const at = (str: string) => Buffer.from(str, "latin1");
    /** `t` with `s` written over it from `i` on. */
    const put = (i: number, s: string) => `${t.slice(0, i)}${s}${t.slice(i + s.length)}`;
    /** `t` with `s` inserted at `i`. */
    const insert = (i: number, s: string) => `${t.slice(0, i)}${s}${t.slice(i)}`;
    // Piece boundaries (65 536 characters) and the incomplete group carried over them.
    const places = [0, 1, 3, 65_533, 65_534, 65_535, 65_536, 65_537, 131_070, 200_001];

    it("refuses base64url's - and _, which Node's decoder takes, wherever they stand", () => {
      for (const c of ["-", "_"]) {
        for (const i of places) {
          for (const sizes of [[text.length], [65_536], [65_535, 3], [262_144]]) {
            expect(refusal(cut(at(put(i, c)), sizes)), `${c} at ${i}, chunks of ${sizes.join(", ")}`).to.equal(`not base64: unexpected character "${c}"`);
          }
        }
      }
    });

    it("refuses bytes of 0x80 and above and ASCII outside the alphabet, wherever they stand", () => {
      for (const [c, message] of [
        ["\x80", "not base64: unexpected byte 0x80"],
        ["\xff", "not base64: unexpected byte 0xff"],
        ["*", 'not base64: unexpected character "*"'],
        ["\x00", 'not base64: unexpected character "\\u0000"'],
        ["\v", 'not base64: unexpected character "\\u000b"'],
        [".", 'not base64: unexpected character "."'],
      ] as const) {
        for (const i of places) {
          for (const sizes of [[text.length], [65_536], [65_535, 3]]) {
            expect(refusal(cut(at(put(i, c)), sizes)), `${JSON.stringify(c)} at ${i}, chunks of ${sizes.join(", ")}`).to.equal(message);
          }
        }
      }
    });

    it("refuses every byte outside the alphabet but XML whitespace, whatever Node's decoder makes of it", () => {
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      for (let b = 0; b < 256; b++) {
        const c = String.fromCharCode(b);
        if (alphabet.includes(c) || " \t\r\n".includes(c)) continue;
        const message =
          c === "=" ? "not base64: misplaced padding" : `not base64: unexpected ${b < 0x80 ? `character ${JSON.stringify(c)}` : `byte 0x${b.toString(16)}`}`;
        for (const i of [1_000, 65_536]) expect(refusal([at(put(i, c))]), `byte ${b} at ${i}`).to.equal(message);
      }
    });

    it("reports the first refusal of a piece, as the scan did: - before * and * before -", () => {
      expect(refusal([at(put(70_000, "*").slice(0, 100_000) + "-" + t.slice(100_001))])).to.equal('not base64: unexpected character "*"');
      expect(refusal([at(put(70_000, "-").slice(0, 100_000) + "*" + t.slice(100_001))])).to.equal('not base64: unexpected character "-"');
      // A bad character in a later piece comes after misplaced padding in an earlier one.
      expect(refusal([at(put(1_000, "=").slice(0, 100_000) + "-" + t.slice(100_001))])).to.equal("not base64: misplaced padding");
    });

    it("decodes XML whitespace wherever it stands, also once the fast path gave up", () => {
      for (const ws of [" ", "\n", "\r\n", "\t"]) {
        for (const i of places) {
          for (const sizes of [[text.length], [65_536], [65_535, 3], [1_013]]) {
            expect(decodeAll(cut(at(insert(i, ws)), sizes)).equals(data), `${JSON.stringify(ws)} at ${i}, chunks of ${sizes.join(", ")}`).to.equal(true);
          }
        }
      }
      // Whitespace in three pieces: the third is checked without a fast attempt, the rest stays right.
      const spaced = at(insert(200_000, "\n").slice(0, 100_000) + " " + insert(200_000, "\n").slice(100_000)).toString("latin1");
      expect(decodeAll([at("\n" + spaced)]).equals(data)).to.equal(true);
      expect(decodeAll(cut(at("\n" + spaced), [65_536])).equals(data)).to.equal(true);
    });

    it("refuses padding misplaced at piece boundaries and in a group split over chunks", () => {
      for (const i of places) {
        for (const sizes of [[text.length], [65_536], [65_535, 3], [2, 65_537]]) {
          expect(refusal(cut(at(put(i, "=")), sizes)), `= at ${i}, chunks of ${sizes.join(", ")}`).to.equal("not base64: misplaced padding");
          expect(refusal(cut(at(put(i - (i % 4), "AA==")), sizes)), `AA== at ${i - (i % 4)}, chunks of ${sizes.join(", ")}`).to.equal("not base64: misplaced padding");
        }
      }
      expect(refusal([at("AAA="), at("AAAA")])).to.equal("not base64: misplaced padding");
      expect(refusal([at("AA"), at("A="), at("A")])).to.equal("not base64: misplaced padding");
      expect(decodeAll([at("QU"), at("I="), at("\n")]).toString("latin1")).to.equal("AB");
    });

    it("gives what the scan-first decoder gives, bytes or refusal, for text with changes anywhere", () => {
      const changes = ["-", "_", "=", "==", " ", "\n", "\x80", "\xfe", "*", "A", "AA", "AAA", "é"];
      let x = 7;
      const next = (n: number) => {
        x = (x * 1103515245 + 12345) >>> 0;
        return x % n;
      };
      const small = t.slice(0, 140_000 + (t.length % 4));
      for (let round = 0; round < 300; round++) {
        let s = round % 10 === 0 ? t : small;
        for (let k = next(3); k > 0; k--) {
          const i = next(s.length + 1);
          const c = changes[next(changes.length)]!;
          s = next(2) === 0 ? s.slice(0, i) + c + s.slice(i) : s.slice(0, i) + c + s.slice(i + c.length);
        }
        const sizes = [[s.length], [65_536], [1 + next(70_000), 1 + next(9)], [262_144]][next(4)]!;
        const outcome = (fast: boolean): string => {
          try {
            return decodeAll(cut(at(s), sizes), fast).toString("hex");
          } catch (e) {
            expect(e).to.be.instanceOf(Refused);
            return `refused: ${(e as Error).message}`;
          }
        };
        expect(outcome(true), `round ${round}`).to.equal(outcome(false));
      }
    });
  });
});
