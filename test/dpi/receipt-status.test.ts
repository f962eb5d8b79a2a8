import { expect } from "chai";
import { DPI_PROCESS_IDS, LETTER_TYPES, RECEIPT_TYPES, type DpiMessageType } from "../../src/dpi/document-types.js";
import { answersLetter, receiptStatus, type LetterParties } from "../../src/dpi/receipt-status.js";
import { parseForretningsmelding } from "../../src/dpi/sbd.js";
import { isReceiptStatus, RECEIPT_STATUSES } from "../../src/dpi/status-model.js";
import { ORGS, samplePayload, sampleReceiptProcess, SAMPLE_IDS } from "./samples.js";

const ARRIVED = new Date("2030-01-01T00:00:00Z");
const receipt = (type: DpiMessageType, change?: (body: any) => void) => {
  const payload: any = samplePayload(type, { processId: sampleReceiptProcess(type) });
  change?.(payload.standardBusinessDocument[type]);
  return parseForretningsmelding(payload);
};

describe("dpi/receipt-status", () => {
  describe("receiptStatus", () => {
    it("gives each receipt type its status, named in the description, with the receipt as raw receipt, at its tidspunkt", () => {
      const id = SAMPLE_IDS.messageId;
      expect(Object.fromEntries(RECEIPT_TYPES.map((t) => [t, receiptStatus(receipt(t), `jws-${t}`, ARRIVED)]))).to.deep.equal({
        feil: { status: "FEIL", description: `feil ${id}: KLIENT: Kunne ikke dekryptere dokumentpakken`, rawReceipt: "jws-feil", at: new Date("2022-03-16T13:20:00.123Z") },
        leveringskvittering: { status: "LEVERT", description: `leveringskvittering ${id}`, rawReceipt: "jws-leveringskvittering", at: new Date("2022-03-16T13:20:00.123Z") },
        aapningskvittering: { status: "LEST", description: `aapningskvittering ${id}`, rawReceipt: "jws-aapningskvittering", at: new Date("2022-03-16T13:20:00.123Z") },
        varslingfeiletkvittering: {
          status: "FEIL",
          description: `varslingfeiletkvittering ${id}: epost: Ugyldig e-postadresse`,
          rawReceipt: "jws-varslingfeiletkvittering",
          at: new Date("2022-03-16T13:20:00.123Z"),
        },
        mottakskvittering: { status: "LEVERT", description: `mottakskvittering ${id}`, rawReceipt: "jws-mottakskvittering", at: new Date("2022-03-16T13:20:00.123Z") },
        returpostkvittering: { status: "FEIL", description: `returpostkvittering ${id}`, rawReceipt: "jws-returpostkvittering", at: new Date("2022-03-16T13:20:00.123Z") },
      });
    });

    it("leaves out what a feil or varslingfeiletkvittering does not say", () => {
      const feil = receiptStatus(receipt("feil", (b) => delete b.detaljer), "jws", ARRIVED);
      expect(feil?.description).to.equal(`feil ${SAMPLE_IDS.messageId}: KLIENT`);
      const varsling = receiptStatus(receipt("varslingfeiletkvittering", (b) => delete b.beskrivelse), "jws", ARRIVED);
      expect(varsling?.description).to.equal(`varslingfeiletkvittering ${SAMPLE_IDS.messageId}: epost`);
    });

    it("dates the status by the receipt's arrival when JavaScript cannot read its tidspunkt (a leap second)", () => {
      const leap = receiptStatus(receipt("leveringskvittering", (b) => (b.tidspunkt = "2016-12-31T23:59:60Z")), "jws", ARRIVED);
      expect(leap?.at).to.deep.equal(ARRIVED);
    });

    it("gives a letter none", () => {
      for (const t of LETTER_TYPES) expect(receiptStatus(parseForretningsmelding(samplePayload(t)), "jws", ARRIVED), t).to.equal(undefined);
    });

    it("registers only the statuses the timeline shows as receipts", () => {
      expect([...RECEIPT_STATUSES].sort()).to.deep.equal(["FEIL", "LEST", "LEVERT"]);
      expect(["OPPRETTET", "SENDT", "FEILET", "LEVETID_UTLOPT", "MOTTATT"].filter(isReceiptStatus)).to.deep.equal([]);
    });
  });

  describe("answersLetter", () => {
    const letter: LetterParties = { documentType: "digital", process: DPI_PROCESS_IDS.digital, senderIdentifier: ORGS.avsender, receiverIdentifier: ORGS.digipost };
    const levering = receipt("leveringskvittering");

    it("is a letter sent by the receipt's receiver to the receipt's sender, on a process with the receipt's type", () => {
      expect(answersLetter(levering, letter)).to.equal(true);
      // Participant identifiers compare by their normal form, never as strings.
      expect(answersLetter(levering, { ...letter, senderIdentifier: `iso6523-actorid-upis::${ORGS.avsender}` })).to.equal(true);
    });

    it("is nothing else", () => {
      expect(answersLetter(levering, { ...letter, receiverIdentifier: ORGS.eboks }), "another provider").to.equal(false);
      expect(answersLetter(levering, { ...letter, senderIdentifier: ORGS.databehandler }), "another sender").to.equal(false);
      expect(answersLetter(levering, { ...letter, documentType: "leveringskvittering" }), "a receipt").to.equal(false);
      expect(answersLetter(receipt("mottakskvittering"), { ...letter, receiverIdentifier: ORGS.print }), "a print receipt for a digital letter").to.equal(false);
      expect(answersLetter(levering, { ...letter, process: "urn:unknown" }), "an unknown process").to.equal(false);
    });
  });
});
