import { spawnSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { SignedXml } from "xml-crypto";
import { loadIssued, makeCa, makeLeaf } from "../../scripts/lib/cert-factory.js";
import { parseParticipantId } from "../../src/peppol/identifiers.js";
import {
  SmpBadSignatureError,
  SmpMalformedResponseError,
  SmpMissingSignatureError,
  SmpUntrustedCertificateError,
} from "../../src/peppol/smp-errors.js";
import {
  certificateSubjectEquals,
  DSIG_ALGORITHMS,
  parseDistinguishedName,
  verifySmpSignature,
} from "../../src/peppol/smp-signature.js";
import { parseSignedServiceMetadata } from "../../src/peppol/smp-xml.js";
import { parseCertificates } from "../../src/pki/pem.js";
import { isC14nFixInstalled } from "../../src/xml/c14n-fix.js";
import { serviceMetadataXml } from "../../src/sim/smp/documents.js";
import { signServiceMetadata } from "../../src/sim/smp/signing.js";
import { CERTS, VECTORS } from "../helpers/certs.js";

const VECTOR = path.join(VECTORS, "smp/signed-service-metadata-exc-c14n.xml");
const G2_SMP_CA = path.join(VECTORS, "pki/G2-Peppol_ServiceMetadataPublisher_CA.cer");
const G2_ROOT = path.join(VECTORS, "pki/G2-Peppol_Root_CA.cer");
/** Inside the vector signer's validity (2019-03-11 .. 2021-02-28). */
const VECTOR_TIME = new Date("2020-06-01T00:00:00Z");

const smpRoot = new X509Certificate(readFileSync(path.join(CERTS, "smp/root-ca.pem")));
const smpIntermediate = new X509Certificate(readFileSync(path.join(CERTS, "smp/intermediate-ca.pem")));
const smpSigner = {
  privateKey: createPrivateKey(readFileSync(path.join(CERTS, "smp/SMP000001.key.pem"))),
  certificate: new X509Certificate(readFileSync(path.join(CERTS, "smp/SMP000001.pem"))),
};
const apPem = readFileSync(path.join(CERTS, "ap/POP000002.pem"), "utf8");
const NOW = new Date("2026-01-15T12:00:00Z");
const trust = { anchors: [smpRoot], intermediates: [smpIntermediate], at: NOW };

function unsignedMetadata(): string {
  return serviceMetadataXml(parseParticipantId("iso6523-actorid-upis::0192:984661185"), [
    {
      documentType: "busdox-docid-qns::urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
      process: "cenbii-procid-ubl::urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0",
      endpointUrl: "https://ap.example/as4",
      certificatePem: apPem,
    },
  ]);
}

const signed = () => signServiceMetadata(unsignedMetadata(), smpSigner);

describe("peppol/smp-signature: real production SignedServiceMetadata (NetEDI, G2, exc-c14n, rsa-sha1)", function () {
  let vector: Buffer;
  let g2Smp: X509Certificate;
  let g2Root: X509Certificate;

  before(function () {
    if (!existsSync(VECTOR) || !existsSync(G2_SMP_CA) || !existsSync(G2_ROOT)) this.skip();
    vector = readFileSync(VECTOR);
    g2Smp = parseCertificates(readFileSync(G2_SMP_CA))[0]!;
    g2Root = parseCertificates(readFileSync(G2_ROOT))[0]!;
  });

  it("verifies on its exact bytes with the G2 root as anchor and the SMP CA as intermediate", () => {
    const result = verifySmpSignature(vector, { anchors: [g2Root], intermediates: [g2Smp], at: VECTOR_TIME });
    expect(result.signerCertificate.subject).to.include("CN=PNO000070");
    expect(result.certificatePath.map((c) => c.subject)).to.have.length(3);
    expect(result.signatureAlgorithm).to.equal(DSIG_ALGORITHMS.rsaSha1);
    expect(result.canonicalizationAlgorithm).to.equal(DSIG_ALGORITHMS.excC14n);
    const metadata = parseSignedServiceMetadata(result.document);
    expect(metadata.kind).to.equal("service-information");
  });

  it("verifies with the issuing SMP CA pinned as the only anchor", () => {
    const result = verifySmpSignature(vector, { anchors: [g2Smp], at: VECTOR_TIME });
    expect(result.certificatePath).to.have.length(2);
  });

  it("refuses the signer after its certificate expired", () => {
    expect(() => verifySmpSignature(vector, { anchors: [g2Root], intermediates: [g2Smp], at: new Date("2021-06-01T00:00:00Z") }))
      .to.throw(SmpUntrustedCertificateError)
      .with.property("code", "peppol-smp-untrusted-certificate");
  });

  it("refuses it against other anchors (our test SMP CA)", () => {
    expect(() => verifySmpSignature(vector, { anchors: [smpRoot], at: VECTOR_TIME })).to.throw(SmpUntrustedCertificateError);
  });

  it("fails after a one-byte change in a signed value", () => {
    const text = vector.toString("utf8");
    const tampered = text.replace("https://peppol.netedi.com/receive.aspx", "https://peppol.netedi.com/receive.aspy");
    expect(tampered).to.not.equal(text);
    expect(Buffer.byteLength(tampered)).to.equal(vector.length);
    expect(() => verifySmpSignature(tampered, { anchors: [g2Smp], at: VECTOR_TIME })).to.throw(SmpBadSignatureError, /digest/);
  });

  it("fails on a pretty-printed copy (the bytes are what is signed)", () => {
    const pretty = vector.toString("utf8").replace(/></g, ">\n  <");
    expect(() => verifySmpSignature(pretty, { anchors: [g2Smp], at: VECTOR_TIME })).to.throw(SmpBadSignatureError);
  });

  it("fails when only the SignatureValue changes", () => {
    const text = vector.toString("utf8");
    const tampered = text.replace("<SignatureValue>Jko", "<SignatureValue>Jkp");
    expect(tampered).to.not.equal(text);
    expect(() => verifySmpSignature(tampered, { anchors: [g2Smp], at: VECTOR_TIME })).to.throw(SmpBadSignatureError);
  });

  it("names the KeyInfo subject (C=GB, O=…, CN=… order) as equal to the certificate subject", () => {
    const result = verifySmpSignature(vector, { anchors: [g2Smp], at: VECTOR_TIME });
    expect(certificateSubjectEquals(result.signerCertificate, "C=GB, O=NetEDI Limited, OU=PEPPOL PRODUCTION SMP, CN=PNO000070")).to.equal(true);
    expect(certificateSubjectEquals(result.signerCertificate, "CN=PNO000070,OU=PEPPOL PRODUCTION SMP,O=NetEDI Limited,C=GB")).to.equal(true);
    expect(certificateSubjectEquals(result.signerCertificate, "CN=PNO000071,OU=PEPPOL PRODUCTION SMP,O=NetEDI Limited,C=GB")).to.equal(false);
  });
});

describe("peppol/smp-signature: documents signed by our SMP simulator", () => {
  it("runs with the code-point c14n fix installed", () => {
    expect(isC14nFixInstalled()).to.equal(true);
  });

  it("verifies exc-c14n + rsa-sha256 against the test SMP PKI", () => {
    const result = verifySmpSignature(signed(), trust);
    expect(result.signerCertificate.fingerprint256).to.equal(smpSigner.certificate.fingerprint256);
    expect(result.signatureAlgorithm).to.equal(DSIG_ALGORITHMS.rsaSha256);
    expect(result.digestAlgorithm).to.equal(DSIG_ALGORITHMS.sha256);
  });

  it("verifies inclusive c14n + rsa-sha1 as older SMPs sign", () => {
    const xml = signServiceMetadata(unsignedMetadata(), smpSigner, {
      canonicalizationAlgorithm: DSIG_ALGORITHMS.c14n,
      signatureAlgorithm: DSIG_ALGORITHMS.rsaSha1,
      digestAlgorithm: DSIG_ALGORITHMS.sha1,
    });
    const result = verifySmpSignature(Buffer.from(xml, "utf8"), trust);
    expect(result.canonicalizationAlgorithm).to.equal(DSIG_ALGORITHMS.c14n);
    expect(result.signatureAlgorithm).to.equal(DSIG_ALGORITHMS.rsaSha1);
  });

  it("accepts a signer whose intermediate travels in X509Data", () => {
    const xml = signed().replace(
      /(<ds:X509Certificate>[^<]+<\/ds:X509Certificate>)/,
      `$1<ds:X509Certificate>${smpIntermediate.raw.toString("base64")}</ds:X509Certificate>`,
    );
    // The extra certificate is outside SignedInfo and the signed document's digest covers it (enveloped
    // transform removes the whole Signature), so the signature still holds.
    const result = verifySmpSignature(xml, { anchors: [smpRoot], at: NOW });
    expect(result.signerCertificate.fingerprint256).to.equal(smpSigner.certificate.fingerprint256);
    expect(result.certificatePath).to.have.length(3);
  });

  it("refuses an unsigned document as missing signature", () => {
    expect(() => verifySmpSignature(unsignedMetadata(), trust))
      .to.throw(SmpMissingSignatureError)
      .with.property("code", "peppol-smp-signature-missing");
  });

  it("refuses a signer from another CA", () => {
    const ca = makeCa({ subject: { CN: "Rogue SMP CA" } });
    const leaf = makeLeaf({ subject: { CN: "SMP000001", OU: "PEPPOL TEST SMP" }, issuer: ca });
    const xml = signServiceMetadata(unsignedMetadata(), { privateKey: leaf.privateKey, certificate: leaf.cert });
    expect(() => verifySmpSignature(xml, trust)).to.throw(SmpUntrustedCertificateError);
    // ...but the same document verifies when that CA is trusted, so it is the trust that failed.
    expect(verifySmpSignature(xml, { anchors: [ca.cert], at: NOW }).signerCertificate.subject).to.include("SMP000001");
  });

  it("refuses a second ds:Signature", () => {
    const xml = signed();
    const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(xml)![0];
    const doubled = xml.replace("</SignedServiceMetadata>", `${sig}</SignedServiceMetadata>`);
    expect(() => verifySmpSignature(doubled, trust)).to.throw(SmpBadSignatureError, /exactly one ds:Signature/);
  });

  it("refuses a signed document wrapped inside a forged one (signature not on the root)", () => {
    const original = signed().replace(/^<\?xml[^>]*\?>/, "");
    const forged = unsignedMetadata().replace(
      "</SignedServiceMetadata>",
      `<ServiceMetadata><Extension>${original}</Extension></ServiceMetadata></SignedServiceMetadata>`,
    );
    expect(() => verifySmpSignature(forged, trust)).to.throw(SmpBadSignatureError, /direct child/);
  });

  it("refuses forged content beside a valid signature", () => {
    const forged = signed().replace("https://ap.example/as4", "https://evil.example/as4");
    expect(() => verifySmpSignature(forged, trust)).to.throw(SmpBadSignatureError);
  });

  it("refuses a reference to an element id instead of URI=\"\"", () => {
    const sx = new SignedXml({
      privateKey: smpSigner.privateKey,
      publicCert: smpSigner.certificate.toString(),
      signatureAlgorithm: DSIG_ALGORITHMS.rsaSha256,
      canonicalizationAlgorithm: DSIG_ALGORITHMS.excC14n,
    });
    sx.addReference({
      xpath: "/*",
      transforms: [DSIG_ALGORITHMS.enveloped, DSIG_ALGORITHMS.excC14n],
      digestAlgorithm: DSIG_ALGORITHMS.sha256,
    });
    sx.computeSignature(unsignedMetadata(), { prefix: "ds", location: { reference: "/*", action: "append" } });
    const xml = sx.getSignedXml();
    expect(xml).to.match(/URI="#/);
    expect(() => verifySmpSignature(xml, trust)).to.throw(SmpBadSignatureError, /URI=""/);
  });

  it("refuses a DOCTYPE and processing instructions before any cryptography", () => {
    const withDoctype = signed().replace("<SignedServiceMetadata", "<!DOCTYPE x [<!ENTITY a 'b'>]><SignedServiceMetadata");
    expect(() => verifySmpSignature(withDoctype, trust)).to.throw(SmpMalformedResponseError);
    const withPi = signed().replace("<ServiceMetadata>", "<ServiceMetadata><?evil x?>");
    expect(() => verifySmpSignature(withPi, trust)).to.throw(SmpMalformedResponseError);
  });

  it("refuses another root element", () => {
    expect(() => verifySmpSignature("<ServiceGroup xmlns='http://busdox.org/serviceMetadata/publishing/1.0/'/>", trust)).to.throw(
      SmpMalformedResponseError,
    );
  });

  describe("independent check with xmlsec1", function () {
    let dir: string;
    before(function () {
      if (spawnSync("xmlsec1", ["--version"]).status !== 0) this.skip();
      dir = mkdtempSync(path.join(tmpdir(), "smp-xmlsec-"));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const xmlsecVerify = (xml: string) => {
      const file = path.join(dir, "doc.xml");
      writeFileSync(file, xml);
      return spawnSync("xmlsec1", [
        "--verify",
        "--trusted-pem", path.join(CERTS, "smp/root-ca.pem"),
        "--untrusted-pem", path.join(CERTS, "smp/intermediate-ca.pem"),
        file,
      ]);
    };

    it("xmlsec1 accepts what the simulator signs (exc-c14n/rsa-sha256 and c14n/rsa-sha1)", () => {
      expect(xmlsecVerify(signed()).status, "exc-c14n").to.equal(0);
      const older = signServiceMetadata(unsignedMetadata(), smpSigner, {
        canonicalizationAlgorithm: DSIG_ALGORITHMS.c14n,
        signatureAlgorithm: DSIG_ALGORITHMS.rsaSha1,
        digestAlgorithm: DSIG_ALGORITHMS.sha1,
      });
      expect(xmlsecVerify(older).status, "c14n").to.equal(0);
    });

    it("xmlsec1 rejects the tampered copy our verifier rejects", () => {
      const forged = signed().replace("https://ap.example/as4", "https://evil.example/as4");
      expect(xmlsecVerify(forged).status).to.not.equal(0);
    });
  });
});

describe("peppol/smp-signature: distinguished names", () => {
  it("parses RFC 4514 escapes, quoted values, OIDs and multi-valued RDNs", () => {
    expect(parseDistinguishedName(String.raw`CN=Acme\, Inc.+OU=SMP,O="Quoted, Org",2.5.4.6=NO`)).to.deep.equal([
      [
        { oid: "2.5.4.3", value: "Acme, Inc." },
        { oid: "2.5.4.11", value: "SMP" },
      ],
      [{ oid: "2.5.4.10", value: "Quoted, Org" }],
      [{ oid: "2.5.4.6", value: "NO" }],
    ]);
    expect(parseDistinguishedName(String.raw`CN=Bj\C3\B8rn`)).to.deep.equal([[{ oid: "2.5.4.3", value: "Bjørn" }]]);
    expect(parseDistinguishedName("CN=x,#junk")).to.equal(undefined);
    expect(parseDistinguishedName("CN=#04024869")).to.equal(undefined);
    expect(parseDistinguishedName("XYZ=1")).to.equal(undefined);
  });

  it("compares with the certificate subject by attribute, ignoring order, case and extra spaces", () => {
    const cert = smpSigner.certificate; // C=NO, O=DPI-AP TEST SMP, OU=PEPPOL TEST SMP, CN=SMP000001
    expect(certificateSubjectEquals(cert, "CN=SMP000001,OU=PEPPOL TEST SMP,O=DPI-AP TEST SMP,C=NO")).to.equal(true);
    expect(certificateSubjectEquals(cert, "c=no; o=dpi-ap  test smp; ou=PEPPOL TEST SMP; cn=smp000001")).to.equal(true);
    expect(certificateSubjectEquals(cert, "CN=SMP000001,OU=PEPPOL TEST SMP,O=DPI-AP TEST SMP")).to.equal(false);
    expect(certificateSubjectEquals(cert, "CN=SMP000001,OU=PEPPOL TEST SMP,O=DPI-AP TEST SMP,C=NO,L=Oslo")).to.equal(false);
    expect(certificateSubjectEquals(cert, "CN=SMP000002,OU=PEPPOL TEST SMP,O=DPI-AP TEST SMP,C=NO")).to.equal(false);
    expect(certificateSubjectEquals(cert, "SMP000001")).to.equal(false);
  });

  it("reads a certificate from cert-factory with an ad-hoc subject", () => {
    const ca = loadIssued({
      certPem: readFileSync(path.join(CERTS, "smp/intermediate-ca.pem"), "utf8"),
      keyPem: readFileSync(path.join(CERTS, "smp/intermediate-ca.key.pem"), "utf8"),
    });
    const leaf = makeLeaf({ subject: { C: "NO", O: "Other, SMP AS", CN: "SMP000002" }, issuer: ca });
    expect(certificateSubjectEquals(leaf.cert, String.raw`CN=SMP000002,O=Other\, SMP AS,C=NO`)).to.equal(true);
    expect(certificateSubjectEquals(leaf.cert, "CN=SMP000002,O=Other,C=NO")).to.equal(false);
  });
});
