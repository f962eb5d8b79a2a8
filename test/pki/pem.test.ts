import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PemFormatError } from "../../src/pki/errors.js";
import { loadAnchors, parseCertificate, parseCertificates, readCertificates, toPemBundle } from "../../src/pki/pem.js";
import { hasPeppolVectors, peppolVectors, testPki } from "./helpers.js";

describe("pki/pem", () => {
  it("splits a PEM bundle, skipping other blocks and text", () => {
    const { leaf, intermediate } = testPki();
    const text = `leaf:\n${leaf.certPem}${leaf.keyPem}\nissuer:\r\n${intermediate.certPem.replace(/\n/g, "\r\n")}`;
    const certs = parseCertificates(text);
    expect(certs.map((c) => c.fingerprint256)).to.deep.equal([leaf.cert.fingerprint256, intermediate.cert.fingerprint256]);
    expect(parseCertificates(Buffer.from(toPemBundle(certs))).map((c) => c.fingerprint256)).to.deep.equal(
      certs.map((c) => c.fingerprint256),
    );
  });

  it("reads a DER certificate", () => {
    const { leaf } = testPki();
    expect(parseCertificate(leaf.cert.raw).fingerprint256).to.equal(leaf.cert.fingerprint256);
  });

  it("rejects input without certificates with PemFormatError", () => {
    const { leaf } = testPki();
    expect(() => parseCertificates(leaf.keyPem)).to.throw(PemFormatError).with.property("code", "ERR_PKI_PEM_FORMAT");
    expect(() => parseCertificates("")).to.throw(PemFormatError);
  });

  it("rejects a certificate block that is not base64 or not a certificate", () => {
    expect(() => parseCertificates("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")).to.throw(PemFormatError, /base64/);
    expect(() => parseCertificates("-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n")).to.throw(
      PemFormatError,
      /not an X.509/,
    );
    expect(() => parseCertificates(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]))).to.throw(PemFormatError);
  });

  it("parseCertificate insists on exactly one", () => {
    const { leaf, intermediate } = testPki();
    expect(() => parseCertificate(leaf.certPem + intermediate.certPem)).to.throw(PemFormatError, /found 2/);
    expect(parseCertificate(leaf.certPem).fingerprint256).to.equal(leaf.cert.fingerprint256);
  });

  it("loads anchors from files and folders, without duplicates", async () => {
    const { root, intermediate } = testPki();
    const dir = mkdtempSync(join(tmpdir(), "pki-anchors-"));
    try {
      writeFileSync(join(dir, "root.pem"), root.certPem);
      writeFileSync(join(dir, "inter.der"), intermediate.cert.raw);
      writeFileSync(join(dir, "notes.txt"), "ignored");
      writeFileSync(join(dir, "..bundle"), "ignored too");
      const bundle = join(dir, "bundle.crt");
      writeFileSync(bundle, root.certPem + intermediate.certPem);
      const anchors = await loadAnchors([dir, bundle]);
      expect(anchors.map((c) => c.fingerprint256).sort()).to.deep.equal(
        [root.cert.fingerprint256, intermediate.cert.fingerprint256].sort(),
      );
      writeFileSync(join(dir, "broken.pem"), "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n");
      let caught: unknown;
      await loadAnchors([dir]).catch((e: unknown) => (caught = e));
      expect(caught).to.be.instanceOf(PemFormatError);
      expect((caught as Error).message).to.include("broken.pem");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads every real Peppol CA certificate (DER .cer and PEM)", async function () {
    if (!hasPeppolVectors) this.skip();
    const anchors = await loadAnchors([peppolVectors]);
    expect(anchors).to.have.length(12);
    for (const c of anchors) expect(c.subject).to.match(/O=OpenPEPPOL AISBL/);
    expect(await readCertificates(join(peppolVectors, "G2-Peppol_Root_CA.cer"))).to.have.length(1);
  });
});
