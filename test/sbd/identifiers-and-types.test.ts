import { expect } from "chai";
import { formatOffsetDateTime, isAfter, offsetDateTimeAt, parseOffsetDateTime, plusHours } from "../../src/sbd/date-time.js";
import { PartnerIdentifierInvalidError } from "../../src/sbd/errors.js";
import { fitsStandard, MESSAGE_TYPES, messageTypeOf, messageTypes, nonReceiptTypes } from "../../src/sbd/message-types.js";
import {
  canonicalJavaUuid,
  formatPartnerIdentifier,
  isPersonNumber,
  isValidPartnerIdentifier,
  onBehalfOf,
  parsePartnerIdentifier,
  participantOf,
  partOrPrimaryIdentifier,
  primaryIdentifier,
  sameNorwegianOrganisation,
} from "../../src/sbd/partner-identifier.js";
import { thrown } from "./fixtures.js";

describe("sbd: message types", () => {
  it("has one row per MessageType, in the IP's order", () => {
    expect(Object.keys(messageTypes)).to.deep.equal([...MESSAGE_TYPES]);
  });

  it("says which are receipts and which need files (SBDUtil.isFileRequired)", () => {
    expect(MESSAGE_TYPES.filter((t) => messageTypes[t].isReceipt)).to.deep.equal(["arkivmelding_kvittering", "dialogmelding_kvittering", "einnsyn_kvittering"]);
    expect(MESSAGE_TYPES.filter((t) => !messageTypes[t].requiresFiles)).to.deep.equal([
      "status",
      "arkivmelding_kvittering",
      "avtalt",
      "dialogmelding_kvittering",
      "einnsyn_kvittering",
    ]);
  });

  it("gives every standard the type's suffix, and feil no business message key", () => {
    for (const t of MESSAGE_TYPES) {
      const row = messageTypes[t];
      expect(row.standardSuffix).to.equal(`::${t}`);
      if (row.standard !== undefined) expect(fitsStandard(t, row.standard), t).to.equal(true);
      expect(row.businessMessageKey).to.equal(t === "feil" ? undefined : t);
    }
  });

  it("lists the processes and channels of spec §1.5", () => {
    expect(messageTypes.arkivmelding.processes).to.have.length(11);
    expect(messageTypes.arkivmelding.processes).to.include("urn:no:difi:profile:arkivmelding:taushetsbelagt:ver1.0");
    expect(messageTypes.arkivmelding.channels).to.deep.equal(["DPO", "DPF", "DPV"]);
    expect(messageTypes.innsynskrav).to.include({ standard: "urn:no:difi:einnsyn:xsd::innsynskrav" });
    expect(messageTypes.innsynskrav.processes).to.deep.equal(["urn:no:difi:profile:einnsyn:innsynskrav:ver1.0"]);
    expect(messageTypes.publisering.processes).to.deep.equal([
      "urn:no:difi:profile:einnsyn:journalpost:ver1.0",
      "urn:no:difi:profile:einnsyn:meeting:ver1.0",
    ]);
    expect(messageTypes.digital_dpv.channels).to.deep.equal(["DPV"]);
    expect(messageTypes.print.channels).to.deep.equal(["DPI"]);
  });

  it("reads a type ignoring case; the standard must end with ::<type> exactly", () => {
    expect(messageTypeOf("ArkivMelding")).to.equal("arkivmelding");
    expect(messageTypeOf("brev")).to.equal(undefined);
    expect(messageTypeOf(undefined)).to.equal(undefined);
    expect(fitsStandard("innsynskrav", "urn:no:difi:einnsyn:xsd:innsyn::innsynskrav")).to.equal(true);
    expect(fitsStandard("arkivmelding", "urn:no:difi:arkivmelding:xsd::Arkivmelding")).to.equal(false);
    expect(fitsStandard("arkivmelding", "urn:no:difi:arkivmelding:xsd:arkivmelding")).to.equal(false);
  });

  it("offers the non-receipt types in UnknownMessageTypeException's order", () => {
    expect(nonReceiptTypes().join(", ")).to.equal("status, feil, arkivmelding, avtalt, digital, digital_dpv, print, dialogmelding, innsynskrav, publisering");
  });
});

describe("sbd: partner identifiers (efm-common PartnerIdentifier)", () => {
  it("reads 0192:<orgnr>, the on-behalf-of form and a bare organisation number", () => {
    const plain = parsePartnerIdentifier("0192:910077473");
    expect(plain).to.deep.equal({ kind: "iso6523", icd: "0192", organizationIdentifier: "910077473" });
    const onBehalf = parsePartnerIdentifier("0192:910077473:987464291");
    expect(primaryIdentifier(onBehalf)).to.equal("910077473");
    expect(onBehalfOf(onBehalf)).to.equal("987464291");
    expect(partOrPrimaryIdentifier(onBehalf)).to.equal("987464291");
    expect(partOrPrimaryIdentifier(plain)).to.equal("910077473");
    expect(formatPartnerIdentifier(parsePartnerIdentifier("910077473"))).to.equal("0192:910077473");
  });

  it("reads an eleven-digit identity number with valid check digits as a person", () => {
    expect(parsePartnerIdentifier("09118532322")).to.deep.equal({ kind: "person", identifier: "09118532322" });
    expect(isPersonNumber("17912099997")).to.equal(true);
    expect(isPersonNumber("09118532323")).to.equal(false);
    // Under 0192 an eleven-digit number is an ISO 6523 organisation identifier, as the IP reads it.
    expect(parsePartnerIdentifier("0192:17912099997")).to.deep.equal({ kind: "iso6523", icd: "0192", organizationIdentifier: "17912099997" });
  });

  it("reads a FIKS IO account and NHN identifiers", () => {
    expect(parsePartnerIdentifier("19EFBD4C-413D-4E2C-BBC5-257EF4A65B38")).to.deep.equal({ kind: "fiks-io", identifier: "19efbd4c-413d-4e2c-bbc5-257ef4a65b38" });
    expect(parsePartnerIdentifier("her-id:8094866", "nhn-actorid")).to.deep.equal({ kind: "nhn", type: "her-id", id: "8094866" });
    expect(parsePartnerIdentifier("fastlege-for:09118532322", "nhn-actorid")).to.deep.equal({ kind: "nhn", type: "fastlege-for", id: "09118532322" });
  });

  it("refuses identifiers none of the parsers take, and unknown authorities", () => {
    const e = thrown(PartnerIdentifierInvalidError, () => parsePartnerIdentifier("9999:910077473"));
    expect(e.code).to.equal("nextmove-partner-identifier-invalid");
    expect(e.detail).to.equal("Unable to parse identifier = '9999:910077473'");
    expect(thrown(PartnerIdentifierInvalidError, () => parsePartnerIdentifier("0192:910077473", "x-y-z")).detail).to.equal("Unknown authority = x-y-z");
    expect(isValidPartnerIdentifier("her-id:12")).to.equal(true);
    expect(isValidPartnerIdentifier("12345678")).to.equal(false);
  });

  it("accepts what Java's UUID.fromString accepts", () => {
    expect(canonicalJavaUuid("1-2-3-4-5")).to.equal("00000001-0002-0003-0004-000000000005");
    expect(canonicalJavaUuid("ac5efbd4c-413d-4e2c-bbc5-257ef4a65b23")).to.equal(undefined);
    expect(canonicalJavaUuid("not-a-uuid")).to.equal(undefined);
  });

  it("knows the Peppol participant of an organisation and compares organisations by the project's one rule", () => {
    expect(participantOf(parsePartnerIdentifier("0192:910077473:987464291"))).to.deep.include({ scheme: "iso6523-actorid-upis", value: "0192:910077473" });
    expect(participantOf(parsePartnerIdentifier("09118532322"))).to.equal(undefined);
    expect(sameNorwegianOrganisation("910077473", "910077473")).to.equal(true);
    expect(sameNorwegianOrganisation("910077473", "910075918")).to.equal(false);
  });
});

describe("sbd: Java date-times", () => {
  const now = new Date("2019-03-25T11:38:23Z");

  it("writes seconds always, the fraction trimmed, Z for UTC", () => {
    const cases: Array<[string, string]> = [
      ["2019-03-25T11:35+01:00", "2019-03-25T11:35:00+01:00"],
      ["2019-03-25T11:35:00.120000000Z", "2019-03-25T11:35:00.12Z"],
      ["2019-03-25T11:35:00+00:00", "2019-03-25T11:35:00Z"],
      ["2019-03-25T11:35:00.000000001-05:30[America/X]", "2019-03-25T11:35:00.000000001-05:30"],
    ];
    for (const [input, output] of cases) expect(formatOffsetDateTime(parseOffsetDateTime(input, now)!), input).to.equal(output);
  });

  it("refuses what Java's ISO_DATE_TIME refuses", () => {
    for (const bad of ["2019-02-29T10:00:00Z", "2019-03-25", "2019-03-25T24:00:00Z", "2019-03-25 11:35:00Z", "2019-03-25T11:35:00+0100"]) {
      expect(parseOffsetDateTime(bad, now), bad).to.equal(undefined);
    }
  });

  it("adds hours keeping the offset, and compares instants", () => {
    const at = offsetDateTimeAt(new Date("2019-03-30T12:00:00Z"));
    expect(formatOffsetDateTime(at)).to.equal("2019-03-30T13:00:00+01:00");
    // Across the change to summer time the offset stays, as OffsetDateTime.plusHours keeps it.
    expect(formatOffsetDateTime(plusHours(at, 24))).to.equal("2019-03-31T13:00:00+01:00");
    expect(isAfter(parseOffsetDateTime("2019-03-25T12:00:00+01:00", now)!, parseOffsetDateTime("2019-03-25T10:59:59Z", now)!)).to.equal(true);
    expect(isAfter(parseOffsetDateTime("2019-03-25T12:00:00+01:00", now)!, parseOffsetDateTime("2019-03-25T11:00:00Z", now)!)).to.equal(false);
  });
});
