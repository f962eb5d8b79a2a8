import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { CMS_READ_WINDOW_BYTES, CMS_STRUCTURE_MAX_BYTES } from "../../src/dpi/cms-skeleton.js";
import {
  CMS_OIDS,
  encryptDokumentpakke,
  parseEnvelopedData,
  parseEnvelopedDataFile,
  parseEnvelopedDataFrom,
  type RandomAccessSource,
} from "../../src/dpi/dokumentpakke.js";
import { DokumentpakkeNotCmsError } from "../../src/dpi/errors.js";
import { makeRecipient } from "./keys.js";

/**
 * The structure check of the dokumentpakke reads the structure around the encrypted content and steps over
 * the content: memory is bounded by a constant, not by the package. Measured by instrumenting the reader, not
 * by timing or RSS.
 */

interface ReadStats {
  /** Sum of the sizes of the distinct buffers the check read into: the memory it used for the package's bytes. */
  held: number;
  bytesRead: number;
  reads: number;
  maxInFlight: number;
}

function instrumented(bytes: Uint8Array): { source: RandomAccessSource; stats: () => ReadStats } {
  const buffers = new Set<ArrayBufferLike>();
  let held = 0;
  let bytesRead = 0;
  let reads = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const source: RandomAccessSource = {
    size: bytes.byteLength,
    async read(buffer, offset, length, position) {
      if (!buffers.has(buffer.buffer)) {
        buffers.add(buffer.buffer);
        held += buffer.buffer.byteLength;
      }
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setImmediate(r));
      const n = Math.max(0, Math.min(length, bytes.byteLength - position));
      buffer.set(bytes.subarray(position, position + n), offset);
      bytesRead += n;
      reads++;
      inFlight--;
      return { bytesRead: n };
    },
  };
  return { source, stats: () => ({ held, bytesRead, reads, maxInFlight }) };
}

async function rejection(promise: Promise<unknown>): Promise<DokumentpakkeNotCmsError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(DokumentpakkeNotCmsError);
    expect((err as DokumentpakkeNotCmsError).code).to.equal("dokumentpakke-not-cms");
    return err as DokumentpakkeNotCmsError;
  }
  expect.fail("expected a rejection");
}

function notCms(bytes: Uint8Array): DokumentpakkeNotCmsError {
  try {
    parseEnvelopedData(bytes);
  } catch (err) {
    expect(err).to.be.instanceOf(DokumentpakkeNotCmsError);
    expect((err as DokumentpakkeNotCmsError).code).to.equal("dokumentpakke-not-cms");
    return err as DokumentpakkeNotCmsError;
  }
  expect.fail("expected dokumentpakke-not-cms");
}

/** pkijs' BER for 100 plain bytes ends: A0 80 | 04 70 <112 bytes> | five end-of-contents markers. */
function splitAtContent(cms: Uint8Array): { head: Buffer; chunk: Buffer; tail: Buffer } {
  const b = Buffer.from(cms);
  const at = b.length - 10 - 112 - 2 - 2;
  expect(b.subarray(at, at + 4).toString("hex")).to.equal("a0800470");
  return { head: b.subarray(0, at), chunk: b.subarray(at + 2, b.length - 10), tail: b.subarray(b.length - 8) };
}

/** A BER CMS whose indefinite-length encrypted content is `chunks` OCTET STRINGs of 1000 bytes, as streaming writers make it. */
function largeBer(small: Uint8Array, chunks: number): Buffer {
  const { head, tail } = splitAtContent(small);
  const chunk = Buffer.concat([Buffer.from([0x04, 0x82, 0x03, 0xe8]), randomBytes(1000)]);
  return Buffer.concat([head, Buffer.from([0xa0, 0x80]), ...Array.from({ length: chunks }, () => chunk), Buffer.from([0, 0]), tail]);
}

/** The same recipient and algorithms in DER: definite lengths, the encrypted content one primitive [0]. */
function largeDer(small: Uint8Array, contentBytes: number): Uint8Array {
  const ci = new pkijs.ContentInfo({ schema: asn1js.fromBER(small).result });
  const ed = new pkijs.EnvelopedData({ schema: ci.content });
  const der = new asn1js.Sequence({
    value: [
      new asn1js.ObjectIdentifier({ value: CMS_OIDS.envelopedData }),
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 0 },
        value: [
          new asn1js.Sequence({
            value: [
              new asn1js.Integer({ value: 0 }),
              new asn1js.Set({ value: ed.recipientInfos.map((ri) => ri.toSchema()) }),
              new asn1js.Sequence({
                value: [
                  new asn1js.ObjectIdentifier({ value: CMS_OIDS.data }),
                  ed.encryptedContentInfo.contentEncryptionAlgorithm.toSchema(),
                  new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: randomBytes(contentBytes) }),
                ],
              }),
            ],
          }),
        ],
      }),
    ],
  });
  return new Uint8Array(der.toBER());
}

describe("dpi/dokumentpakke: the structure check reads a bounded amount", function () {
  this.timeout(60_000);
  let small: Uint8Array;
  let expected: ReturnType<typeof parseEnvelopedData>;
  before(async () => {
    small = await encryptDokumentpakke(new Uint8Array(100), makeRecipient("bounded", "03aa").cert);
    expected = parseEnvelopedData(small);
  });

  it("steps over 25 MB of BER-chunked encrypted content holding at most one read window and the structure", async () => {
    const cms = largeBer(small, 25_000);
    expect(cms.length).to.be.greaterThan(25_000_000);
    const { source, stats } = instrumented(cms);
    expect(await parseEnvelopedDataFrom(source)).to.deep.equal(expected);
    const s = stats();
    // The whole package passes through one window; besides it, only the elements read whole (under 1 KiB here).
    expect(s.held, JSON.stringify(s)).to.be.at.most(CMS_READ_WINDOW_BYTES + 4096);
    expect(s.maxInFlight).to.equal(1);
  });

  it("does not even read 25 MB of DER encrypted content: the headers say where it ends", async () => {
    const cms = largeDer(small, 25_000_000);
    const { source, stats } = instrumented(cms);
    expect(await parseEnvelopedDataFrom(source)).to.deep.equal(expected);
    const s = stats();
    expect(s.held, JSON.stringify(s)).to.be.at.most(CMS_READ_WINDOW_BYTES + 4096);
    expect(s.bytesRead, JSON.stringify(s)).to.be.at.most(2 * CMS_READ_WINDOW_BYTES + 4096);
  });

  it("refuses a chunk deep in a long run, past many read windows, as it refuses the first: by its index and byte", async () => {
    const { head } = splitAtContent(small);
    const good = largeBer(small, 5_000);
    const at = head.length + 2 + 3_000 * 1004;
    const spoilt = (bad: string): Buffer => Buffer.concat([good.subarray(0, at), Buffer.from(bad, "hex"), good.subarray(at)]);
    for (const [bad, words] of [
      ["2480", `chunk 3000 of the encrypted content (byte ${at}) is not a primitive OCTET STRING`],
      ["020100", `chunk 3000 of the encrypted content (byte ${at}) is not a primitive OCTET STRING`],
      ["0480", `indefinite length on a primitive element at byte ${at}`],
      ["048700000000000001", `length of 7 octets at byte ${at}`],
      // The content's length is indefinite, so its chunks may run to the end of the package (6 bytes longer now).
      ["04847fffffff", `the element at byte ${at} runs ${at + 6 + 0x7fffffff - (good.length + 6)} bytes past its end`],
    ] as const) {
      const cms = spoilt(bad);
      expect(notCms(cms).message, bad).to.equal(`not a CMS structure: ${words}`);
      expect((await rejection(parseEnvelopedDataFrom(instrumented(cms).source))).message, bad).to.equal(`not a CMS structure: ${words}`);
    }
    // Chunks of every length form (short, one to six length octets, empty ones) are stepped over alike.
    const forms = ["0400", "0401aa", "048101bb", "04820001cc", "0483000001dd", "048400000001ee", "04850000000001ff", "0486000000000001ab"].join("");
    const mixed = Buffer.concat([good.subarray(0, at), Buffer.from(forms.repeat(2_000), "hex"), good.subarray(at)]);
    expect(parseEnvelopedData(mixed)).to.deep.equal(expected);
    expect(await parseEnvelopedDataFrom(instrumented(mixed).source)).to.deep.equal(expected);
  });

  it("gives the same answer from a file as from memory, and the same refusals", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dpi-cms-file-"));
    try {
      const file = join(dir, "cms");
      writeFileSync(file, largeBer(small, 100));
      expect(await parseEnvelopedDataFile(file)).to.deep.equal(expected);
      writeFileSync(file, "");
      expect((await rejection(parseEnvelopedDataFile(file))).message).to.equal("the dokumentpakke is empty");
      writeFileSync(file, Buffer.concat([small, Buffer.from([0])]));
      expect((await rejection(parseEnvelopedDataFile(file))).message).to.equal("1 bytes follow the CMS ContentInfo");
      writeFileSync(file, small.subarray(0, small.length - 30));
      await rejection(parseEnvelopedDataFile(file));
      writeFileSync(file, randomBytes(100_000));
      await rejection(parseEnvelopedDataFile(file));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(`refuses more than ${CMS_STRUCTURE_MAX_BYTES} bytes of structure around the content, before reading them`, async () => {
    // An unprotectedAttrs [1] of 100 000 bytes after the EncryptedContentInfo.
    const { head, chunk, tail } = splitAtContent(small);
    const attrs = Buffer.concat([Buffer.from([0xa1, 0x83, 0x01, 0x86, 0xa0]), Buffer.alloc(100_000)]);
    const cms = Buffer.concat([head, Buffer.from([0xa0, 0x80]), chunk, Buffer.from([0, 0, 0, 0]), attrs, tail.subarray(2)]);
    const { source, stats } = instrumented(cms);
    expect((await rejection(parseEnvelopedDataFrom(source))).message).to.equal(
      `not a CMS structure: the structure around the encrypted content exceeds ${CMS_STRUCTURE_MAX_BYTES} bytes`,
    );
    expect(stats().held).to.be.at.most(CMS_READ_WINDOW_BYTES + 4096);
  });

  it("refuses deeply nested indefinite lengths without recursing into them", () => {
    // 200 000 nested indefinite-length SETs as the EnvelopedData version: found too large from headers alone.
    const { head } = splitAtContent(small);
    const version = head.indexOf(Buffer.from("020100", "hex"));
    const nested = Buffer.concat([Buffer.alloc(400_000).fill(Buffer.from([0x31, 0x80])), Buffer.alloc(400_000)]);
    const cms = Buffer.concat([head.subarray(0, version), nested]);
    expect(notCms(cms).message).to.equal(`not a CMS structure: the structure around the encrypted content exceeds ${CMS_STRUCTURE_MAX_BYTES} bytes`);
  });
});

describe("dpi/dokumentpakke: forms of the encrypted content (as pkijs judges them whole)", () => {
  let small: Uint8Array;
  let parts: ReturnType<typeof splitAtContent>;
  before(async () => {
    small = await encryptDokumentpakke(new Uint8Array(100), makeRecipient("forms", "03bb").cert);
    parts = splitAtContent(small);
  });
  const hex = (h: string) => Buffer.from(h, "hex");
  const build = (...pieces: Buffer[]) => Buffer.concat([parts.head, ...pieces, parts.tail]);

  it("accepts constructed (indefinite or definite, even empty) and primitive encrypted content", () => {
    const accepted = [
      build(hex("a080"), parts.chunk, hex("0000")),
      build(hex("a080"), parts.chunk, parts.chunk, hex("0000")),
      build(hex("a0800000")),
      build(hex("a000")),
      build(hex("a072"), parts.chunk),
      build(hex("8070"), parts.chunk.subarray(2)),
      build(hex("8000")),
    ];
    for (const cms of accepted) expect(parseEnvelopedData(cms).contentEncryptionAlgorithm).to.equal(CMS_OIDS.aes256Cbc);
  });

  it("accepts what follows the content in EncryptedContentInfo and ContentInfo, as pkijs does", () => {
    expect(parseEnvelopedData(build(hex("a080"), parts.chunk, hex("0000"), hex("020100"))).recipientCount).to.equal(1);
    const b = Buffer.from(small);
    expect(parseEnvelopedData(Buffer.concat([b.subarray(0, b.length - 2), hex("020100"), hex("0000")])).recipientCount).to.equal(1);
  });

  it("refuses chunks that are not primitive OCTET STRINGs, and indefinite primitive elements", () => {
    // The first chunk starts after the head and the A0 80 of the encrypted content.
    const firstChunk = parts.head.length + 2;
    const notOctetString = `not a CMS structure: chunk 0 of the encrypted content (byte ${firstChunk}) is not a primitive OCTET STRING`;
    expect(notCms(build(hex("a080"), hex("2480"), parts.chunk, hex("0000"), hex("0000"))).message).to.equal(notOctetString);
    expect(notCms(build(hex("a080"), hex("020100"), parts.chunk, hex("0000"))).message).to.equal(notOctetString);
    expect(notCms(build(hex("a080"), hex("810100"), hex("0000"))).message).to.equal(notOctetString);
    expect(notCms(build(hex("a080"), hex("0480"), parts.chunk, hex("0000"))).message).to.equal(`not a CMS structure: indefinite length on a primitive element at byte ${firstChunk}`);
  });

  it("refuses an EnvelopedData without encrypted content or with an element after it", () => {
    expect(notCms(build()).message).to.equal("EnvelopedData carries no encrypted content");
    const afterEci = Buffer.concat([parts.head, hex("8000"), hex("0000"), hex("020100"), parts.tail.subarray(2)]);
    expect(notCms(afterEci).message).to.equal("malformed EnvelopedData: INTEGER after encryptedContentInfo");
  });

  it("refuses a content type that is no OBJECT IDENTIFIER, or a padded one (which asn1js read as EnvelopedData)", () => {
    const withContentType = (oid: string) => {
      const rest = Buffer.from(small).subarray(2 + 11);
      return Buffer.concat([hex("3080"), hex(oid), rest]);
    };
    expect(Buffer.from(small).subarray(0, 13).toString("hex")).to.equal("308006092a864886f70d010703");
    expect(parseEnvelopedData(withContentType("06092a864886f70d010703")).recipientCount).to.equal(1);
    expect(notCms(withContentType("3000")).message).to.equal("not a CMS ContentInfo: contentType: SEQUENCE, not an OBJECT IDENTIFIER");
    expect(notCms(withContentType("060a2a80864886f70d010703")).message).to.equal(
      "not a CMS ContentInfo: contentType: an arc padded with a zero octet in an OBJECT IDENTIFIER",
    );
  });

  it("refuses a chunk running past the end and an end-of-contents with a length", () => {
    notCms(build(hex("a080"), hex("0482ffff"), parts.chunk, hex("0000")));
    expect(notCms(build(hex("a080"), parts.chunk, hex("0020"))).message).to.equal(`not a CMS structure: malformed end-of-contents at byte ${parts.head.length + 2 + parts.chunk.length}`);
  });
});
