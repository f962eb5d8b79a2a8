import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { loadExampleSigner } from "../../src/sim/maskinporten/defaults.js";
import { startPostboxSim, type PostboxBehaviour, type PostboxSim } from "../../src/sim/postbox/postbox-sim.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS } from "../helpers/dpi-network.js";
import { AVSENDER, BUSINESS_ANCHORS, buildLetter, businessKey, DIGIPOST, EBOKS, PRINT, type LetterOptions } from "../sim/postbox-fixtures.js";

/**
 * Corner 1 posts real letters (ASiC-E signed by the avsender, CMS-encrypted to the provider) to corner 2;
 * they travel over AS4 to corner 3, where the postbox simulators (Digipost and the print provider) fetch,
 * check and deliver them and hand their signed receipts back, which travel over AS4 to corner 2.
 */

const KANAL = "postbox-e2e";

interface TimelineEvent {
  status: string;
  documentType: string;
  kind: string;
}

describe("e2e: postbox providers (corner 4) behind corner 3", function () {
  this.timeout(60_000);
  let net: DpiNetwork;
  let c2: RunningAccessPoint;
  let c3: RunningAccessPoint;
  let digipost: PostboxSim;
  let print: PostboxSim;
  const crashOnce = new Set<string>();

  async function provider(orgno: string, behaviour: PostboxBehaviour): Promise<PostboxSim> {
    return startPostboxSim({
      accessPointUrl: c3.url,
      orgno,
      signer: businessKey(orgno),
      grant: { ...(await loadExampleSigner(orgno)), audience: net.sandbox.maskinporten.issuer, tokenEndpoint: net.sandbox.maskinporten.tokenUrl },
      businessAnchors: BUSINESS_ANCHORS,
      pollIntervalMs: 100,
      behaviour,
    });
  }

  before(async () => {
    net = await DpiNetwork.start();
    c2 = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts" });
    c3 = await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters" });
    digipost = await provider(DIGIPOST, {
      openDelayMs: 300,
      // Forget nothing but the first attempt: the crash happens once per chosen letter.
      crashAfterDelivery: (id) => crashOnce.delete(id),
    });
    print = await provider(PRINT, { printDelayMs: 300 });
  });
  after(async () => {
    await digipost?.stop();
    await print?.stop();
    await net?.close();
  });

  async function send(opts: LetterOptions = {}) {
    const token = await net.token(AVSENDER);
    const letter = await buildLetter({ token, ...opts });
    const posted = await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms), KANAL);
    expect(posted.status, JSON.stringify(posted.body)).to.equal(201);
    return { letter, token };
  }

  async function timeline(conversationId: string, token: string): Promise<TimelineEvent[]> {
    const res = await fetch(`${c2.url}/status/${conversationId}`, { headers: { authorization: `Bearer ${token}` } });
    return res.status === 200 ? ((await res.json()) as { events: TimelineEvent[] }).events : [];
  }

  const receiptStatuses = (events: TimelineEvent[]) => events.filter((e) => e.kind === "receipt").map((e) => e.status);

  async function until(conversationId: string, token: string, statuses: string[]): Promise<TimelineEvent[]> {
    return eventually(`${statuses.join(", ")} for ${conversationId}`, async () => {
      const events = await timeline(conversationId, token);
      const got = receiptStatuses(events);
      return statuses.every((s) => got.includes(s)) ? events : undefined;
    });
  }

  /** Waits until receipts of these types are on the timeline; returns "type:status" of every receipt. */
  async function untilReceipts(conversationId: string, token: string, types: string[]): Promise<string[]> {
    return eventually(`${types.join(", ")} for ${conversationId}`, async () => {
      const receipts = (await timeline(conversationId, token)).filter((e) => e.kind === "receipt");
      return types.every((t) => receipts.some((e) => e.documentType === t)) ? receipts.map((e) => `${e.documentType}:${e.status}`) : undefined;
    });
  }

  async function receiptsAtCornerTwo(token: string): Promise<any[]> {
    const res = await fetch(`${c2.url}/messages/in?kanal=${KANAL}&page_size=1000`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) return [];
    const items = (await res.json()) as { forretningsmelding: string }[];
    return items.map((i) => JSON.parse(Buffer.from(i.forretningsmelding.split(".")[1]!, "base64url").toString("utf8")).standardBusinessDocument);
  }

  it("a digital letter is delivered once and ends LEVERT, then LEST when the citizen opens it", async () => {
    const { letter, token } = await send();
    const events = await until(letter.conversationId, token, ["LEVERT", "LEST"]);
    expect(receiptStatuses(events)).to.deep.equal(["LEVERT", "LEST"]);

    const delivered = digipost.delivered().filter((d) => d.messageId === letter.messageId);
    expect(delivered).to.have.length(1);
    expect(delivered[0]).to.deep.include({ conversationId: letter.conversationId, type: "digital", title: "Vedtak om skatt", postkasseadresse: "ola.nordmann#9YDT", avsender: `0192:${AVSENDER}` });
    expect(delivered[0]!.files).to.deep.equal(["vedtak.pdf", "vedlegg.pdf"]);

    const receipts = (await receiptsAtCornerTwo(token)).filter((r) => r.standardBusinessDocumentHeader.businessScope.scope[0].instanceIdentifier === letter.conversationId);
    expect(receipts.map((r) => r.standardBusinessDocumentHeader.documentIdentification.type).sort()).to.deep.equal(["aapningskvittering", "leveringskvittering"]);
    for (const r of receipts) {
      expect(r.standardBusinessDocumentHeader.sender[0].identifier.value).to.equal(`0192:${DIGIPOST}`);
      expect(r.standardBusinessDocumentHeader.receiver[0].identifier.value).to.equal(`0192:${AVSENDER}`);
    }
  });

  it("a print letter gets a mottakskvittering, then a leveringskvittering when printed (both LEVERT)", async () => {
    const { letter, token } = await send({ type: "utskrift" });
    expect(await untilReceipts(letter.conversationId, token, ["mottakskvittering", "leveringskvittering"])).to.deep.equal(["mottakskvittering:LEVERT", "leveringskvittering:LEVERT"]);
    const delivered = print.delivered().find((d) => d.messageId === letter.messageId);
    expect(delivered?.printAddress).to.deep.include({ navn: "Ola Nordmann", poststed: "Oslo" });
    expect(digipost.delivered().some((d) => d.messageId === letter.messageId)).to.equal(false);
  });

  it("a package encrypted for another recipient (fingerprint correct) gets a feil (KLIENT) and is not delivered", async () => {
    const { letter, token } = await send({ recipientCertificate: businessKey(EBOKS).certificate });
    const events = await until(letter.conversationId, token, ["FEIL"]);
    expect(receiptStatuses(events)).to.deep.equal(["FEIL"]);
    expect(digipost.delivered().some((d) => d.messageId === letter.messageId)).to.equal(false);
    expect(digipost.rejected().find((r) => r.messageId === letter.messageId)).to.deep.include({ code: "dokumentpakke-decrypt-failed" });
    const feil = (await receiptsAtCornerTwo(token)).find((r) => r.standardBusinessDocumentHeader.businessScope.scope[0].instanceIdentifier === letter.conversationId);
    expect(feil?.feil).to.deep.include({ feiltype: "KLIENT" });
    expect(feil?.feil.detaljer).to.match(/^dokumentpakke-decrypt-failed/);
  });

  it("a notification to an unreachable address gets a varslingfeiletkvittering", async () => {
    const { letter, token } = await send({
      change: (p) => {
        p.standardBusinessDocument.digital.varsler.epostvarsel.epostadresse = "ola@nordmann.invalid";
        p.standardBusinessDocument.digital.aapningskvittering = false;
      },
    });
    expect(await untilReceipts(letter.conversationId, token, ["leveringskvittering", "varslingfeiletkvittering"])).to.deep.equal(["leveringskvittering:LEVERT", "varslingfeiletkvittering:FEIL"]);
  });

  it("a letter redelivered after a crash between delivery and receipt is delivered once and receipted once", async () => {
    const redeliveriesBefore = digipost.stats().redeliveries;
    const token = await net.token(AVSENDER);
    const letter = await buildLetter({ token, change: (p) => (p.standardBusinessDocument.digital.aapningskvittering = false) });
    crashOnce.add(letter.messageId);
    const posted = await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms), KANAL);
    expect(posted.status).to.equal(201);

    await until(letter.conversationId, token, ["LEVERT"]);
    expect(crashOnce.has(letter.messageId), "the crash happened").to.equal(false);
    expect(digipost.stats().redeliveries).to.be.greaterThan(redeliveriesBefore);
    expect(digipost.delivered().filter((d) => d.messageId === letter.messageId)).to.have.length(1);
    // Give any duplicate receipt time to arrive before counting.
    await new Promise((r) => setTimeout(r, 500));
    expect(receiptStatuses(await timeline(letter.conversationId, token))).to.deep.equal(["LEVERT"]);
  });
});
