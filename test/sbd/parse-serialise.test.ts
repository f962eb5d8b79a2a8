import { expect } from "chai";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fixedClock } from "../../src/clock.js";
import { SbdUnreadableError, UnknownMessageTypeError } from "../../src/sbd/errors.js";
import { parseSbd, parseSbdJson } from "../../src/sbd/parse.js";
import { jacksonPrettyJson, serialiseSbd, toSbdJson } from "../../src/sbd/serialise.js";
import { arkivmeldingJson, EFORMIDLING_VECTORS, IP_TEST_CLOCK, parsed, readVector, sbdJsonOf, thrown, vectorsPresent } from "./fixtures.js";

const EXPECTED_TYPES: Record<string, string> = {
  "arkivmelding_kvittering-altinn-zip-sbd.json": "arkivmelding_kvittering",
  "incoming-status-levert.json": "status",
  "nextmove-arkivmelding-dpf.json": "arkivmelding",
  "nextmove-arkivmelding-dpo.json": "arkivmelding",
  "nextmove-arkivmelding-dpv.json": "arkivmelding",
  "nextmove-avtalt.json": "avtalt",
  "nextmove-digital_dpv.json": "digital_dpv",
  "nextmove-dpi-digital.json": "digital",
  "nextmove-dpi-print.json": "print",
  "nextmove-einnsyn_kvittering.json": "einnsyn_kvittering",
  "nextmove-innsynskrav.json": "innsynskrav",
};

describe("sbd: parse and serialise", () => {
  describe("Digdir's SBD vectors (../shared/vectors/eformidling)", function () {
    before(function () {
      if (!vectorsPresent()) this.skip();
    });

    it("has a type for every vector file", () => {
      expect(readdirSync(path.join(EFORMIDLING_VECTORS, "sbd")).sort()).to.deep.equal(Object.keys(EXPECTED_TYPES).sort());
    });

    for (const [file, type] of Object.entries(EXPECTED_TYPES)) {
      it(`${file}: parses as ${type} and comes back as posted, apart from the IP's coercions and filled members`, () => {
        const text = readVector(`sbd/${file}`);
        const sbd = parseSbdJson(text, { clock: IP_TEST_CLOCK });
        expect(sbd.type).to.equal(type);

        const expected = JSON.parse(text);
        // What the IP does to these two on the way in: "false" is read as a Boolean, and the print
        // letter's printinstruksjoner map is always there.
        if (type === "digital") expected.digital.digitalPostInfo.aapningskvittering = false;
        if (type === "print") expected.print.printinstruksjoner = {};
        expect(toSbdJson(sbd)).to.deep.equal(expected);

        const again = parseSbdJson(serialiseSbd(sbd), { clock: IP_TEST_CLOCK });
        expect(again).to.deep.equal(sbd);
        expect(serialiseSbd(again)).to.equal(serialiseSbd(sbd));
      });
    }

    it("writes the SvarInn-converted SBD byte for byte as the IP does (wire/dpf-svarinn-converted-sbd.json)", () => {
      const text = readVector("wire/dpf-svarinn-converted-sbd.json");
      expect(serialiseSbd(parseSbdJson(text))).to.equal(text);
    });

    it("writes the Service Bus payload of the innsynskrav byte for byte (wire/dpe-servicebus-innsynskrav.json)", () => {
      const text = readVector("wire/dpe-servicebus-innsynskrav.json");
      const payload = JSON.parse(text);
      expect(jacksonPrettyJson({ sbd: toSbdJson(parseSbd(payload.sbd)), asic: payload.asic })).to.equal(text);
    });

    it("writes the header of the DPO sbd.json byte for byte; the arkivmelding's fields in Jackson's superclass-first order", () => {
      // The IP's test compares this file by meaning; its arkivmelding lists sikkerhetsnivaa first, where the
      // IP's Jackson writes BusinessMessageAsAttachment.hoveddokument before ArkivmeldingMessage's own fields.
      const text = readVector("wire/dpo-altinn-zip-sbd.json");
      const ours = serialiseSbd(parseSbdJson(text));
      const split = (s: string) => s.slice(0, s.indexOf('\n  "arkivmelding" : {'));
      expect(split(ours)).to.equal(split(text));
      expect(ours.slice(split(ours).length)).to.equal(
        '\n  "arkivmelding" : {\n    "hoveddokument" : "arkivmelding.xml",\n    "sikkerhetsnivaa" : 3\n  }\n}',
      );
      expect(toSbdJson(parseSbdJson(text))).to.deep.equal(JSON.parse(text));
    });
  });

  describe("the IP's reader", () => {
    it("puts members in Jackson's order, unknown ones last, and drops nulls", () => {
      const sbd = parsed(
        arkivmeldingJson((j) => {
          const h = j.standardBusinessDocumentHeader;
          j.standardBusinessDocumentHeader = {
            extra: { kept: true },
            businessScope: h.businessScope,
            documentIdentification: { ...h.documentIdentification, multipleType: null },
            receiver: h.receiver,
            sender: h.sender,
            headerVersion: "1.0",
          } as never;
          j.arkivmelding = { dpf: null, note: "mine", hoveddokument: "a.xml", sikkerhetsnivaa: 4 };
        }),
      );
      expect(Object.keys(sbd.header)).to.deep.equal(["headerVersion", "sender", "receiver", "documentIdentification", "businessScope", "extra"]);
      expect(Object.keys(sbd.header.documentIdentification!)).to.deep.equal([
        "standard",
        "typeVersion",
        "instanceIdentifier",
        "type",
        "creationDateAndTime",
      ]);
      expect(sbd.businessMessage).to.deep.equal({ hoveddokument: "a.xml", sikkerhetsnivaa: 4, note: "mine" });
      expect(Object.keys(sbd.businessMessage)).to.deep.equal(["hoveddokument", "sikkerhetsnivaa", "note"]);
      expect((sbd.header as Record<string, unknown>).extra).to.deep.equal({ kept: true });
    });

    it("coerces scalars as Jackson does", () => {
      const sbd = parsed(
        sbdJsonOf("digital", "urn:no:difi:digitalpost:xsd:digital::digital", "urn:no:difi:profile:digitalpost:info:ver1.0", {
          sikkerhetsnivaa: "4",
          tittel: 42,
          spraak: "NO",
          digitalPostInfo: { virkningsdato: "2019-05-12", aapningskvittering: "True" },
        }),
      );
      expect(sbd.businessMessage).to.deep.equal({
        sikkerhetsnivaa: 4,
        tittel: "42",
        spraak: "NO",
        digitalPostInfo: { virkningsdato: "2019-05-12", aapningskvittering: true },
        metadataFiler: {},
      });
    });

    it("writes date-times as Java does, keeping the offset", () => {
      const sbd = parsed(
        arkivmeldingJson((j) => {
          j.standardBusinessDocumentHeader.documentIdentification.creationDateAndTime = "2019-03-25T11:35+00:00";
          j.standardBusinessDocumentHeader.businessScope.scope[0].scopeInformation[0].expectedResponseDateTime = "2019-05-10T00:31:52.500-03:00";
        }),
      );
      expect(sbd.header.documentIdentification?.creationDateAndTime).to.equal("2019-03-25T11:35:00Z");
      expect(sbd.header.businessScope?.scope[0]?.scopeInformation?.[0]?.expectedResponseDateTime).to.equal("2019-05-10T00:31:52.5-03:00");
    });

    it("gives a date-time without offset the offset Europe/Oslo has at the time of reading (the IP's deserializer)", () => {
      const json = arkivmeldingJson((j) => {
        j.standardBusinessDocumentHeader.documentIdentification.creationDateAndTime = "2019-01-10T10:00:00";
      });
      expect(parseSbd(json, { clock: fixedClock("2019-07-01T00:00:00Z") }).header.documentIdentification?.creationDateAndTime).to.equal(
        "2019-01-10T10:00:00+02:00",
      );
      expect(parseSbd(json, { clock: fixedClock("2019-12-01T00:00:00Z") }).header.documentIdentification?.creationDateAndTime).to.equal(
        "2019-01-10T10:00:00+01:00",
      );
    });

    it("always writes sender, receiver and scope lists, and leaves out empty scopeInformation", () => {
      const sbd = parsed(
        arkivmeldingJson((j) => {
          delete j.standardBusinessDocumentHeader.sender;
          j.standardBusinessDocumentHeader.receiver = null;
          j.standardBusinessDocumentHeader.businessScope.scope[0].scopeInformation = [];
        }),
      );
      expect(sbd.header.sender).to.deep.equal([]);
      expect(sbd.header.receiver).to.deep.equal([]);
      expect(sbd.header.businessScope?.scope[0]).to.not.have.property("scopeInformation");
      expect(serialiseSbd(sbd)).to.contain('"sender" : [ ],\n    "receiver" : [ ],');
    });

    it("accepts the business message before the header, its key in any case", () => {
      const json = arkivmeldingJson();
      const reordered = { ARKIVMELDING: json.arkivmelding, standardBusinessDocumentHeader: json.standardBusinessDocumentHeader };
      const sbd = parsed(reordered);
      expect(sbd.type).to.equal("arkivmelding");
      expect(Object.keys(toSbdJson(sbd))).to.deep.equal(["standardBusinessDocumentHeader", "arkivmelding"]);
    });

    it("writes the business message under the type as the header spells it", () => {
      const sbd = parsed(arkivmeldingJson((j) => (j.standardBusinessDocumentHeader.documentIdentification.type = "Arkivmelding")));
      expect(sbd.type).to.equal("arkivmelding");
      expect(Object.keys(toSbdJson(sbd))).to.deep.equal(["standardBusinessDocumentHeader", "Arkivmelding"]);
    });

    it("keeps avtalt content as given, a __proto__ key included", () => {
      const text = JSON.stringify(
        sbdJsonOf("avtalt", "urn:no:difi:avtalt:xsd::avtalt", "urn:no:difi:profile:avtalt:avtalt:ver1.0", { identifier: "x", content: {} }),
      ).replace('"content":{}', '"content":{"b":[1,null,{"c":true}],"__proto__":{"polluted":1},"a":null}');
      const sbd = parseSbdJson(text, { clock: IP_TEST_CLOCK });
      const content = (sbd.businessMessage as { content: Record<string, unknown> }).content;
      expect(Object.keys(content)).to.deep.equal(["b", "__proto__", "a"]);
      expect(Object.getPrototypeOf(content)).to.equal(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(serialiseSbd(sbd)).to.contain('"content" : {\n      "b" : [ 1, null, {\n        "c" : true\n      } ],\n      "__proto__" : {\n        "polluted" : 1\n      },\n      "a" : null\n    }');
    });
  });

  describe("refusals", () => {
    it("refuses what is not an object", () => {
      const e = thrown(SbdUnreadableError, () => parseSbd([]));
      expect(e.code).to.equal("nextmove-sbd-unreadable");
      expect(e.detail).to.equal("expected a JSON object");
    });

    it("refuses JSON text that does not parse", () => {
      expect(thrown(SbdUnreadableError, () => parseSbdJson("{")).detail).to.match(/^JSON parse error: /);
    });

    it("refuses a missing business message", () => {
      const json = arkivmeldingJson((j) => delete j.arkivmelding);
      expect(thrown(SbdUnreadableError, () => parsed(json)).detail).to.equal("Expected to find field named arkivmelding, but found the end of the object");
    });

    it("refuses a business message under another key than the header's type", () => {
      const json = arkivmeldingJson((j) => {
        j.digital = j.arkivmelding;
        delete j.arkivmelding;
      });
      expect(thrown(SbdUnreadableError, () => parsed(json)).detail).to.equal("Expected to find field named arkivmelding, but found digital");
    });

    it("refuses a null business message", () => {
      const json = arkivmeldingJson((j) => (j.arkivmelding = null));
      expect(thrown(SbdUnreadableError, () => parsed(json)).detail).to.equal("arkivmelding: Expected token START_OBJECT, but found VALUE_NULL");
    });

    it("refuses a third top-level member", () => {
      const json = arkivmeldingJson((j) => (j.extra = {}));
      expect(thrown(SbdUnreadableError, () => parsed(json)).detail).to.equal("extra: Expected token END_OBJECT, but found FIELD_NAME");
    });

    it("refuses a header without type", () => {
      const json = arkivmeldingJson((j) => delete j.standardBusinessDocumentHeader.documentIdentification.type);
      expect(thrown(SbdUnreadableError, () => parsed(json)).detail).to.equal("standardBusinessDocumentHeader.documentIdentification.type: Missing type!");
    });

    it("refuses an unknown type with the IP's UnknownMessageTypeException text", () => {
      const json = arkivmeldingJson((j) => (j.standardBusinessDocumentHeader.documentIdentification.type = "brev"));
      const e = thrown(UnknownMessageTypeError, () => parsed(json));
      expect(e.code).to.equal("nextmove-unknown-message-type");
      expect(e.ipStatus).to.equal(400);
      expect(e.kind).to.equal("invalid");
      expect(e.detail).to.equal(
        "Unknown NextMove document type brev. Expected one of the following values: status, feil, arkivmelding, avtalt, digital, digital_dpv, print, dialogmelding, innsynskrav, publisering",
      );
    });

    it("refuses `feil`, which has no business message class", () => {
      const json = sbdJsonOf("feil", "urn:x::feil", "urn:p", {});
      expect(thrown(SbdUnreadableError, () => parsed(json)).detail).to.equal(
        "standardBusinessDocumentHeader.documentIdentification.type: Unknown BusinessMessageType = feil. Expecting one of status,arkivmelding,arkivmelding_kvittering,avtalt,digital,digital_dpv,print,dialogmelding,dialogmelding_kvittering,innsynskrav,publisering,einnsyn_kvittering",
      );
    });

    it("refuses values of the wrong JSON type, with their paths", () => {
      const json = arkivmeldingJson((j) => {
        j.standardBusinessDocumentHeader.sender = {};
        j.standardBusinessDocumentHeader.documentIdentification.creationDateAndTime = "yesterday";
      });
      const e = thrown(SbdUnreadableError, () => parsed(json));
      expect(e.violations.map((v) => v.path)).to.deep.equal([
        "standardBusinessDocumentHeader.sender",
        "standardBusinessDocumentHeader.documentIdentification.creationDateAndTime",
      ]);
      expect(e.violations[1]?.message).to.equal("expected an ISO 8601 date-time such as 2019-03-25T11:35:00+01:00");
    });

    it("refuses an enum value the IP does not know", () => {
      const json = sbdJsonOf("status", "urn:no:difi:eformidling:xsd::status", "urn:no:difi:profile:arkivmelding:response:ver1.0", { status: "DELIVERED" });
      const e = thrown(SbdUnreadableError, () => parsed(json));
      expect(e.violations).to.have.length(1);
      expect(e.violations[0]?.path).to.equal("status.status");
    });

    it("refuses sikkerhetsnivaa that is no integer", () => {
      const json = arkivmeldingJson((j) => (j.arkivmelding.sikkerhetsnivaa = "high"));
      expect(thrown(SbdUnreadableError, () => parsed(json)).violations.map((v) => v.path)).to.deep.equal(["arkivmelding.sikkerhetsnivaa"]);
    });
  });
});
