import { expect } from "chai";
import { BerError, BerReader, describe as describeTag, type Element } from "../../src/asn1/ber.js";

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ""), "hex");

function root(h: string): { r: BerReader; e: Element } {
  const bytes = hex(h);
  const r = new BerReader(bytes);
  return { r, e: r.element(0, bytes.length, 0, "x") };
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(BerError);
    return (err as Error).message;
  }
  expect.fail("expected a BerError");
}

describe("asn1/ber: element headers", () => {
  it("reads tag, form and extent of short, long and indefinite lengths", () => {
    expect(root("0403010203").e).to.deep.equal({ tagClass: 0, constructed: false, tagNumber: 4, start: 0, contentStart: 2, contentEnd: 5, end: 5, depth: 0 });
    expect(root("a1820003020100").e).to.include({ tagClass: 2, constructed: true, tagNumber: 1, contentStart: 4, contentEnd: 7, end: 7 });
    // Long form with a needless leading zero is BER all the same.
    expect(root("04810100").e).to.include({ contentStart: 3, contentEnd: 4 });
    expect(root("3080 020100 3080 0500 0000 0000").e).to.include({ contentStart: 2, contentEnd: 11, end: 13 });
    expect(root("5f2001ff").e).to.include({ tagClass: 1, tagNumber: 32, contentStart: 3 });
    expect(root("df81000100").e).to.include({ tagClass: 3, tagNumber: 128, contentStart: 4 });
  });

  it("names tags as a reader writes them", () => {
    expect(["3000", "a000", "7f2100", "c100", "0700"].map((h) => describeTag(root(h).e))).to.deep.equal([
      "SEQUENCE",
      "[0]",
      "[APPLICATION 33]",
      "[PRIVATE 1]",
      "UNIVERSAL 7",
    ]);
  });

  it("refuses what X.690 forbids even in BER", () => {
    const cases: Record<string, string> = {
      "0480": "x: indefinite length on a primitive element",
      "0403 0102": "x: runs 1 bytes past its end",
      "0489 000000000000000001": "x: a length of 9 octets",
      "04ff": "x: a length of 127 octets",
      "1f1e00": "x: tag number 30 in high-tag-number form",
      "1f801f00": "x: a tag number padded with a zero octet",
      "3f8181818101 00": "x: a tag number of more than 28 bits",
      "0000": "x: end-of-contents octets where an element belongs",
      "0f00": "x: reserved tag UNIVERSAL 15",
      "1f2500": "x: reserved tag UNIVERSAL 37",
      "2203020100": "x: a constructed INTEGER",
      "1000": "x: a primitive SEQUENCE",
      "1100": "x: a primitive SET",
      "3080 0500": "x: no end-of-contents octets before its end",
      "30": "x: truncated before its length",
      "3082 01": "x: truncated in its length",
    };
    for (const [h, message] of Object.entries(cases)) expect(refusal(() => root(h)), h).to.equal(message);
  });

  it("finds the end of nested indefinite lengths from headers, and caps the nesting", () => {
    // The definite OCTET STRING holds bytes that look like end-of-contents octets; they are content.
    expect(root("2480 2480 04020000 0000 0000").e).to.include({ contentEnd: 10, end: 12 });
    const nested = (n: number) => "3080".repeat(n) + "0000".repeat(n);
    expect(root(nested(101)).e.end).to.equal(404);
    expect(refusal(() => root(nested(102)))).to.equal("x: nested deeper than 100 levels");
  });

  it("reads the nested indefinite elements the first scan found with the same extents", () => {
    // SEQUENCE { SEQUENCE { SEQUENCE { NULL } NULL } } NULL-terminated at each level, all indefinite.
    const { r, e } = root("3080 3080 3080 0500 0000 0500 0000 0000");
    const middle = r.items(e, "outer").next("middle");
    expect(middle).to.include({ start: 2, contentEnd: 12, end: 14, depth: 1 });
    const items = r.items(middle, "middle");
    expect(items.next("inner")).to.include({ start: 4, contentEnd: 8, end: 10, depth: 2 });
    expect(items.next("null")).to.include({ start: 10, end: 12 });
    items.end("null");
  });
});

describe("asn1/ber: children", () => {
  it("reads them one at a time and says what is missing or left over", () => {
    const { r, e } = root("3006 020101 020102");
    const items = r.items(e, "pair");
    expect(items.next("first")).to.include({ tagNumber: 2, start: 2, depth: 1 });
    expect(items.peek()).to.include({ start: 5 });
    expect(refusal(() => items.end("first"))).to.equal("pair: INTEGER after first");
    expect(items.take()).to.include({ start: 5, end: 8 });
    expect(items.take()).to.equal(undefined);
    expect(refusal(() => items.next("third"))).to.equal("pair: third is missing");
    items.end("second");
  });

  it("stops children at the end-of-contents octets of an indefinite parent", () => {
    const { r, e } = root("3180 0500 0500 0000");
    const items = r.items(e, "set");
    expect([items.take()?.start, items.take()?.start, items.take()]).to.deep.equal([2, 4, undefined]);
  });

  it("lists all of them at once, and none of a primitive element", () => {
    const { r, e } = root("3080 020101 a002 0500 0000");
    expect(r.children(e, "seq").map((c) => [c.tagClass, c.tagNumber, c.start])).to.deep.equal([
      [0, 2, 2],
      [2, 0, 5],
    ]);
    expect(r.children(r.children(e, "seq")[0]!, "seq")).to.deep.equal([]);
  });

  it("gives an element's encoding as it arrived, header and end-of-contents included", () => {
    const { r, e } = root("3009 3180 0500 0000 020101");
    expect(Buffer.from(r.encoding(r.children(e, "seq")[0]!)).toString("hex")).to.equal("318005000000");
  });

  it("refuses a child that runs past its parent", () => {
    const { r, e } = root("3003 0402 0102 05");
    expect(refusal(() => r.items(e, "seq").take())).to.equal("seq: runs 1 bytes past its end");
  });
});

describe("asn1/ber: octets", () => {
  const octets = (h: string) => {
    const { r, e } = root(h);
    return Buffer.from(r.octets(e, "o")).toString("hex");
  };

  it("reads a primitive OCTET STRING, or an IMPLICIT-tagged one, as a view of the input", () => {
    const { r, e } = root("0403010203");
    expect(r.octets(e, "o").buffer).to.equal(r.bytes.buffer);
    expect(octets("8002abcd")).to.equal("abcd");
  });

  it("joins the pieces of a constructed one, nested and of indefinite length included", () => {
    expect(octets("2408 0402 0102 0402 0304")).to.equal("01020304");
    expect(octets("a080 0401 01 2480 0402 0203 0000 0000")).to.equal("010203");
    expect(octets("2400")).to.equal("");
  });

  it("refuses a piece that is not an OCTET STRING", () => {
    expect(refusal(() => octets("a005 0401 01 0500"))).to.equal("o: a constructed [0] holds NULL, not OCTET STRING");
  });
});

describe("asn1/ber: values", () => {
  it("reads OBJECT IDENTIFIERs in dotted decimal, arcs of any size", () => {
    const oid = (h: string) => {
      const { r, e } = root(h);
      return r.oid(e, "x");
    };
    expect(oid("06092a864886f70d010703")).to.equal("1.2.840.113549.1.7.3");
    expect(oid("0603550403")).to.equal("2.5.4.3");
    expect(oid("060100")).to.equal("0.0");
    expect(oid("06028151")).to.equal("2.129");
    // 2^63 - 1 as the third arc, and a first subidentifier past 2^53.
    expect(oid("060a 2a ffffffffffffffff7f")).to.equal("1.2.9223372036854775807");
    expect(oid("060a ffffffffffffffff7f 01")).to.equal("2.9223372036854775727.1");
  });

  it("refuses malformed OBJECT IDENTIFIERs", () => {
    const refused = (h: string) => refusal(() => root(h).r.oid(root(h).e, "x"));
    expect(refused("0600")).to.equal("x: an empty OBJECT IDENTIFIER");
    expect(refused("0603808001")).to.equal("x: an arc padded with a zero octet in an OBJECT IDENTIFIER");
    expect(refused("06022a86")).to.equal("x: the last arc cut off in an OBJECT IDENTIFIER");
    expect(refused("0500")).to.equal("x: NULL, not an OBJECT IDENTIFIER");
  });

  it("reads small INTEGERs and refuses padded, empty, negative and large ones", () => {
    const small = (h: string) => root(h).r.smallInteger(root(h).e, "v");
    expect([small("020100"), small("020102"), small("0202 0080"), small("0203 7fffff")]).to.deep.equal([0, 2, 128, 2 ** 23 - 1]);
    expect(refusal(() => small("0200"))).to.equal("v: an INTEGER without content");
    expect(refusal(() => small("0202 0001"))).to.equal("v: an INTEGER padded with a needless octet");
    expect(refusal(() => small("0202 ff80"))).to.equal("v: an INTEGER padded with a needless octet");
    expect(refusal(() => small("0201ff"))).to.equal("v: a negative INTEGER");
    expect(refusal(() => small("0204 00800000"))).to.equal("v: an INTEGER of 4 octets");
    expect(refusal(() => small("0401 00"))).to.equal("v: OCTET STRING, not an INTEGER");
  });

  it("measures OCTET STRINGs in both forms, and refuses the constructed form where only the primitive will do", () => {
    const { r, e } = root("2480 0402 0102 2480 0401 03 0000 0000");
    expect(r.octetStringLength(e, "s")).to.equal(3);
    expect(refusal(() => r.primitiveOctetString(e, "s"))).to.equal("s: constructed OCTET STRING, not a primitive OCTET STRING");
    const mixed = root("2403 020100");
    expect(refusal(() => mixed.r.octetStringLength(mixed.e, "s"))).to.equal("s: a constructed OCTET STRING holds INTEGER, not OCTET STRING");
  });

  it("checks ANY throughout: BER, and the encodings X.690 fixes for universal types", () => {
    const good = [
      "3000",
      "3080 0101ff 0500 0000",
      "a003 020100",
      "0c03 616263",
      "3303 040161", // a constructed PrintableString of OCTET STRING segments
      "2308 0302 00ff 0302 0280", // BIT STRING segments, unused bits in the last only
      "1e02 0041",
      "1c04 00000041",
      "170d 3234303130313132303030305a",
      "1811 32303234303130313132303030302e355a",
      "180a 32303234303130313132",
      "0d02 8101",
      "8003 ffffff",
    ];
    for (const h of good) {
      const { r, e } = root(h);
      r.any(e, "v");
    }
    const bad: Record<string, string> = {
      "3004 01020000": "v: a BOOLEAN of 2 octets",
      "3001 05": "v: truncated before its length",
      "0501 00": "v: a NULL with content",
      "3004 0202 007f": "v: an INTEGER padded with a needless octet",
      "0a00": "v: an INTEGER without content",
      "0300": "v: a BIT STRING without its unused-bits octet",
      "0302 08ff": "v: a BIT STRING with 8 unused bits",
      "0301 01": "v: a BIT STRING with 1 unused bits",
      "2308 0302 0480 0302 0000": "v: a BIT STRING segment with unused bits before the last",
      "3303 020100": "v: a constructed PrintableString holds INTEGER, not OCTET STRING",
      "1e03 004100": "v: a BMPString of 3 octets",
      "1c02 0041": "v: a UniversalString of 2 octets",
      "1702 4e4f": 'v: "NO" is not a UTCTime',
      "1811 32303234303130313132303030302c355a": 'v: "20240101120000,5Z" is not a GeneralizedTime',
      "0d00": "v: an empty RELATIVE-OID",
      "a002 3080": "v: no end-of-contents octets before its end",
    };
    for (const [h, message] of Object.entries(bad)) {
      expect(
        refusal(() => {
          const { r, e } = root(h);
          r.any(e, "v");
        }),
        h,
      ).to.equal(message);
    }
  });
});
