import { expect } from "chai";
import { digitalLetter, printLetter } from "../../../src/dpi/build/forretningsmelding.js";
import { SbdInvalidError } from "../../../src/dpi/errors.js";
import { parseForretningsmelding } from "../../../src/dpi/sbd.js";

const common = {
  sender: "0192:810969342",
  receiver: "0192:984661185",
  avsender: "0192:910076787",
  avsenderidentifikator: "skatt",
  maskinportentoken: "a.b.c",
  dokumentpakkefingeravtrykk: { digestMethod: "http://www.w3.org/2001/04/xmlenc#sha256", digestValue: "ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=" },
};

describe("dpi/build/forretningsmelding", () => {
  it("writes a digital letter our own intake parses, with a databehandler as SBDH sender", () => {
    const createdAt = new Date("2025-06-01T10:00:00.000Z");
    const l = digitalLetter({ ...common, createdAt, postkasseadresse: "ola.nordmann#9YDT", ikkesensitivtittel: "Vedtak", spraak: "no", sikkerhetsnivaa: 4, aapningskvittering: true });
    const m = parseForretningsmelding(l.payload);
    expect(m).to.include({ type: "digital", messageId: l.messageId, conversationId: l.conversationId, avsenderidentifikator: "skatt" });
    expect(m.databehandler?.value).to.equal("0192:810969342");
    expect(m.processId).to.equal("urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0");
    // Receipts are due seven days after the letter was written, unless the caller says otherwise.
    expect(m.expectedResponseDateTime).to.equal("2025-06-08T10:00:00.000Z");
  });

  it("writes virkningstidspunkt when given, after virkningsdato and before aapningskvittering", () => {
    const l = digitalLetter({ ...common, postkasseadresse: "x", ikkesensitivtittel: "Vedtak", spraak: "NO", sikkerhetsnivaa: 3, virkningstidspunkt: "2019-05-12T00:00:00+02:00", varsler: {} });
    const body = l.payload.standardBusinessDocument["digital"] as Record<string, unknown>;
    expect(Object.keys(body)).to.deep.equal(["avsender", "mottaker", "dokumentpakkefingeravtrykk", "maskinportentoken", "sikkerhetsnivaa", "virkningstidspunkt", "aapningskvittering", "ikkesensitivtittel", "spraak", "varsler"]);
    expect(body["virkningstidspunkt"]).to.equal("2019-05-12T00:00:00+02:00");
    expect(parseForretningsmelding(l.payload).type).to.equal("digital");
  });

  it("writes a print letter our own intake parses", () => {
    const address = { navn: "Ola Nordmann", adresselinje1: "Storgata 1", postnummer: "0155", poststed: "Oslo" };
    const l = printLetter({ ...common, receiver: "0192:974761076", mottaker: address, retur: { mottaker: address, returposthaandtering: "MAKULERING_MED_MELDING" }, utskriftstype: "SORT_HVIT", posttype: "B" });
    expect(parseForretningsmelding(l.payload).type).to.equal("utskrift");
  });

  it("produces what the schema refuses when the caller gives bad values (no silent fixing)", () => {
    const l = digitalLetter({ ...common, postkasseadresse: "x", ikkesensitivtittel: "", spraak: "norsk", sikkerhetsnivaa: 4 });
    let thrown: unknown;
    try {
      parseForretningsmelding(l.payload);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(SbdInvalidError);
    const e = thrown as SbdInvalidError;
    expect({ kind: e.kind, code: e.code, violations: e.violations }).to.deep.equal({
      kind: "invalid",
      code: "sbd-invalid",
      violations: [
        { path: "$.standardBusinessDocument.digital.ikkesensitivtittel", message: "must be 1 to 255 characters" },
        { path: "$.standardBusinessDocument.digital.spraak", message: "must be exactly 2 characters" },
      ],
    });
  });
});
