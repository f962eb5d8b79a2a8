import { expect } from "chai";
import { createHash, privateDecrypt, constants, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import { gunzipBytes, gunzipLimited, gzipBytes, gzipStream, type GunzipLimits } from "../../src/as4/compression.js";
import { readEncryptionHeader } from "../../src/as4/decrypt.js";
import { EbmsError } from "../../src/as4/ebms-errors.js";
import { addEncryptionHeader, generateContentKey } from "../../src/as4/encrypt.js";
import { decryptToSpool, gcmDecrypt, gcmDecryptStream, gcmEncrypt, gcmEncryptStream } from "../../src/as4/gcm-stream.js";
import { DEFAULT_INBOUND_LIMITS, receiveUserMessage, type InboundLimits } from "../../src/as4/inbound.js";
import { ByteBudget } from "../../src/as4/limits.js";
import { buildMultipartRelated } from "../../src/as4/mime-build.js";
import { prepareUserMessage, type OutboundPayload, type PayloadWriter } from "../../src/as4/outbound.js";
import { parseAs4Request } from "../../src/as4/mime-parse.js";
import { parseSoapEnvelope } from "../../src/as4/soap-parse.js";
import { createTempDir, type TempDir } from "../../src/as4/temp-files.js";
import { buildUserMessageEnvelope, type UserMessage } from "../../src/as4/user-message.js";
import { signEnvelope } from "../../src/as4/wss-sign.js";
import { rejection } from "../helpers/rejection.js";
import { testSigner } from "./sign-fixtures.js";

/**
 * Content in memory goes through one-shot calls (gzipSync, one cipher call, one hash), everything else through
 * streams: both must give the same bytes, digests, limits and errors. Each test runs both and compares.
 */

function chunked(buf: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

async function through(src: Readable, ...stages: NodeJS.ReadWriteStream[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(src, ...(stages as [NodeJS.ReadWriteStream]), new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  return Buffer.concat(out);
}

/** What a failure looks like to the peer and the log: class, EBMS code and text. */
function outcome(err: unknown): { name: string; code: unknown; message: string } {
  const e = err as Error & { code?: unknown };
  return { name: e.name, code: e.code, message: e.message };
}

async function settle<T>(p: Promise<T>): Promise<{ ok: T } | { err: ReturnType<typeof outcome> }> {
  try {
    return { ok: await p };
  } catch (err) {
    return { err: outcome(err) };
  }
}

function settleSync<T>(f: () => T): { ok: T } | { err: ReturnType<typeof outcome> } {
  try {
    return { ok: f() };
  } catch (err) {
    return { err: outcome(err) };
  }
}

const sha256 = (b: Buffer): Buffer => createHash("sha256").update(b).digest();
/** Like a DPI SBD: base64 of ciphertext between a little XML. */
const sbdLike = (n: number): Buffer => Buffer.from(`<sbd>${randomBytes(Math.ceil((n * 3) / 4)).toString("base64").slice(0, n)}</sbd>`);

const SAMPLES: [string, Buffer][] = [
  ["empty", Buffer.alloc(0)],
  ["1 byte", Buffer.from("x")],
  ["25 kB SBD", sbdLike(25_000)],
  ["300 kB mixed", Buffer.concat([randomBytes(150_000), Buffer.alloc(150_000, "<x>abc</x>")])],
  ["700 kB SBD (past zlib's 256 KiB chunk)", sbdLike(700_000)],
];

describe("as4 payloads: one-shot calls and streams agree", () => {
  const key = Buffer.from("000102030405060708090a0b0c0d0e0f", "hex");
  const iv = Buffer.from("a0a1a2a3a4a5a6a7a8a9aaab", "hex");

  describe("outbound", () => {
    for (const [label, data] of SAMPLES) {
      it(`gzip: the same bytes, however the stream is fed (${label})`, async () => {
        const once = gzipBytes(data);
        for (const size of [1_000, 7_000, 16_384, 65_536, Math.max(data.length, 1)]) {
          expect((await through(chunked(data, size), gzipStream())).equals(once), `chunks of ${size}`).to.equal(true);
        }
      });

      it(`gzip → AES-128-GCM: the same wire bytes for the same key and IV (${label})`, async () => {
        const wire = gcmEncrypt(key, gzipBytes(data), iv);
        const streamed = await through(chunked(data, 16_384), gzipStream(), gcmEncryptStream(key, iv));
        expect(streamed.equals(wire)).to.equal(true);
        expect(wire.subarray(0, 12).equals(iv)).to.equal(true);
      });
    }

    const header = (n: number): Omit<UserMessage, "parts"> => ({
      messageId: `${n}-oneshot@sender.test`,
      timestamp: new Date("2026-03-01T12:00:00.000Z"),
      fromPartyId: "POP000001",
      toPartyId: "POP000002",
      service: { value: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0", type: "cenbii-procid-ubl" },
      action: "busdox-docid-qns::urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
      conversationId: "conv-1",
      originalSender: { type: "iso6523-actorid-upis", value: "0192:987464291" },
      finalRecipient: { type: "iso6523-actorid-upis", value: "0192:123456789" },
    });
    const sender = testSigner("POP000001");
    const receiver = testSigner("POP000002");

    /** The signed bytes of each payload as the receiver recovers them: unwrap the key, decrypt the MIME part. */
    async function openAsReceiver(contentType: string, wire: Buffer): Promise<Buffer[]> {
      const tmp = createTempDir();
      try {
        const parsed = await parseAs4Request(contentType, Readable.from([wire]), tmp);
        const header = readEncryptionHeader(parseSoapEnvelope(parsed.soapXml).security);
        const ek = [...header.encryptedKeys.values()][0]!;
        const cek = privateDecrypt({ key: receiver.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, ek.cipherValue);
        return Promise.all(parsed.attachments.map(async (a) => gcmDecrypt(cek, await a.content.readAll())));
      } finally {
        await tmp.dispose();
      }
    }

    /** Prepares a message of `payloads`, checks its length, and opens it as its receiver would: what it sealed, as sealed. */
    const sealAndOpen = async (payloads: OutboundPayload[], tempDir: { memoryBytes?: number }) => {
      const msg = await prepareUserMessage({ userMessage: header(1), payloads, signer: sender, recipientCertificate: receiver.certificate, tempDir });
      try {
        const wire = Buffer.concat(await msg.body().toArray());
        expect(wire.length).to.equal(msg.contentLength);
        return { payloads: msg.payloads, signed: await openAsReceiver(msg.contentType, wire) };
      } finally {
        await msg.dispose();
      }
    };

    for (const [where, memoryBytes] of [["fits the memory spool", undefined], ["past the memory spool", 10_000]] as const) {
      it(`prepareUserMessage: a Buffer source seals what a stream source seals (${where})`, async () => {
        const a = sbdLike(25_000);
        const b = Buffer.from("<small/>");
        const tempDir = memoryBytes !== undefined ? { memoryBytes } : {};
        const asPayloads = (fromBuffer: boolean): OutboundPayload[] => [
          { source: fromBuffer ? a : () => chunked(a, 4_096), mimeType: "application/xml", contentId: "a@x" },
          { source: fromBuffer ? b : () => Readable.from([b]), mimeType: "text/plain", contentId: "b@x", compress: false },
        ];
        const [streamed, oneShot] = [await sealAndOpen(asPayloads(false), tempDir), await sealAndOpen(asPayloads(true), tempDir)];
        // The key and IV are fresh per message, so the ciphertexts differ; what they seal must not.
        expect(oneShot!.payloads).to.deep.equal(streamed!.payloads);
        expect(oneShot!.payloads.map((p) => [p.sourceBytes, p.compressed])).to.deep.equal([[a.length, true], [b.length, false]]);
        expect(oneShot!.signed.map((s) => s.toString("hex"))).to.deep.equal(streamed!.signed.map((s) => s.toString("hex")));
        expect(oneShot!.signed[0]!.equals(gzipBytes(a))).to.equal(true);
        expect(oneShot!.signed[1]!.equals(b)).to.equal(true);
        expect(oneShot!.payloads[0]!.sha256.equals(sha256(gzipBytes(a)))).to.equal(true);
      });
    }

    /** A producer that writes `data` in pieces of `size` through ONE buffer, overwritten as soon as each write resolved. */
    const reusingWriter = (data: Buffer, size: number): PayloadWriter => ({
      async writeTo(write) {
        const buf = Buffer.alloc(size);
        for (let at = 0; at < data.length; at += size) {
          const n = data.copy(buf, 0, at, at + size);
          await write(buf.subarray(0, n));
          buf.fill(0x2a);
        }
      },
    });

    /**
     * `<sbd>`, the base64 of `bytes`, `</sbd>` as an SBD writer writes it: the whole 3-byte groups through writeBase64Of
     * in pieces of `size` bytes (a multiple of 3) through ONE buffer, the padded last group and the tags through write.
     */
    const base64Writer = (bytes: Buffer, size: number): PayloadWriter => ({
      async writeTo(write, writeBase64Of) {
        await write(Buffer.from("<sbd>"));
        const whole = bytes.length - (bytes.length % 3);
        const buf = Buffer.alloc(size);
        for (let at = 0; at < whole; at += size) {
          const n = bytes.copy(buf, 0, at, Math.min(at + size, whole));
          await writeBase64Of(buf.subarray(0, n));
          buf.fill(0x2a);
        }
        await write(Buffer.from(bytes.subarray(whole).toString("base64")));
        await write(Buffer.from("</sbd>"));
      },
    });

    for (const [where, memoryBytes] of [["fits the memory spool", undefined], ["past the memory spool", 10_000]] as const) {
      for (const base64 of [false, true]) {
        it(`prepareUserMessage: a writer reusing its buffer seals what a stream source seals, gzipped by another coder (${where}${base64 ? ", base64 of bytes" : ""})`, async () => {
          // 700 kB of base64: of bytes that are no whole number of groups, or of 50 kB pieces.
          const bytes = randomBytes(524_999);
          const a = base64 ? Buffer.from(`<sbd>${bytes.toString("base64")}</sbd>`) : sbdLike(699_999);
          const b = Buffer.from("<small/>".repeat(3000));
          const tempDir = memoryBytes !== undefined ? { memoryBytes } : {};
          const asPayloads = (writer: boolean, compress = true): OutboundPayload[] => [
            { source: writer ? (base64 ? base64Writer(bytes, 49_998) : reusingWriter(a, 50_000)) : () => chunked(a, 50_000), mimeType: "application/xml", contentId: "a@x", compress },
            { source: writer ? reusingWriter(b, 1_000) : () => chunked(b, 1_000), mimeType: "text/plain", contentId: "b@x", compress: false },
          ];
          const [streamed, written] = [await sealAndOpen(asPayloads(false), tempDir), await sealAndOpen(asPayloads(true), tempDir)];
          // The uncompressed payload is sealed byte for byte as the stream seals it; the compressed one is other gzip
          // of the same content, whose digest is of the gzip sent.
          expect(written!.payloads[1]).to.deep.equal(streamed!.payloads[1]);
          const { sha256: _s, wireBytes, ...rest } = written!.payloads[0]!;
          const { sha256: _t, wireBytes: _w, ...expected } = streamed!.payloads[0]!;
          expect(rest).to.deep.equal(expected);
          expect(written!.payloads.map((p) => [p.sourceBytes, p.compressed])).to.deep.equal([[a.length, true], [b.length, false]]);
          expect(gunzipSync(written!.signed[0]!).equals(a)).to.equal(true);
          expect(wireBytes).to.equal(12 + written!.signed[0]!.length + 16);
          expect(written!.payloads[0]!.sha256.equals(sha256(written!.signed[0]!))).to.equal(true);
          expect(written!.signed[1]!.equals(b)).to.equal(true);
          if (!base64) return;
          // Coded by the fixed table, the base64 is three quarters of its text, as zlib's Huffman coding makes it.
          expect(written!.signed[0]!.length / a.length).to.be.within(0.75, 0.755);
          // Not compressed, the writer's base64 is the text itself, sealed as the stream seals it.
          const [plainStreamed, plainWritten] = [await sealAndOpen(asPayloads(false, false), tempDir), await sealAndOpen(asPayloads(true, false), tempDir)];
          expect(plainWritten!.payloads).to.deep.equal(plainStreamed!.payloads);
          expect(plainWritten!.signed[0]!.equals(a)).to.equal(true);
        });
      }
    }

    it("prepareUserMessage: base64 of bytes that are no whole 3-byte groups fails the message, compressed or not", async () => {
      for (const compress of [true, false]) {
        const ragged: PayloadWriter = { writeTo: (_write, writeBase64Of) => writeBase64Of(Buffer.alloc(4)) };
        const err = await rejection(prepareUserMessage({ userMessage: header(3), payloads: [{ source: ragged, mimeType: "application/xml", compress }], signer: sender, recipientCertificate: receiver.certificate }));
        expect(err, String(compress)).to.be.instanceOf(RangeError);
        expect((err as Error).message).to.equal("writeBase64Of takes whole 3-byte groups, not 4 bytes");
      }
    });

    it("prepareUserMessage: a writer's failure fails the message with its error and leaves no spool file", async () => {
      const parent = await mkdtemp(join(tmpdir(), "writer-fail-"));
      try {
        const failing: PayloadWriter = {
          async writeTo(write) {
            await write(Buffer.alloc(20_000, 0x41));
            throw new Error("blob gone");
          },
        };
        const err = await rejection(
          prepareUserMessage({ userMessage: header(2), payloads: [{ source: failing, mimeType: "application/xml" }], signer: sender, recipientCertificate: receiver.certificate, tempDir: { parent, memoryBytes: 0 } }),
        );
        expect((err as Error).message).to.equal("blob gone");
        expect(await readdir(parent)).to.deep.equal([]);
      } finally {
        await rm(parent, { recursive: true, force: true });
      }
    });
  });

  describe("inbound", () => {
    let tmp: TempDir;
    beforeEach(() => {
      tmp = createTempDir();
    });
    afterEach(async () => {
      await tmp.dispose();
    });

    /** IV ‖ ciphertext ‖ tag of `plain`, and that with one bit flipped at each of a few places. */
    function sealed(plain: Buffer): { ct: Buffer; damaged: [string, Buffer][] } {
      const ct = gcmEncrypt(key, plain, iv);
      const flip = (at: number): Buffer => {
        const bad = Buffer.from(ct);
        bad[at] = bad[at]! ^ 0x01;
        return bad;
      };
      return {
        ct,
        damaged: [
          ["IV bit flipped", flip(0)],
          ["ciphertext bit flipped", flip(12 + (plain.length >> 1))],
          ["tag bit flipped", flip(ct.length - 1)],
          ["last byte cut", ct.subarray(0, ct.length - 1)],
          ["tag cut", ct.subarray(0, ct.length - 16)],
          ["27 bytes", ct.subarray(0, 27)],
          ["11 bytes", ct.subarray(0, 11)],
          ["nothing", Buffer.alloc(0)],
          ["wrong key", gcmEncrypt(randomBytes(16), plain, iv)],
        ],
      };
    }

    for (const [label, data] of SAMPLES) {
      it(`AES-GCM: the same plaintext and the same EBMS:0102 for every damaged ciphertext (${label})`, async () => {
        const { ct, damaged } = sealed(data);
        expect(gcmDecrypt(key, ct).equals(data)).to.equal(true);
        for (const [what, bytes] of [["intact", ct], ...damaged] as [string, Buffer][]) {
          const streamed = await settle(through(chunked(bytes, 16_384), gcmDecryptStream(key)));
          const once = settleSync(() => gcmDecrypt(key, bytes));
          expect(once, what).to.deep.equal(streamed);
          if (what !== "intact") expect("err" in once && once.err.code, what).to.equal("EBMS:0102");
        }
      });
    }

    it("decryptToSpool: a Buffer gives the stream's size and digest, and a failure leaves no spool behind", async () => {
      const data = sbdLike(25_000);
      const { ct, damaged } = sealed(data);
      const viaStream = await decryptToSpool(chunked(ct, 4_096), key, tmp.spool("s"));
      const oneShot = tmp.spool("o");
      const viaBuffer = await decryptToSpool(ct, key, oneShot);
      expect(viaBuffer).to.deep.equal(viaStream);
      expect(viaBuffer.sha256.equals(sha256(data))).to.equal(true);
      expect((await oneShot.readAll()).equals(data)).to.equal(true);
      const memoryBefore = tmp.memoryBytes;
      for (const [what, bytes] of damaged) {
        const spool = tmp.spool("bad");
        const streamed = outcome(await rejection(decryptToSpool(Readable.from([bytes]), key, tmp.spool("bad-s"))));
        expect(outcome(await rejection(decryptToSpool(bytes, key, spool))), what).to.deep.equal(streamed);
        expect(() => spool.createReadStream(), what).to.throw(/released/);
      }
      expect(tmp.memoryBytes).to.equal(memoryBefore);
    });

    it("decryptToSpool: pieces of one buffer filled again and again give what the whole ciphertext gives", async () => {
      /** `bytes` in pieces of the given sizes (repeated), each copied into the same buffer before it is handed out. */
      async function* reusing(bytes: Buffer, sizes: readonly number[]): AsyncGenerator<Buffer> {
        const buffer = Buffer.alloc(Math.max(...sizes));
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const n = Math.min(sizes[i % sizes.length]!, bytes.length - at);
          bytes.copy(buffer, 0, at, at + n);
          yield buffer.subarray(0, n);
          buffer.fill(0x5a);
          at += n;
        }
      }
      const data = sbdLike(70_000);
      const { ct, damaged } = sealed(data);
      const whole = await decryptToSpool(ct, key, tmp.spool("whole"));
      for (const sizes of [[1], [5, 16, 1, 4_096], [11, 17], [12], [65_536], [16, 15, 31]]) {
        const spool = tmp.spool("pieces");
        const got = await decryptToSpool(reusing(ct, sizes), key, spool);
        expect(got, `pieces of ${sizes.join(", ")}`).to.deep.equal(whole);
        expect((await spool.readAll()).equals(data), `pieces of ${sizes.join(", ")}`).to.equal(true);
        for (const [what, bytes] of damaged) {
          const bad = tmp.spool("bad");
          expect(outcome(await rejection(decryptToSpool(reusing(bytes, sizes), key, bad))), `${what}, pieces of ${sizes.join(", ")}`).to.deep.equal(
            outcome(await rejection(decryptToSpool(bytes, key, tmp.spool("bad-whole")))),
          );
          expect(() => bad.createReadStream(), what).to.throw(/released/);
        }
      }
    });

    const gunzipStreamed = (gz: Buffer, limits: GunzipLimits): Promise<Buffer> => through(chunked(gz, 16_384), gunzipLimited(limits));

    for (const [label, data] of SAMPLES) {
      it(`gunzip: the same output, and at its limit the same EBMS:0303 (${label})`, async () => {
        const gz = gzipBytes(data);
        const atLimit = { maxBytes: data.length };
        expect(gunzipBytes(gz, atLimit, 1024 * 1024)!.equals(await gunzipStreamed(gz, atLimit))).to.equal(true);
        if (data.length === 0) return;
        const below = { maxBytes: data.length - 1 };
        const streamed = await settle(gunzipStreamed(gz, below));
        expect(settleSync(() => gunzipBytes(gz, below, 1024 * 1024))).to.deep.equal(streamed);
        expect("err" in streamed && streamed.err).to.deep.include({ name: "DecompressionError", code: "EBMS:0303" });
      });
    }

    it("gunzip: corrupt, truncated and trailing-garbage gzip fail (or pass) alike", async () => {
      const gz = gzipSync(sbdLike(25_000));
      const cases: [string, Buffer][] = [
        ["not gzip", Buffer.from("<xml>not gzip</xml>")],
        ["empty", Buffer.alloc(0)],
        ["truncated", gz.subarray(0, gz.length - 5)],
        ["bad CRC", Buffer.concat([gz.subarray(0, gz.length - 8), Buffer.alloc(4), gz.subarray(gz.length - 4)])],
        ["trailing garbage", Buffer.concat([gz, Buffer.from("junk")])],
        ["two members", Buffer.concat([gz, gz])],
      ];
      for (const [what, bytes] of cases) {
        const limits = { maxBytes: 1024 * 1024 };
        const streamed = await settle(gunzipStreamed(bytes, limits));
        const once = settleSync(() => gunzipBytes(bytes, limits, 1024 * 1024));
        expect(once, what).to.deep.equal(streamed);
      }
      const errors = await Promise.all(cases.slice(0, 4).map(([, b]) => rejection(gunzipStreamed(b, { maxBytes: 1e6 }))));
      expect(errors.map((e) => (e as EbmsError).code)).to.deep.equal(["EBMS:0303", "EBMS:0303", "EBMS:0303", "EBMS:0303"]);
    });

    it("gunzip: a bomb stops at the limit with the stream's error, the shared budget's when that has less room", async () => {
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
      const payloadLimit = { maxBytes: 512 * 1024, budgets: [new ByteBudget(10 * 1024 * 1024, "decompressed payloads of the message", "EBMS:0303")] };
      const sharedLimit = () => ({ maxBytes: 10 * 1024 * 1024, budgets: [new ByteBudget(512 * 1024, "decompressed payloads of the message", "EBMS:0303")] });
      expect(settleSync(() => gunzipBytes(bomb, payloadLimit, 1024 * 1024))).to.deep.equal(await settle(gunzipStreamed(bomb, payloadLimit)));
      const shared = settleSync(() => gunzipBytes(bomb, sharedLimit(), 1024 * 1024));
      expect(shared).to.deep.equal(await settle(gunzipStreamed(bomb, sharedLimit())));
      expect("err" in shared && shared.err.message).to.match(/decompressed payloads of the message exceeds the limit of 524288 bytes/);
    });

    it("gunzip: output that would pass the memory spool, or a ratio limit, is left to the stream", () => {
      const gz = gzipBytes(Buffer.alloc(300_000, "a"));
      expect(gunzipBytes(gz, { maxBytes: 1e9 }, 299_999)).to.equal(undefined);
      expect(gunzipBytes(gz, { maxBytes: 1e9 }, 300_000)!.length).to.equal(300_000);
      expect(gunzipBytes(gz, { maxBytes: 1e9, maxRatio: 2000 }, 1e6)).to.equal(undefined);
      expect(gunzipBytes(gz, { maxBytes: 1e9 }, 0)).to.equal(undefined);
    });

    it("gunzip: a shared budget is charged the same by both", async () => {
      const gz = gzipBytes(sbdLike(25_000));
      const a = new ByteBudget(1e6, "all", "EBMS:0303");
      const b = new ByteBudget(1e6, "all", "EBMS:0303");
      await gunzipStreamed(gz, { maxBytes: 1e6, budgets: [a] });
      gunzipBytes(gz, { maxBytes: 1e6, budgets: [b] }, 1e6);
      expect(b.used).to.equal(a.used).and.to.be.above(25_000);
    });

    describe("receiveUserMessage: spools in memory (one-shot) and in files (streams) answer alike", () => {
      const sender = testSigner("POP000001");
      const receiver = testSigner("POP000002");

      interface Part {
        /** What the signature covers. */
        signed: Buffer;
        /** What travels, encrypted; `signed` unless a test damages it. */
        sent?: Buffer;
        /** Replaces the ciphertext. */
        wire?: (ct: Buffer) => Buffer;
      }

      function message(parts: Part[]): { contentType: string; body: () => Readable } {
        const cids = parts.map((_, i) => `p${i}@sender.test`);
        const um = buildUserMessageEnvelope({
          messageId: "diff-1@sender.test",
          timestamp: new Date("2026-03-01T12:00:00.000Z"),
          fromPartyId: "POP000001",
          toPartyId: "POP000002",
          service: { value: "urn:x", type: "cenbii-procid-ubl" },
          action: "busdox-docid-qns::x",
          conversationId: "conv-1",
          originalSender: { type: "iso6523-actorid-upis", value: "0192:987464291" },
          finalRecipient: { type: "iso6523-actorid-upis", value: "0192:123456789" },
          parts: cids.map((cid) => ({ href: `cid:${cid}`, mimeType: "application/xml", compressionType: "application/gzip" })),
        });
        const signedXml = signEnvelope(um, sender, parts.map((p, i) => ({ contentId: cids[i]!, sha256: sha256(p.signed) })));
        const cek = generateContentKey();
        const xml = addEncryptionHeader(signedXml, { cek, recipient: receiver.certificate, attachments: cids.map((contentId) => ({ contentId, mimeType: "application/gzip" })) });
        const cts = parts.map((p) => {
          const ct = gcmEncrypt(cek, p.sent ?? p.signed);
          return p.wire ? p.wire(ct) : ct;
        });
        const mime = buildMultipartRelated(xml, cts.map((ct, i) => ({ contentId: cids[i]!, source: () => Readable.from([ct]) })));
        return { contentType: mime.contentType, body: mime.body };
      }

      async function receiveBoth(parts: Part[], limits: InboundLimits = DEFAULT_INBOUND_LIMITS) {
        const msg = message(parts);
        const answers = [];
        for (const memoryBytes of [1024 * 1024, 0]) {
          answers.push(
            await settle(
              receiveUserMessage(msg.contentType, msg.body(), { decryptionKey: receiver, limits, tempDir: { memoryBytes } }).then(async (r) => {
                try {
                  return await Promise.all(
                    r.payloads.map(async (p) => {
                      const bytes = await p.content.readAll();
                      return { size: bytes.length, inMemory: p.content.path === undefined, bytes: bytes.toString("hex") };
                    }),
                  );
                } finally {
                  await r.dispose();
                }
              }),
            ),
          );
        }
        return answers as [(typeof answers)[0], (typeof answers)[0]];
      }

      const a = sbdLike(25_000);
      const b = sbdLike(7_000);

      it("delivers the same payloads", async () => {
        const [memory, files] = await receiveBoth([{ signed: gzipBytes(a) }, { signed: gzipSync(b) }]);
        expect(memory).to.deep.equal({ ok: [{ size: a.length, inMemory: true, bytes: a.toString("hex") }, { size: b.length, inMemory: true, bytes: b.toString("hex") }] });
        expect(files).to.deep.equal({ ok: [{ size: a.length, inMemory: false, bytes: a.toString("hex") }, { size: b.length, inMemory: false, bytes: b.toString("hex") }] });
      });

      const refusals: [string, Part[], InboundLimits?, string?][] = [
        ["a payload one byte over its limit", [{ signed: gzipBytes(a) }], { ...DEFAULT_INBOUND_LIMITS, maxPayloadBytes: a.length - 1 }, "EBMS:0303"],
        ["payloads together over the message's limit", [{ signed: gzipBytes(a) }, { signed: gzipBytes(b) }], { ...DEFAULT_INBOUND_LIMITS, maxTotalPayloadBytes: a.length + b.length - 1 }, "EBMS:0303"],
        ["a tampered ciphertext", [{ signed: gzipBytes(a), wire: (ct) => Buffer.concat([ct.subarray(0, 100), Buffer.from([ct[100]! ^ 1]), ct.subarray(101)]) }], undefined, "EBMS:0102"],
        ["a truncated ciphertext", [{ signed: gzipBytes(a), wire: (ct) => ct.subarray(0, ct.length - 3) }], undefined, "EBMS:0102"],
        ["a ciphertext shorter than IV and tag", [{ signed: gzipBytes(a), wire: (ct) => ct.subarray(0, 20) }], undefined, "EBMS:0102"],
        ["signed gzip that is not gzip", [{ signed: a }], undefined, "EBMS:0303"],
        ["truncated gzip", [{ signed: gzipBytes(a).subarray(0, 1000) }], undefined, "EBMS:0303"],
        ["a payload swapped after signing", [{ signed: gzipBytes(a), sent: gzipBytes(b) }], undefined, "EBMS:0101"],
      ];
      for (const [what, parts, limits, code] of refusals) {
        it(`refuses ${what} with the same ${code}`, async () => {
          const [memory, files] = await receiveBoth(parts, limits);
          expect(memory).to.deep.equal(files);
          expect("err" in memory && memory.err.code).to.equal(code);
        });
      }

      it("a payload decompressed as it is read is charged to the message's limit once, however often it is read", async () => {
        const msg = message([{ signed: gzipBytes(a) }, { signed: gzipBytes(b) }]);
        const limits = { ...DEFAULT_INBOUND_LIMITS, maxTotalPayloadBytes: a.length + b.length };
        const r = await receiveUserMessage(msg.contentType, msg.body(), { decryptionKey: receiver, limits, tempDir: { memoryBytes: 0 } });
        try {
          for (let i = 0; i < 2; i++) {
            expect((await r.payloads[0]!.content.readAll()).equals(a)).to.equal(true);
            expect((await r.payloads[1]!.content.readAll()).equals(b)).to.equal(true);
          }
        } finally {
          await r.dispose();
        }
      });

      it("names the message in the refusal of a payload decompressed as it is read", async () => {
        const msg = message([{ signed: gzipBytes(a) }]);
        const limits = { ...DEFAULT_INBOUND_LIMITS, maxPayloadBytes: a.length - 1 };
        const r = await receiveUserMessage(msg.contentType, msg.body(), { decryptionKey: receiver, limits, tempDir: { memoryBytes: 0 } });
        try {
          const err = (await r.payloads[0]!.content.readAll().catch((e: unknown) => e)) as EbmsError;
          expect(err).to.be.instanceOf(EbmsError);
          expect([err.code, err.refToMessageId, err.detail.endsWith(`decompressed payload exceeds the limit of ${a.length - 1} bytes`)]).to.deep.equal([
            "EBMS:0303",
            r.userMessage.messageId,
            true,
          ]);
        } finally {
          await r.dispose();
        }
      });

      it("accepts a payload of exactly its limit in both", async () => {
        const [memory, files] = await receiveBoth([{ signed: gzipBytes(a) }], { ...DEFAULT_INBOUND_LIMITS, maxPayloadBytes: a.length, maxTotalPayloadBytes: a.length });
        expect("ok" in memory && memory.ok[0]!.size).to.equal(a.length);
        expect("ok" in files && files.ok[0]!.size).to.equal(a.length);
      });
    });
  });
});
