import { expect } from "chai";
import { createHash, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as asn1js from "asn1js";
import { signDetachedCades, verifyDetachedCades } from "../../src/packaging/index.js";
import { hasOpenssl, run } from "../helpers/tools.js";
import { certPath, expectCode, INTERMEDIATE_PATH, keyPath, OTHER, ROOT_PATH, SENDER } from "./fixtures.js";

/**
 * The detached CAdES signature an ASiC-E with CAdES carries over its ASiCManifest: what signDetachedCades writes,
 * what verifyDetachedCades accepts and refuses, and the same checks against openssl in both directions.
 */

const MANIFEST = Buffer.from('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ASiCManifest xmlns="http://uri.etsi.org/02918/v1.2.1#"/>\n');
const AT = new Date("2026-05-04T10:11:12Z");

const kids = (el: asn1js.AsnType): asn1js.AsnType[] => (el.valueBlock as unknown as { value: asn1js.AsnType[] }).value;
const oidText = (el: asn1js.AsnType | undefined) => (el as asn1js.ObjectIdentifier).valueBlock.toString();

function signerInfoOf(p7s: Uint8Array): asn1js.AsnType[] {
  const signedData = kids(kids(asn1js.fromBER(p7s).result)[1]!)[0]!;
  const fields = kids(signedData);
  return kids(kids(fields[fields.length - 1]!)[0]!);
}

describe("packaging: signDetachedCades", () => {
  const p7s = signDetachedCades(MANIFEST, SENDER, AT);

  it("verifies, naming the signer, the signing time, SHA-256 and the certificates carried (chain first, signer last)", () => {
    const v = verifyDetachedCades(p7s, MANIFEST);
    expect(v.signerCertificate.fingerprint256).to.equal(SENDER.certificate.fingerprint256);
    expect(v.signingTime?.toISOString()).to.equal(AT.toISOString());
    expect(v.digestAlgorithm).to.equal("sha256");
    expect(v.certificates.map((c) => c.fingerprint256)).to.deep.equal([SENDER.chain[0]!.fingerprint256, SENDER.certificate.fingerprint256]);
  });

  it("is detached SignedData with the CAdES-BES signed attributes, SHA-256 with RSA", () => {
    const [contentType, content] = kids(asn1js.fromBER(p7s).result);
    expect(oidText(contentType)).to.equal("1.2.840.113549.1.7.2");
    const encapsulated = kids(kids(kids(content!)[0]!)[2]!);
    expect(encapsulated.map(oidText)).to.deep.equal(["1.2.840.113549.1.7.1"]); // id-data, no eContent
    const [, , digestAlgorithm, signedAttrs, signatureAlgorithm] = signerInfoOf(p7s);
    expect(oidText(kids(digestAlgorithm!)[0])).to.equal("2.16.840.1.101.3.4.2.1");
    expect(oidText(kids(signatureAlgorithm!)[0])).to.equal("1.2.840.113549.1.1.11");
    const types = kids(signedAttrs!).map((a) => oidText(kids(a)[0]));
    expect([...types].sort()).to.deep.equal([
      "1.2.840.113549.1.9.16.2.47", // signing-certificate-v2
      "1.2.840.113549.1.9.3", // content-type
      "1.2.840.113549.1.9.4", // message-digest
      "1.2.840.113549.1.9.5", // signing-time
    ]);
    // DER orders a SET OF by encoding
    const encodings = kids(signedAttrs!).map((a) => Buffer.from(a.toBER(false)));
    expect(encodings.map((e) => e.toString("hex"))).to.deep.equal([...encodings].sort(Buffer.compare).map((e) => e.toString("hex")));
  });

  it("efm-asic-signature-invalid when the content differs from what was signed", () => {
    const err = expectCode(() => verifyDetachedCades(p7s, Buffer.concat([MANIFEST, Buffer.from(" ")])), "efm-asic-signature-invalid");
    expect(err.message).to.equal("the signed message digest does not match the content");
  });

  it("efm-asic-signature-invalid when the signature value is altered", () => {
    const altered = Buffer.from(p7s);
    altered[altered.length - 10]! ^= 0x01; // inside the signature value, the last field
    const err = expectCode(() => verifyDetachedCades(altered, MANIFEST), "efm-asic-signature-invalid");
    expect(err.message).to.equal("the signature value does not verify with the signer's certificate");
  });

  it("efm-asic-signature-invalid when the signing-certificate attribute names another certificate than the one that verifies", () => {
    // A correctly signed variant whose ESS certHash is OTHER's: only the attribute check can catch it.
    const resigned = resignWithAttributes(p7s, (attributes) => {
      const ess = attributes.find((a) => oidText(kids(a)[0]) === "1.2.840.113549.1.9.16.2.47")!;
      const essCertId = kids(kids(kids(kids(ess)[1]!)[0]!)[0]!)[0]!;
      kids(essCertId)[0] = new asn1js.OctetString({ valueHex: createHash("sha256").update(OTHER.certificate.raw).digest() });
    });
    const err = expectCode(() => verifyDetachedCades(resigned, MANIFEST), "efm-asic-signature-invalid");
    expect(err.message).to.equal("the signing-certificate attribute names another certificate");
  });

  it("efm-asic-signature-invalid when the content-type attribute is not id-data", () => {
    const resigned = resignWithAttributes(p7s, (attributes) => {
      const contentType = attributes.find((a) => oidText(kids(a)[0]) === "1.2.840.113549.1.9.3")!;
      kids(kids(contentType)[1]!)[0] = new asn1js.ObjectIdentifier({ value: "1.2.840.113549.1.7.2" });
    });
    const err = expectCode(() => verifyDetachedCades(resigned, MANIFEST), "efm-asic-signature-invalid");
    expect(err.message).to.equal("the content-type attribute differs from the signed content's type");
  });

  it("packaging-key-invalid when the key is not the certificate's", () => {
    expectCode(() => signDetachedCades(MANIFEST, { privateKey: OTHER.privateKey, certificate: SENDER.certificate }, AT), "packaging-key-invalid");
  });

  it("efm-asic-signature-malformed for bytes that are not SignedData", () => {
    expectCode(() => verifyDetachedCades(Buffer.from("not a signature"), MANIFEST), "efm-asic-signature-malformed");
    expectCode(() => verifyDetachedCades(new Uint8Array(0), MANIFEST), "efm-asic-signature-malformed");
  });

  it("efm-asic-unsupported-algorithm for SHA-1 when allowSha1 is false", function () {
    if (!hasOpenssl()) this.skip();
    const dir = mkdtempSync(join(tmpdir(), "efm-cades-sha1-"));
    try {
      writeFileSync(join(dir, "m.xml"), MANIFEST);
      const r = run("openssl", ["cms", "-sign", "-binary", "-md", "sha1", "-in", join(dir, "m.xml"), "-signer", certPath("910076787"), "-inkey", keyPath("910076787"), "-outform", "DER", "-out", join(dir, "s.p7s")]);
      expect(r.status, r.out).to.equal(0);
      const sig = readFileSync(join(dir, "s.p7s"));
      expect(verifyDetachedCades(sig, MANIFEST).digestAlgorithm).to.equal("sha1");
      expectCode(() => verifyDetachedCades(sig, MANIFEST, { allowSha1: false }), "efm-asic-unsupported-algorithm");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The signature with its signed attributes edited and signed again with SENDER's key, so its value is right. */
function resignWithAttributes(p7s: Uint8Array, edit: (attributes: asn1js.AsnType[]) => void): Uint8Array {
  const root = asn1js.fromBER(p7s).result;
  const signedDataFields = kids(kids(kids(root)[1]!)[0]!);
  const signerInfo = kids(kids(signedDataFields[signedDataFields.length - 1]!)[0]!);
  const signedAttrs = signerInfo[3]!;
  edit(kids(signedAttrs));
  const asSet = new Uint8Array(signedAttrs.toBER(false));
  asSet[0] = 0x31;
  signerInfo[5] = new asn1js.OctetString({ valueHex: sign("sha256", asSet, SENDER.privateKey) });
  return new Uint8Array(root.toBER(false));
}

describe("packaging interop: CAdES with openssl", function () {
  this.timeout(60_000);
  let dir: string;

  before(function () {
    if (!hasOpenssl()) this.skip();
    dir = mkdtempSync(join(tmpdir(), "efm-cades-openssl-"));
    writeFileSync(join(dir, "manifest.xml"), MANIFEST);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function opensslSign(args: string[]): Buffer {
    const out = join(dir, "o.p7s");
    const r = run("openssl", ["cms", "-sign", "-binary", "-in", join(dir, "manifest.xml"), "-signer", certPath("910076787"), "-inkey", keyPath("910076787"), "-outform", "DER", "-out", out, ...args]);
    expect(r.status, r.out).to.equal(0);
    return readFileSync(out);
  }

  it("openssl cms -verify accepts signDetachedCades' signature with the content beside it and the chain to the root", () => {
    writeFileSync(join(dir, "s.p7s"), signDetachedCades(MANIFEST, SENDER, AT));
    const r = run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", join(dir, "s.p7s"), "-content", join(dir, "manifest.xml"), "-CAfile", ROOT_PATH, "-purpose", "any", "-out", join(dir, "verified.xml")]);
    expect(r.status, r.out).to.equal(0);
    expect(r.out).to.contain("Verification successful");
    expect(readFileSync(join(dir, "verified.xml")).equals(MANIFEST)).to.equal(true);
  });

  it("openssl cms -verify refuses it over other content", () => {
    writeFileSync(join(dir, "s.p7s"), signDetachedCades(MANIFEST, SENDER, AT));
    writeFileSync(join(dir, "other.xml"), Buffer.concat([MANIFEST, Buffer.from("x")]));
    const r = run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", join(dir, "s.p7s"), "-content", join(dir, "other.xml"), "-CAfile", ROOT_PATH, "-purpose", "any", "-out", "/dev/null"]);
    expect(r.status).to.not.equal(0);
    expect(r.out).to.contain("content verify error");
  });

  const accepted: Array<[string, string[], string]> = [
    ["SHA-256 with openssl's default attributes", ["-md", "sha256"], "sha256"],
    ["CAdES-BES (-cades: signing-certificate-v2)", ["-md", "sha256", "-cades"], "sha256"],
    ["SHA-512 with the chain in -certfile", ["-md", "sha512", "-certfile", INTERMEDIATE_PATH], "sha512"],
  ];
  for (const [what, args, digest] of accepted) {
    it(`verifyDetachedCades accepts openssl's ${what}`, () => {
      const v = verifyDetachedCades(opensslSign(args), MANIFEST);
      expect(v.digestAlgorithm).to.equal(digest);
      expect(v.signerCertificate.fingerprint256).to.equal(SENDER.certificate.fingerprint256);
    });
  }

  it("efm-asic-signature-invalid when the signature carries no certificate (-nocerts)", () => {
    const err = expectCode(() => verifyDetachedCades(opensslSign(["-nocerts"]), MANIFEST), "efm-asic-signature-invalid");
    expect(err.message).to.equal("the signature does not carry the signer's certificate");
  });

  it("efm-asic-signature-malformed without signed attributes (-noattr), which CAdES requires", () => {
    expectCode(() => verifyDetachedCades(opensslSign(["-noattr"]), MANIFEST), "efm-asic-signature-malformed");
  });

  it("efm-asic-signature-malformed when the content is inside (-nodetach)", () => {
    expectCode(() => verifyDetachedCades(opensslSign(["-nodetach"]), MANIFEST), "efm-asic-signature-malformed");
  });
});
