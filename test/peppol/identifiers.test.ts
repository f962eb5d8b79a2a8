import { expect } from "chai";
import { DPI_PROCESS_IDS } from "../../src/dpi/document-types.js";
import { IdentifierInvalidError } from "../../src/peppol/errors.js";
import {
  DEFAULT_DPI_SPELLING,
  IDENTIFIER_LIMITS,
  allDpiDocumentTypeIds,
  allDpiProcessIds,
  documentTypeId,
  dpiDocumentTypeId,
  dpiProcessId,
  dpiProcessIdForLetter,
  dpiProcessesOfReceipt,
  dpiReceiptTypesOfProcess,
  encodeIdentifierForUrl,
  formatIdentifier,
  identifierKey,
  norwegianOrgNumberOf,
  norwegianParticipantId,
  parseDocumentTypeId,
  parseParticipantId,
  parseProcessId,
  participantId,
  participantKey,
  ParticipantSet,
  processId,
  readDpiDocumentTypeId,
  readDpiProcessId,
  sameParticipant,
  toParticipantId,
} from "../../src/peppol/identifiers.js";

function invalid(make: () => unknown): IdentifierInvalidError {
  try {
    make();
  } catch (e) {
    expect(e).to.be.instanceOf(IdentifierInvalidError);
    expect((e as IdentifierInvalidError).code).to.equal("peppol-identifier-invalid");
    expect((e as IdentifierInvalidError).status).to.equal(400);
    return e as IdentifierInvalidError;
  }
  return expect.fail("the identifier was accepted");
}

const INVOICE =
  "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1";

describe("peppol/identifiers", () => {
  describe("participants", () => {
    it("builds iso6523-actorid-upis participants and keeps their case", () => {
      const p = participantId("0088:123ABC");
      expect(p).to.deep.equal({ kind: "participant", scheme: "iso6523-actorid-upis", value: "0088:123ABC" });
      expect(Object.isFrozen(p)).to.equal(true);
      expect(formatIdentifier(p)).to.equal("iso6523-actorid-upis::0088:123ABC");
    });

    it("parses the URI form and bare values", () => {
      expect(parseParticipantId("iso6523-actorid-upis::0192:991825827").value).to.equal("0192:991825827");
      expect(toParticipantId("0192:991825827").scheme).to.equal("iso6523-actorid-upis");
      expect(toParticipantId("iso6523-actorid-upis::0192:991825827").value).to.equal("0192:991825827");
      // The scheme ends at the first "::"; the value may contain ":".
      expect(parseParticipantId("iso6523-actorid-upis::9915:a:b").value).to.equal("9915:a:b");
    });

    it("accepts the participant values of the Peppol SBDH samples", () => {
      for (const v of ["0088:7315458756324", "9958:99000000-peppol10-99", "0204:991-33333TEST-33", "9915:test"]) {
        expect(participantId(v).value).to.equal(v);
      }
    });

    it("rejects values that break the identifier policy", () => {
      expect(invalid(() => participantId("test")).message).to.contain("4-digit ICD");
      invalid(() => participantId("88:123"));
      invalid(() => participantId("0088:"));
      invalid(() => participantId(""));
      invalid(() => participantId("0088:has space"));
      invalid(() => participantId(" 0088:123"));
      invalid(() => participantId("0088:æøå"));
      invalid(() => participantId("0088:a\tb"));
      invalid(() => parseParticipantId("0192:991825827")); // no scheme
    });

    it("enforces the lengths: 4 + 1 + 130 characters", () => {
      expect(participantId(`0088:${"a".repeat(130)}`).value).to.have.length(IDENTIFIER_LIMITS.participantValue);
      invalid(() => participantId(`0088:${"a".repeat(131)}`));
      invalid(() => participantId(`x:${"a".repeat(135)}`, "other-scheme-x"));
    });

    it("checks schemes: xxx-yyy-zzz form for participants, at most 25 characters, no whitespace or '::'", () => {
      expect(participantId("abc", "foo-bar-baz").scheme).to.equal("foo-bar-baz");
      invalid(() => participantId("0088:1", "foobar2000"));
      invalid(() => participantId("0088:1", "humpty dumpty"));
      invalid(() => participantId("0088:1", ""));
      invalid(() => documentTypeId("x", "a".repeat(26)));
      invalid(() => documentTypeId("x", "bad scheme"));
      invalid(() => processId("x", "a::b"));
    });

    describe("sameParticipant: the one rule for participant equality", () => {
      it("ignores the case of scheme and value (iso6523-actorid-upis, Policy for use of Identifiers)", () => {
        const a = participantId("0088:123abc");
        const b = parseParticipantId("ISO6523-ACTORID-UPIS::0088:123ABC");
        expect(sameParticipant(a, b)).to.equal(true);
        expect(sameParticipant("iso6523-actorid-upis::0192:ABC123", "ISO6523-Actorid-Upis::0192:abc123")).to.equal(true);
        expect(sameParticipant("0192:abc123", "0192:ABC123")).to.equal(true);
        expect(sameParticipant(a, participantId("0088:123abd"))).to.equal(false);
        expect(sameParticipant("0192:991825827", "0088:991825827")).to.equal(false);
      });

      it("takes a bare value as iso6523-actorid-upis: \"0192:x\" is \"iso6523-actorid-upis::0192:x\"", () => {
        expect(sameParticipant("0192:x", "iso6523-actorid-upis::0192:x")).to.equal(true);
        expect(sameParticipant("iso6523-actorid-upis::0192:x", "0192:x")).to.equal(true);
        expect(sameParticipant("0192:x", { scheme: "iso6523-actorid-upis", value: "0192:X" })).to.equal(true);
        expect(sameParticipant("0192:x", participantId("0192:x"))).to.equal(true);
        // Another scheme is another participant, even with the same value.
        expect(sameParticipant("0192:x", "abc-def-ghi::0192:x")).to.equal(false);
        expect(sameParticipant("ABC-def-ghi::Foo", "abc-DEF-ghi::fOO")).to.equal(true);
      });

      it("a malformed identifier is equal to nothing, not even itself, and never throws", () => {
        for (const bad of ["", "991825827", "0192:", "0192 :991825827", "0192:99 1825827", "::0192:x", "bad scheme::0192:x", "iso6523-actorid-upis::x", "0192:\u00e6"]) {
          expect(sameParticipant(bad, bad), JSON.stringify(bad)).to.equal(false);
          expect(sameParticipant(bad, "0192:991825827"), JSON.stringify(bad)).to.equal(false);
          expect(sameParticipant("0192:991825827", bad), JSON.stringify(bad)).to.equal(false);
          expect(participantKey(bad), JSON.stringify(bad)).to.equal(undefined);
        }
        expect(sameParticipant({ scheme: "", value: "0192:x" }, { scheme: "", value: "0192:x" })).to.equal(false);
      });

      it("keys: an iso6523-actorid-upis participant's key is its lower-cased value, the form the store keeps", () => {
        expect(participantKey("iso6523-actorid-upis::0192:991825827")).to.equal("0192:991825827");
        expect(participantKey(participantId("0088:ABC"))).to.equal("0088:abc");
        expect(participantKey("ABC-def-ghi::Foo")).to.equal("abc-def-ghi::foo");
      });

      it("ParticipantSet holds participants under the same rule; a malformed member is refused, a malformed look-up is absent", () => {
        const set = new ParticipantSet(["0192:991825827", "iso6523-actorid-upis::0192:ABC"]);
        expect(set.size).to.equal(2);
        expect(set.has("iso6523-actorid-upis::0192:991825827")).to.equal(true);
        expect(set.has({ scheme: "ISO6523-ACTORID-UPIS", value: "0192:abc" })).to.equal(true);
        expect(set.has("0192:984661185")).to.equal(false);
        expect(set.has("not a participant")).to.equal(false);
        expect(new ParticipantSet(["0192:x", "iso6523-actorid-upis::0192:X"]).size).to.equal(1);
        invalid(() => new ParticipantSet(["0192:991825827", "991825827"]));
      });
    });

    it("reads Norwegian organisation numbers", () => {
      expect(formatIdentifier(norwegianParticipantId("991825827"))).to.equal("iso6523-actorid-upis::0192:991825827");
      expect(norwegianParticipantId("0192:991825827").value).to.equal("0192:991825827");
      invalid(() => norwegianParticipantId("99182582"));
      invalid(() => norwegianParticipantId("0088:991825827"));
      expect(norwegianOrgNumberOf(participantId("0192:991825827"))).to.equal("991825827");
      expect(norwegianOrgNumberOf(participantId("0088:991825827"))).to.equal(undefined);
      expect(norwegianOrgNumberOf(participantId("0192:99182582x"))).to.equal(undefined);
    });
  });

  describe("document types and processes", () => {
    it("compare the scheme case-insensitively and the value exactly", () => {
      const a = documentTypeId(INVOICE);
      expect(identifierKey(a)).to.equal(identifierKey(parseDocumentTypeId(`BUSDOX-DOCID-QNS::${INVOICE}`)));
      expect(identifierKey(a)).to.not.equal(identifierKey(documentTypeId(INVOICE.replace("Invoice##", "invoice##"))));
      const p = processId("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0");
      expect(identifierKey(p)).to.equal(identifierKey(parseProcessId("CENBII-PROCID-UBL::urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")));
      expect(identifierKey(p)).to.not.equal(identifierKey(processId("URN:fdc:peppol.eu:2017:poacc:billing:01:1.0")));
    });

    it("never equal an identifier of another kind", () => {
      expect(identifierKey(documentTypeId("x", "a-b-c"))).to.not.equal(identifierKey(processId("x", "a-b-c")));
    });

    it("enforce lengths (500 and 200) and ISO-8859-1 without control characters", () => {
      expect(documentTypeId("d".repeat(500)).value).to.have.length(500);
      invalid(() => documentTypeId("d".repeat(501)));
      expect(processId("p".repeat(200)).value).to.have.length(200);
      invalid(() => processId("p".repeat(201)));
      expect(documentTypeId("urn:x:æøå").value).to.equal("urn:x:æøå");
      invalid(() => documentTypeId("urn:x:€"));
      invalid(() => documentTypeId("urn:x\ny"));
      invalid(() => processId(" urn:x"));
      invalid(() => processId(""));
    });
  });

  describe("percent-encoding for SMP URLs", () => {
    it("encodes the participant as in SMP ServiceGroup paths", () => {
      expect(encodeIdentifierForUrl(participantId("0088:123abc"))).to.equal("iso6523-actorid-upis%3A%3A0088%3A123abc");
    });

    it("encodes ':' and '#' of document types, and everything else that is not unreserved", () => {
      expect(encodeIdentifierForUrl(documentTypeId(INVOICE))).to.equal(
        "busdox-docid-qns%3A%3Aurn%3Aoasis%3Anames%3Aspecification%3Aubl%3Aschema%3Axsd%3AInvoice-2%3A%3AInvoice%23%23urn%3Acen.eu%3Aen16931%3A2017%23compliant%23urn%3Afdc%3Apeppol.eu%3A2017%3Apoacc%3Abilling%3A3.0%3A%3A2.1",
      );
      expect(encodeIdentifierForUrl(documentTypeId("a/b c!*'()~_.-"))).to.equal("busdox-docid-qns%3A%3Aa%2Fb%20c%21%2A%27%28%29~_.-");
    });

    it("matches the DPI document type reference in ELMA's ServiceGroup", () => {
      // From a real ServiceGroup of a Norwegian participant (lower-case spelling).
      expect(encodeIdentifierForUrl(dpiDocumentTypeId("leveringskvittering", "innbyggerpost"))).to.equal(
        "busdox-docid-qns%3A%3Aurn%3Afdc%3Adigdir.no%3A2020%3Ainnbyggerpost%3Axsd%3A%3Ainnbyggerpost%23%23urn%3Afdc%3Adigdir.no%3A2020%3Ainnbyggerpost%3Aschema%3Aleveringskvittering%3A%3A1.0",
      );
    });
  });

  describe("DPI", () => {
    it("builds the document type id in either spelling, lower case by default", () => {
      expect(DEFAULT_DPI_SPELLING).to.equal("innbyggerpost");
      expect(formatIdentifier(dpiDocumentTypeId("digital"))).to.equal(
        "busdox-docid-qns::urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
      );
      expect(dpiDocumentTypeId("feil", "Innbyggerpost").value).to.equal(
        "urn:fdc:digdir.no:2020:innbyggerpost:xsd::Innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:feil::1.0",
      );
      // Document type values are case-sensitive: the two spellings are different identifiers.
      expect(identifierKey(dpiDocumentTypeId("digital", "innbyggerpost"))).to.not.equal(identifierKey(dpiDocumentTypeId("digital", "Innbyggerpost")));
      expect(allDpiDocumentTypeIds("Innbyggerpost")).to.have.length(9);
    });

    it("reads DPI document type ids back, honouring the accepted spellings", () => {
      expect(readDpiDocumentTypeId(dpiDocumentTypeId("returpostkvittering", "Innbyggerpost"))).to.deep.equal({
        type: "returpostkvittering",
        spelling: "Innbyggerpost",
      });
      expect(readDpiDocumentTypeId(dpiDocumentTypeId("digital", "Innbyggerpost"), ["innbyggerpost"])).to.equal(undefined);
      expect(readDpiDocumentTypeId(documentTypeId(dpiDocumentTypeId("digital").value, "peppol-doctype-wildcard"))).to.equal(undefined);
      expect(readDpiDocumentTypeId(documentTypeId(INVOICE))).to.equal(undefined);
      expect(readDpiDocumentTypeId(documentTypeId(dpiDocumentTypeId("digital").value.replace("innbyggerpost##", "INNBYGGERPOST##")))).to.equal(undefined);
    });

    it("maps processes and letters", () => {
      expect(allDpiProcessIds().map(formatIdentifier)).to.deep.equal([
        "cenbii-procid-ubl::urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0",
        "cenbii-procid-ubl::urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:utskrift:ver1.0",
        "cenbii-procid-ubl::urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:flyttet:ver1.0",
      ]);
      expect(dpiProcessIdForLetter("utskrift").value).to.equal(DPI_PROCESS_IDS.utskrift);
      expect(readDpiProcessId(dpiProcessId(DPI_PROCESS_IDS.flyttet))).to.equal(DPI_PROCESS_IDS.flyttet);
      expect(readDpiProcessId(processId(DPI_PROCESS_IDS.flyttet, "other-scheme"))).to.equal(undefined);
      expect(readDpiProcessId(processId("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"))).to.equal(undefined);
    });

    it("knows which receipt types travel on which process", () => {
      expect(dpiReceiptTypesOfProcess(DPI_PROCESS_IDS.digital)).to.have.members([
        "feil",
        "leveringskvittering",
        "aapningskvittering",
        "varslingfeiletkvittering",
      ]);
      expect(dpiReceiptTypesOfProcess(DPI_PROCESS_IDS.utskrift)).to.have.members([
        "feil",
        "leveringskvittering",
        "mottakskvittering",
        "returpostkvittering",
      ]);
      expect(dpiReceiptTypesOfProcess(DPI_PROCESS_IDS.flyttet)).to.have.members(["feil", "leveringskvittering"]);
      expect(dpiProcessesOfReceipt("returpostkvittering")).to.deep.equal([DPI_PROCESS_IDS.utskrift]);
      expect(dpiProcessesOfReceipt("feil")).to.have.members(Object.values(DPI_PROCESS_IDS));
    });
  });
});
