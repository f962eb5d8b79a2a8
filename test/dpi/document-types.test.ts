import { expect } from "chai";
import {
  DPI_MESSAGE_TYPES,
  DPI_PROCESS_IDS,
  LETTER_TYPES,
  RECEIPT_TYPES,
  documentTypeId,
  isDpiMessageType,
  isDpiProcessId,
  isLetterType,
  isReceiptType,
  messageKind,
  messageTypesOfProcess,
  parseDocumentTypeId,
  processAllowsMessageType,
  processForLetter,
  processesForMessageType,
  standardMatchesType,
  standardSpelling,
} from "../../src/dpi/document-types.js";

describe("dpi/document-types", () => {
  it("knows the nine message types, three letters and six receipts", () => {
    expect([...DPI_MESSAGE_TYPES].sort()).to.deep.equal(
      [
        "aapningskvittering",
        "digital",
        "feil",
        "flyttet",
        "leveringskvittering",
        "mottakskvittering",
        "returpostkvittering",
        "utskrift",
        "varslingfeiletkvittering",
      ].sort(),
    );
    expect(LETTER_TYPES).to.deep.equal(["digital", "utskrift", "flyttet"]);
    for (const t of LETTER_TYPES) {
      expect(isLetterType(t)).to.equal(true);
      expect(isReceiptType(t)).to.equal(false);
      expect(messageKind(t)).to.equal("letter");
    }
    for (const t of RECEIPT_TYPES) {
      expect(isLetterType(t)).to.equal(false);
      expect(isReceiptType(t)).to.equal(true);
      expect(messageKind(t)).to.equal("receipt");
    }
  });

  it("rejects document-only spellings of the type code list", () => {
    for (const t of ["levertkvittering", "mottakskvitteirng", "Digital", "digitalpost", ""]) {
      expect(isDpiMessageType(t), t).to.equal(false);
    }
  });

  it("maps letters to their processes", () => {
    expect(processForLetter("digital")).to.equal("urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0");
    expect(processForLetter("utskrift")).to.equal("urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:utskrift:ver1.0");
    expect(processForLetter("flyttet")).to.equal("urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:flyttet:ver1.0");
    expect(isDpiProcessId(DPI_PROCESS_IDS.digital)).to.equal(true);
    expect(isDpiProcessId("urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:feil:ver1.0")).to.equal(false);
  });

  it("assigns message types to processes as identifiers.md does", () => {
    expect([...messageTypesOfProcess(DPI_PROCESS_IDS.digital)].sort()).to.deep.equal(
      ["digital", "feil", "leveringskvittering", "aapningskvittering", "varslingfeiletkvittering"].sort(),
    );
    expect([...messageTypesOfProcess(DPI_PROCESS_IDS.utskrift)].sort()).to.deep.equal(
      ["utskrift", "feil", "leveringskvittering", "mottakskvittering", "returpostkvittering"].sort(),
    );
    expect([...messageTypesOfProcess(DPI_PROCESS_IDS.flyttet)].sort()).to.deep.equal(
      ["flyttet", "feil", "leveringskvittering"].sort(),
    );
    expect(processesForMessageType("feil")).to.have.members(Object.values(DPI_PROCESS_IDS));
    expect(processesForMessageType("aapningskvittering")).to.deep.equal([DPI_PROCESS_IDS.digital]);
    expect(processesForMessageType("returpostkvittering")).to.deep.equal([DPI_PROCESS_IDS.utskrift]);
    expect(processAllowsMessageType(DPI_PROCESS_IDS.flyttet, "mottakskvittering")).to.equal(false);
    expect(processAllowsMessageType(DPI_PROCESS_IDS.utskrift, "mottakskvittering")).to.equal(true);
    for (const t of DPI_MESSAGE_TYPES) expect(processesForMessageType(t), t).to.not.be.empty;
  });

  it("builds the document type id", () => {
    expect(documentTypeId("digital")).to.equal(
      "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
    );
    expect(documentTypeId("leveringskvittering", "Innbyggerpost")).to.equal(
      "urn:fdc:digdir.no:2020:innbyggerpost:xsd::Innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:leveringskvittering::1.0",
    );
  });

  it("matches a standard in both spellings and tells which one", () => {
    const lower = documentTypeId("feil");
    const upper = documentTypeId("feil", "Innbyggerpost");
    expect(standardSpelling(lower, "feil")).to.equal("innbyggerpost");
    expect(standardSpelling(upper, "feil")).to.equal("Innbyggerpost");
    expect(standardMatchesType(upper, "feil")).to.equal(true);
    expect(standardMatchesType(lower, "digital")).to.equal(false);
    expect(parseDocumentTypeId(upper)).to.deep.equal({ type: "feil", spelling: "Innbyggerpost" });
  });

  it("accepts no other spelling or variation of the standard", () => {
    const variants = [
      "urn:fdc:digdir.no:2020:innbyggerpost:xsd::INNBYGGERPOST##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
      "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerPost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
      "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:Digital::1.0",
      "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.1",
      "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0 ",
      "urn:fdc:digdir.no:2020:innbyggerpost:xsd:digital::digital##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
      "urn:fdc:digdir.no:2020:innbyggerpost:xsd::Innbyggerpost",
    ];
    for (const v of variants) {
      expect(standardMatchesType(v, "digital"), v).to.equal(false);
      expect(parseDocumentTypeId(v), v).to.equal(undefined);
    }
  });
});
