import { expect } from "chai";
import { signForretningsmelding } from "../../src/dpi/build/sign-forretningsmelding.js";
import { fixedClock } from "../../src/clock.js";
import { DPI_PROCESS_IDS, processAllowsMessageType, RECEIPT_TYPES, type LetterType } from "../../src/dpi/document-types.js";
import { describeStandardBusinessDocument, parseForretningsmelding, type Forretningsmelding, type StandardBusinessDocument } from "../../src/dpi/sbd.js";
import { createForretningsmeldingVerifier } from "../../src/dpi/signed-forretningsmelding.js";
import type { CheckedLetter, LetterCheck } from "../../src/sim/postbox/check-letter.js";
import { buildReceipt, ReceiptInputError, type ReceiptDetails } from "../../src/sim/postbox/receipt-builder.js";
import { defaultNotificationRule, receiptsFor, type PlannedReceipt } from "../../src/sim/postbox/receipts-for.js";
import { ORGS, sampleDocument, SAMPLE_IDS, type SampleOptions } from "../dpi/samples.js";
import { BUSINESS_ANCHORS, businessKey, DIGIPOST, NOW } from "./postbox-fixtures.js";

const now = new Date(NOW);
const PROVIDER = `0192:${DIGIPOST}`;

function letterMessage(type: LetterType, opts: SampleOptions = {}, change?: (body: any) => void): Forretningsmelding {
  const doc = sampleDocument(type, opts) as StandardBusinessDocument;
  change?.(doc.body);
  return describeStandardBusinessDocument(doc);
}

/** A passing check result around a letter; receiptsFor only reads the message and the type. */
function passed(message: Forretningsmelding): LetterCheck {
  return { ok: true, letter: { jws: "", message, type: message.type as LetterType, signerOrg: message.sender.value } as unknown as CheckedLetter };
}

const types = (plan: PlannedReceipt[]) => plan.map((p) => p.details.type);

const DETAILS: Record<(typeof RECEIPT_TYPES)[number], ReceiptDetails> = {
  feil: { type: "feil", feiltype: "KLIENT", detaljer: "dokumentpakke-decrypt-failed: no recipient" },
  leveringskvittering: { type: "leveringskvittering" },
  aapningskvittering: { type: "aapningskvittering" },
  varslingfeiletkvittering: { type: "varslingfeiletkvittering", varslingskanal: "sms", beskrivelse: "Varsel på SMS kunne ikke leveres" },
  mottakskvittering: { type: "mottakskvittering" },
  returpostkvittering: { type: "returpostkvittering" },
};

describe("sim/postbox receipt-builder: the receipt payload", () => {
  const letter = letterMessage("digital");

  for (const type of RECEIPT_TYPES) {
    it(`a ${type} parses with the access point's own parser and answers the letter`, () => {
      const built = buildReceipt({ letter, provider: PROVIDER, messageId: "0b0e6c1e-6f5e-4a57-9a53-6a0a7f2d5c11", at: now, details: DETAILS[type] });
      // What travels is JSON; parse the serialised form, not the object we built.
      const m = parseForretningsmelding(JSON.parse(JSON.stringify(built.payload)));
      expect(m.type).to.equal(type);
      expect(m.kind).to.equal("receipt");
      expect(m.messageId).to.equal("0b0e6c1e-6f5e-4a57-9a53-6a0a7f2d5c11");
      expect(m.messageId).to.not.equal(letter.messageId);
      expect(m.conversationId).to.equal(SAMPLE_IDS.conversationId);
      expect(m.processId).to.equal(DPI_PROCESS_IDS.digital);
      expect(m.sender.value, "SBDH sender = provider").to.equal(PROVIDER);
      expect(m.receiver.value, "SBDH receiver = the letter's SBDH sender").to.equal(letter.sender.value);
      expect(m.avsender.value, "body avsender = provider").to.equal(PROVIDER);
      expect(m.mottaker?.value, "body mottaker = behandlingsansvarlig").to.equal(ORGS.avsender);
      expect(m.motakeridentifikator).to.equal("skatt-innkreving");
      expect(m.createdAt).to.equal(NOW);
      const body = (built.payload.standardBusinessDocument as any)[type];
      expect(body.tidspunkt).to.equal(NOW);
      expect(body).to.not.have.property("maskinportentoken");
    });
  }

  it("feil and varslingfeiletkvittering carry their details", () => {
    const feil = buildReceipt({ letter, provider: PROVIDER, messageId: SAMPLE_IDS.messageId, at: now, details: DETAILS.feil });
    expect((feil.payload.standardBusinessDocument as any).feil).to.deep.include({ feiltype: "KLIENT", detaljer: "dokumentpakke-decrypt-failed: no recipient" });
    const varsling = buildReceipt({ letter, provider: PROVIDER, messageId: SAMPLE_IDS.messageId, at: now, details: DETAILS.varslingfeiletkvittering });
    expect((varsling.payload.standardBusinessDocument as any).varslingfeiletkvittering).to.deep.include({ varslingskanal: "sms" });
  });

  it("a letter from a databehandler: the receipt goes to the databehandler and reports on the behandlingsansvarlig", () => {
    const delegated = letterMessage("digital", { sender: ORGS.databehandler });
    const m = buildReceipt({ letter: delegated, provider: PROVIDER, messageId: SAMPLE_IDS.messageId, at: now, details: DETAILS.leveringskvittering }).message;
    expect(m.receiver.value).to.equal(ORGS.databehandler);
    expect(m.mottaker?.value).to.equal(ORGS.avsender);
  });

  it("keeps the letter's spelling of the standard and its process", () => {
    const print = letterMessage("utskrift", { spelling: "Innbyggerpost" });
    const built = buildReceipt({ letter: print, provider: ORGS.print, messageId: SAMPLE_IDS.messageId, at: now, details: DETAILS.mottakskvittering });
    expect(built.payload.standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.standard).to.equal(
      "urn:fdc:digdir.no:2020:innbyggerpost:xsd::Innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:mottakskvittering::1.0",
    );
    expect(built.message.processId).to.equal(DPI_PROCESS_IDS.utskrift);
  });

  it("without an avsenderidentifikator there is no motakeridentifikator", () => {
    const plain = letterMessage("digital", {}, (b) => delete b.avsender.avsenderidentifikator);
    const built = buildReceipt({ letter: plain, provider: PROVIDER, messageId: SAMPLE_IDS.messageId, at: now, details: DETAILS.leveringskvittering });
    expect((built.payload.standardBusinessDocument as any).leveringskvittering.mottaker).to.not.have.property("motakeridentifikator");
  });

  it("refuses to answer a receipt", () => {
    const receipt = describeStandardBusinessDocument(sampleDocument("leveringskvittering"));
    expect(() => buildReceipt({ letter: receipt, provider: PROVIDER, messageId: SAMPLE_IDS.messageId, at: now, details: DETAILS.feil })).to.throw(ReceiptInputError);
  });

  it("refuses input that would make an invalid receipt", () => {
    expect(() => buildReceipt({ letter, provider: "984661185", messageId: SAMPLE_IDS.messageId, at: now, details: DETAILS.feil })).to.throw(ReceiptInputError, /sbd|must match/i);
  });

  it("signed with the provider's certificate, it passes the access point's forretningsmelding verifier", async () => {
    const built = buildReceipt({ letter, provider: PROVIDER, messageId: SAMPLE_IDS.messageId, at: now, details: DETAILS.leveringskvittering });
    const jws = await signForretningsmelding(built.payload, businessKey(DIGIPOST), "RS512");
    const verified = await createForretningsmeldingVerifier({ anchors: BUSINESS_ANCHORS, clock: fixedClock(NOW) })(jws);
    expect(verified.signerOrg).to.equal(verified.message.sender.value);
    expect(verified.message.type).to.equal("leveringskvittering");
  });
});

describe("sim/postbox receipts-for: which receipts a letter gets", () => {
  it("digital asking for an aapningskvittering: leveringskvittering now, aapningskvittering when opened", () => {
    const plan = receiptsFor(passed(letterMessage("digital")), { openDelayMs: 5000 }, now);
    expect(plan).to.deep.equal([
      { details: { type: "leveringskvittering" }, delayMs: 0 },
      { details: { type: "aapningskvittering" }, delayMs: 5000 },
    ]);
  });

  it("digital not asking for one, or a citizen who never opens: leveringskvittering only", () => {
    const unasked = letterMessage("digital", {}, (b) => (b.aapningskvittering = false));
    expect(types(receiptsFor(passed(unasked), {}, now))).to.deep.equal(["leveringskvittering"]);
    expect(types(receiptsFor(passed(letterMessage("digital")), { opens: false }, now))).to.deep.equal(["leveringskvittering"]);
  });

  it("the letter cannot be opened before it takes effect (virkningstidspunkt)", () => {
    const future = letterMessage("digital", {}, (b) => (b.virkningstidspunkt = "2025-06-01T14:00:00+02:00"));
    const plan = receiptsFor(passed(future), { openDelayMs: 1000 }, now);
    expect(plan.find((p) => p.details.type === "aapningskvittering")?.delayMs).to.equal(2 * 3600_000);
  });

  it("a virkningsdato in the future delays the opening to that day", () => {
    const future = letterMessage("digital", {}, (b) => {
      delete b.virkningstidspunkt;
      b.virkningsdato = "2025-06-03";
    });
    const plan = receiptsFor(passed(future), { openDelayMs: 1000 }, now);
    expect(plan.find((p) => p.details.type === "aapningskvittering")?.delayMs).to.equal(Date.parse("2025-06-03T00:00:00Z") - now.getTime());
  });

  it("a failing e-mail notification gets a varslingfeiletkvittering (epost); a working one does not", () => {
    const bad = letterMessage("digital", {}, (b) => (b.varsler.epostvarsel.epostadresse = "ola@nordmann.invalid"));
    const plan = receiptsFor(passed(bad), { notificationDelayMs: 300 }, now);
    expect(plan.map((p) => [p.details.type, p.delayMs])).to.deep.equal([
      ["leveringskvittering", 0],
      ["varslingfeiletkvittering", 300],
      ["aapningskvittering", 1000],
    ]);
    expect(plan[1]!.details).to.deep.include({ varslingskanal: "epost" });
    expect(types(receiptsFor(passed(letterMessage("digital")), {}, now))).to.not.include("varslingfeiletkvittering");
  });

  it("a failing SMS notification reports varslingskanal sms; a custom rule decides per channel", () => {
    const zeros = letterMessage("digital", {}, (b) => (b.varsler.smsvarsel.mobiltelefonnummer = "+47 00000000"));
    expect(receiptsFor(passed(zeros), {}, now).filter((p) => p.details.type === "varslingfeiletkvittering").map((p) => p.details)).to.deep.equal([
      { type: "varslingfeiletkvittering", varslingskanal: "sms", beskrivelse: "Varsel på SMS kunne ikke leveres" },
    ]);
    const every = receiptsFor(passed(letterMessage("digital")), { notificationFails: () => true }, now);
    expect(every.filter((p) => p.details.type === "varslingfeiletkvittering").map((p) => (p.details as { varslingskanal: string }).varslingskanal)).to.deep.equal(["epost", "sms"]);
  });

  it("the default notification rule", () => {
    expect(defaultNotificationRule({ kanal: "epost", address: "a@b.INVALID" })).to.equal(true);
    expect(defaultNotificationRule({ kanal: "epost", address: "a@invalid.no" })).to.equal(false);
    expect(defaultNotificationRule({ kanal: "sms", address: "+47 000 00 000" })).to.equal(true);
    expect(defaultNotificationRule({ kanal: "sms", address: "+47 900 00 000" })).to.equal(false);
  });

  it("utskrift: mottakskvittering now, leveringskvittering when printed (or never)", () => {
    const print = letterMessage("utskrift");
    expect(receiptsFor(passed(print), { printDelayMs: 700 }, now)).to.deep.equal([
      { details: { type: "mottakskvittering" }, delayMs: 0 },
      { details: { type: "leveringskvittering" }, delayMs: 700 },
    ]);
    expect(types(receiptsFor(passed(print), { printed: false }, now))).to.deep.equal(["mottakskvittering"]);
  });

  it("flyttet: leveringskvittering, even when an aapningskvittering was asked for", () => {
    const moved = letterMessage("flyttet", {}, (b) => (b.aapningskvittering = true));
    expect(receiptsFor(passed(moved), {}, now)).to.deep.equal([{ details: { type: "leveringskvittering" }, delayMs: 0 }]);
  });

  it("every planned receipt is allowed on the letter's process", () => {
    const letters = [
      letterMessage("digital", {}, (b) => (b.varsler.epostvarsel.epostadresse = "x@y.invalid")),
      letterMessage("utskrift"),
      letterMessage("flyttet"),
    ];
    for (const l of letters) {
      for (const p of receiptsFor(passed(l), { notificationFails: () => true }, now)) {
        expect(processAllowsMessageType(l.processId, p.details.type), `${p.details.type} on ${l.type}`).to.equal(true);
      }
      const refused: LetterCheck = { ok: false, rejection: { stage: "asic", code: "X", detail: "y" }, message: l, trusted: true };
      expect(types(receiptsFor(refused, {}, now))).to.deep.equal(["feil"]);
    }
  });
});
