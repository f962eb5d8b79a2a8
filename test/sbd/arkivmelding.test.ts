import { expect } from "chai";
import { parseArkivmelding } from "../../src/sbd/arkivmelding.js";
import { ArkivmeldingMissingJournalpostError, ArkivmeldingMissingSaksmappeError, ArkivmeldingUnreadableError } from "../../src/sbd/errors.js";
import { readVector, thrown, vectorsPresent } from "./fixtures.js";

const NS = "http://www.arkivverket.no/standarder/noark5/arkivmelding";

/** A minimal arkivmelding; `journalpost` is the inside of its journalpost. */
function arkivmelding(journalpost: string, saksmappe = "<systemID>sak-1</systemID>", prefix = ""): string {
  const p = prefix ? `${prefix}:` : "";
  const xmlns = prefix ? `xmlns:${prefix}="${NS}"` : `xmlns="${NS}"`;
  return `<?xml version="1.0" encoding="utf-8"?>
<${p}arkivmelding ${xmlns} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <${p}mappe xsi:type="${p}saksmappe">${saksmappe.replace(/<(\/?)(\w)/g, `<$1${p}$2`)}
    <${p}basisregistrering xsi:type="${p}journalpost">${journalpost.replace(/<(\/?)(\w)/g, `<$1${p}$2`)}</${p}basisregistrering>
  </${p}mappe>
</${p}arkivmelding>`;
}

describe("sbd: parseArkivmelding", () => {
  describe("Digdir's arkivmelding vectors", function () {
    before(function () {
      if (!vectorsPresent()) this.skip();
    });

    it("arkivmelding_ok.xml: title from offentligTittel, no reference without journalpostnummer", () => {
      expect(parseArkivmelding(readVector("arkivmelding/arkivmelding_ok.xml"))).to.deep.equal({
        saksmappeSystemId: "43fbe161-7aac-4c9f-a888-d8167aab4144",
        offentligTittel: "Nye lysrør",
        tittel: "Nye lysrør",
        messageTitle: "Nye lysrør",
        title: "Nye lysrør",
        filenames: ["test.pdf"],
        documentFiles: ["test.pdf"],
      });
    });

    it("arkivmelding_error.xml (a saksmappe without tittel) reads the same, as JAXB does not validate", () => {
      const info = parseArkivmelding(readVector("arkivmelding/arkivmelding_error.xml"));
      expect([info.messageTitle, info.messageReference, info.filenames]).to.deep.equal(["Nye lysrør", undefined, ["test.pdf"]]);
    });

    it("dpf-svarinn-converted-arkivmelding.xml: <saksmappe systemID>-<journalpostnummer>, the files and the Avsender", () => {
      expect(parseArkivmelding(readVector("wire/dpf-svarinn-converted-arkivmelding.xml"))).to.deep.equal({
        saksmappeSystemId: "ac5efbd4c-413d-4e2c-bbc5-257ef4a65b23",
        journalpostnummer: "13",
        offentligTittel: "Test4 - liten fil - 22.04.16",
        tittel: "Test4 - liten fil - 22.04.16",
        messageTitle: "Test4 - liten fil - 22.04.16",
        title: "Test4 - liten fil - 22.04.16",
        messageReference: "ac5efbd4c-413d-4e2c-bbc5-257ef4a65b23-13",
        filenames: ["primary.html", "before_the_law.txt"],
        documentFiles: ["primary.html", "before_the_law.txt"],
        avsender: {
          korrespondanseparttype: "Avsender",
          korrespondansepartNavn: "Kontoret for voldsoffererstatning",
          postadresse: ["Pb 253"],
          postnummer: "9951",
          poststed: "VARDØ",
          land: "",
        },
      });
    });

    it("agrees with the title the IP gave SvarUt for the DPF send (wire/dpf-svarut-sendForsendelseMedId.xml)", () => {
      const soap = readVector("wire/dpf-svarut-sendForsendelseMedId.xml");
      const title = /<\/metadataFraAvleverendeSystem>[\s\S]*<tittel>([^<]*)<\/tittel>\s*<\/forsendelse>/.exec(soap)?.[1];
      expect(parseArkivmelding(readVector("arkivmelding/arkivmelding_ok.xml")).messageTitle).to.equal(title);
    });
  });

  it("takes offentligTittel as messageTitle and nothing else; title falls back to tittel", () => {
    const info = parseArkivmelding(arkivmelding("<tittel>Intern tittel</tittel><journalpostnummer>7</journalpostnummer>"));
    expect(info.messageTitle).to.equal(undefined);
    expect(info.title).to.equal("Intern tittel");
    expect(info.messageReference).to.equal("sak-1-7");
  });

  it("writes journalpostnummer as BigInteger does, and `null-<n>` for a saksmappe without systemID", () => {
    expect(parseArkivmelding(arkivmelding("<journalpostnummer> +0042 </journalpostnummer>")).messageReference).to.equal("sak-1-42");
    expect(parseArkivmelding(arkivmelding("<journalpostnummer>5</journalpostnummer>", "")).messageReference).to.equal("null-5");
    expect(parseArkivmelding(arkivmelding("<journalpostnummer>fem</journalpostnummer>")).messageReference).to.equal(undefined);
  });

  it("orders files by dokumentnummer for the send check, and Hoveddokument first for SvarUt", () => {
    const doc = (n: number, som: string, ...files: string[]) =>
      `<dokumentbeskrivelse><tilknyttetRegistreringSom>${som}</tilknyttetRegistreringSom><dokumentnummer>${n}</dokumentnummer>${files
        .map((f) => `<dokumentobjekt><referanseDokumentfil>${f}</referanseDokumentfil></dokumentobjekt>`)
        .join("")}</dokumentbeskrivelse>`;
    const info = parseArkivmelding(arkivmelding(doc(3, "Vedlegg", "c.pdf") + doc(2, "Hoveddokument", "b.pdf", "b2.pdf") + doc(1, "Vedlegg", "a.pdf")));
    expect(info.filenames).to.deep.equal(["a.pdf", "b.pdf", "b2.pdf", "c.pdf"]);
    expect(info.documentFiles).to.deep.equal(["b.pdf", "b2.pdf", "c.pdf", "a.pdf"]);
  });

  it("finds the Avsender, but none when a korrespondansepart has a type Noark 5 does not know", () => {
    const part = (type: string, name: string) => `<korrespondansepart><korrespondanseparttype>${type}</korrespondanseparttype><korrespondansepartNavn>${name}</korrespondansepartNavn><saksbehandler>KH</saksbehandler></korrespondansepart>`;
    expect(parseArkivmelding(arkivmelding(part("Mottaker", "M") + part("Avsender", "A"))).avsender).to.deep.equal({
      korrespondanseparttype: "Avsender",
      korrespondansepartNavn: "A",
      postadresse: [],
      saksbehandler: "KH",
    });
    expect(parseArkivmelding(arkivmelding(part("Avsender", "A") + part("avsender", "B"))).avsender).to.equal(undefined);
  });

  it("resolves xsi:type by namespace, with a prefix too", () => {
    const info = parseArkivmelding(arkivmelding("<offentligTittel>T</offentligTittel>", "<systemID>s</systemID>", "am"));
    expect(info.messageTitle).to.equal("T");
    const otherNs = arkivmelding("<offentligTittel>T</offentligTittel>").replace(`xsi:type="saksmappe"`, `xmlns:x="urn:other" xsi:type="x:saksmappe"`);
    expect(thrown(ArkivmeldingMissingSaksmappeError, () => parseArkivmelding(otherNs)).code).to.equal("arkivmelding-missing-saksmappe");
  });

  it("refuses an arkivmelding without saksmappe or without journalpost", () => {
    const e = thrown(ArkivmeldingMissingSaksmappeError, () => parseArkivmelding(arkivmelding("").replace(`xsi:type="saksmappe"`, `xsi:type="mappe"`)));
    expect([e.detail, e.ipException, e.ipStatus]).to.deep.equal([
      "Arkivmelding does not contain any instances of 'Saksmappe'",
      "no.difi.meldingsutveksling.exceptions.MissingSaksmappeException",
      400,
    ]);
    const j = thrown(ArkivmeldingMissingJournalpostError, () => parseArkivmelding(arkivmelding("").replace(`xsi:type="journalpost"`, `xsi:type="basisregistrering"`)));
    expect([j.code, j.detail]).to.deep.equal(["arkivmelding-missing-journalpost", 'No "Journalpost" found in Arkivmelding']);
  });

  it("refuses a DOCTYPE (entity expansion) and XML that is not well-formed", () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxx">]>` + arkivmelding("<offentligTittel>&x;</offentligTittel>").replace(/^<\?xml[^>]*>/, "");
    const e = thrown(ArkivmeldingUnreadableError, () => parseArkivmelding(bomb));
    expect([e.code, e.detail]).to.deep.equal(["arkivmelding-unreadable", "Unable to unmarshal arkivmelding: XML must not contain a doctype declaration"]);
    expect(thrown(ArkivmeldingUnreadableError, () => parseArkivmelding("<arkivmelding>")).detail).to.match(/^Unable to unmarshal arkivmelding: XML is not well-formed/);
  });
});
