import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { X509Certificate, createHash, createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as asn1js from "asn1js";
import {
  CMS_OIDS,
  SHA256_DIGEST_METHOD,
  checkFingerprint,
  decryptDokumentpakke,
  dokumentpakkefingeravtrykk,
  encryptDokumentpakke,
  fingerprint,
  parseEnvelopedData,
  verifyFingerprint,
} from "../../src/dpi/dokumentpakke.js";
import {
  DokumentpakkeDecryptError,
  DokumentpakkeNotCmsError,
  FingerprintMismatchError,
  UnsupportedCmsAlgorithmError,
  UnsupportedDigestMethodError,
} from "../../src/dpi/errors.js";
import { parseForretningsmelding } from "../../src/dpi/sbd.js";
import { hasCommand, makeRecipient, readJks, type Recipient } from "./keys.js";
import { readJsonVector, readVector, vectorPath } from "./vectors.js";

const REAL_SETS = ["digital", "digital-pa-vegne-av"] as const;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  expect.fail("expected a rejection");
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  expect.fail("expected an exception");
}

describe("dpi/dokumentpakke: fingerprint", () => {
  const bytes = new TextEncoder().encode("abc");
  const abcDigest = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";

  it("is base64 of SHA-256", () => {
    expect(fingerprint(bytes)).to.equal(abcDigest);
    expect(dokumentpakkefingeravtrykk(bytes)).to.deep.equal({ digestMethod: SHA256_DIGEST_METHOD, digestValue: abcDigest });
  });

  it("accepts the matching fingerprint, from bytes or from a streamed digest", () => {
    checkFingerprint(bytes, { digestMethod: SHA256_DIGEST_METHOD, digestValue: abcDigest });
    verifyFingerprint(createHash("sha256").update(bytes).digest(), { digestMethod: SHA256_DIGEST_METHOD, digestValue: abcDigest });
  });

  it("rejects other bytes", () => {
    const err = thrown(() => checkFingerprint(new TextEncoder().encode("abd"), { digestMethod: SHA256_DIGEST_METHOD, digestValue: abcDigest }));
    expect(err).to.be.instanceOf(FingerprintMismatchError);
    expect((err as FingerprintMismatchError).code).to.equal("fingerprint-mismatch");
  });

  it("rejects a digest value that is not base64 of 32 bytes", () => {
    const hex = createHash("sha256").update(bytes).digest("hex");
    for (const digestValue of [hex, abcDigest.slice(0, 40), "", abcDigest.replace("+", "-")]) {
      expect(thrown(() => checkFingerprint(bytes, { digestMethod: SHA256_DIGEST_METHOD, digestValue })), digestValue).to.be.instanceOf(
        FingerprintMismatchError,
      );
    }
  });

  it("rejects a streamed digest of the wrong length", () => {
    const short = createHash("sha1").update(bytes).digest();
    expect(thrown(() => verifyFingerprint(short, { digestMethod: SHA256_DIGEST_METHOD, digestValue: abcDigest }))).to.be.instanceOf(
      FingerprintMismatchError,
    );
  });

  it("rejects other digest methods, even with a correct value", () => {
    for (const digestMethod of ["http://www.w3.org/2000/09/xmldsig#sha1", "", "sha256", "http://www.w3.org/2001/04/xmlenc#SHA256"]) {
      const err = thrown(() => checkFingerprint(bytes, { digestMethod, digestValue: abcDigest }));
      expect(err, digestMethod).to.be.instanceOf(UnsupportedDigestMethodError);
      expect((err as UnsupportedDigestMethodError).code).to.equal("unsupported-digest-method");
    }
  });
});

describe("dpi/dokumentpakke: Digdir's real packages", () => {
  for (const set of REAL_SETS) {
    it(`${set}: is BER indefinite-length EnvelopedData with the DPI algorithms`, function () {
      const cms = readVector(this, `${set}-dokumentpakke.cms`);
      expect([...cms.subarray(0, 2)]).to.deep.equal([0x30, 0x80]);
      const summary = parseEnvelopedData(cms);
      expect(summary).to.deep.equal({
        version: 0,
        recipientCount: 1,
        keyTransportRecipients: [
          {
            keyEncryptionAlgorithm: CMS_OIDS.rsaesOaep,
            oaepHashAlgorithm: CMS_OIDS.sha256,
            oaepMaskGenAlgorithm: CMS_OIDS.mgf1,
            oaepMgf1HashAlgorithm: CMS_OIDS.sha256,
            oaepEmptyLabel: true,
            identifiedBy: "issuerAndSerialNumber",
          },
        ],
        keyTransportAlgorithm: CMS_OIDS.rsaesOaep,
        oaepHashAlgorithm: CMS_OIDS.sha256,
        oaepMgf1HashAlgorithm: CMS_OIDS.sha256,
        contentType: CMS_OIDS.data,
        contentEncryptionAlgorithm: CMS_OIDS.aes256Cbc,
      });
    });

    it(`${set}: its fingerprint is the one in the forretningsmelding`, function () {
      const cms = readVector(this, `${set}-dokumentpakke.cms`);
      const m = parseForretningsmelding(readJsonVector(this, `${set}-forretningsmelding.json`));
      expect(fingerprint(cms)).to.equal(m.dokumentpakkefingeravtrykk?.digestValue);
      checkFingerprint(cms, m.dokumentpakkefingeravtrykk!);
      const tampered = Buffer.from(cms);
      tampered[tampered.length - 10]! ^= 1;
      expect(thrown(() => checkFingerprint(tampered, m.dokumentpakkefingeravtrykk!))).to.be.instanceOf(FingerprintMismatchError);
    });
  }

  describe("decrypted with the key in eksempel.jks", () => {
    let jks: ReturnType<typeof readJks>;
    before(function () {
      readVector(this as unknown as Mocha.Context, "eksempel.jks");
      jks = readJks(vectorPath("eksempel.jks"), "changeit");
    });

    for (const set of REAL_SETS) {
      it(`${set}: yields the published ASiC-E zip`, async function () {
        if (!jks) this.skip();
        const cms = readVector(this, `${set}-dokumentpakke.cms`);
        const zip = readVector(this, `${set}-dokumentpakke.zip`);
        const plain = await decryptDokumentpakke(cms, jks.key, jks.cert);
        expect(Buffer.from(plain).equals(zip)).to.equal(true);
        expect(Buffer.from(plain.subarray(30, 38)).toString("latin1")).to.equal("mimetype");
      });
    }

    it("refuses a key of another certificate", async function () {
      if (!jks) this.skip();
      const other = makeRecipient("other", "0102");
      const err = await rejection(decryptDokumentpakke(readVector(this, "digital-dokumentpakke.cms"), other.key, other.cert));
      expect(err).to.be.instanceOf(DokumentpakkeDecryptError);
    });
  });
});

describe("dpi/dokumentpakke: encryption round trip", () => {
  let alice: Recipient;
  let bob: Recipient;
  const plain = new TextEncoder().encode("PK\u0003\u0004 not really a zip, but bytes are bytes ".repeat(100));

  before(() => {
    alice = makeRecipient("alice", "01aa");
    bob = makeRecipient("bob", "01bb");
  });

  it("encrypts as Digdir does and decrypts again", async () => {
    const cms = await encryptDokumentpakke(plain, alice.cert);
    const summary = parseEnvelopedData(cms);
    expect(summary.version).to.equal(0);
    expect(summary.recipientCount).to.equal(1);
    expect(summary.keyTransportRecipients[0]).to.include({
      keyEncryptionAlgorithm: CMS_OIDS.rsaesOaep,
      oaepHashAlgorithm: CMS_OIDS.sha256,
      oaepMgf1HashAlgorithm: CMS_OIDS.sha256,
      oaepEmptyLabel: true,
      identifiedBy: "issuerAndSerialNumber",
    });
    expect(summary.contentType).to.equal(CMS_OIDS.data);
    expect(summary.contentEncryptionAlgorithm).to.equal(CMS_OIDS.aes256Cbc);
    expect(Buffer.from(await decryptDokumentpakke(cms, alice.key, alice.cert)).equals(Buffer.from(plain))).to.equal(true);
  });

  it("accepts the certificate as DER and the key as PKCS#8 DER", async () => {
    const cms = await encryptDokumentpakke(plain, new Uint8Array(alice.cert.raw));
    const pkcs8 = new Uint8Array(alice.key.export({ format: "der", type: "pkcs8" }));
    expect(Buffer.from(await decryptDokumentpakke(cms, pkcs8, new Uint8Array(alice.cert.raw))).equals(Buffer.from(plain))).to.equal(true);
  });

  it("uses a fresh content key each time", async () => {
    const a = await encryptDokumentpakke(plain, alice.cert);
    const b = await encryptDokumentpakke(plain, alice.cert);
    expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(false);
  });

  it("finds no recipient for another certificate", async () => {
    const cms = await encryptDokumentpakke(plain, alice.cert);
    const err = await rejection(decryptDokumentpakke(cms, bob.key, bob.cert));
    expect(err).to.be.instanceOf(DokumentpakkeDecryptError);
    expect((err as DokumentpakkeDecryptError).code).to.equal("dokumentpakke-decrypt-failed");
    expect((err as Error).message).to.contain("no KeyTransRecipientInfo");
  });

  it("fails with the right certificate but the wrong key", async () => {
    const cms = await encryptDokumentpakke(plain, alice.cert);
    const err = await rejection(decryptDokumentpakke(cms, bob.key, alice.cert));
    expect(err).to.be.instanceOf(DokumentpakkeDecryptError);
  });

  it("fails on tampered ciphertext rather than returning garbage silently", async () => {
    // 16 plain bytes encrypt to two blocks, the second all padding (0x10 × 16), followed by five
    // end-of-contents markers. Flipping the last byte of the first block flips the last padding byte.
    const cms = Buffer.from(await encryptDokumentpakke(new Uint8Array(16), alice.cert));
    expect([...cms.subarray(cms.length - 10)]).to.deep.equal(new Array(10).fill(0));
    cms[cms.length - 10 - 16 - 1]! ^= 0xff;
    const err = await rejection(decryptDokumentpakke(cms, alice.key, alice.cert));
    expect(err).to.be.instanceOf(DokumentpakkeDecryptError);
  });
});

describe("dpi/dokumentpakke: not CMS EnvelopedData", () => {
  function notCms(bytes: Uint8Array, detail?: RegExp): void {
    const err = thrown(() => parseEnvelopedData(bytes));
    expect(err).to.be.instanceOf(DokumentpakkeNotCmsError);
    expect((err as DokumentpakkeNotCmsError).code).to.equal("dokumentpakke-not-cms");
    expect((err as DokumentpakkeNotCmsError).kind).to.equal("invalid");
    if (detail) expect((err as Error).message).to.match(detail);
  }

  it("rejects empty input", () => notCms(new Uint8Array(0), /empty/));
  it("rejects a plain zip", () => notCms(new TextEncoder().encode("PK\u0003\u0004\u0014\u0000\u0000\u0000mimetype")));
  it("rejects random bytes", () => notCms(new Uint8Array(createHash("sha512").update("x").digest())));

  it("rejects a ContentInfo of another type (SignedData)", () => {
    const signedData = new asn1js.Sequence({
      value: [
        new asn1js.ObjectIdentifier({ value: "1.2.840.113549.1.7.2" }),
        new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Sequence()] }),
      ],
    });
    notCms(new Uint8Array(signedData.toBER()), /1\.2\.840\.113549\.1\.7\.2/);
  });

  it("rejects a DER SEQUENCE that is no ContentInfo", () => {
    notCms(new Uint8Array(new asn1js.Sequence({ value: [new asn1js.Integer({ value: 1 })] }).toBER()));
  });

  it("rejects a truncated package and one with trailing bytes", async () => {
    const cms = await encryptDokumentpakke(new Uint8Array(100), makeRecipient("carol", "01cc").cert);
    notCms(cms.subarray(0, cms.length - 20));
    notCms(Buffer.concat([cms, Buffer.from([0])]), /follow/);
  });

  it("makes decryption fail the same way", async () => {
    const r = makeRecipient("dave", "01dd");
    const err = await rejection(decryptDokumentpakke(new Uint8Array([1, 2, 3]), r.key, r.cert));
    expect(err).to.be.instanceOf(DokumentpakkeNotCmsError);
  });
});

describe("dpi/dokumentpakke: interoperability with openssl cms", function () {
  let dir: string;
  let alice: Recipient;
  const plain = Buffer.from("dokumentpakke ".repeat(500));

  before(function () {
    if (!hasCommand("openssl", "version")) this.skip();
    dir = mkdtempSync(join(tmpdir(), "dpi-cms-"));
    alice = makeRecipient("alice", "02aa");
    writeFileSync(join(dir, "cert.pem"), alice.certPem);
    writeFileSync(join(dir, "key.pem"), alice.keyPem);
    writeFileSync(join(dir, "plain.bin"), plain);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function openssl(args: string[]): Buffer {
    const result = spawnSync("openssl", args, { cwd: dir });
    if (result.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${result.stderr.toString()}`);
    return result.stdout;
  }

  function opensslEncrypt(keyopts: string[]): Buffer {
    return openssl([
      "cms", "-encrypt", "-binary", "-in", "plain.bin", "-outform", "DER", "-aes-256-cbc", "-recip", "cert.pem",
      "-keyopt", "rsa_padding_mode:oaep", ...keyopts.flatMap((k) => ["-keyopt", k]),
    ]);
  }

  it("openssl decrypts what we encrypt", async () => {
    writeFileSync(join(dir, "ours.der"), await encryptDokumentpakke(plain, alice.cert));
    const out = openssl(["cms", "-decrypt", "-binary", "-inform", "DER", "-in", "ours.der", "-recip", "cert.pem", "-inkey", "key.pem"]);
    expect(out.equals(plain)).to.equal(true);
  });

  it("we decrypt openssl's OAEP-SHA-256 output (hash parameters without NULL)", async () => {
    const cms = opensslEncrypt(["rsa_oaep_md:sha256", "rsa_mgf1_md:sha256"]);
    expect(parseEnvelopedData(cms).oaepHashAlgorithm).to.equal(CMS_OIDS.sha256);
    expect(Buffer.from(await decryptDokumentpakke(cms, alice.key, alice.cert)).equals(plain)).to.equal(true);
  });

  it("we decrypt openssl's default OAEP (SHA-1) and report it", async () => {
    const cms = opensslEncrypt([]);
    const summary = parseEnvelopedData(cms);
    expect(summary.oaepHashAlgorithm).to.equal(CMS_OIDS.sha1);
    expect(summary.oaepMgf1HashAlgorithm).to.equal(CMS_OIDS.sha1);
    expect(Buffer.from(await decryptDokumentpakke(cms, alice.key, alice.cert)).equals(plain)).to.equal(true);
  });

  it("we refuse OAEP whose MGF1 hash differs from its hash", async () => {
    const cms = opensslEncrypt(["rsa_oaep_md:sha256", "rsa_mgf1_md:sha1"]);
    expect(parseEnvelopedData(cms).oaepMgf1HashAlgorithm).to.equal(CMS_OIDS.sha1);
    const err = await rejection(decryptDokumentpakke(cms, alice.key, alice.cert));
    expect(err).to.be.instanceOf(UnsupportedCmsAlgorithmError);
  });

  it("we refuse to encrypt for a certificate without an RSA key", async () => {
    openssl([
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=ec",
      "-days", "1", "-keyout", "ec-key.pem", "-out", "ec-cert.pem",
    ]);
    const ecCert = new X509Certificate(readFileSync(join(dir, "ec-cert.pem")));
    expect(createPrivateKey(readFileSync(join(dir, "ec-key.pem"))).asymmetricKeyType).to.equal("ec");
    const err = await rejection(encryptDokumentpakke(plain, ecCert));
    expect(err).to.be.instanceOf(UnsupportedCmsAlgorithmError);
  });
});

describe("dokumentpakke: arbitrary bytes", () => {
  it("never escape as anything but dokumentpakke-not-cms (asn1js throws plain errors on some inputs)", async () => {
    const { parseEnvelopedData } = await import("../../src/dpi/dokumentpakke.js");
    // This prefix makes asn1js throw "Wrong input string for conversion" from GeneralizedTime.
    const trap = Buffer.concat([Buffer.from("7e39181405fb2895", "hex"), Buffer.alloc(100, 0x41)]);
    const { randomBytes } = await import("node:crypto");
    for (const input of [trap, ...Array.from({ length: 300 }, () => randomBytes(64))]) {
      try {
        parseEnvelopedData(input);
      } catch (err) {
        if ((err as { code?: string }).code !== "dokumentpakke-not-cms") throw err;
      }
    }
  });
});

describe("dokumentpakke: large packages", function () {
  this.timeout(60_000);
  it("parses and decrypts a 25 MB CMS (asn1js's default node and size caps would refuse it)", async () => {
    const { generateKeyPairSync, randomBytes } = await import("node:crypto");
    const { makeLeaf, generateKeyPem } = await import("../../scripts/lib/cert-factory.js");
    const { encryptDokumentpakke, decryptDokumentpakke, parseEnvelopedData } = await import("../../src/dpi/dokumentpakke.js");
    void generateKeyPairSync;
    const leaf = makeLeaf({ subject: { CN: "recipient" }, keyPem: generateKeyPem() });
    const plain = randomBytes(25 * 1024 * 1024);
    const cms = await encryptDokumentpakke(plain, leaf.cert);
    expect(parseEnvelopedData(cms).recipientCount).to.equal(1);
    const back = await decryptDokumentpakke(cms, leaf.privateKey, leaf.cert);
    expect(Buffer.from(back).equals(plain)).to.equal(true);
  });
});
