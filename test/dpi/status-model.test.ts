import { expect } from "chai";
import { RECEIPT_TYPES, LETTER_TYPES } from "../../src/dpi/document-types.js";
import { contractStatuses, statusOfReceipt } from "../../src/dpi/status-model.js";

describe("dpi/status-model", () => {
  it("maps every receipt type to the timeline status Digdir's integrasjonspunkt gives it (MessageStatusMapper)", () => {
    expect(Object.fromEntries(RECEIPT_TYPES.map((t) => [t, statusOfReceipt(t)]))).to.deep.equal({
      feil: "FEIL",
      leveringskvittering: "LEVERT",
      aapningskvittering: "LEST",
      varslingfeiletkvittering: "FEIL",
      mottakskvittering: "LEVERT",
      returpostkvittering: "FEIL",
    });
    for (const t of LETTER_TYPES) expect(statusOfReceipt(t), t).to.equal(undefined);
  });

  it("GET /messages/out/{id}/statuses shows only Digdir's OPPRETTET, SENDT and FEILET; an expired letter is FEILET saying so", () => {
    const t = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));
    const shown = contractStatuses([
      { status: "OPPRETTET", description: null, timestamp: t(0) },
      { status: "SENDT", description: "receipt as4@x", timestamp: t(1) },
      { status: "LEVETID_UTLOPT", description: "no receipt arrived before 2030-01-02T00:00:00.000Z", timestamp: t(2) },
      { status: "FEILET", description: "EBMS:0004 PEPPOL:NOT_SERVICED", timestamp: t(3) },
      { status: "SOMETHING_ELSE", description: null, timestamp: t(4) },
    ]);
    expect(shown).to.deep.equal([
      { status: "OPPRETTET", timestamp: "2030-01-01T00:00:00.000Z" },
      { status: "SENDT", beskrivelse: "receipt as4@x", timestamp: "2030-01-01T00:00:01.000Z" },
      { status: "FEILET", beskrivelse: "LEVETID_UTLOPT: the letter expired, no receipt arrived before 2030-01-02T00:00:00.000Z", timestamp: "2030-01-01T00:00:02.000Z" },
      { status: "FEILET", beskrivelse: "EBMS:0004 PEPPOL:NOT_SERVICED", timestamp: "2030-01-01T00:00:03.000Z" },
    ]);
  });
});
