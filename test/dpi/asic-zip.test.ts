import { expect } from "chai";
import { crc32 } from "node:zlib";
import {
  readZip,
  writeZip,
  ZipCorruptEntryError,
  ZipDuplicateEntryError,
  ZipFormatError,
  ZipLimitError,
  ZipUnsafeNameError,
  ZipUnsupportedError,
  type ZipEntryInput,
} from "../../src/dpi/zip.js";
import { readVector } from "./vectors.js";

const enc = (s: string) => Buffer.from(s, "utf8");

/** Offset of the n-th central directory header. */
function centralHeader(zip: Buffer, n: number): number {
  let at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  for (let i = 0; i < n; i++) {
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return at;
}

function zipOf(entries: ZipEntryInput[]): Buffer {
  return Buffer.from(writeZip(entries));
}

describe("dpi/zip: writer and reader", () => {
  it("round-trips stored and deflated entries with UTF-8 names, in order, with the comment", () => {
    const big = Buffer.alloc(100_000, "abc");
    const zip = writeZip(
      [
        { name: "mimetype", data: enc("application/vnd.etsi.asic-e+zip"), method: "store" },
        { name: "Vedtak om støtte.pdf", data: big },
        { name: "META-INF/signatures.xml", data: enc("<x/>") },
      ],
      { comment: "mimetype=application/vnd.etsi.asic-e+zip", modified: new Date("2025-06-01T10:00:00Z") },
    );
    const archive = readZip(zip);
    expect(archive.comment).to.equal("mimetype=application/vnd.etsi.asic-e+zip");
    expect(archive.entries.map((e) => [e.name, e.method])).to.deep.equal([
      ["mimetype", "store"],
      ["Vedtak om støtte.pdf", "deflate"],
      ["META-INF/signatures.xml", "deflate"],
    ]);
    expect(Buffer.from(archive.entries[1]!.data).equals(big)).to.equal(true);
    expect(archive.entries[1]!.compressedSize).to.be.lessThan(big.length / 10);
    // The first entry's content sits at the fixed offset ASiC readers sniff: 30 + "mimetype".length.
    expect(archive.entries[0]!.localHeaderOffset).to.equal(0);
    expect(archive.entries[0]!.dataOffset).to.equal(38);
    expect(Buffer.from(zip).subarray(30, 38 + 31).toString("latin1")).to.equal("mimetypeapplication/vnd.etsi.asic-e+zip");
    // UTF-8 flag (bit 11) set in the local header
    expect(Buffer.from(zip).readUInt16LE(6) & 0x0800).to.equal(0x0800);
  });

  it("reads Digdir's sample container (Java ZipOutputStream: data descriptors)", function () {
    const archive = readZip(readVector(this, "digital-dokumentpakke.zip"));
    expect(archive.entries.map((e) => e.name)).to.deep.equal([
      "mimetype",
      "manifest.xml",
      "Test.txt",
      "META-INF/signatures.xml",
      "META-INF/manifest.xml",
    ]);
    expect(Buffer.from(archive.entries[2]!.data).toString()).to.equal("Test");
    expect(archive.comment).to.equal("mimetype=application/vnd.etsi.asic-e+zip");
  });

  it("refuses to write duplicates", () => {
    expect(() => writeZip([{ name: "a.txt", data: enc("1") }, { name: "a.txt", data: enc("2") }])).to.throw(ZipDuplicateEntryError);
  });
});

describe("dpi/zip: hostile archives", () => {
  it("limits the number of entries", () => {
    const entries = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.txt`, data: enc("x") }));
    expect(() => readZip(zipOf(entries), { maxEntries: 10 })).to.throw(ZipLimitError, /11 entries/);
    expect(readZip(zipOf(entries), { maxEntries: 11 }).entries).to.have.length(11);
  });

  it("limits the declared total size before inflating anything (a real bomb)", () => {
    const zip = zipOf([{ name: "zeros.bin", data: Buffer.alloc(32 * 1024 * 1024) }]);
    expect(zip.length).to.be.lessThan(64 * 1024);
    expect(() => readZip(zip, { maxTotalSize: 1024 * 1024 })).to.throw(ZipLimitError, /declare/);
  });

  it("rejects a huge declared size", () => {
    const zip = zipOf([{ name: "a.txt", data: enc("hello") }]);
    zip.writeUInt32LE(0x7fffffff, centralHeader(zip, 0) + 24);
    expect(() => readZip(zip)).to.throw(ZipLimitError);
  });

  it("stops inflating at the declared size when the size field lies low", () => {
    const zip = zipOf([{ name: "a.txt", data: Buffer.alloc(10_000, "a") }]);
    zip.writeUInt32LE(100, centralHeader(zip, 0) + 24);
    zip.writeUInt32LE(100, 22); // local header agrees, so only inflation can tell
    expect(() => readZip(zip)).to.throw(ZipCorruptEntryError, /declared size/);
  });

  for (const name of ["../evil.txt", "a/../../evil.txt", "/etc/passwd", "a\\b.txt", "C:/x.txt", "a//b.txt", "./x.txt", "a\u0001.txt"]) {
    it(`rejects the entry name ${JSON.stringify(name)}`, () => {
      expect(() => readZip(zipOf([{ name, data: enc("x") }]))).to.throw(ZipUnsafeNameError);
    });
  }

  it("rejects names that are not UTF-8", () => {
    const zip = zipOf([{ name: "ab.txt", data: enc("x") }]);
    const cd = centralHeader(zip, 0);
    zip[cd + 46] = 0xff;
    expect(() => readZip(zip)).to.throw(ZipUnsafeNameError, /UTF-8/);
  });

  it("rejects duplicate names", () => {
    const zip = zipOf([{ name: "a.txt", data: enc("1") }, { name: "b.txt", data: enc("2") }]);
    const cd = centralHeader(zip, 1);
    zip.write("a", cd + 46, "latin1");
    expect(() => readZip(zip)).to.throw(ZipDuplicateEntryError);
  });

  it("rejects overlapping entries", () => {
    // Entry "outer.bin" stores a complete local entry "inner.txt"; a second directory record points into it.
    const inner = zipOf([{ name: "inner.txt", data: enc("hidden"), method: "store" }]);
    const innerLocal = inner.subarray(0, centralHeader(inner, 0));
    const zip = zipOf([
      { name: "outer.bin", data: innerLocal, method: "store" },
      { name: "inner.txt", data: enc("hidden"), method: "store" },
    ]);
    zip.writeUInt32LE(30 + "outer.bin".length, centralHeader(zip, 1) + 42);
    expect(() => readZip(zip)).to.throw(ZipFormatError, /overlap/);
  });

  it("rejects a CRC mismatch", () => {
    const zip = zipOf([{ name: "a.txt", data: enc("hello"), method: "store" }]);
    zip.writeUInt8(zip.readUInt8(30 + "a.txt".length) ^ 0xff, 30 + "a.txt".length);
    expect(() => readZip(zip)).to.throw(ZipCorruptEntryError, /CRC/);
  });

  it("rejects a local header that disagrees with the central directory", () => {
    const zip = zipOf([{ name: "a.txt", data: enc("hello"), method: "store" }]);
    zip.writeUInt32LE(crc32("other"), 14);
    expect(() => readZip(zip)).to.throw(ZipFormatError, /disagrees/);
  });

  it("rejects encrypted entries and unknown methods", () => {
    const encrypted = zipOf([{ name: "a.txt", data: enc("hello") }]);
    encrypted.writeUInt16LE(0x0801, centralHeader(encrypted, 0) + 8);
    expect(() => readZip(encrypted)).to.throw(ZipUnsupportedError, /encrypted/);
    const bzip2 = zipOf([{ name: "a.txt", data: enc("hello") }]);
    bzip2.writeUInt16LE(12, centralHeader(bzip2, 0) + 10);
    expect(() => readZip(bzip2)).to.throw(ZipUnsupportedError, /method 12/);
  });

  it("rejects truncated input and non-zips", () => {
    const zip = zipOf([{ name: "a.txt", data: enc("hello") }]);
    expect(() => readZip(zip.subarray(0, zip.length - 5))).to.throw(ZipFormatError);
    expect(() => readZip(enc("not a zip at all, just some text that is long enough"))).to.throw(ZipFormatError);
    expect(() => readZip(new Uint8Array(0))).to.throw(ZipFormatError);
  });
});
