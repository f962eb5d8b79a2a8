import { expect } from "chai";
import { buildAsicE } from "../../src/dpi/build/asic-e.js";
import { createSignaturesXml } from "../../src/dpi/build/xades.js";
import { fixedClock } from "../../src/clock.js";
import {
  AsicDigestMismatchError,
  AsicManifestError,
  AsicManifestMismatchError,
  AsicMimetypeError,
  AsicMimeTypeNotAllowedError,
  AsicReferencedFileMissingError,
  AsicSignatureFormatError,
  AsicSignatureInvalidError,
  AsicSignerUntrustedError,
  AsicSigningCertificateError,
  AsicStructureError,
  AsicTooLargeError,
  AsicUnsignedFileError,
  AsicUnsupportedAlgorithmError,
  canonicalize,
  XADES_ALG,
  expectManifestParties,
  openDokumentpakke,
  parseManifest,
  verifyAsicE,
  verifyXadesSignature,
  type VerifyAsicEOptions,
} from "../../src/dpi/asic-verify.js";
import { CertificateExpiredError } from "../../src/pki/index.js";
import { readZip, writeZip, ZipLimitError } from "../../src/dpi/zip.js";
import { parseXml } from "../../src/xml/safe-parse.js";
import {
  AP_ROOT,
  AVSENDER,
  BUSINESS_ROOT,
  businessSigner,
  CLOCK,
  editSignatures,
  NOW,
  letter,
  PDF,
  repack,
  replaceEntry,
  text,
} from "./build/asic-fixtures.js";
import { readJks } from "./keys.js";
import { readVector, vectorPath } from "./vectors.js";

const TRUST: VerifyAsicEOptions = { anchors: [BUSINESS_ROOT], clock: CLOCK };
const enc = (s: string) => Buffer.from(s, "utf8");

describe("dpi/asic-verify: Digdir's sample dokumentpakker", () => {
  /** The samples' own chain (KeyInfo) as anchors, the clock at their signing time: proof our verifier reads Digdir's producer. */
  function ownTrust(container: Uint8Array): VerifyAsicEOptions {
    const archive = readZip(container);
    const files = new Map(
      archive.entries.filter((e) => e.name !== "mimetype" && !e.name.startsWith("META-INF/")).map((e) => [e.name, e.data]),
    );
    const signature = verifyXadesSignature(archive.entries.find((e) => e.name === "META-INF/signatures.xml")!.data, files);
    const root = signature.otherCertificates[signature.otherCertificates.length - 1]!;
    expect(root.subject).to.equal(root.issuer); // self-signed Buypass test root
    return { anchors: [root], clock: fixedClock(signature.signingTime) };
  }

  it("digital: verifies, signer 991825827, avsender 0192:991825827, postkasseadresse 0000487204", function () {
    const zip = readVector(this, "digital-dokumentpakke.zip");
    const verified = verifyAsicE(zip, ownTrust(zip));
    expect(verified.signerOrg).to.equal("991825827");
    expect(verified.signingTime.toISOString()).to.equal("2022-03-16T13:16:08.883Z");
    expect(verified.signerPath).to.have.length(3);
    expect(verified.manifest).to.deep.equal({
      mottaker: { postkasseadresse: "0000487204" },
      avsender: { organisasjon: "0192:991825827", orgnr: "991825827" },
      hoveddokument: { href: "Test.txt", mime: "text/plain", tittel: { text: "Test.txt", lang: "no" } },
      vedlegg: [],
    });
    expect([...verified.files.keys()]).to.deep.equal(["manifest.xml", "Test.txt"]);
    expect(text(verified.files.get("Test.txt"))).to.equal("Test");
  });

  it("på vegne av: signed by the databehandler 810969342 for avsender 910076787", function () {
    const zip = readVector(this, "digital-pa-vegne-av-dokumentpakke.zip");
    const verified = verifyAsicE(zip, ownTrust(zip));
    expect(verified.signerOrg).to.equal("810969342");
    expect(verified.manifest.avsender.orgnr).to.equal("910076787");
    expect(verified.manifest.mottaker).to.deep.equal({ postkasseadresse: "test.testesen#8HC7" });
    expectManifestParties(verified.manifest, { avsenderOrgnr: "910076787", postkasseadresse: "test.testesen#8HC7" });
  });

  it("rejects the sample today: its certificate expired in 2023", function () {
    const zip = readVector(this, "digital-dokumentpakke.zip");
    const anchors = ownTrust(zip).anchors;
    const err = catchError(() => verifyAsicE(zip, { anchors, clock: fixedClock("2025-06-01T00:00:00Z") }));
    expect(err).to.be.instanceOf(AsicSignerUntrustedError);
    expect((err as Error).cause).to.be.instanceOf(CertificateExpiredError);
  });

  it("rejects the sample against another trust anchor", function () {
    const zip = readVector(this, "digital-dokumentpakke.zip");
    expect(() => verifyAsicE(zip, { anchors: [BUSINESS_ROOT], clock: ownTrust(zip).clock })).to.throw(AsicSignerUntrustedError);
  });

  it("rejects the sample with Test.txt changed", function () {
    const zip = readVector(this, "digital-dokumentpakke.zip");
    const tampered = replaceEntry(zip, "Test.txt", () => enc("Tost"));
    expect(() => verifyAsicE(tampered, ownTrust(zip))).to.throw(AsicDigestMismatchError, /Test\.txt/);
  });

  it("opens the sample CMS with eksempel.jks (decrypt, then verify)", async function () {
    readVector(this, "digital-dokumentpakke.cms");
    const jks = readJks(vectorPath("eksempel.jks"), "changeit");
    if (!jks) this.skip();
    const cms = readVector(this, "digital-dokumentpakke.cms");
    const zip = readVector(this, "digital-dokumentpakke.zip");
    const verified = await openDokumentpakke(cms, { privateKey: jks.key, certificate: jks.cert }, ownTrust(zip));
    expect(verified.signerOrg).to.equal("991825827");
  });
});

describe("dpi/asic-verify: tampering with our own containers", () => {
  const good = buildAsicE(letter());

  it("accepts the untouched container", () => {
    const verified = verifyAsicE(good, TRUST);
    expect(verified.signerOrg).to.equal(AVSENDER);
    expect(Buffer.from(verified.files.get("vedtak.pdf")!).equals(PDF)).to.equal(true);
  });

  it("file changed → digest mismatch naming the file", () => {
    const err = catchError(() => verifyAsicE(replaceEntry(good, "vedtak.pdf", (d) => Buffer.concat([d, enc(" ")])), TRUST));
    expect(err).to.be.instanceOf(AsicDigestMismatchError);
    expect((err as AsicDigestMismatchError).uri).to.equal("vedtak.pdf");
  });

  it("file added → unsigned file", () => {
    const added = repack(good, (es) => [...es.slice(0, -1), { name: "extra.pdf", data: PDF }, es[es.length - 1]!]);
    expect(() => verifyAsicE(added, TRUST)).to.throw(AsicUnsignedFileError, /extra\.pdf/);
  });

  it("file removed → referenced file missing", () => {
    const removed = repack(good, (es) => es.filter((e) => e.name !== "vedtak.pdf"));
    expect(() => verifyAsicE(removed, TRUST)).to.throw(AsicReferencedFileMissingError);
  });

  it("manifest changed → digest mismatch on manifest.xml", () => {
    const changed = replaceEntry(good, "manifest.xml", (d) => enc(text(d).replace("0000487204", "0000487205")));
    expect(() => verifyAsicE(changed, TRUST)).to.throw(AsicDigestMismatchError, /manifest\.xml/);
  });

  it("SignatureValue changed → invalid signature", () => {
    const changed = editSignatures(good, (xml) => xml.replace(/<SignatureValue>(.)/, (_m, c: string) => `<SignatureValue>${c === "A" ? "B" : "A"}`));
    expect(() => verifyAsicE(changed, TRUST)).to.throw(AsicSignatureInvalidError);
  });

  it("a reference DigestValue changed → digest mismatch (references are checked before the signature value)", () => {
    const changed = editSignatures(good, (xml) => xml.replace(/URI="vedtak\.pdf">(.*?)<DigestValue>(.)/, (_m, a: string, c: string) => `URI="vedtak.pdf">${a}<DigestValue>${c === "A" ? "B" : "A"}`));
    expect(() => verifyAsicE(changed, TRUST)).to.throw(AsicDigestMismatchError, /vedtak\.pdf/);
  });

  it("SigningTime changed → SignedProperties digest mismatch", () => {
    const changed = editSignatures(good, (xml) => xml.replace("<SigningTime>2025-06-01T10:00:00.000Z", "<SigningTime>2025-06-01T10:00:01.000Z"));
    expect(() => verifyAsicE(changed, TRUST)).to.throw(AsicDigestMismatchError, /#SignedProperties/);
  });

  it("a second element with the SignedProperties Id → refused (no ID wrapping)", () => {
    const changed = editSignatures(good, (xml) => xml.replace("</Object>", '</Object><Object Id="SignedProperties"/>'));
    expect(() => verifyAsicE(changed, TRUST)).to.throw(AsicSignatureFormatError, /only it/);
  });

  it("another certificate swapped into KeyInfo → signing certificate mismatch", () => {
    const other = businessSigner("910076787").certificate.raw.toString("base64");
    const changed = editSignatures(good, (xml) => xml.replace(/<X509Certificate>[^<]+/, `<X509Certificate>${other}`));
    expect(() => verifyAsicE(changed, TRUST)).to.throw(AsicSigningCertificateError);
  });

  it("re-signed by another organisation claiming the avsender's certificate → signing certificate mismatch", () => {
    const archive = readZip(good);
    const files = archive.entries.filter((e) => !e.name.startsWith("META-INF/") && e.name !== "mimetype");
    const impostor = businessSigner("910076787");
    const sig = text(createSignaturesXml(files.map((f) => ({ name: f.name, mimeType: "application/pdf", bytes: f.data })), impostor, new Date(NOW)));
    const leaf = businessSigner(AVSENDER).certificate.raw.toString("base64");
    const forged = replaceEntry(good, "META-INF/signatures.xml", () => enc(sig.replace(/<X509Certificate>[^<]+/, `<X509Certificate>${leaf}`)));
    expect(() => verifyAsicE(forged, TRUST)).to.throw(AsicSigningCertificateError);
  });

  it("mimetype not first → mimetype error", () => {
    const swapped = repack(good, (es) => [es[1]!, es[0]!, ...es.slice(2)]);
    expect(() => verifyAsicE(swapped, TRUST)).to.throw(AsicMimetypeError, /first entry/);
  });

  it("mimetype compressed → mimetype error", () => {
    const deflated = repack(good, (es) => es.map((e) => (e.name === "mimetype" ? { ...e, method: "deflate" as const } : e)));
    expect(() => verifyAsicE(deflated, TRUST)).to.throw(AsicMimetypeError, /compressed/);
  });

  it("mimetype with other content → mimetype error", () => {
    const wrong = replaceEntry(good, "mimetype", () => enc("application/vnd.etsi.asic-s+zip"));
    expect(() => verifyAsicE(wrong, TRUST)).to.throw(AsicMimetypeError);
  });

  it("mimetype missing → mimetype error", () => {
    expect(() => verifyAsicE(repack(good, (es) => es.slice(1)), TRUST)).to.throw(AsicMimetypeError);
  });

  it("an extra file in META-INF → structure error; Digdir's ODF manifest there is tolerated", () => {
    const extra = repack(good, (es) => [...es, { name: "META-INF/signatures2.xml", data: enc("<x/>") }]);
    expect(() => verifyAsicE(extra, TRUST)).to.throw(AsicStructureError, /signatures2/);
    const odf = repack(good, (es) => [...es, { name: "META-INF/manifest.xml", data: enc("<odf/>") }]);
    expect(verifyAsicE(odf, TRUST).files.has("META-INF/manifest.xml")).to.equal(false);
  });

  it("signatures.xml missing → structure error", () => {
    const none = repack(good, (es) => es.filter((e) => e.name !== "META-INF/signatures.xml"));
    expect(() => verifyAsicE(none, TRUST)).to.throw(AsicStructureError, /signatures\.xml/);
  });

  it("signatures.xml with a DOCTYPE → malformed signature", () => {
    const doctype = editSignatures(good, (xml) => xml.replace("<XAdESSignatures", '<!DOCTYPE x [<!ENTITY e "e">]><XAdESSignatures'));
    expect(() => verifyAsicE(doctype, TRUST)).to.throw(AsicSignatureFormatError);
  });

  it("signer not under the given anchors → untrusted", () => {
    expect(() => verifyAsicE(good, { anchors: [AP_ROOT], clock: CLOCK })).to.throw(AsicSignerUntrustedError);
  });

  it("checked after the certificate expired → untrusted", () => {
    expect(() => verifyAsicE(good, { anchors: [BUSINESS_ROOT], clock: fixedClock("2046-01-01T00:00:00Z") })).to.throw(AsicSignerUntrustedError);
  });

  it("too many entries → zip limit, before any signature work", () => {
    const many = repack(good, (es) => [...es, ...Array.from({ length: 300 }, (_, i) => ({ name: `f${i}.txt`, data: enc("x") }))]);
    expect(() => verifyAsicE(many, TRUST)).to.throw(ZipLimitError);
  });

  it("larger than maxPackageSize → too large", () => {
    expect(() => verifyAsicE(good, { ...TRUST, maxPackageSize: 1000 })).to.throw(AsicTooLargeError);
  });
});

describe("dpi/asic-verify: manifest against files (validly signed)", () => {
  const signer = businessSigner(AVSENDER);

  /** A correctly signed container with exactly these files (no checks by our builder). */
  function signedContainer(manifest: string, files: Array<{ name: string; bytes: Uint8Array }>): Uint8Array {
    const all = [{ name: "manifest.xml", bytes: enc(manifest) }, ...files];
    const sig = createSignaturesXml(all.map((f) => ({ ...f, mimeType: "application/octet-stream" })), signer, new Date("2025-06-01T10:00:00Z"));
    return writeZip([
      { name: "mimetype", data: enc("application/vnd.etsi.asic-e+zip"), method: "store" },
      ...all.map((f) => ({ name: f.name, data: f.bytes })),
      { name: "META-INF/signatures.xml", data: sig },
    ]);
  }

  const manifest = (docs: string) =>
    `<manifest xmlns="http://begrep.difi.no/sdp/schema_v10"><avsender><organisasjon>0192:${AVSENDER}</organisasjon></avsender>${docs}</manifest>`;

  it("accepts a print manifest (no mottaker, authority defaulted) naming every file", () => {
    const zip = signedContainer(manifest('<hoveddokument href="brev.pdf" mime="application/pdf"/>'), [{ name: "brev.pdf", bytes: PDF }]);
    const verified = verifyAsicE(zip, TRUST);
    expect(verified.manifest.mottaker).to.equal(undefined);
    expectManifestParties(verified.manifest, { avsenderOrgnr: AVSENDER, postkasseadresse: null });
  });

  it("the manifest names a file the container lacks", () => {
    const zip = signedContainer(manifest('<hoveddokument href="brev.pdf" mime="application/pdf"/><vedlegg href="mangler.pdf" mime="application/pdf"/>'), [
      { name: "brev.pdf", bytes: PDF },
    ]);
    expect(() => verifyAsicE(zip, TRUST)).to.throw(AsicManifestMismatchError, /mangler\.pdf/);
  });

  it("a signed file the manifest does not describe", () => {
    const zip = signedContainer(manifest('<hoveddokument href="brev.pdf" mime="application/pdf"/>'), [
      { name: "brev.pdf", bytes: PDF },
      { name: "skjult.pdf", bytes: PDF },
    ]);
    expect(() => verifyAsicE(zip, TRUST)).to.throw(AsicManifestMismatchError, /skjult\.pdf/);
  });

  it("a document type DPI does not allow", () => {
    const zip = signedContainer(manifest('<hoveddokument href="prog.bin" mime="application/x-msdownload"/>'), [{ name: "prog.bin", bytes: PDF }]);
    expect(() => verifyAsicE(zip, TRUST)).to.throw(AsicMimeTypeNotAllowedError);
  });

  it("an extension type is allowed only as a document's data", () => {
    const lenke = '<hoveddokument href="brev.pdf" mime="application/pdf"><data href="lenke.xml" mime="application/vnd.difi.dpi.lenke+xml"/></hoveddokument>';
    const ok = signedContainer(manifest(lenke), [{ name: "brev.pdf", bytes: PDF }, { name: "lenke.xml", bytes: enc("<lenke/>") }]);
    expect(verifyAsicE(ok, TRUST).manifest.hoveddokument.data).to.deep.equal({ href: "lenke.xml", mime: "application/vnd.difi.dpi.lenke+xml" });
    const asDocument = signedContainer(manifest('<hoveddokument href="lenke.xml" mime="application/vnd.difi.dpi.lenke+xml"/>'), [
      { name: "lenke.xml", bytes: enc("<lenke/>") },
    ]);
    expect(() => verifyAsicE(asDocument, TRUST)).to.throw(AsicMimeTypeNotAllowedError);
  });

  it("more than 200 vedlegg", () => {
    const files = Array.from({ length: 201 }, (_, i) => ({ name: `v${i}.pdf`, bytes: PDF }));
    const docs = '<hoveddokument href="brev.pdf" mime="application/pdf"/>' + files.map((f) => `<vedlegg href="${f.name}" mime="application/pdf"/>`).join("");
    const zip = signedContainer(manifest(docs), [{ name: "brev.pdf", bytes: PDF }, ...files]);
    expect(() => verifyAsicE(zip, TRUST)).to.throw(AsicManifestError, /201 vedlegg/);
  });
});

describe("dpi/asic-verify: canonicalize", () => {
  const doc = () =>
    parseXml(enc('<r xmlns="urn:r" xmlns:p="urn:p"><p:a x="1"><b xmlns="">t</b></p:a></r>'));

  it("renders the namespaces in scope on the apex; 1.0 and 1.1 agree without xml:* attributes", () => {
    const a = doc().getElementsByTagNameNS("urn:p", "a")[0]!;
    const expected = '<p:a xmlns="urn:r" xmlns:p="urn:p" x="1"><b xmlns="">t</b></p:a>';
    expect(canonicalize(a, XADES_ALG.c14n10)).to.equal(expected);
    expect(canonicalize(a, XADES_ALG.c14n11)).to.equal(expected);
  });

  it("refuses exclusive c14n and ancestors carrying xml:* attributes", () => {
    const a = doc().getElementsByTagNameNS("urn:p", "a")[0]!;
    expect(() => canonicalize(a, "http://www.w3.org/2001/10/xml-exc-c14n#")).to.throw(AsicUnsupportedAlgorithmError);
    const withLang = parseXml(enc('<r xml:lang="no"><a/></r>')).getElementsByTagName("a")[0]!;
    expect(() => canonicalize(withLang, XADES_ALG.c14n10)).to.throw(AsicUnsupportedAlgorithmError, /xml:lang/);
  });

  it("a signature whose SignedInfo claims exclusive c14n is refused", () => {
    const zip = editSignatures(buildAsicE(letter()), (x) =>
      x.replace('<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>', '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'),
    );
    expect(() => verifyAsicE(zip, TRUST)).to.throw(AsicUnsupportedAlgorithmError);
  });
});

describe("dpi/asic-verify: parseManifest and expectManifestParties", () => {
  const ns = 'xmlns="http://begrep.difi.no/sdp/schema_v10"';
  const avsender = "<avsender><organisasjon>0192:991825827</organisasjon></avsender>";
  const hoved = '<hoveddokument href="brev.pdf" mime="application/pdf"/>';

  it("reads a pretty-printed manifest with all optional parts", () => {
    const m = parseManifest(
      enc(`<?xml version="1.0"?>
<manifest ${ns}>
  <mottaker><person><personidentifikator>01010112345</personidentifikator><postkasseadresse>ola.nordmann#0ABC</postkasseadresse></person></mottaker>
  <avsender><organisasjon authority="iso6523-actorid-upis">0192:991825827</organisasjon><avsenderidentifikator>A</avsenderidentifikator><fakturaReferanse>ABC</fakturaReferanse></avsender>
  <hoveddokument href="brev.pdf" mime="application/pdf"><tittel lang="en">Letter &amp; more</tittel></hoveddokument>
  <vedlegg href="info.html" mime="text/html"/>
  <lenke><url>https://example.org</url></lenke>
</manifest>`),
    );
    expect(m.mottaker).to.deep.equal({ postkasseadresse: "ola.nordmann#0ABC", personidentifikator: "01010112345" });
    expect(m.avsender).to.deep.equal({ organisasjon: "0192:991825827", orgnr: "991825827", avsenderidentifikator: "A", fakturaReferanse: "ABC" });
    expect(m.hoveddokument.tittel).to.deep.equal({ text: "Letter & more", lang: "en" });
    expect(m.vedlegg.map((v) => v.href)).to.deep.equal(["info.html"]);
  });

  const bad: Array<[string, string, RegExp]> = [
    ["another namespace", `<manifest xmlns="urn:x">${avsender}${hoved}</manifest>`, /root/],
    ["no avsender", `<manifest ${ns}>${hoved}</manifest>`, /avsender/],
    ["elements out of order", `<manifest ${ns}>${hoved}${avsender}</manifest>`, /avsender/],
    ["two hoveddokument", `<manifest ${ns}>${avsender}${hoved}${hoved}</manifest>`, /hoveddokument/],
    ["an unknown element", `<manifest ${ns}>${avsender}${hoved}<x/></manifest>`, /unexpected/],
    ["text between elements", `<manifest ${ns}>${avsender}hei${hoved}</manifest>`, /text/],
    ["a wrong authority", `<manifest ${ns}><avsender><organisasjon authority="x">0192:991825827</organisasjon></avsender>${hoved}</manifest>`, /authority/],
    ["a malformed organisasjon", `<manifest ${ns}><avsender><organisasjon>991825827</organisasjon></avsender>${hoved}</manifest>`, /ISO 6523/],
    ["a short href", `<manifest ${ns}>${avsender}<hoveddokument href="a" mime="text/plain"/></manifest>`, /href/],
    ["a three-letter lang", `<manifest ${ns}>${avsender}<hoveddokument href="brev.pdf" mime="application/pdf"><tittel lang="nob">x</tittel></hoveddokument></manifest>`, /lang/],
    ["a long fakturaReferanse", `<manifest ${ns}><avsender><organisasjon>0192:991825827</organisasjon><fakturaReferanse>${"x".repeat(41)}</fakturaReferanse></avsender>${hoved}</manifest>`, /fakturaReferanse/],
    ["a DOCTYPE", `<!DOCTYPE manifest><manifest ${ns}>${avsender}${hoved}</manifest>`, /doctype/i],
  ];
  for (const [what, xml, message] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => parseManifest(enc(xml))).to.throw(AsicManifestError, message);
    });
  }

  it("expectManifestParties compares avsender and postkasseadresse", () => {
    const m = parseManifest(enc(`<manifest ${ns}><mottaker><person><postkasseadresse>p#1</postkasseadresse></person></mottaker>${avsender}${hoved}</manifest>`));
    expect(() => expectManifestParties(m, { avsenderOrgnr: "991825827", postkasseadresse: "p#1" })).not.to.throw();
    expect(() => expectManifestParties(m, { avsenderOrgnr: "910076787" })).to.throw(AsicManifestMismatchError, /avsender/);
    expect(() => expectManifestParties(m, { postkasseadresse: "p#2" })).to.throw(AsicManifestMismatchError, /postkasseadresse/);
    expect(() => expectManifestParties(m, { postkasseadresse: null })).to.throw(AsicManifestMismatchError);
  });
});

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}
