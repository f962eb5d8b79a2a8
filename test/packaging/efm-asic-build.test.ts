import { expect } from "chai";
import { createHash } from "node:crypto";
import { readZip } from "../../src/dpi/zip.js";
import { buildEformidlingAsic, buildEfmManifestXml, verifyDetachedCades } from "../../src/packaging/index.js";
import { ARKIVMELDING, CLOCK, dpoInput, entry, entryNames, expectCode, SENDER, SIGNATURE_ID, TEST_TXT, vector } from "./fixtures.js";

/**
 * The ASiC-E as the integrasjonspunkt writes it (AsicHandlerImpl → efm-common CreateAsice → commons-asic's CAdES
 * writer), checked entry by entry and against Digdir's own bytes where the vectors have them.
 */

const SIGNATURE_FILE = `META-INF/signature-${SIGNATURE_ID}.p7s`;
const b64sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("base64");

describe("packaging: buildEformidlingAsic", () => {
  const zip = buildEformidlingAsic(dpoInput());

  it("writes mimetype, manifest.xml, the documents, ASiCManifest, the signature and the OpenDocument manifest, in that order", () => {
    expect(entryNames(zip)).to.deep.equal([
      "mimetype",
      "manifest.xml",
      "arkivmelding.xml",
      "test.txt",
      "META-INF/ASiCManifest.xml",
      SIGNATURE_FILE,
      "META-INF/manifest.xml",
    ]);
  });

  it("stores mimetype uncompressed at offset 0, with the ASiC-E media type, and says so in the zip comment", () => {
    const archive = readZip(zip);
    const first = archive.entries[0]!;
    expect(first).to.include({ name: "mimetype", method: "store", localHeaderOffset: 0, hasLocalExtra: false });
    expect(Buffer.from(first.data).toString("ascii")).to.equal("application/vnd.etsi.asic-e+zip");
    expect(archive.comment).to.equal("mimetype=application/vnd.etsi.asic-e+zip");
    expect(archive.entries.slice(1).map((e) => e.method)).to.deep.equal(Array(6).fill("deflate"));
  });

  it("keeps the documents' bytes", () => {
    expect(entry(zip, "arkivmelding.xml").equals(ARKIVMELDING)).to.equal(true);
    expect(entry(zip, "test.txt").equals(TEST_TXT)).to.equal(true);
  });

  it("writes manifest.xml as the integrasjonspunkt does for the DPO cucumber message (vector + MOXy's closing line end)", function () {
    const expected = vector("eformidling/wire/dpo-asic-manifest.xml");
    if (!expected) this.skip();
    // The vector is a Gherkin DocString, which drops the final newline MOXy's FormattedOutputStreamRecord writes.
    expect(entry(zip, "manifest.xml").toString("utf8")).to.equal(`${expected.toString("utf8")}\n`);
  });

  it("names only the main document in manifest.xml, and none when there are no documents", () => {
    const empty = buildEformidlingAsic(dpoInput({ documents: [] }));
    expect(entry(empty, "manifest.xml").toString("utf8")).to.equal(
      [
        `<?xml version="1.0" encoding="UTF-8"?>`,
        `<manifest>`,
        `   <mottaker>`,
        `      <organisasjon authority="iso6523-actorid-upis">0192:910075918</organisasjon>`,
        `   </mottaker>`,
        `   <avsender>`,
        `      <organisasjon authority="iso6523-actorid-upis">0192:910077473</organisasjon>`,
        `   </avsender>`,
        `</manifest>`,
        ``,
      ].join("\n"),
    );
    expect(entryNames(empty)).to.deep.equal(["mimetype", "manifest.xml", "META-INF/ASiCManifest.xml", SIGNATURE_FILE, "META-INF/manifest.xml"]);
  });

  it("escapes what XML needs escaped in manifest.xml", () => {
    const xml = buildEfmManifestXml({
      receiver: "0192:910075918",
      sender: "0192:910077473",
      mainDocument: { href: `a&b "c" <d>.pdf`, mimeType: "application/pdf", title: "Hoveddokument", lang: "no" },
    });
    expect(Buffer.from(xml).toString("utf8")).to.contain(`<hoveddokument href="a&amp;b &quot;c&quot; &lt;d&gt;.pdf" mime="application/pdf">`);
  });

  it("writes the ASiCManifest as commons-asic does: SHA-256 of every file before it, the signature it is signed in", () => {
    const manifestXml = entry(zip, "manifest.xml");
    expect(entry(zip, "META-INF/ASiCManifest.xml").toString("utf8")).to.equal(
      [
        `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`,
        `<ASiCManifest xmlns="http://uri.etsi.org/02918/v1.2.1#" xmlns:ns2="http://www.w3.org/2000/09/xmldsig#">`,
        `    <SigReference URI="${SIGNATURE_FILE}" MimeType="application/x-pkcs7-signature"/>`,
        ...[
          ["manifest.xml", "application/xml", manifestXml],
          ["arkivmelding.xml", "application/xml", ARKIVMELDING],
          ["test.txt", "text/plain", TEST_TXT],
        ].flatMap(([name, type, bytes]) => [
          `    <DataObjectReference URI="${name as string}" MimeType="${type as string}">`,
          `        <ns2:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>`,
          `        <ns2:DigestValue>${b64sha256(bytes as Buffer)}</ns2:DigestValue>`,
          `    </DataObjectReference>`,
        ]),
        `</ASiCManifest>`,
        ``,
      ].join("\n"),
    );
  });

  it("signs the ASiCManifest's bytes with the sender's certificate at the clock's time", () => {
    const v = verifyDetachedCades(entry(zip, SIGNATURE_FILE), entry(zip, "META-INF/ASiCManifest.xml"));
    expect(v.signerCertificate.fingerprint256).to.equal(SENDER.certificate.fingerprint256);
    expect(v.signingTime?.toISOString()).to.equal(CLOCK().toISOString());
  });

  it("writes the OpenDocument manifest: the container type, then every signed file", () => {
    expect(entry(zip, "META-INF/manifest.xml").toString("utf8")).to.equal(
      [
        `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`,
        `<ns1:manifest xmlns:ns1="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">`,
        `    <ns1:file-entry ns1:full-path="/" ns1:media-type="application/vnd.etsi.asic-e+zip"/>`,
        `    <ns1:file-entry ns1:full-path="manifest.xml" ns1:media-type="application/xml"/>`,
        `    <ns1:file-entry ns1:full-path="arkivmelding.xml" ns1:media-type="application/xml"/>`,
        `    <ns1:file-entry ns1:full-path="test.txt" ns1:media-type="text/plain"/>`,
        `</ns1:manifest>`,
        ``,
      ].join("\n"),
    );
  });

  it("writes the OpenDocument manifest byte for byte as commons-asic did in Digdir's DPI sample package", function () {
    const sample = vector("dpi/digital-dokumentpakke.zip");
    if (!sample) this.skip();
    // Same OasisManifest class; that package holds manifest.xml and Test.txt.
    const theirs = entry(sample, "META-INF/manifest.xml");
    const ours = buildEformidlingAsic(
      dpoInput({ documents: [{ name: "Test.txt", mimeType: "text/plain", bytes: entry(sample, "Test.txt") }] }),
    );
    expect(entry(ours, "META-INF/manifest.xml").toString("utf8")).to.equal(theirs.toString("utf8"));
  });

  it("stores the documents uncompressed when asked", () => {
    const stored = buildEformidlingAsic(dpoInput({ compressDocuments: false }));
    expect(readZip(stored).entries.map((e) => [e.name, e.method])).to.deep.include.members([
      ["arkivmelding.xml", "store"],
      ["test.txt", "store"],
      ["manifest.xml", "deflate"],
    ]);
  });

  describe("refuses what cannot be packed: efm-asic-input-invalid", () => {
    const doc = (name: string, mimeType = "text/plain") => ({ name, mimeType, bytes: TEST_TXT });
    const cases: Array<[string, Parameters<typeof dpoInput>[0]]> = [
      ["a name leaving the container", { documents: [doc("../evil.txt")] }],
      ["an absolute name", { documents: [doc("/etc/passwd")] }],
      ["a file in META-INF", { documents: [doc("META-INF/signatures.xml")] }],
      ["a file in meta-inf in other case", { documents: [doc("meta-inf/x.txt")] }],
      ["the name manifest.xml", { documents: [doc("manifest.xml", "application/xml")] }],
      ["the name mimetype", { documents: [doc("mimetype")] }],
      ["the same name twice", { documents: [doc("a.txt"), doc("a.txt")] }],
      ["names differing only in case", { documents: [doc("Brev.pdf", "application/pdf"), doc("brev.PDF", "application/pdf")] }],
      ["a folder", { documents: [doc("vedlegg/")] }],
      ["a MIME type that is not one", { documents: [doc("a.txt", "text")] }],
      ["a sender that is not ISO 6523", { sender: "910077473" }],
      ["a receiver with a space", { receiver: "0192: 910075918" }],
      ["a name XML cannot carry", { documents: [doc("a\u0001b.txt")] }],
      ["a signature id that is not a file name", { newId: () => "../x" }],
    ];
    for (const [what, overrides] of cases) {
      it(what, () => {
        expectCode(() => buildEformidlingAsic(dpoInput(overrides)), "efm-asic-input-invalid");
      });
    }
  });
});
