import { expect } from "chai";
import { digitalLetter, printLetter } from "../../src/client/forretningsmelding.js";
import { parseForretningsmelding } from "../../src/dpi/sbd.js";

const common = {
  sender: "0192:810969342",
  receiver: "0192:984661185",
  avsender: "0192:910076787",
  avsenderidentifikator: "skatt",
  maskinportentoken: "a.b.c",
  dokumentpakkefingeravtrykk: { digestMethod: "http://www.w3.org/2001/04/xmlenc#sha256", digestValue: "ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=" },
};

describe("client/forretningsmelding", () => {
  it("writes a digital letter our own intake parses, with a databehandler as SBDH sender", () => {
    const l = digitalLetter({ ...common, postkasseadresse: "ola.nordmann#9YDT", ikkesensitivtittel: "Vedtak", spraak: "no", sikkerhetsnivaa: 4, aapningskvittering: true });
    const m = parseForretningsmelding(l.payload);
    expect(m).to.include({ type: "digital", messageId: l.messageId, conversationId: l.conversationId, avsenderidentifikator: "skatt" });
    expect(m.databehandler?.value).to.equal("0192:810969342");
    expect(m.processId).to.equal("urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0");
    expect(Date.parse(m.expectedResponseDateTime!)).to.be.greaterThan(Date.now());
  });

  it("writes a print letter our own intake parses", () => {
    const address = { navn: "Ola Nordmann", adresselinje1: "Storgata 1", postnummer: "0155", poststed: "Oslo" };
    const l = printLetter({ ...common, receiver: "0192:974761076", mottaker: address, retur: { mottaker: address, returposthaandtering: "MAKULERING_MED_MELDING" }, utskriftstype: "SORT_HVIT", posttype: "B" });
    expect(parseForretningsmelding(l.payload).type).to.equal("utskrift");
  });

  it("produces what the schema refuses when the caller gives bad values (no silent fixing)", () => {
    const l = digitalLetter({ ...common, postkasseadresse: "x", ikkesensitivtittel: "", spraak: "norsk", sikkerhetsnivaa: 4 });
    expect(() => parseForretningsmelding(l.payload)).to.throw(/sbd|spraak|ikkesensitivtittel/i);
  });
});
