import { expect } from "chai";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AsicInputError, buildAsicE, buildDokumentpakke, type AsicDocument } from "../../../src/dpi/build/asic-e.js";
import { AsicMimeTypeNotAllowedError, openDokumentpakke, verifyAsicE } from "../../../src/dpi/asic-verify.js";
import { CMS_OIDS, decryptDokumentpakke, parseEnvelopedData } from "../../../src/dpi/dokumentpakke.js";
import { readZip } from "../../../src/dpi/zip.js";
import { CERTS } from "../../helpers/certs.js";
import { AVSENDER, BUSINESS_ROOT, businessSigner, CLOCK, letter, NOW, PDF, text } from "./asic-fixtures.js";

const TRUST = { anchors: [BUSINESS_ROOT], clock: CLOCK };
const enc = (s: string) => Buffer.from(s, "utf8");
const pdf = (name: string, extra: Partial<AsicDocument> = {}): AsicDocument => ({ name, mimeType: "application/pdf", bytes: PDF, ...extra });

describe("dpi/build/asic-e: buildAsicE", () => {
  it("lays out mimetype (first, stored, no extra field), manifest.xml, the documents, META-INF/signatures.xml", () => {
    const zip = buildAsicE(letter({ vedlegg: [pdf("vedlegg-1.pdf", { title: "Vedlegg" })] }));
    const archive = readZip(zip);
    expect(archive.entries.map((e) => e.name)).to.deep.equal(["mimetype", "manifest.xml", "vedtak.pdf", "vedlegg-1.pdf", "META-INF/signatures.xml"]);
    const [mimetype] = archive.entries;
    expect(mimetype!.method).to.equal("store");
    expect(mimetype!.hasLocalExtra).to.equal(false);
    expect(Buffer.from(zip).subarray(30, 69).toString("latin1")).to.equal("mimetypeapplication/vnd.etsi.asic-e+zip");
    expect(archive.comment).to.equal("mimetype=application/vnd.etsi.asic-e+zip");
    expect(archive.entries.find((e) => e.name === "META-INF/manifest.xml")).to.equal(undefined);
  });

  it("round-trips through verifyAsicE: signer, signing time, manifest and the exact bytes", () => {
    const vedlegg = [pdf("vedlegg-1.pdf", { title: "Første vedlegg" }), { name: "notat.txt", mimeType: "text/plain", bytes: enc("hei") }];
    const verified = verifyAsicE(buildAsicE(letter({ vedlegg, avsender: { orgnr: AVSENDER, avsenderidentifikator: "avd-1", fakturaReferanse: "F-1" } })), TRUST);
    expect(verified.signerOrg).to.equal(AVSENDER);
    expect(verified.signingTime.toISOString()).to.equal(NOW);
    expect(verified.signerPath.map((c) => c.subject.split("\n").pop())).to.deep.equal([
      "CN=DPI-AP TEST AVSENDER (DIGDIR)",
      "CN=DPI-AP TEST Business CA",
      "CN=DPI-AP TEST Business Root CA",
    ]);
    expect(verified.manifest.mottaker).to.deep.equal({ postkasseadresse: "0000487204" });
    expect(verified.manifest.avsender).to.deep.equal({ organisasjon: `0192:${AVSENDER}`, orgnr: AVSENDER, avsenderidentifikator: "avd-1", fakturaReferanse: "F-1" });
    expect(verified.manifest.hoveddokument).to.deep.equal({ href: "vedtak.pdf", mime: "application/pdf", tittel: { text: "Vedtak", lang: "no" } });
    expect(verified.manifest.vedlegg.map((v) => v.href)).to.deep.equal(["vedlegg-1.pdf", "notat.txt"]);
    expect(Buffer.from(verified.files.get("vedtak.pdf")!).equals(PDF)).to.equal(true);
    expect(text(verified.files.get("notat.txt"))).to.equal("hei");
  });

  it("signs UTF-8 names with spaces under percent-encoded reference URIs", () => {
    const zip = buildAsicE(letter({ hoveddokument: { ...pdf("Vedtak om støtte (2025).pdf"), title: "Vedtak" } }));
    const signatures = text(readZip(zip).entries.find((e) => e.name === "META-INF/signatures.xml")!.data);
    expect(signatures).to.contain('URI="Vedtak%20om%20st%C3%B8tte%20(2025).pdf"');
    expect(verifyAsicE(zip, TRUST).files.has("Vedtak om støtte (2025).pdf")).to.equal(true);
  });

  it("writes the signature in Digdir's shape: c14n 1.0, rsa-sha256, SHA-1 CertDigest, the chain leaf first", () => {
    const signatures = text(readZip(buildAsicE(letter())).entries.find((e) => e.name === "META-INF/signatures.xml")!.data);
    expect(signatures).to.match(/^<\?xml version="1.0" encoding="UTF-8" standalone="no"\?><XAdESSignatures xmlns="http:\/\/uri.etsi.org\/02918\/v1.2.1#"><Signature xmlns="http:\/\/www.w3.org\/2000\/09\/xmldsig#" Id="Signature"><SignedInfo><CanonicalizationMethod Algorithm="http:\/\/www.w3.org\/TR\/2001\/REC-xml-c14n-20010315"\/><SignatureMethod Algorithm="http:\/\/www.w3.org\/2001\/04\/xmldsig-more#rsa-sha256"\/><Reference Id="ID_0" URI="manifest.xml">/);
    expect(signatures).to.contain('<QualifyingProperties xmlns="http://uri.etsi.org/01903/v1.3.2#" xmlns:ns2="http://www.w3.org/2000/09/xmldsig#" Target="#Signature"><SignedProperties Id="SignedProperties">');
    expect(signatures).to.contain('<CertDigest><ns2:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>');
    const leaf = businessSigner(AVSENDER).certificate;
    expect(signatures).to.contain(`<ns2:DigestValue>${createHash("sha1").update(leaf.raw).digest("base64")}</ns2:DigestValue>`);
    expect(signatures).to.contain(`<ns2:X509SerialNumber>${BigInt(`0x${leaf.serialNumber}`).toString()}</ns2:X509SerialNumber>`);
    expect(signatures).to.contain("<ns2:X509IssuerName>CN=DPI-AP TEST Business CA, O=dpi-ap test, C=NO</ns2:X509IssuerName>");
    const certs = [...signatures.matchAll(/<X509Certificate>([^<]+)</g)].map((m) => new X509Certificate(Buffer.from(m[1]!, "base64")).subject.split("\n").pop());
    expect(certs).to.deep.equal(["CN=DPI-AP TEST AVSENDER (DIGDIR)", "CN=DPI-AP TEST Business CA", "CN=DPI-AP TEST Business Root CA"]);
    expect(signatures).to.contain('<DataObjectFormat ObjectReference="#ID_0"><MimeType>application/xml</MimeType></DataObjectFormat><DataObjectFormat ObjectReference="#ID_1"><MimeType>application/pdf</MimeType></DataObjectFormat>');
  });

  it("is deterministic for the same input and clock", () => {
    expect(Buffer.from(buildAsicE(letter())).equals(Buffer.from(buildAsicE(letter())))).to.equal(true);
  });

  it("stores documents uncompressed on request", () => {
    const entries = readZip(buildAsicE(letter({ compressDocuments: false }))).entries;
    expect(entries.find((e) => e.name === "vedtak.pdf")!.method).to.equal("store");
    expect(entries.find((e) => e.name === "manifest.xml")!.method).to.equal("deflate");
  });

  it("builds a print letter without mottaker, and carries an extension data file", () => {
    const lenke = { name: "lenke.xml", mimeType: "application/vnd.difi.dpi.lenke+xml", bytes: enc("<lenke/>") };
    const input = letter({ hoveddokument: { ...pdf("brev.pdf"), title: "Brev", data: lenke } });
    const { mottaker: _ignored, ...print } = input;
    const verified = verifyAsicE(buildAsicE(print), TRUST);
    expect(verified.manifest.mottaker).to.equal(undefined);
    expect(verified.manifest.hoveddokument.data).to.deep.equal({ href: "lenke.xml", mime: "application/vnd.difi.dpi.lenke+xml" });
    expect(text(verified.files.get("lenke.xml"))).to.equal("<lenke/>");
  });

  it("accepts 200 vedlegg", () => {
    const vedlegg = Array.from({ length: 200 }, (_, i) => pdf(`v${i}.pdf`));
    expect(verifyAsicE(buildAsicE(letter({ vedlegg })), TRUST).manifest.vedlegg).to.have.length(200);
  });

  const invalid: Array<[string, () => unknown, RegExp]> = [
    ["201 vedlegg", () => buildAsicE(letter({ vedlegg: Array.from({ length: 201 }, (_, i) => pdf(`v${i}.pdf`)) })), /201 vedlegg/],
    ["a name used twice (case-insensitively)", () => buildAsicE(letter({ vedlegg: [pdf("VEDTAK.pdf")] })), /twice/],
    ["a reserved name", () => buildAsicE(letter({ vedlegg: [{ name: "manifest.xml", mimeType: "application/xml", bytes: enc("<x/>") }] })), /reserved/],
    ["a folder", () => buildAsicE(letter({ vedlegg: [pdf("docs/a.pdf")] })), /folders/],
    ["META-INF", () => buildAsicE(letter({ vedlegg: [pdf("META-INF/x.pdf")] })), /folders/],
    ["path traversal", () => buildAsicE(letter({ vedlegg: [pdf("../a.pdf")] })), /unsafe/],
    ["an executable", () => buildAsicE(letter({ vedlegg: [{ name: "setup.exe", mimeType: "application/octet-stream", bytes: enc("MZ") }] })), /executable/],
    ["a name of 3 characters", () => buildAsicE(letter({ vedlegg: [pdf("a.p")] })), /4 to 100/],
    ["a signer whose key is not the certificate's", () => buildAsicE(letter({ signer: { ...businessSigner(AVSENDER), privateKey: businessSigner("910076787").privateKey } })), /does not belong/],
    ["a package over maxPackageSize", () => buildAsicE(letter({ maxPackageSize: 2000 })), /more than 2000/],
  ];
  for (const [what, build, message] of invalid) {
    it(`rejects ${what}`, () => {
      expect(build).to.throw(AsicInputError, message);
    });
  }

  it("rejects a MIME type DPI does not allow, and an extension type as a document", () => {
    expect(() => buildAsicE(letter({ vedlegg: [{ name: "x.svg", mimeType: "image/svg+xml", bytes: enc("<svg/>") }] }))).to.throw(AsicMimeTypeNotAllowedError);
    expect(() => buildAsicE(letter({ vedlegg: [{ name: "lenke.xml", mimeType: "application/vnd.difi.dpi.lenke+xml", bytes: enc("<x/>") }] }))).to.throw(AsicMimeTypeNotAllowedError);
  });
});

describe("dpi/build/asic-e: buildDokumentpakke", () => {
  const postbox = "984661185"; // DPI-AP TEST DIGIPOST
  const recipient = {
    privateKey: businessSigner(postbox).privateKey,
    certificate: new X509Certificate(readFileSync(join(CERTS, "business", `${postbox}.pem`))),
  };

  it("encrypts the ASiC-E to the recipient (AES-256-CBC, RSA-OAEP) and fingerprints the CMS", async () => {
    const built = await buildDokumentpakke({ ...letter(), recipientCertificate: recipient.certificate });
    expect(built.fingerprint).to.deep.equal({
      digestMethod: "http://www.w3.org/2001/04/xmlenc#sha256",
      digestValue: createHash("sha256").update(built.cms).digest("base64"),
    });
    const summary = parseEnvelopedData(built.cms);
    expect(summary.contentEncryptionAlgorithm).to.equal(CMS_OIDS.aes256Cbc);
    expect(summary.keyTransportAlgorithm).to.equal(CMS_OIDS.rsaesOaep);
    const plain = await decryptDokumentpakke(built.cms, recipient.privateKey, recipient.certificate);
    expect(Buffer.from(plain).equals(Buffer.from(built.asic))).to.equal(true);
  });

  it("is opened and verified by the postbox side (openDokumentpakke)", async () => {
    const built = await buildDokumentpakke({ ...letter(), recipientCertificate: recipient.certificate });
    const verified = await openDokumentpakke(built.cms, recipient, TRUST);
    expect(verified.signerOrg).to.equal(AVSENDER);
    expect(verified.manifest.hoveddokument.href).to.equal("vedtak.pdf");
  });
});
