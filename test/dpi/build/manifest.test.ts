import { expect } from "chai";
import { AsicInputError, buildManifestXml, type ManifestInput } from "../../../src/dpi/build/manifest.js";
import { parseManifest } from "../../../src/dpi/asic-verify.js";
import { readZip } from "../../../src/dpi/zip.js";
import { readVector } from "../vectors.js";
import { text } from "./asic-fixtures.js";

const DIGITAL_SAMPLE =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><manifest xmlns="http://begrep.difi.no/sdp/schema_v10">' +
  "<mottaker><person><postkasseadresse>0000487204</postkasseadresse></person></mottaker>" +
  '<avsender><organisasjon authority="iso6523-actorid-upis">0192:991825827</organisasjon></avsender>' +
  '<hoveddokument href="Test.txt" mime="text/plain"><tittel lang="no">Test.txt</tittel></hoveddokument></manifest>';

const testTxt = (postkasseadresse: string, orgnr: string): ManifestInput => ({
  mottaker: { postkasseadresse },
  avsender: { orgnr },
  hoveddokument: { href: "Test.txt", mimeType: "text/plain", title: "Test.txt", lang: "no" },
});

describe("dpi/build/manifest: buildManifestXml", () => {
  it("writes Digdir's shape exactly", () => {
    expect(text(buildManifestXml(testTxt("0000487204", "991825827")))).to.equal(DIGITAL_SAMPLE);
  });

  for (const [sample, address, orgnr] of [
    ["digital-dokumentpakke.zip", "0000487204", "991825827"],
    ["digital-pa-vegne-av-dokumentpakke.zip", "test.testesen#8HC7", "910076787"],
  ] as const) {
    it(`is byte-identical to manifest.xml in Digdir's ${sample}`, function () {
      const theirs = readZip(readVector(this, sample)).entries.find((e) => e.name === "manifest.xml")!.data;
      expect(Buffer.from(buildManifestXml(testTxt(address, orgnr))).equals(Buffer.from(theirs))).to.equal(true);
    });
  }

  it("leaves mottaker out for print and writes the optional parts in schema order", () => {
    const xml = text(
      buildManifestXml({
        avsender: { orgnr: "991825827", avsenderidentifikator: "avd-7", fakturaReferanse: "K-123" },
        hoveddokument: { href: "brev.pdf", mimeType: "application/pdf", title: "Brev", data: { href: "lenke.xml", mimeType: "application/vnd.difi.dpi.lenke+xml" } },
        vedlegg: [
          { href: "info.html", mimeType: "text/html", title: "Info", lang: "en" },
          { href: "journal.txt", mimeType: "text/plain" },
        ],
      }),
    );
    expect(xml).not.to.contain("<mottaker>");
    expect(xml).to.contain(
      '<avsender><organisasjon authority="iso6523-actorid-upis">0192:991825827</organisasjon><avsenderidentifikator>avd-7</avsenderidentifikator><fakturaReferanse>K-123</fakturaReferanse></avsender>' +
        '<hoveddokument href="brev.pdf" mime="application/pdf"><tittel lang="no">Brev</tittel><data href="lenke.xml" mime="application/vnd.difi.dpi.lenke+xml"/></hoveddokument>' +
        '<vedlegg href="info.html" mime="text/html"><tittel lang="en">Info</tittel></vedlegg><vedlegg href="journal.txt" mime="text/plain"/></manifest>',
    );
    const parsed = parseManifest(new TextEncoder().encode(xml));
    expect(parsed.mottaker).to.equal(undefined);
    expect(parsed.avsender).to.deep.equal({ organisasjon: "0192:991825827", orgnr: "991825827", avsenderidentifikator: "avd-7", fakturaReferanse: "K-123" });
    expect(parsed.vedlegg.map((v) => [v.href, v.tittel?.lang])).to.deep.equal([["info.html", "en"], ["journal.txt", undefined]]);
  });

  it("escapes markup and keeps non-ASCII text through a parse", () => {
    const title = 'Vedtak <om> "støtte" & ærlig \r\n svar';
    const href = 'Brev & "vedlegg" <1>.pdf';
    const parsed = parseManifest(
      buildManifestXml({
        mottaker: { postkasseadresse: "ola.nordmann#0ABC" },
        avsender: { orgnr: "991825827" },
        hoveddokument: { href, mimeType: "application/pdf", title },
      }),
    );
    expect(parsed.hoveddokument.href).to.equal(href);
    expect(parsed.hoveddokument.tittel?.text).to.equal(title);
  });

  const doc = { href: "brev.pdf", mimeType: "application/pdf", title: "Brev" };
  const bad: Array<[string, ManifestInput]> = [
    ["an orgnr that is not nine digits", { avsender: { orgnr: "99182582" }, hoveddokument: doc }],
    ["an href shorter than 4 characters", { avsender: { orgnr: "991825827" }, hoveddokument: { ...doc, href: "a.b" } }],
    ["an href longer than 100 characters", { avsender: { orgnr: "991825827" }, hoveddokument: { ...doc, href: `${"x".repeat(97)}.pdf` } }],
    ["an empty title", { avsender: { orgnr: "991825827" }, hoveddokument: { ...doc, title: "" } }],
    ["a title of 256 characters", { avsender: { orgnr: "991825827" }, hoveddokument: { ...doc, title: "x".repeat(256) } }],
    ["a three-letter language", { avsender: { orgnr: "991825827" }, hoveddokument: { ...doc, lang: "nob" } }],
    ["a fakturaReferanse of 41 characters", { avsender: { orgnr: "991825827", fakturaReferanse: "x".repeat(41) }, hoveddokument: doc }],
    ["an avsenderidentifikator of 101 characters", { avsender: { orgnr: "991825827", avsenderidentifikator: "x".repeat(101) }, hoveddokument: doc }],
    ["an empty postkasseadresse", { mottaker: { postkasseadresse: "" }, avsender: { orgnr: "991825827" }, hoveddokument: doc }],
    ["a control character", { avsender: { orgnr: "991825827" }, hoveddokument: { ...doc, title: "a\u0007b" } }],
    ["a lone surrogate", { avsender: { orgnr: "991825827" }, hoveddokument: { ...doc, title: "a\ud800b" } }],
    ["201 vedlegg", { avsender: { orgnr: "991825827" }, hoveddokument: doc, vedlegg: Array.from({ length: 201 }, (_, i) => ({ ...doc, href: `v${i}.pdf` })) }],
  ];
  for (const [what, input] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => buildManifestXml(input)).to.throw(AsicInputError);
    });
  }

  it("accepts the limits themselves: 200 vedlegg, 255-character title, 100-character href", () => {
    const xml = buildManifestXml({
      avsender: { orgnr: "991825827" },
      hoveddokument: { ...doc, title: "x".repeat(255), href: `${"x".repeat(96)}.pdf` },
      vedlegg: Array.from({ length: 200 }, (_, i) => ({ ...doc, href: `v${i}.pdf` })),
    });
    expect(parseManifest(xml).vedlegg).to.have.length(200);
  });
});
