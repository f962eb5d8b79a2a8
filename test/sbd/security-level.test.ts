import { expect } from "chai";
import { securityLevelOf } from "../../src/sbd/accessors.js";
import { arkivmeldingJson, parsed, sbdJsonOf } from "./fixtures.js";

// ServiceRecordProvider asks the Service Registry with the business message's sikkerhetsnivaa when the message
// is a HasSikkerhetsNivaa (ArkivmeldingMessage, DpiDigitalMessage) and the level is set.

describe("sbd: securityLevelOf (the sikkerhetsnivaa the Service Registry is asked with)", () => {
  it("an arkivmelding's sikkerhetsnivaa, also when written as text", () => {
    expect(securityLevelOf(parsed(arkivmeldingJson()))).to.equal(3);
    expect(securityLevelOf(parsed(arkivmeldingJson((j) => (j.arkivmelding.sikkerhetsnivaa = 4))))).to.equal(4);
    expect(securityLevelOf(parsed(arkivmeldingJson((j) => (j.arkivmelding.sikkerhetsnivaa = "4"))))).to.equal(4);
  });

  it("none when the arkivmelding has none", () => {
    expect(securityLevelOf(parsed(arkivmeldingJson((j) => delete j.arkivmelding.sikkerhetsnivaa)))).to.equal(undefined);
    expect(securityLevelOf(parsed(arkivmeldingJson((j) => (j.arkivmelding.sikkerhetsnivaa = null))))).to.equal(undefined);
  });

  it("a DPI digital letter's sikkerhetsnivaa", () => {
    const digital = sbdJsonOf("digital", "urn:no:difi:digitalpost:xsd:digital::digital", "urn:no:difi:profile:digitalpost:info:ver1.0", {
      sikkerhetsnivaa: 4,
      hoveddokument: "vedtak.pdf",
      tittel: "Vedtak",
      spraak: "NO",
      digitalPostInfo: { virkningsdato: "2026-12-03", aapningskvittering: false },
    });
    expect(securityLevelOf(parsed(digital))).to.equal(4);
  });

  it("none for business messages that have no sikkerhetsnivaa, even when the JSON carries one", () => {
    const avtalt = sbdJsonOf("avtalt", "urn:no:difi:avtalt:xsd::avtalt", "urn:no:difi:profile:avtalt:avtalt:ver1.0", { identifier: "a", content: {}, sikkerhetsnivaa: 4 });
    expect(securityLevelOf(parsed(avtalt))).to.equal(undefined);
    const dpv = sbdJsonOf("digital_dpv", "urn:no:difi:digitalpost:xsd:digital::digital_dpv", "urn:no:difi:profile:digitalpost:info:ver1.0", {
      tittel: "t",
      sammendrag: "s",
      innhold: "i",
      sikkerhetsnivaa: 4,
    });
    expect(securityLevelOf(parsed(dpv))).to.equal(undefined);
    const innsynskrav = sbdJsonOf("innsynskrav", "urn:no:difi:einnsyn:xsd::innsynskrav", "urn:no:difi:profile:einnsyn:innsynskrav:ver1.0", { orgnr: "910077473", epost: "a@b.no" });
    expect(securityLevelOf(parsed(innsynskrav))).to.equal(undefined);
  });
});
