import { expect } from "chai";
import { constants, publicEncrypt } from "node:crypto";
import * as asn1js from "asn1js";
import { encryptDokumentpakke } from "../../src/dpi/dokumentpakke.js";
import { decryptCms, encryptCms } from "../../src/packaging/index.js";
import { expectCode, OTHER, RECEIVER } from "./fixtures.js";

/**
 * encryptCms writes the envelope the integrasjonspunkt writes (efm-common CreateCMSDocument with BouncyCastle);
 * decryptCms opens it and the variants other producers write. openssl and BouncyCastle themselves are in
 * cms-openssl.test.ts and bouncycastle.test.ts.
 */

const PLAIN = Buffer.from(`${"Dette er en ASiC-E. ".repeat(300)}æøå`, "utf8");

/** A deterministic randomness source: 0x01 0x02 0x03 ... */
function counting(): (n: number) => Uint8Array {
  let next = 0;
  return (n) => Uint8Array.from({ length: n }, () => ++next & 0xff);
}

function parse(der: Uint8Array): asn1js.AsnType {
  const asn = asn1js.fromBER(der);
  expect(asn.offset).to.equal(der.byteLength);
  return asn.result;
}

const kids = (el: asn1js.AsnType): asn1js.AsnType[] => (el.valueBlock as unknown as { value: asn1js.AsnType[] }).value;
const hex = (el: asn1js.AsnType) => Buffer.from(el.toBER(false)).toString("hex");

/** Every length in definite form and every OCTET STRING primitive: DER's rules that BER relaxes. */
function assertDefiniteAndPrimitive(el: asn1js.AsnType): void {
  expect(el.lenBlock.isIndefiniteForm, el.constructor.name).to.equal(false);
  if (el.idBlock.tagClass === 1 && el.idBlock.tagNumber === 4) expect(el.idBlock.isConstructed).to.equal(false);
  if (el.idBlock.isConstructed) kids(el).forEach(assertDefiniteAndPrimitive);
}

function envelopeParts(der: Uint8Array) {
  const [contentType, content] = kids(parse(der));
  const [version, recipientInfos, encryptedContentInfo] = kids(kids(content!)[0]!);
  const [ktri] = kids(recipientInfos!);
  const [ktriVersion, rid, keyEncryptionAlgorithm, encryptedKey] = kids(ktri!);
  const [eciType, contentAlgorithm, encryptedContent] = kids(encryptedContentInfo!);
  return { contentType, version, recipients: kids(recipientInfos!), ktriVersion, rid, keyEncryptionAlgorithm, encryptedKey, eciType, contentAlgorithm, encryptedContent };
}

describe("packaging: encryptCms", () => {
  for (const scheme of ["rsaes-oaep", "rsa-pkcs1v15"] as const) {
    it(`${scheme}: round-trips through decryptCms and reports how it was made`, () => {
      const cms = encryptCms(PLAIN, RECEIVER.certificate, scheme);
      const opened = decryptCms(cms, RECEIVER.privateKey, RECEIVER.certificate);
      expect(Buffer.from(opened.content).equals(PLAIN)).to.equal(true);
      expect(opened).to.include({ keyTransport: scheme, contentEncryption: "aes-256-cbc", contentType: "1.2.840.113549.1.7.1" });
    });
  }

  it("writes DER: definite lengths only, the ciphertext in one primitive [0]", () => {
    const cms = encryptCms(PLAIN, RECEIVER.certificate, "rsaes-oaep");
    assertDefiniteAndPrimitive(parse(cms));
    const { encryptedContent } = envelopeParts(cms);
    expect(encryptedContent!.idBlock).to.include({ tagClass: 3, tagNumber: 0, isConstructed: false });
    // AES-CBC with PKCS#7 padding: the plaintext rounded up to the next whole block
    expect(Buffer.from(encryptedContent!.valueBeforeDecodeView).byteLength).to.equal(4 + Math.ceil((PLAIN.length + 1) / 16) * 16);
  });

  it("writes EnvelopedData v0 with one KeyTransRecipientInfo by issuer and serial number, and AES-256-CBC with its IV", () => {
    const cms = encryptCms(PLAIN, RECEIVER.certificate, "rsaes-oaep", { randomBytes: counting() });
    const p = envelopeParts(cms);
    expect((p.contentType as asn1js.ObjectIdentifier).valueBlock.toString()).to.equal("1.2.840.113549.1.7.3");
    expect((p.version as asn1js.Integer).valueBlock.valueDec).to.equal(0);
    expect(p.recipients).to.have.length(1);
    expect((p.ktriVersion as asn1js.Integer).valueBlock.valueDec).to.equal(0);
    const [issuer, serial] = kids(p.rid!);
    const certTbs = kids(kids(parse(RECEIVER.certificate.raw))[0]!);
    expect(hex(issuer!)).to.equal(hex(certTbs[3]!));
    expect(hex(serial!)).to.equal(hex(certTbs[1]!));
    expect((p.eciType as asn1js.ObjectIdentifier).valueBlock.toString()).to.equal("1.2.840.113549.1.7.1");
    // aes256-CBC, IV = bytes 33..48 of the random stream (the first 32 are the content key)
    expect(hex(p.contentAlgorithm!)).to.equal(`301d060960864801650304012a` + `0410${Buffer.from(Array.from({ length: 16 }, (_, i) => 33 + i)).toString("hex")}`);
  });

  it("rsaes-oaep: names SHA-256 and MGF1-SHA-256 explicitly with NULL hash parameters, as BouncyCastle writes efm-common's RSAES_OAEP", () => {
    const { keyEncryptionAlgorithm } = envelopeParts(encryptCms(PLAIN, RECEIVER.certificate, "rsaes-oaep"));
    // SEQUENCE { rsaesOaep, SEQUENCE { [0] { sha256, NULL }, [1] { mgf1, { sha256, NULL } } } } (the empty label is the default, left out)
    expect(hex(keyEncryptionAlgorithm!)).to.equal(
      "303c06092a864886f70d010107" + "302f" + "a00f300d06096086480165030402010500" + "a11c301a06092a864886f70d010108300d06096086480165030402010500",
    );
  });

  it("rsa-pkcs1v15: names rsaEncryption with NULL parameters, BouncyCastle's default key transport (DPE)", () => {
    const { keyEncryptionAlgorithm, encryptedKey } = envelopeParts(encryptCms(PLAIN, RECEIVER.certificate, "rsa-pkcs1v15"));
    expect(hex(keyEncryptionAlgorithm!)).to.equal("300d06092a864886f70d0101010500");
    expect(Buffer.from((encryptedKey as asn1js.OctetString).valueBlock.valueHexView).byteLength).to.equal(256);
  });

  it("takes the certificate as PEM text, DER bytes or X509Certificate", () => {
    for (const cert of [RECEIVER.certificate.toString(), new Uint8Array(RECEIVER.certificate.raw), RECEIVER.certificate]) {
      const cms = encryptCms(PLAIN, cert, "rsaes-oaep");
      expect(Buffer.from(decryptCms(cms, RECEIVER.privateKey.export({ format: "pem", type: "pkcs8" }).toString(), RECEIVER.certificate).content).equals(PLAIN)).to.equal(true);
    }
  });

  it("refuses a certificate that is not one: packaging-key-invalid", () => {
    expectCode(() => encryptCms(PLAIN, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "rsaes-oaep"), "packaging-key-invalid");
  });
});

describe("packaging: decryptCms", () => {
  it("opens BER with indefinite lengths and the content in pieces (pkijs, as BouncyCastle's streaming generator writes)", async () => {
    const cms = await encryptDokumentpakke(PLAIN, RECEIVER.certificate);
    expect(cms[1]).to.equal(0x80); // indefinite length at the top
    const opened = decryptCms(cms, RECEIVER.privateKey, RECEIVER.certificate);
    expect(Buffer.from(opened.content).equals(PLAIN)).to.equal(true);
    expect(opened.keyTransport).to.equal("rsaes-oaep");
  });

  it("cms-wrong-recipient when no recipient is addressed to the certificate", () => {
    const cms = encryptCms(PLAIN, OTHER.certificate, "rsaes-oaep");
    expectCode(() => decryptCms(cms, RECEIVER.privateKey, RECEIVER.certificate), "cms-wrong-recipient");
  });

  it("packaging-key-invalid when the private key is not the certificate's", () => {
    const cms = encryptCms(PLAIN, RECEIVER.certificate, "rsaes-oaep");
    expectCode(() => decryptCms(cms, OTHER.privateKey, RECEIVER.certificate), "packaging-key-invalid");
  });

  for (const scheme of ["rsaes-oaep", "rsa-pkcs1v15"] as const) {
    it(`${scheme}: cms-decrypt-failed when the last ciphertext block is altered (CBC padding)`, () => {
      const cms = Buffer.from(encryptCms(PLAIN, RECEIVER.certificate, scheme, { randomBytes: counting() }));
      cms[cms.length - 1]! ^= 0x5a;
      expectCode(() => decryptCms(cms, RECEIVER.privateKey, RECEIVER.certificate), "cms-decrypt-failed");
    });
  }

  it("rsaes-oaep: cms-decrypt-failed when the encrypted key is altered", () => {
    const cms = encryptCms(PLAIN, RECEIVER.certificate, "rsaes-oaep");
    expectCode(() => decryptCms(replaceEncryptedKey(cms, (k) => flip(k, 100)), RECEIVER.privateKey, RECEIVER.certificate), "cms-decrypt-failed");
  });

  describe("rsa-pkcs1v15: a malformed key block is not reported as such (implicit rejection)", () => {
    const CEK_AND_IV = counting();
    const cms = encryptCms(PLAIN, RECEIVER.certificate, "rsa-pkcs1v15", { randomBytes: CEK_AND_IV });
    const cek = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));
    const block = (tweak: (b: Buffer) => void, keyLength = 32): Buffer => {
      // EME-PKCS1-v1_5 by hand: 00 02 PS 00 M, encrypted without further padding
      const b = Buffer.alloc(256, 0x77);
      b[0] = 0x00;
      b[1] = 0x02;
      b[256 - keyLength - 1] = 0x00;
      cek.subarray(0, keyLength).copy(b, 256 - keyLength);
      tweak(b);
      return publicEncrypt({ key: RECEIVER.certificate.publicKey, padding: constants.RSA_NO_PADDING }, b);
    };

    it("a well-formed block made by hand decrypts (the hand-made blocks below differ only where stated)", () => {
      const opened = decryptCms(replaceEncryptedKey(cms, () => block(() => {})), RECEIVER.privateKey, RECEIVER.certificate);
      expect(Buffer.from(opened.content).equals(PLAIN)).to.equal(true);
    });

    const malformed: Array<[string, (b: Buffer) => void, number?]> = [
      ["block type 01 instead of 02", (b) => void (b[1] = 0x01)],
      ["a non-zero first byte", (b) => void (b[0] = 0x01)],
      ["no zero separator before the key", (b) => void (b[256 - 32 - 1] = 0x33)],
      ["a zero inside the padding string", (b) => void (b[5] = 0x00)],
      ["a 16-byte key where AES-256 needs 32", () => {}, 16],
    ];
    for (const [what, tweak, keyLength] of malformed) {
      it(`${what}: cms-decrypt-failed, the same code as a wrong content key`, () => {
        const bad = replaceEncryptedKey(cms, () => block(tweak, keyLength));
        expectCode(() => decryptCms(bad, RECEIVER.privateKey, RECEIVER.certificate), "cms-decrypt-failed");
      });
    }
  });

  it("cms-malformed for bytes that are not CMS, for other CMS types and for trailing bytes", () => {
    expectCode(() => decryptCms(Buffer.from("PK\u0003\u0004 not cms"), RECEIVER.privateKey, RECEIVER.certificate), "cms-malformed");
    expectCode(() => decryptCms(new Uint8Array(0), RECEIVER.privateKey, RECEIVER.certificate), "cms-malformed");
    const signedData = Buffer.from("300f06092a864886f70d010702a0023000", "hex"); // ContentInfo { signedData, [0] {} }
    expectCode(() => decryptCms(signedData, RECEIVER.privateKey, RECEIVER.certificate), "cms-malformed");
    const cms = encryptCms(PLAIN, RECEIVER.certificate, "rsaes-oaep");
    expectCode(() => decryptCms(Buffer.concat([cms, Buffer.from([0])]), RECEIVER.privateKey, RECEIVER.certificate), "cms-malformed");
  });

  it("cms-unsupported-algorithm for a content cipher other than AES", () => {
    const cms = encryptCms(PLAIN, RECEIVER.certificate, "rsaes-oaep");
    // aes256-CBC's OID with the last arc changed to 2.16.840.1.101.3.4.1.43 (not an AES-CBC we know)
    const at = Buffer.from(cms).indexOf(Buffer.from("060960864801650304012a", "hex"));
    const changed = Buffer.from(cms);
    changed[at + 10] = 0x2b;
    expectCode(() => decryptCms(changed, RECEIVER.privateKey, RECEIVER.certificate), "cms-unsupported-algorithm");
  });

  it("cms-unsupported-algorithm for OAEP whose MGF1 hash differs from its hash", () => {
    const cms = Buffer.from(encryptCms(PLAIN, RECEIVER.certificate, "rsaes-oaep"));
    // the second sha256 OID (inside MGF1) becomes sha384 (…02.02)
    const sha256 = Buffer.from("0609608648016503040201", "hex");
    const second = cms.indexOf(sha256, cms.indexOf(sha256) + 1);
    cms[second + 10] = 0x02;
    expectCode(() => decryptCms(cms, RECEIVER.privateKey, RECEIVER.certificate), "cms-unsupported-algorithm");
  });
});

/** The CMS with its (only) encryptedKey replaced by one of the same length, re-encoded with asn1js. */
function replaceEncryptedKey(cms: Uint8Array, replace: (old: Buffer) => Buffer): Uint8Array {
  const root = asn1js.fromBER(cms).result;
  const ktri = kids(kids(kids(kids(root)[1]!)[0]!)[1]!)[0]!;
  const old = kids(ktri)[3] as asn1js.OctetString;
  const next = replace(Buffer.from(old.valueBlock.valueHexView));
  expect(next.byteLength).to.equal(old.valueBlock.valueHexView.byteLength);
  kids(ktri)[3] = new asn1js.OctetString({ valueHex: next });
  return new Uint8Array(root.toBER(false));
}

function flip(bytes: Buffer, at: number): Buffer {
  const out = Buffer.from(bytes);
  out[at]! ^= 0x01;
  return out;
}
