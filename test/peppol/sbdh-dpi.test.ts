import { expect } from "chai";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { DPI_PROCESS_IDS } from "../../src/dpi/document-types.js";
import {
  SbdhError,
  SbdhMalformedError,
  SbdhPayloadError,
  SbdhScopeError,
  SbdhTooLargeError,
  SbdhValueError,
} from "../../src/peppol/errors.js";
import { norwegianParticipantId } from "../../src/peppol/identifiers.js";
import { INNBYGGERPOST_NS } from "../../src/peppol/sbdh.js";
import {
  buildDpiSbd,
  dpiSbdParts,
  dpiSbdBytes,
  dpiSbdStream,
  dpiStandard,
  readDpiSbd,
  readDpiSbdFile,
  type DpiSbdInput,
  type DpiSbdReadOptions,
} from "../../src/peppol/dpi-sbd.js";
import { seededBytes } from "../helpers/seeded-bytes.js";

const SHARED = fileURLToPath(new URL("../../../shared/", import.meta.url));
const JWS = "eyJhbGciOiJSUzI1NiJ9.eyJzdGFuZGFyZEJ1c2luZXNzRG9jdW1lbnQiOnt9fQ.c2lnbmF0dXJl";
const SENDER = norwegianParticipantId("991825827");
const POSTBOX = norwegianParticipantId("984661185");

const letter = (extra: Partial<DpiSbdInput> = {}): DpiSbdInput => ({
  sender: SENDER,
  receiver: POSTBOX,
  messageType: "digital",
  instanceIdentifier: "ff88849c-e281-4809-8555-7cd54952b916",
  createdAt: new Date("2025-05-01T10:00:00.000Z"),
  forretningsmelding: JWS,
  dokumentpakke: bytes(1000),
  ...extra,
});

const receipt = (extra: Partial<DpiSbdInput> = {}): DpiSbdInput => ({
  sender: POSTBOX,
  receiver: SENDER,
  messageType: "leveringskvittering",
  process: DPI_PROCESS_IDS.digital,
  instanceIdentifier: "0c1cf3f2-5f16-4d0e-9d2f-08f0a2ab9b35",
  createdAt: new Date("2025-05-01T10:05:00.000Z"),
  forretningsmelding: JWS,
  ...extra,
});

const bytes = seededBytes;

function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

function collector(): { sink: Writable; bytes: () => Buffer; destroyed: () => boolean } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  sink.on("error", () => undefined);
  return { sink, bytes: () => Buffer.concat(chunks), destroyed: () => sink.destroyed };
}

/** The same bytes as an async iterable of small, uneven chunks (split tags and UTF-8 sequences). */
async function* uneven(data: Buffer): AsyncGenerator<Buffer> {
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const size = 1 + ((i * 7) % 13);
    yield data.subarray(at, at + size);
    at += size;
  }
}

async function rejection(p: Promise<unknown>): Promise<SbdhError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(SbdhError);
    return e as SbdhError;
  }
  return expect.fail("the SBD was accepted");
}

async function readText(xml: string, options?: DpiSbdReadOptions) {
  return readDpiSbd(Buffer.from(xml, "utf8"), options);
}

describe("peppol/sbdh (DPI Innbyggerpost payload)", () => {
  describe("round trips", () => {
    it("carries a letter: header, forretningsmelding and dokumentpakke bytes", async () => {
      const pakke = bytes(100_001);
      const sbd = await buildDpiSbd(letter({ dokumentpakke: pakke }));
      const { sink, bytes: received } = collector();
      const read = await readDpiSbd(sbd, { sink });
      expect(read.messageType).to.equal("digital");
      expect(read.spelling).to.equal("innbyggerpost");
      expect(read.process).to.equal(DPI_PROCESS_IDS.digital);
      expect(read.forretningsmelding).to.equal(JWS);
      expect(read.dokumentpakke).to.deep.equal({ size: pakke.length, sha256: sha256(pakke) });
      expect(received().equals(pakke)).to.equal(true);
      expect(read.header.sender).to.deep.equal(SENDER);
      expect(read.header.receiver).to.deep.equal(POSTBOX);
      expect(read.header).to.include({ type: "Innbyggerpost", typeVersion: "1.0", standard: dpiStandard("innbyggerpost"), countryC1: "NO" });
      expect(read.header.documentType.value).to.equal(
        "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
      );
    });

    it("with digest: false gives the dokumentpakke's size and bytes but no SHA-256 (the sink digests them)", async () => {
      const pakke = bytes(100_001);
      const sbd = await buildDpiSbd(letter({ dokumentpakke: pakke }));
      const { sink, bytes: received } = collector();
      const read = await readDpiSbd(sbd, { sink, digest: false });
      expect(read.dokumentpakke).to.deep.equal({ size: pakke.length });
      expect(received().equals(pakke)).to.equal(true);
    });

    it("carries a receipt with an empty Dokumentpakke element", async () => {
      const sbd = await buildDpiSbd(receipt());
      expect(sbd.toString()).to.contain("<Dokumentpakke></Dokumentpakke>");
      const read = await readDpiSbd(sbd);
      expect(read.messageType).to.equal("leveringskvittering");
      expect(read.process).to.equal(DPI_PROCESS_IDS.digital);
      expect(read.dokumentpakke).to.equal(undefined);
    });

    it("writes the configured spelling into Standard and DOCUMENTID", async () => {
      const sbd = (await buildDpiSbd(letter({ spelling: "Innbyggerpost" }))).toString();
      expect(sbd).to.contain("<Standard>urn:fdc:digdir.no:2020:innbyggerpost:xsd::Innbyggerpost</Standard>");
      expect(sbd).to.contain("<InstanceIdentifier>urn:fdc:digdir.no:2020:innbyggerpost:xsd::Innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0</InstanceIdentifier>");
      expect((await readText(sbd)).spelling).to.equal("Innbyggerpost");
      const e = await rejection(readText(sbd, { acceptSpellings: ["innbyggerpost"] }));
      expect(e).to.be.instanceOf(SbdhValueError); // Standard is checked first
    });

    it("reads the same result whatever the chunk boundaries", async () => {
      const pakke = bytes(5000, 7);
      const sbd = await buildDpiSbd(letter({ dokumentpakke: pakke, instanceIdentifier: "æøå-ÆØÅ-id" }));
      const { sink, bytes: received } = collector();
      const read = await readDpiSbd(uneven(sbd), { sink });
      expect(read.header.instanceIdentifier).to.equal("æøå-ÆØÅ-id");
      expect(received().equals(pakke)).to.equal(true);
    });

    it("finds the Dokumentpakke start tag wherever it falls in a large chunk, and reads the text after it in the same chunk", async () => {
      const pakke = bytes(200_000, 9);
      const sbd = (await buildDpiSbd(letter({ dokumentpakke: pakke }))).toString("utf8");
      const tag = sbd.indexOf("<Dokumentpakke>");
      // A comment in the header moves the tag across the 64 KiB pieces the head is searched in.
      for (const tagAt of [65_530, 65_536, 65_537, 131_070]) {
        const padded = sbd.replace("<HeaderVersion>", `<!--${"x".repeat(tagAt - tag - 7)}--><HeaderVersion>`);
        expect(padded.indexOf("<Dokumentpakke>")).to.equal(tagAt);
        const { sink, bytes: received } = collector();
        const read = await readDpiSbd(Buffer.from(padded, "utf8"), { sink });
        expect(read.dokumentpakke, `tag at ${tagAt}`).to.deep.equal({ size: pakke.length, sha256: sha256(pakke) });
        expect(received().equals(pakke)).to.equal(true);
      }
    });

    it("with overwriteChunks decodes into the source's own chunks: the same result and bytes, however the chunks fall", async () => {
      const pakke = bytes(300_001, 11);
      const sbd = await buildDpiSbd(letter({ dokumentpakke: pakke }));
      /** Fresh copies of `sbd` in chunks of the given sizes (repeated), kept to see what became of them. */
      const fresh = (sizes: readonly number[], given: Buffer[]) =>
        (async function* () {
          for (let at = 0, i = 0; at < sbd.length; i++) {
            const chunk = Buffer.from(sbd.subarray(at, at + sizes[i % sizes.length]!));
            given.push(chunk);
            yield chunk;
            at += chunk.length;
          }
        })();
      for (const sizes of [[262_144], [65_536], [1, 2, 3, 5], [7_777, 3], [sbd.length]]) {
        const { sink, bytes: received } = collector();
        const given: Buffer[] = [];
        const read = await readDpiSbd(fresh(sizes, given), { sink, overwriteChunks: true });
        expect(read.dokumentpakke, `chunks of ${sizes.join(", ")}`).to.deep.equal({ size: pakke.length, sha256: sha256(pakke) });
        expect(received().equals(pakke), `chunks of ${sizes.join(", ")}`).to.equal(true);
        // The chunks of the base64 were written over (the decoded bytes went there), the head's were not.
        expect(given[0]!.equals(sbd.subarray(0, given[0]!.length))).to.equal(given[0]!.length < sbd.indexOf("<Dokumentpakke>"));
        expect(Buffer.concat(given).equals(sbd), `chunks of ${sizes.join(", ")}`).to.equal(false);
      }
      // A source given as bytes is never written over.
      const copy = Buffer.from(sbd);
      await readDpiSbd(copy, { overwriteChunks: true });
      expect(copy.equals(sbd)).to.equal(true);
    });

    it("streams a large dokumentpakke from file to file without holding it in the header budget", async () => {
      const dir = await mkdtemp(join(tmpdir(), "dpi-sbd-"));
      try {
        const pakke = bytes(3 * 1024 * 1024 + 2, 3);
        const source = join(dir, "pakke.cms");
        await writeFile(source, pakke);
        const { createReadStream } = await import("node:fs");
        const sbdPath = join(dir, "sbd.xml");
        await pipeline(dpiSbdStream(letter({ dokumentpakke: createReadStream(source, { highWaterMark: 7777 }) })), createWriteStream(sbdPath));
        expect((await stat(sbdPath)).size).to.be.greaterThan(4 * 1024 * 1024);

        const target = join(dir, "out.cms");
        const read = await readDpiSbdFile(sbdPath, { sink: createWriteStream(target), maxHeadChars: 16 * 1024, maxTailChars: 1024 });
        expect(read.dokumentpakke).to.deep.equal({ size: pakke.length, sha256: sha256(pakke) });
        expect(sha256(await readFile(target))).to.equal(sha256(pakke));

        const { sink, destroyed } = collector();
        const tooBig = await rejection(readDpiSbdFile(sbdPath, { sink, maxDokumentpakkeBytes: 1024 * 1024 }));
        expect(tooBig).to.be.instanceOf(SbdhTooLargeError);
        expect((tooBig as SbdhTooLargeError).part).to.equal("dokumentpakke");
        expect(destroyed()).to.equal(true);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("carries Digdir's real forretningsmelding and CMS dokumentpakke", async function () {
      const jwtPath = join(SHARED, "vectors/dpi/digital-forretningsmelding.jwt");
      const cmsPath = join(SHARED, "vectors/dpi/digital-dokumentpakke.cms");
      if (!existsSync(jwtPath) || !existsSync(cmsPath)) this.skip();
      const jws = readFileSync(jwtPath, "utf8").trim();
      const cms = readFileSync(cmsPath);
      const { sink, bytes: received } = collector();
      const read = await readDpiSbd(await buildDpiSbd(letter({ forretningsmelding: jws, dokumentpakke: cms })), { sink });
      expect(read.forretningsmelding).to.equal(jws);
      expect(received().equals(cms)).to.equal(true);
    });
  });

  describe("Digdir's C2→C3 example (spec/digdir/digitalpost_c2_c3.xml)", () => {
    const example = (ctx: Mocha.Context): string => {
      const path = join(SHARED, "spec/digdir/digitalpost_c2_c3.xml");
      if (!existsSync(path)) ctx.skip();
      // Its JWS and base64 are placeholders ("....."); put real-looking ones in.
      return readFileSync(path, "utf8")
        .replace(/<SignertForretningsmelding>[^<]*</, `<SignertForretningsmelding>${JWS}<`)
        .replace(/<Dokumentpakke>[^<]*</, `<Dokumentpakke>${bytes(30).toString("base64")}<`);
    };

    it("has the shape we read, except for COUNTRY_C1 which it lacks", async function () {
      const xml = example(this);
      const e = await rejection(readText(xml));
      expect(e).to.be.instanceOf(SbdhScopeError);
      expect(e.message).to.contain("COUNTRY_C1");
      const read = await readText(xml, { requireCountryC1: false });
      expect(read.messageType).to.equal("digital");
      expect(read.spelling).to.equal("Innbyggerpost");
      expect(read.header.instanceIdentifier).to.equal("PNO000001-5-20200120T090717");
      expect(read.dokumentpakke?.size).to.equal(30);
    });

    it("is refused as sent, since its dokumentpakke placeholder is no base64", async function () {
      const path = join(SHARED, "spec/digdir/digitalpost_c2_c3.xml");
      if (!existsSync(path)) this.skip();
      const e = await rejection(readDpiSbd(readFileSync(path), { requireCountryC1: false }));
      expect(e).to.be.instanceOf(SbdhPayloadError);
    });
  });

  describe("refusals", () => {
    let good: string;
    let goodReceipt: string;
    before(async () => {
      good = (await buildDpiSbd(letter({ dokumentpakke: bytes(10) }))).toString();
      goodReceipt = (await buildDpiSbd(receipt())).toString();
    });
    const b64 = bytes(10).toString("base64");

    const cases: Array<[string, () => string, abstract new (...args: never[]) => SbdhError, string]> = [
      ["a comment inside Dokumentpakke", () => good.replace(`${b64}<`, `${b64}<!--x-->AAAA<`), SbdhPayloadError, "base64 text only"],
      ["CDATA inside Dokumentpakke", () => good.replace(`>${b64}<`, `><![CDATA[${b64}]]><`), SbdhPayloadError, "base64 text only"],
      ["a character reference inside Dokumentpakke", () => good.replace(`>${b64}<`, `>&#65;AAA${b64}<`), SbdhPayloadError, "unexpected character"],
      ["a non-ASCII character inside Dokumentpakke", () => good.replace(`>${b64}<`, `>é${b64}<`), SbdhPayloadError, "not base64: unexpected byte 0xc3"],
      ["data after padding", () => good.replace(`${b64}<`, `${b64}AAAA<`), SbdhPayloadError, "misplaced padding"],
      ["padding in the middle", () => good.replace(`>${b64}<`, `>AA==${b64}<`), SbdhPayloadError, "misplaced padding"],
      ["unpadded base64", () => good.replace(`>${b64}<`, `>${b64.replace(/=+$/, "")}<`), SbdhPayloadError, "incomplete"],
      ["a letter without dokumentpakke", () => good.replace(`>${b64}<`, "><"), SbdhPayloadError, "needs a non-empty dokumentpakke"],
      ["a letter without the Dokumentpakke element", () => good.replace(/<Dokumentpakke>.*<\/Dokumentpakke>/, ""), SbdhPayloadError, "needs a non-empty dokumentpakke"],
      ["a receipt with a dokumentpakke", () => goodReceipt.replace("<Dokumentpakke></Dokumentpakke>", `<Dokumentpakke>${b64}</Dokumentpakke>`), SbdhPayloadError, "carries no dokumentpakke"],
      ["a payload in another namespace", () => good.replace(INNBYGGERPOST_NS, "http://digdir.no/dpi/other"), SbdhPayloadError, "must be {http://digdir.no/dpi/innbyggerpost}Innbyggerpost"],
      ["an extra payload element", () => good.replace("</Dokumentpakke>", "</Dokumentpakke><Extra/>"), SbdhPayloadError, "unexpected element"],
      ["a missing SignertForretningsmelding", () => good.replace(/<SignertForretningsmelding>.*<\/SignertForretningsmelding>/, ""), SbdhPayloadError, "SignertForretningsmelding must be the first"],
      ["a forretningsmelding that is no compact JWS", () => good.replace(JWS, "not.a jws"), SbdhPayloadError, "compact JWS"],
      ["a Dokumentpakke in another namespace", () => good.replace("<Dokumentpakke>", '<x:Dokumentpakke xmlns:x="urn:x">').replace("</Dokumentpakke>", "</x:Dokumentpakke>"), SbdhPayloadError, "unexpected element {urn:x}Dokumentpakke"],
      ["a non-DPI document type", () => good.replace("schema:digital::1.0", "schema:brev::1.0"), SbdhScopeError, "not a DPI document type"],
      ["a process that does not carry the type", () => good.replace("innbyggerpost:digital:ver1.0", "innbyggerpost:utskrift:ver1.0"), SbdhScopeError, "does not travel on process"],
      ["a non-DPI process", () => good.replace("innbyggerpost:digital:ver1.0", "innbyggerpost:other:ver1.0"), SbdhScopeError, "not a DPI process"],
      ["a foreign Standard", () => good.replace(`<Standard>${dpiStandard()}`, "<Standard>urn:other"), SbdhValueError, "not a DPI standard"],
      ["a wrong Type", () => good.replace("<Type>Innbyggerpost</Type>", "<Type>innbyggerpost</Type>"), SbdhValueError, "DocumentIdentification/Type"],
      ["content after the root element", () => `${good}<x/>`, SbdhMalformedError, "not well-formed"],
      ["a document that ends inside Dokumentpakke", () => good.slice(0, good.indexOf(b64) + 4), SbdhMalformedError, "ends inside Dokumentpakke"],
      ["a Dokumentpakke tag hidden in a comment before the real one", () => good.replace("<HeaderVersion>", "<!-- <Dokumentpakke>AAAA</Dokumentpakke> --><HeaderVersion>"), SbdhError, ""],
    ];
    for (const [what, make, errorClass, fragment] of cases) {
      it(`refuses ${what}`, async () => {
        const e = await rejection(readText(make()));
        expect(e).to.be.instanceOf(errorClass);
        expect(e.message).to.contain(fragment);
      });
    }

    it("refuses misplaced padding also when it is split across chunks", async () => {
      const e = await rejection(readDpiSbd(uneven(Buffer.from(good.replace(`${b64}<`, `${b64}AAAA<`)))));
      expect(e.message).to.contain("misplaced padding");
    });

    it("accepts a receipt whose Dokumentpakke element is absent or self-closing, and base64 wrapped in lines", async () => {
      expect((await readText(goodReceipt.replace("<Dokumentpakke></Dokumentpakke>", ""))).messageType).to.equal("leveringskvittering");
      expect((await readText(goodReceipt.replace("<Dokumentpakke></Dokumentpakke>", "<Dokumentpakke/>"))).dokumentpakke).to.equal(undefined);
      const pakke = bytes(300);
      const wrapped = pakke.toString("base64").replace(/.{76}/g, "$&\r\n");
      const read = await readText(good.replace(`>${b64}<`, `>\n${wrapped}\n    <`));
      expect(read.dokumentpakke?.sha256).to.equal(sha256(pakke));
    });

    it("accepts the payload namespace as Standard", async () => {
      expect((await readText(good.replace(`<Standard>${dpiStandard()}`, `<Standard>${INNBYGGERPOST_NS}`))).messageType).to.equal("digital");
    });

    it("refuses invalid UTF-8 and oversized head or tail", async () => {
      const bad = Buffer.concat([Buffer.from(good.slice(0, 200)), Buffer.from([0xc3, 0x28]), Buffer.from(good.slice(200))]);
      expect(await rejection(readDpiSbd(bad))).to.be.instanceOf(SbdhMalformedError);
      const head = await rejection(readText(good, { maxHeadChars: 500 }));
      expect((head as SbdhTooLargeError).part).to.equal("head");
      const tail = await rejection(readText(good.replace("</Innbyggerpost>", `</Innbyggerpost><!--${"x".repeat(2000)}-->`), { maxTailChars: 1000 }));
      expect((tail as SbdhTooLargeError).part).to.equal("tail");
    });
  });

  describe("sink failures", () => {
    it("end the read with the sink's error, even when nobody listens to the sink", async () => {
      const failing = new Writable({
        highWaterMark: 16,
        write(_chunk, _enc, cb) {
          cb(new Error("disk full"));
        },
      });
      let error: unknown;
      try {
        await readDpiSbd(uneven(await buildDpiSbd(letter({ dokumentpakke: bytes(4000) }))), { sink: failing });
      } catch (e) {
        error = e;
      }
      expect((error as Error).message).to.equal("disk full");
      expect(failing.destroyed).to.equal(true);
    });
  });

  describe("built in one go from a dokumentpakke in memory", () => {
    /** The test's inputs hold their dokumentpakke in memory (or none). */
    const inMemory = (input: DpiSbdInput): Parameters<typeof dpiSbdBytes>[0] => input as Parameters<typeof dpiSbdBytes>[0];
    it("gives the stream's bytes", async () => {
      for (const n of [1, 2, 3, 4, 100_001]) {
        const input = letter({ dokumentpakke: bytes(n), instanceIdentifier: "æøå-ÆØÅ-id" });
        expect(dpiSbdBytes(inMemory(input)).equals(await buildDpiSbd(input)), `${n} bytes`).to.equal(true);
      }
      const pakke = bytes(30);
      const view = letter({ dokumentpakke: new Uint8Array(pakke.buffer, pakke.byteOffset + 5, 20) });
      expect(dpiSbdBytes(inMemory(view)).equals(await buildDpiSbd(view))).to.equal(true);
      expect(dpiSbdBytes(inMemory(receipt())).equals(await buildDpiSbd(receipt()))).to.equal(true);
    });

    it("refuses what the stream refuses, with the same errors", async () => {
      const cases = [letter({ dokumentpakke: undefined }), receipt({ dokumentpakke: bytes(3) }), letter({ dokumentpakke: Buffer.alloc(0) }), receipt({ process: undefined })];
      for (const input of cases) {
        let oneShot: unknown;
        try {
          dpiSbdBytes(inMemory(input));
        } catch (err) {
          oneShot = err;
        }
        const streamed = await rejection(buildDpiSbd(input));
        expect(oneShot).to.be.instanceOf(streamed.constructor);
        expect((oneShot as Error).message).to.equal(streamed.message);
      }
    });
  });

  describe("building refusals", () => {
    it("needs a dokumentpakke for letters and none for receipts", async () => {
      expect(() => dpiSbdStream(letter({ dokumentpakke: undefined }))).to.throw(SbdhPayloadError, /needs a dokumentpakke/);
      expect(() => dpiSbdStream(receipt({ dokumentpakke: bytes(3) }))).to.throw(SbdhPayloadError, /carries no dokumentpakke/);
      expect(await rejection(buildDpiSbd(letter({ dokumentpakke: Buffer.alloc(0) })))).to.be.instanceOf(SbdhPayloadError);
    });

    it("needs a process for receipts that carries the receipt type", () => {
      expect(() => dpiSbdParts(receipt({ process: undefined }))).to.throw(SbdhValueError, /needs the process/);
      expect(() => dpiSbdParts(receipt({ messageType: "aapningskvittering", process: DPI_PROCESS_IDS.utskrift }))).to.throw(SbdhValueError, /does not travel/);
      expect(() => dpiSbdParts(letter({ process: DPI_PROCESS_IDS.flyttet }))).to.throw(SbdhValueError, /does not travel/);
    });

    it("needs a compact JWS", () => {
      expect(() => dpiSbdParts(letter({ forretningsmelding: "a.b" }))).to.throw(SbdhValueError, /compact JWS/);
      expect(() => dpiSbdParts(letter({ forretningsmelding: `${JWS}<x>` }))).to.throw(SbdhValueError);
    });

    it("splits head and tail exactly around the base64", () => {
      const { head, tail } = dpiSbdParts(receipt());
      expect(head.endsWith("<Dokumentpakke>")).to.equal(true);
      expect(tail.startsWith("</Dokumentpakke>")).to.equal(true);
    });
  });
});
