import { expect } from "chai";
import { fillDefaults, type DefaultsContext } from "../../src/sbd/defaults.js";
import { MissingConversationIdScopeError, PartnerIdentifierInvalidError } from "../../src/sbd/errors.js";
import { serialiseSbd, toSbdJson } from "../../src/sbd/serialise.js";
import { arkivmeldingJson, IP_TEST_CLOCK, OWN_ORG, parsed, sbdJsonOf, thrown, uuids } from "./fixtures.js";

const U1 = "19efbd4c-413d-4e2c-bbc5-257ef4a65b38";
const U2 = "2a3c5b1e-6f0d-4e7a-9b8c-1d2e3f4a5b6c";
const U3 = "3b4d6c2f-7a1e-4f8b-8c9d-2e3f4a5b6c7d";

function ctx(over: Partial<DefaultsContext> = {}): DefaultsContext {
  return { ownOrgNumber: OWN_ORG, channel: "DPO", defaultTtlHours: 24, clock: IP_TEST_CLOCK, uuid: uuids(U1, U2, U3), ...over };
}

/** The §1.4 example as a client may post it: no sender, ids or times, an empty conversation id. */
function bare() {
  return parsed(
    arkivmeldingJson((j) => {
      const h = j.standardBusinessDocumentHeader;
      delete h.sender;
      delete h.documentIdentification.instanceIdentifier;
      delete h.documentIdentification.creationDateAndTime;
      h.businessScope.scope[0].instanceIdentifier = "";
      delete h.businessScope.scope[0].scopeInformation;
    }),
  );
}

describe("sbd: fillDefaults (OnBehalfOfNormalizer and NextMoveOutMessageFactory.setDefaults)", () => {
  it("fills sender, messageId, creation time, TTL, empty scope ids and the DPO message channel, in the IP's order and form", () => {
    const filled = fillDefaults(bare(), ctx({ dpoMessageChannel: "channel-7" }));
    expect(serialiseSbd(filled)).to.equal(`{
  "standardBusinessDocumentHeader" : {
    "headerVersion" : "1.0",
    "sender" : [ {
      "identifier" : {
        "value" : "0192:910077473",
        "authority" : "iso6523-actorid-upis"
      }
    } ],
    "receiver" : [ {
      "identifier" : {
        "value" : "0192:910075918",
        "authority" : "iso6523-actorid-upis"
      }
    } ],
    "documentIdentification" : {
      "standard" : "urn:no:difi:arkivmelding:xsd::arkivmelding",
      "typeVersion" : "2.0",
      "instanceIdentifier" : "${U1}",
      "type" : "arkivmelding",
      "creationDateAndTime" : "2019-03-25T12:38:23+01:00"
    },
    "businessScope" : {
      "scope" : [ {
        "type" : "ConversationId",
        "instanceIdentifier" : "${U2}",
        "identifier" : "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
        "scopeInformation" : [ {
          "expectedResponseDateTime" : "2019-03-26T12:38:23+01:00"
        } ]
      }, {
        "type" : "MessageChannel",
        "instanceIdentifier" : "${U3}",
        "identifier" : "channel-7"
      } ]
    }
  },
  "arkivmelding" : {
    "hoveddokument" : "arkivmelding.xml",
    "sikkerhetsnivaa" : 3
  }
}`);
  });

  it("leaves what the client gave, and does not change its input", () => {
    const given = parsed(arkivmeldingJson());
    const before = structuredClone(given);
    const filled = fillDefaults(given, ctx({ channel: "DPF", uuid: uuids() }));
    expect(filled).to.deep.equal(given);
    expect(given).to.deep.equal(before);
  });

  it("keeps an empty messageId (only a missing one is replaced; validation refuses the empty one)", () => {
    const sbd = parsed(arkivmeldingJson((j) => (j.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier = "")));
    expect(fillDefaults(sbd, ctx()).header.documentIdentification?.instanceIdentifier).to.equal("");
  });

  it("takes the channel's own TTL, and sets it on the first scopeInformation when that has none", () => {
    const sbd = parsed(
      arkivmeldingJson((j) => {
        j.standardBusinessDocumentHeader.businessScope.scope[0].scopeInformation = [{ requestingDocumentInstanceIdentifier: "req-1" }];
      }),
    );
    const filled = fillDefaults(sbd, ctx({ channel: "DPF", ttlHoursByChannel: { DPF: 48, DPO: 1 } }));
    expect(filled.header.businessScope?.scope[0]?.scopeInformation).to.deep.equal([
      { requestingDocumentInstanceIdentifier: "req-1", expectedResponseDateTime: "2019-03-27T12:38:23+01:00" },
    ]);
    const dpv = fillDefaults(parsed(arkivmeldingJson((j) => delete j.standardBusinessDocumentHeader.businessScope.scope[0].scopeInformation)), ctx({ channel: "DPV", ttlHoursByChannel: { DPF: 48 }, defaultTtlHours: 2 }));
    expect(dpv.header.businessScope?.scope[0]?.scopeInformation?.[0]?.expectedResponseDateTime).to.equal("2019-03-25T14:38:23+01:00");
  });

  it("sends for another organisation on its behalf: 0192:<own>:<other>", () => {
    const sbd = parsed(arkivmeldingJson((j) => (j.standardBusinessDocumentHeader.sender[0].identifier.value = "0192:987464291")));
    const filled = fillDefaults(sbd, ctx());
    expect(filled.header.sender).to.deep.equal([{ identifier: { value: "0192:910077473:987464291", authority: "iso6523-actorid-upis" } }]);
    const already = parsed(arkivmeldingJson((j) => (j.standardBusinessDocumentHeader.sender[0].identifier.value = "0192:910077473:987464291")));
    expect(fillDefaults(already, ctx()).header.sender).to.deep.equal(already.header.sender);
  });

  it("appends our organisation when the first sender has no value, as addSender does", () => {
    const sbd = parsed(arkivmeldingJson((j) => (j.standardBusinessDocumentHeader.sender = [{ identifier: { authority: "iso6523-actorid-upis" } }])));
    expect(fillDefaults(sbd, ctx()).header.sender).to.deep.equal([
      { identifier: { authority: "iso6523-actorid-upis" } },
      { identifier: { value: "0192:910077473", authority: "iso6523-actorid-upis" } },
    ]);
  });

  it("names the DPO channel on an existing MessageChannel scope without one, and adds none for other channels", () => {
    const sbd = parsed(arkivmeldingJson((j) => j.standardBusinessDocumentHeader.businessScope.scope.push({ type: "MessageChannel", instanceIdentifier: "mc-1", identifier: "" })));
    expect(fillDefaults(sbd, ctx({ dpoMessageChannel: "channel-7" })).header.businessScope?.scope[1]).to.deep.equal({
      type: "MessageChannel",
      instanceIdentifier: "mc-1",
      identifier: "channel-7",
    });
    expect(fillDefaults(parsed(arkivmeldingJson()), ctx({ channel: "DPV", dpoMessageChannel: "channel-7" })).header.businessScope?.scope).to.have.length(1);
  });

  it("fills a DPI print letter from the Service Registry's addresses", () => {
    const sbd = parsed(
      sbdJsonOf("print", "urn:no:difi:digitalpost:xsd:fysisk::print", "urn:no:difi:profile:digitalpost:info:ver1.0", {
        hoveddokument: "brev.pdf",
        mottaker: { navn: "Ola Nordmann", adresselinje2: "gets overwritten", land: " " },
      }, (j) => (j.standardBusinessDocumentHeader.receiver[0].identifier.value = "09118532322")),
    );
    const filled = fillDefaults(
      sbd,
      ctx({
        channel: "DPI",
        printAddresses: {
          postAddress: { name: "Register Navn", street: "Fjellveien 1;;Postboks 9;", postalCode: "3400", postalArea: "FJELLET", country: "Norge" },
          returnAddress: { name: "Digdir", street: "Postboks 1382 Vika", postalCode: "0114", postalArea: "Oslo", country: "Norge" },
        },
      }),
    );
    expect(toSbdJson(filled).print).to.deep.equal({
      hoveddokument: "brev.pdf",
      mottaker: { navn: "Ola Nordmann", adresselinje1: "Fjellveien 1", adresselinje2: "", adresselinje3: "Postboks 9", postnummer: "3400", poststed: "FJELLET", land: "Norge" },
      utskriftsfarge: "SORT_HVIT",
      posttype: "B_OEKONOMI",
      retur: {
        mottaker: { navn: "Digdir", adresselinje1: "Postboks 1382 Vika", postnummer: "0114", poststed: "Oslo", land: "Norge" },
        returhaandtering: "DIREKTE_RETUR",
      },
      printinstruksjoner: {},
    });
  });

  it("needs the receiver's addresses for a DPI print letter", () => {
    const sbd = parsed(sbdJsonOf("print", "urn:no:difi:digitalpost:xsd:fysisk::print", "urn:no:difi:profile:digitalpost:info:ver1.0", {}));
    expect(thrown(TypeError, () => fillDefaults(sbd, ctx({ channel: "DPI" }))).message).to.equal(
      "fillDefaults: a DPI print letter needs the receiver's printAddresses from the Service Registry",
    );
  });

  it("fails without a ConversationId scope with a process", () => {
    const sbd = parsed(arkivmeldingJson((j) => (j.standardBusinessDocumentHeader.businessScope.scope[0].type = "SenderRef")));
    const e = thrown(MissingConversationIdScopeError, () => fillDefaults(sbd, ctx()));
    expect([e.code, e.detail, e.ipStatus]).to.deep.equal(["nextmove-missing-conversation-scope", "SBD missing process", 500]);
  });

  it("fails on a sender it cannot send for (Iso6523.of refuses the part)", () => {
    const sbd = parsed(arkivmeldingJson((j) => (j.standardBusinessDocumentHeader.sender[0].identifier.value = "0192:12")));
    expect(thrown(PartnerIdentifierInvalidError, () => fillDefaults(sbd, ctx())).detail).to.equal("Unable to parse identifier = '0192:12'");
  });
});
