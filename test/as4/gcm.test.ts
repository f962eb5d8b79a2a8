import { expect } from "chai";
import { createCipheriv, randomBytes } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { decryptToSpool, gcmDecryptStream, gcmEncryptStream, GcmDecryptionError } from "../../src/as4/gcm-stream.js";
import { createTempDir, type TempDir } from "../../src/as4/temp-files.js";
import { rejection } from "../helpers/rejection.js";

function chunked(buf: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

async function run(src: Readable, t: NodeJS.ReadWriteStream): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(src, t, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  return Buffer.concat(out);
}


describe("as4/gcm-stream", () => {
  const key = Buffer.from("000102030405060708090a0b0c0d0e0f", "hex");
  const iv = Buffer.from("a0a1a2a3a4a5a6a7a8a9aaab", "hex");
  let tmp: TempDir;
  beforeEach(() => {
    tmp = createTempDir();
  });
  afterEach(async () => {
    await tmp.dispose();
  });

  it("writes IV(12) ‖ ciphertext ‖ tag(16), equal to a one-shot AES-128-GCM", async () => {
    const plain = randomBytes(100_003);
    const out = await run(chunked(plain, 4096), gcmEncryptStream(key, iv));
    const c = createCipheriv("aes-128-gcm", key, iv);
    const expected = Buffer.concat([iv, c.update(plain), c.final(), c.getAuthTag()]);
    expect(out.length).to.equal(12 + plain.length + 16);
    expect(out.equals(expected)).to.equal(true);
  });

  it("encrypts an empty input to IV ‖ tag", async () => {
    const out = await run(Readable.from([]), gcmEncryptStream(key, iv));
    expect(out.length).to.equal(28);
    expect(out.subarray(0, 12).equals(iv)).to.equal(true);
    expect((await run(Readable.from([out]), gcmDecryptStream(key))).length).to.equal(0);
  });

  for (const size of [1, 5, 13, 16, 17, 29, 65536]) {
    it(`decrypts whatever the chunking (${size}-byte chunks)`, async () => {
      const plain = randomBytes(10_000);
      const ct = await run(Readable.from([plain]), gcmEncryptStream(key));
      const back = await run(chunked(ct, size), gcmDecryptStream(key));
      expect(back.equals(plain)).to.equal(true);
    });
  }

  it("decrypts chunks of mixed sizes, short ones after long ones and the other way round", async () => {
    const plain = randomBytes(20_000);
    const ct = await run(Readable.from([plain]), gcmEncryptStream(key));
    const sizes = [5, 40, 15, 1000, 16, 3, 17, 4000, 1];
    const parts: Buffer[] = [];
    for (let at = 0, i = 0; at < ct.length; i++) {
      parts.push(ct.subarray(at, at + sizes[i % sizes.length]!));
      at += sizes[i % sizes.length]!;
    }
    expect((await run(Readable.from(parts), gcmDecryptStream(key))).equals(plain)).to.equal(true);
  });

  for (const [where, memoryBytes] of [["in memory", 1 << 20], ["in a file", 0]] as const) {
    describe(`decryptToSpool, plaintext ${where}`, () => {
      let spools: TempDir;
      beforeEach(() => {
        spools = createTempDir({ memoryBytes });
      });
      afterEach(async () => {
        await spools.dispose();
      });
      /** Nothing of a failed decryption is left: no file, no memory. */
      async function nothingLeft(): Promise<void> {
        expect(spools.memoryBytes).to.equal(0);
        expect(spools.path === undefined ? [] : await readdir(spools.path)).to.deep.equal([]);
      }

      it("yields the plaintext and its sha256", async () => {
        const plain = randomBytes(70_000);
        const ctPath = await tmp.file("ct");
        await writeFile(ctPath, await run(Readable.from([plain]), gcmEncryptStream(key)));
        const spool = spools.spool("pt");
        const res = await decryptToSpool(createReadStream(ctPath), key, spool);
        expect((await spool.readAll()).equals(plain)).to.equal(true);
        expect(spool.path === undefined).to.equal(memoryBytes > 0);
        expect(res.size).to.equal(plain.length);
        expect(spool.size).to.equal(plain.length);
        const { createHash } = await import("node:crypto");
        expect(res.sha256.equals(createHash("sha256").update(plain).digest())).to.equal(true);
      });

      it("a tampered ciphertext fails with EBMS:0102 and leaves no plaintext behind", async () => {
        const plain = randomBytes(200_000);
        const ct = await run(Readable.from([plain]), gcmEncryptStream(key));
        for (const pos of [12, 100_000, ct.length - 1]) {
          const bad = Buffer.from(ct);
          bad[pos] = bad[pos]! ^ 0x01;
          const spool = spools.spool("pt");
          const err = await rejection(decryptToSpool(chunked(bad, 16_384), key, spool));
          expect(err, `flip at ${pos}`).to.be.instanceOf(GcmDecryptionError);
          expect((err as GcmDecryptionError).code).to.equal("EBMS:0102");
          expect(() => spool.createReadStream()).to.throw(/released/);
          if (spool.path !== undefined) expect(existsSync(spool.path)).to.equal(false);
        }
        await nothingLeft();
      });

      it("a wrong key fails with EBMS:0102", async () => {
        const ct = await run(Readable.from([randomBytes(1000)]), gcmEncryptStream(key));
        const err = await rejection(decryptToSpool(Readable.from([ct]), randomBytes(16), spools.spool("pt")));
        expect((err as GcmDecryptionError).code).to.equal("EBMS:0102");
        await nothingLeft();
      });
    });
  }

  it("input shorter than IV + tag fails with EBMS:0102", async () => {
    for (const n of [0, 11, 27]) {
      const err = await rejection(run(Readable.from(n ? [randomBytes(n)] : []), gcmDecryptStream(key)));
      expect(err).to.be.instanceOf(GcmDecryptionError);
    }
  });

  it("rejects keys that are not 128 bits", () => {
    expect(() => gcmEncryptStream(randomBytes(32))).to.throw(RangeError);
    expect(() => gcmDecryptStream(randomBytes(15))).to.throw(RangeError);
  });
});
