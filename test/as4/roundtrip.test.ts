import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { gzipSync } from "node:zlib";
import { EbmsError } from "../../src/as4/ebms-errors.js";
import { addEncryptionHeader, generateContentKey } from "../../src/as4/encrypt.js";
import { gcmEncryptStream } from "../../src/as4/gcm-stream.js";
import { receiveUserMessage, DEFAULT_INBOUND_LIMITS, type InboundOptions, type ReceivedUserMessage } from "../../src/as4/inbound.js";
import { buildMultipartRelated } from "../../src/as4/mime-build.js";
import { prepareUserMessage, send, type OutboundPayload } from "../../src/as4/outbound.js";
import type { SpooledContent } from "../../src/as4/temp-files.js";
import { buildUserMessageEnvelope, type UserMessage } from "../../src/as4/user-message.js";
import { signEnvelope } from "../../src/as4/wss-sign.js";
import { sbdWriter } from "../../src/channels/dpi/outbound.js";
import { buildDpiSbd } from "../../src/peppol/dpi-sbd.js";
import { norwegianParticipantId } from "../../src/peppol/identifiers.js";
import { sameDsReference } from "../../src/xml/dsig-reference.js";
import { testSigner } from "./sign-fixtures.js";

const sender = testSigner("POP000001");
const receiver = testSigner("POP000002");

function header(n = 1): Omit<UserMessage, "parts"> {
  return {
    messageId: `${n.toString(16).padStart(8, "0")}-2a51-4b1a-9a8e-0d7c1c2f3a4b@sender.test`,
    timestamp: new Date("2026-03-01T12:00:00.000Z"),
    fromPartyId: "POP000001",
    toPartyId: "POP000002",
    service: { value: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0", type: "cenbii-procid-ubl" },
    action: "busdox-docid-qns::urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
    conversationId: "conv-1",
    originalSender: { type: "iso6523-actorid-upis", value: "0192:987464291" },
    finalRecipient: { type: "iso6523-actorid-upis", value: "0192:123456789" },
  };
}

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

async function sha256Of(content: Pick<SpooledContent, "createReadStream">): Promise<string> {
  const h = createHash("sha256");
  await pipeline(content.createReadStream(), new Writable({ write: (c: Buffer, _e, cb) => (h.update(c), cb()) }));
  return h.digest("hex");
}

/** A receiver on 127.0.0.1 that keeps what it received for the test to inspect. */
class TestReceiver {
  server!: Server;
  url = "";
  last: ReceivedUserMessage | undefined;
  lastError: unknown;
  constructor(readonly options: InboundOptions) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      receiveUserMessage(req.headers["content-type"], req, this.options)
        .then(async (msg) => {
          // As a handler does: every payload read to its end before the answer (a large one is decompressed as it is read).
          try {
            for (const p of msg.payloads) await sha256Of(p.content);
          } catch (err) {
            await msg.dispose();
            throw err;
          }
          return msg;
        })
        .then(
        (msg) => {
          this.last = msg;
          res.writeHead(200, { "content-type": "text/plain" }).end(`ok ${msg.payloads.length}`);
        },
        (err: unknown) => {
          this.lastError = err;
          req.resume();
          res.writeHead(500, { "content-type": "text/plain" }).end(err instanceof EbmsError ? err.code : String(err));
        },
      );
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/as4`;
  }
  async stop(): Promise<void> {
    await this.last?.dispose();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe("as4 round trip over HTTP (prepare → send → receive)", function () {
  this.timeout(60_000);
  let work: string;
  let inboundTmp: string;
  let rx: TestReceiver;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), "as4-rt-test-"));
    inboundTmp = await mkdtemp(join(tmpdir(), "as4-rt-in-"));
    rx = new TestReceiver({ decryptionKey: receiver, tempDir: { parent: inboundTmp } });
    await rx.start();
  });
  afterEach(async () => {
    await rx.stop();
    await rm(work, { recursive: true, force: true });
    await rm(inboundTmp, { recursive: true, force: true });
  });

  async function roundTrip(payloads: OutboundPayload[], n = 1) {
    const msg = await prepareUserMessage({ userMessage: header(n), payloads, signer: sender, recipientCertificate: receiver.certificate });
    try {
      const res = await send(rx.url, msg);
      return { msg, res };
    } finally {
      await msg.dispose();
    }
  }

  for (const [label, size] of [["1 KB", 1024], ["10 MB", 10 * 1024 * 1024]] as const) {
    it(`delivers a ${label} payload byte for byte`, async () => {
      const data = Buffer.concat([randomBytes(size / 2), Buffer.alloc(size / 2, "<x>abc</x>")]);
      const path = join(work, "payload.xml");
      await writeFile(path, data);
      const { msg, res } = await roundTrip([{ source: path, mimeType: "application/xml", characterSet: "UTF-8" }]);
      expect(res.status, res.body).to.equal(200);
      const got = rx.last!;
      expect(got.userMessage.messageId).to.equal(msg.messageId);
      expect(got.payloads).to.have.length(1);
      const p = got.payloads[0]!;
      expect([p.mimeType, p.characterSet, p.wasCompressed]).to.deep.equal(["application/xml", "UTF-8", true]);
      expect(await sha256Of(p.content)).to.equal(sha256(data));
      expect(got.signerCertificate.raw.equals(sender.certificate.raw)).to.equal(true);
      // what the receiver verified is exactly what the sender signed (the receipt's NRI depends on it)
      expect(got.signedReferences).to.have.length(msg.signedReferences.length);
      for (const ref of msg.signedReferences) expect(got.signedReferences.some((r) => sameDsReference(r, ref)), ref.uri).to.equal(true);
      expect(got.signedInfoReferenceNodes).to.have.length(3);
    });
  }

  it("delivers a large DPI SBD written through its base64 coder: received, verified and decompressed byte for byte", async () => {
    const pakke = randomBytes(3 * 1024 * 1024 + 1);
    const sbd = {
      sender: norwegianParticipantId("991825827"),
      receiver: norwegianParticipantId("984661185"),
      messageType: "digital" as const,
      instanceIdentifier: "ff88849c-e281-4809-8555-7cd54952b916",
      createdAt: new Date("2026-03-01T12:00:00.000Z"),
      forretningsmelding: "eyJhbGciOiJSUzI1NiJ9.eyJzdGFuZGFyZEJ1c2luZXNzRG9jdW1lbnQiOnt9fQ.c2lnbmF0dXJl",
    };
    const expected = await buildDpiSbd({ ...sbd, dokumentpakke: pakke });
    const pieces = Array.from({ length: Math.ceil(pakke.length / 262_144) }, (_, i) => pakke.subarray(i * 262_144, (i + 1) * 262_144));
    const { msg, res } = await roundTrip([{ source: sbdWriter(sbd, () => Readable.from(pieces)), mimeType: "application/xml" }], 12);
    expect(res.status, res.body).to.equal(200);
    const p = rx.last!.payloads[0]!;
    expect(p.wasCompressed).to.equal(true);
    expect(await sha256Of(p.content)).to.equal(sha256(expected));
    // Three quarters of the base64, as zlib's Huffman coding made it: IV and tag around the gzip.
    expect(msg.payloads[0]!.wireBytes / expected.length).to.be.within(0.74, 0.76);
    for (const ref of msg.signedReferences) expect(rx.last!.signedReferences.some((r) => sameDsReference(r, ref)), ref.uri).to.equal(true);
  });

  describe("spools: in memory up to the threshold, in files past it", () => {
    let outboundTmp: string;
    beforeEach(async () => {
      outboundTmp = await mkdtemp(join(tmpdir(), "as4-rt-out-"));
    });
    afterEach(async () => {
      await rm(outboundTmp, { recursive: true, force: true });
    });

    it("a small message makes no temp directory on either side", async () => {
      const data = Buffer.from(`<sbd>${"x".repeat(25_000)}</sbd>`);
      const payloads: OutboundPayload[] = [{ source: () => Readable.from([data]), mimeType: "application/xml" }];
      const msg = await prepareUserMessage({ userMessage: header(10), payloads, signer: sender, recipientCertificate: receiver.certificate, tempDir: { parent: outboundTmp } });
      try {
        expect(await readdir(outboundTmp)).to.deep.equal([]);
        const res = await send(rx.url, msg);
        expect(res.status, res.body).to.equal(200);
        const p = rx.last!.payloads[0]!;
        expect(p.content.path).to.equal(undefined);
        expect((await p.content.readAll()).equals(data)).to.equal(true);
        expect(await readdir(inboundTmp)).to.deep.equal([]);
      } finally {
        await msg.dispose();
      }
      expect(await readdir(outboundTmp)).to.deep.equal([]);
    });

    it("a message past the threshold spills to files on both sides, and dispose removes them", async () => {
      const memoryBytes = 64 * 1024;
      rx.options.tempDir = { parent: inboundTmp, memoryBytes };
      const data = randomBytes(300_000); // random: gzip cannot bring it under the threshold
      const payloads: OutboundPayload[] = [{ source: () => Readable.from([data]), mimeType: "application/xml", contentId: "big@sender.test" }];
      const msg = await prepareUserMessage({ userMessage: header(11), payloads, signer: sender, recipientCertificate: receiver.certificate, tempDir: { parent: outboundTmp, memoryBytes } });
      try {
        const [outDir, ...moreOut] = await readdir(outboundTmp);
        expect(moreOut).to.deep.equal([]);
        expect(await readdir(join(outboundTmp, outDir!))).to.deep.equal(["001-payload-0"]);
        const res = await send(rx.url, msg);
        expect(res.status, res.body).to.equal(200);
        const got = rx.last!;
        const p = got.payloads[0]!;
        expect((await p.content.readAll()).equals(data)).to.equal(true);
        // read twice, the same bytes: the payload is decompressed from its file each time
        expect((await p.content.readAll()).equals(data)).to.equal(true);
        const [inDir, ...moreIn] = await readdir(inboundTmp);
        expect(moreIn).to.deep.equal([]);
        // the ciphertext (001) was released once decrypted: only the compressed plaintext (002) is left, which the
        // payload is read from
        expect(await readdir(join(inboundTmp, inDir!))).to.deep.equal(["002-plain-big_sender.test"]);
        expect(p.content.path).to.equal(join(inboundTmp, inDir!, "002-plain-big_sender.test"));
        await got.dispose();
        expect(await readdir(inboundTmp)).to.deep.equal([]);
      } finally {
        await msg.dispose();
      }
      expect(await readdir(outboundTmp)).to.deep.equal([]);
    });
  });

  it("carries several payloads, compressed or not, from files or streams, and sends Content-Length on request", async () => {
    const a = randomBytes(50_000);
    const b = Buffer.from("<sbd>hello</sbd>");
    const msg = await prepareUserMessage({
      userMessage: header(2),
      payloads: [
        { source: () => Readable.from([b]), mimeType: "application/xml", contentId: "sbd@sender.test" },
        { source: () => Readable.from([a]), mimeType: "application/cms", compress: false },
      ],
      signer: sender,
      recipientCertificate: receiver.certificate,
    });
    try {
      const res = await send(rx.url, msg, { contentLength: true });
      expect(res.status, res.body).to.equal(200);
    } finally {
      await msg.dispose();
    }
    const got = rx.last!;
    expect(got.payloads.map((p) => [p.contentId, p.mimeType, p.wasCompressed])).to.deep.equal([
      ["sbd@sender.test", "application/xml", true],
      [msg.payloads[1]!.contentId, "application/cms", false],
    ]);
    expect((await got.payloads[0]!.content.readAll()).equals(b)).to.equal(true);
    expect((await got.payloads[1]!.content.readAll()).equals(a)).to.equal(true);
  });

  it("refuses a message encrypted for another access point with EBMS:0102", async () => {
    const msg = await prepareUserMessage({ userMessage: header(4), payloads: [{ source: () => Readable.from([Buffer.from("x")]), mimeType: "text/plain" }], signer: sender, recipientCertificate: sender.certificate });
    try {
      const res = await send(rx.url, msg);
      expect(res.body).to.equal("EBMS:0102");
    } finally {
      await msg.dispose();
    }
  });

  // Refusals clean up whether the message's transient content stayed in memory or went to files.
  for (const [where, memoryBytes] of [["spools in memory", undefined], ["spools in files", 0]] as const) {
    describe(where, () => {
      beforeEach(() => {
        rx.options.tempDir = { parent: inboundTmp, ...(memoryBytes !== undefined ? { memoryBytes } : {}) };
      });

      it(`keeps nothing on disk after a rejected message (tampered ciphertext → EBMS:0102, ${where})`, async () => {
        const msg = await prepareUserMessage({ userMessage: header(3), payloads: [{ source: () => Readable.from([randomBytes(200_000)]), mimeType: "application/octet-stream" }], signer: sender, recipientCertificate: receiver.certificate });
        try {
          const wire = Buffer.concat(await msg.body().toArray());
          // flip one byte in the middle of the attachment part (well past the SOAP part)
          wire[wire.length - 1000] = wire[wire.length - 1000]! ^ 0x55;
          const res = await send(rx.url, { contentType: msg.contentType, contentLength: wire.length, body: () => Readable.from([wire]) });
          expect(res.status).to.equal(500);
          expect(res.body).to.equal("EBMS:0102");
          expect((rx.lastError as EbmsError).refToMessageId).to.equal(msg.messageId);
          expect(await readdir(inboundTmp)).to.deep.equal([]);
        } finally {
          await msg.dispose();
        }
      });

      it(`stops a gzip bomb at the payload limit with EBMS:0303 and cleans up (${where})`, async () => {
        rx.options.limits = { ...DEFAULT_INBOUND_LIMITS, maxPayloadBytes: 1024 * 1024 };
        const { res } = await roundTrip([{ source: () => Readable.from([Buffer.alloc(32 * 1024 * 1024)]), mimeType: "application/xml" }], 5);
        expect(res.body).to.equal("EBMS:0303");
        expect(await readdir(inboundTmp)).to.deep.equal([]);
      });

      it(`checks the signature against the decrypted attachment (a swapped payload is EBMS:0101, ${where})`, async () => {
        const cid = "p@sender.test";
        const signedBytes = gzipSync(Buffer.from("<signed/>"));
        const sentBytes = gzipSync(Buffer.from("<swapped/>"));
        const um = buildUserMessageEnvelope({ ...header(6), parts: [{ href: `cid:${cid}`, mimeType: "application/xml", compressionType: "application/gzip" }] });
        const signed = signEnvelope(um, sender, [{ contentId: cid, sha256: createHash("sha256").update(signedBytes).digest() }]);
        const cek = generateContentKey();
        const xml = addEncryptionHeader(signed, { cek, recipient: receiver.certificate, attachments: [{ contentId: cid, mimeType: "application/gzip" }] });
        const ct = Buffer.concat(await Readable.from([sentBytes]).pipe(gcmEncryptStream(cek)).toArray());
        const mime = buildMultipartRelated(xml, [{ contentId: cid, source: () => Readable.from([ct]) }]);
        const res = await send(rx.url, { contentType: mime.contentType, contentLength: 0, body: mime.body });
        expect(res.body).to.equal("EBMS:0101");
        expect(await readdir(inboundTmp)).to.deep.equal([]);
      });
    });
  }

  it("refuses unencrypted payloads by default (EBMS:0103) and accepts them when allowed", async () => {
    const cid = "p@sender.test";
    const bytes = gzipSync(Buffer.from("<plain/>"));
    const um = buildUserMessageEnvelope({ ...header(7), parts: [{ href: `cid:${cid}`, mimeType: "application/xml", compressionType: "application/gzip" }] });
    const signed = signEnvelope(um, sender, [{ contentId: cid, sha256: createHash("sha256").update(bytes).digest() }]);
    const mime = buildMultipartRelated(signed, [{ contentId: cid, source: () => Readable.from([bytes]) }]);
    const msg = { contentType: mime.contentType, contentLength: 0, body: mime.body };
    expect((await send(rx.url, msg)).body).to.equal("EBMS:0103");
    rx.options.requireEncryption = false;
    expect((await send(rx.url, msg)).status).to.equal(200);
    expect((await rx.last!.payloads[0]!.content.readAll()).toString("utf8")).to.equal("<plain/>");
  });

  it("accepts a bare application/soap+xml body for a UserMessage without payloads", async () => {
    const signed = signEnvelope(buildUserMessageEnvelope({ ...header(9), parts: [] }), sender, []);
    const res = await send(rx.url, { contentType: "application/soap+xml; charset=UTF-8", contentLength: 0, body: () => Readable.from([Buffer.from(signed)]) });
    expect(res.status, res.body).to.equal(200);
    expect(rx.last!.payloads).to.deep.equal([]);
    expect(rx.last!.userMessage.messageId).to.equal(header(9).messageId);
  });

  it("refuses a PartInfo without its MIME part, and a MIME part without PartInfo (EBMS:0007)", async () => {
    const msg = await prepareUserMessage({ userMessage: header(8), payloads: [{ source: () => Readable.from([Buffer.from("x")]), mimeType: "text/plain", contentId: "real@x" }], signer: sender, recipientCertificate: receiver.certificate });
    try {
      const wire = Buffer.concat(await msg.body().toArray()).toString("latin1");
      const renamed = wire.replace("Content-ID: <real@x>", "Content-ID: <other@x>");
      expect((await send(rx.url, { ...msg, body: () => Readable.from([Buffer.from(renamed, "latin1")]) })).body).to.equal("EBMS:0007");
      expect((rx.lastError as EbmsError).detail).to.match(/no MIME part for PartInfo cid:real@x/);
      const boundary = /boundary="([^"]+)"/.exec(msg.contentType)![1]!;
      const extra = wire.replace(`\r\n--${boundary}--`, `\r\n--${boundary}\r\nContent-ID: <extra@x>\r\n\r\nEXTRA\r\n--${boundary}--`);
      expect((await send(rx.url, { ...msg, body: () => Readable.from([Buffer.from(extra, "latin1")]) })).body).to.equal("EBMS:0007");
      expect((rx.lastError as EbmsError).detail).to.match(/MIME parts without PartInfo: extra@x/);
      // the untouched message is accepted, so the two refusals above are about the edits
      expect((await send(rx.url, msg)).status).to.equal(200);
    } finally {
      await msg.dispose();
    }
  });
});
