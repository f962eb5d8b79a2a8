import { expect } from "chai";
import { channelPlan } from "../../src/bench/channels.js";
import { ARKIVMELDING_XML, channelFiles, channelMessages, channelSbd, DOCUMENT_FILE, filesBytes } from "../../src/bench/nextmove-messages.js";
import { conversationId, hoveddokument, messageId, parseArkivmelding, parseSbd, parties, processOf, securityLevelOf } from "../../src/sbd/index.js";

const IDS = { messageId: "9c0a3f43-6c34-4a4c-9e4b-3c1a0b7d2e11", conversationId: "0f6d8f0e-2b1f-4c59-8f7e-5a0c4e1d9b22" };

describe("bench: the messages of a channel run", () => {
  it("an arkivmelding from the sender to the channel's receiver, with the bench's own ids, as the NextMove API reads it", () => {
    for (const ch of ["dpo", "dpv", "dpf"] as const) {
      const sbd = parseSbd(channelSbd(channelPlan(ch), IDS));
      expect([sbd.type, messageId(sbd), conversationId(sbd), processOf(sbd), hoveddokument(sbd), securityLevelOf(sbd)]).to.deep.equal([
        "arkivmelding",
        IDS.messageId,
        IDS.conversationId,
        "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
        DOCUMENT_FILE,
        3,
      ]);
      expect(parties(sbd)).to.deep.include({ sender: "991825827", receiver: channelPlan(ch).receiver });
    }
  });

  it("a journal entry published to eInnsyn for DPE", () => {
    const sbd = parseSbd(channelSbd(channelPlan("dpe"), IDS));
    expect([sbd.type, messageId(sbd), processOf(sbd), sbd.businessMessage]).to.deep.equal(["publisering", IDS.messageId, "urn:no:difi:profile:einnsyn:journalpost:ver1.0", { orgnr: "991825827" }]);
    expect(parties(sbd)).to.deep.include({ sender: "991825827", receiver: "810969342" });
  });

  it("arkivmelding.xml names the document as Hoveddokument, a public title and the sender as Avsender", () => {
    const a = parseArkivmelding(ARKIVMELDING_XML);
    expect([a.title, a.messageTitle, a.documentFiles, a.filenames, a.avsender?.korrespondansepartNavn, a.messageReference]).to.deep.equal([
      "Vedtak fra benchmark",
      "Vedtak fra benchmark",
      [DOCUMENT_FILE],
      [DOCUMENT_FILE],
      "Benchmark arkiv",
      "bench-sak-1-1",
    ]);
  });

  it("each message carries its metadata file and the document, the same bytes in every message, and ids of its own", () => {
    const doc = new Uint8Array(1000).fill(7);
    const files = channelFiles(channelPlan("dpo"), doc);
    expect(files.map((f) => [f.filename, f.title, f.mimeType])).to.deep.equal([
      ["arkivmelding.xml", "Arkivmelding", "application/xml"],
      [DOCUMENT_FILE, "Vedtak", "application/pdf"],
    ]);
    expect(files[1]!.bytes).to.equal(doc);
    expect(filesBytes(files)).to.equal(Buffer.byteLength(ARKIVMELDING_XML) + 1000);
    expect(channelFiles(channelPlan("dpe"), doc).map((f) => f.filename)).to.deep.equal(["journalpost.xml", DOCUMENT_FILE]);

    let n = 0;
    const messages = channelMessages(channelPlan("dpf"), 2, files, () => `00000000-0000-4000-8000-00000000000${n++}`);
    expect(messages.map((m) => [m.messageId, m.conversationId, messageId(parseSbd(m.sbd))])).to.deep.equal([
      ["00000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000000"],
      ["00000000-0000-4000-8000-000000000002", "00000000-0000-4000-8000-000000000003", "00000000-0000-4000-8000-000000000002"],
    ]);
    expect(messages[1]!.files).to.equal(files);
  });
});
