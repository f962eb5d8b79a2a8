import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { buildMessage } from "../helpers/letters.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS, getJson } from "../helpers/dpi-network.js";
import type { RunningAccessPoint } from "../../src/server.js";

const AVSENDER = "910076787";
const DIGIPOST = "984661185";

describe("e2e: a DPI letter from corner 2 over AS4 to corner 3 and its receipts back", function () {
  this.timeout(60_000);
  let net: DpiNetwork;
  let c2: RunningAccessPoint;
  let c3: RunningAccessPoint;

  before(async () => {
    net = await DpiNetwork.start();
    c2 = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts" });
    c3 = await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS.filter((p) => p !== "0192:922020175"), receives: "letters" });
    // e-Boks is published in the SMP as reachable at corner 3, but corner 3 does not serve it.
    await net.sandbox.registerAccessPoint({ endpointUrl: `${c3.url}/as4`, certificate: c3.as4Certificate, participants: ["0192:922020175"], receives: "letters" });
  });
  after(async () => {
    await net?.close();
  });

  it("delivers a digital letter, and the provider's leveringskvittering reaches corner 1", async () => {
    const token = await net.token(AVSENDER);
    const letter = await buildMessage({ token });
    const posted = await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms), "e2e");
    expect(posted.status, JSON.stringify(posted.body)).to.equal(201);

    await eventually("SENDT at corner 2", async () => {
      const r = await getJson(c2, `/messages/out/${letter.messageId}/statuses`, token);
      return r.body.some((s: { status: string }) => s.status === "SENDT") ? r.body : undefined;
    });

    // Corner 4 (Digipost) fetches the letter from corner 3 and downloads the document package.
    const providerToken = await net.token(DIGIPOST);
    // Other tests may have left letters for Digipost at corner 3: wait for this one.
    const item = await eventually("the letter at corner 3, its forretningsmelding unchanged", async () => {
      const r = await getJson(c3, "/messages/in", providerToken);
      return r.status === 200 ? (r.body as { forretningsmelding: string; downloadurl: string }[]).find((i) => i.forretningsmelding === letter.jws) : undefined;
    });
    const dl = await fetch(item.downloadurl, { headers: { authorization: `Bearer ${providerToken}` } });
    expect(Buffer.from(await dl.arrayBuffer()).equals(Buffer.from(letter.cms!))).to.equal(true);
    expect((await fetch(`${c3.url}/messages/in/${letter.messageId}/read`, { method: "POST", headers: { authorization: `Bearer ${providerToken}` } })).status).to.equal(200);

    // The provider hands its receipt to corner 3, which routes it back over AS4.
    const receipt = await buildMessage({ type: "leveringskvittering", conversationId: letter.conversationId, receiver: `0192:${AVSENDER}` });
    const r = await postMessage(c3.url, providerToken, messagesOutForm(receipt.jws));
    expect(r.status, JSON.stringify(r.body)).to.equal(201);

    const received = await eventually("the receipt at corner 2", async () => {
      const res = await getJson(c2, "/messages/in?kanal=e2e", token);
      return res.status === 200 ? (res.body as { forretningsmelding: string }[]) : undefined;
    });
    expect(received.map((m) => m.forretningsmelding)).to.deep.equal([receipt.jws]);
    const timeline = await getJson(c2, `/status/${letter.conversationId}`, token);
    expect(timeline.body.events.map((e: { status: string }) => e.status)).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT"]);
    // corner 3 records SENDT once corner 2's AS4 receipt is back, a moment after corner 2 stored the receipt
    const c3status = await eventually("the receipt SENDT at corner 3", async () => {
      const res = await getJson(c3, `/messages/out/${receipt.messageId}/statuses`, providerToken);
      return res.body.length > 1 ? res.body : undefined;
    });
    expect(c3status.map((s: { status: string }) => s.status)).to.deep.equal(["OPPRETTET", "SENDT"]);
  });

  it("a letter to a provider corner 3 does not serve ends FEILET with PEPPOL:NOT_SERVICED", async () => {
    const token = await net.token(AVSENDER);
    const letter = await buildMessage({ token, receiver: "0192:922020175" });
    expect((await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms))).status).to.equal(201);
    const statuses = await eventually("FEILET", async () => {
      const r = await getJson(c2, `/messages/out/${letter.messageId}/statuses`, token);
      return r.body.some((s: { status: string }) => s.status === "FEILET") ? r.body : undefined;
    });
    expect(statuses.map((x: { status: string; beskrivelse?: string }) => [x.status, x.beskrivelse])).to.deep.equal([
      ["OPPRETTET", undefined],
      ["FEILET", "EBMS:0004 Other: PEPPOL:NOT_SERVICED"],
    ]);
    // corner 1 also gets a feil receipt, signed by the access point's operator, in the letter's conversation
    const inbox = await getJson(c2, "/messages/in", token);
    const feil = (inbox.body as { forretningsmelding: string }[])
      .map((m) => JSON.parse(Buffer.from(m.forretningsmelding.split(".")[1]!, "base64url").toString()).standardBusinessDocument)
      .find((sbd) => sbd.standardBusinessDocumentHeader.businessScope.scope[0].instanceIdentifier === letter.conversationId);
    expect({ feiltype: feil?.feil?.feiltype, detaljer: feil?.feil?.detaljer, signedBy: feil?.standardBusinessDocumentHeader.sender[0].identifier.value }).to.deep.equal({
      feiltype: "SERVER",
      detaljer: "EBMS:0004 Other: PEPPOL:NOT_SERVICED",
      signedBy: "0192:987654325",
    });
    const timeline = await getJson(c2, `/status/${letter.conversationId}`, token);
    expect(timeline.body.events.map((e: { status: string }) => e.status)).to.deep.equal(["OPPRETTET", "FEILET", "FEIL"]);
  });

  it("a letter without any receipt by its expectedResponseDateTime becomes LEVETID_UTLOPT (FEILET on its statuses)", async () => {
    const token = await net.token(AVSENDER);
    const letter = await buildMessage({ token, expectedResponse: new Date(Date.now() + 1500) });
    expect((await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms))).status).to.equal(201);
    await eventually("SENDT", async () => {
      const r = await getJson(c2, `/messages/out/${letter.messageId}/statuses`, token);
      return r.body.some((s: { status: string }) => s.status === "SENDT") ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 1600));
    // The worker sweeps now and then too; whichever sweep comes first expires the letter, once.
    await c2.outbox.sweepExpired();
    const r = await getJson(c2, `/messages/out/${letter.messageId}/statuses`, token);
    // Digdir's contract has no LEVETID_UTLOPT: the statuses show FEILET, the timeline the real status.
    expect(r.body.map((s: { status: string }) => s.status)).to.deep.equal(["OPPRETTET", "SENDT", "FEILET"]);
    expect(r.body[2].beskrivelse).to.match(/^LEVETID_UTLOPT: the letter expired, no receipt arrived before /);
    const timeline = await getJson(c2, `/status/${letter.conversationId}`, token);
    expect(timeline.body.events.map((e: { status: string }) => e.status)).to.deep.equal(["OPPRETTET", "SENDT", "LEVETID_UTLOPT"]);
    expect(await c2.outbox.sweepExpired(), "a second sweep finds nothing more of this letter").to.equal(0);
  });

  it("a letter to a participant nobody registered ends FEILET with the lookup's reason", async () => {
    const token = await net.token(AVSENDER);
    const letter = await buildMessage({ token, receiver: "0192:999999999" });
    expect((await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms))).status).to.equal(201);
    const statuses = await eventually("FEILET", async () => {
      const r = await getJson(c2, `/messages/out/${letter.messageId}/statuses`, token);
      return r.body.some((s: { status: string }) => s.status === "FEILET") ? r.body : undefined;
    });
    const name = `ilqyxlycgbhugu6l7qijtjougpockixhevtwcjazfqibxv54axxq.iso6523-actorid-upis.${net.sandbox.zone}`;
    expect(statuses.map((x: { status: string; beskrivelse?: string }) => [x.status, x.beskrivelse])).to.deep.equal([
      ["OPPRETTET", undefined],
      ["FEILET", `lookup: iso6523-actorid-upis::0192:999999999 has no SML record (${name})`],
    ]);
  });

  it("counts what happened in Prometheus metrics at both corners", async () => {
    // Other tests in this file send letters too: measure what this test's own two letters add.
    const series = {
      accepted: [() => c2, 'dpi_ap_messages_accepted_total{document_type="digital"}'],
      delivered: [() => c2, 'dpi_ap_as4_send_attempts_total{outcome="delivered"}'],
      failed: [() => c2, 'dpi_ap_as4_send_attempts_total{outcome="failed"}'],
      receipts: [() => c3, 'dpi_ap_as4_received_total{answer="receipt"}'],
      notServiced: [() => c3, 'dpi_ap_as4_received_total{answer="EBMS:0004"}'],
      pending: [() => c2, "dpi_ap_outbox_pending"],
    } as const;
    const scrape = async () => {
      const texts = new Map<RunningAccessPoint, string>();
      for (const ap of [c2, c3]) texts.set(ap, await (await fetch(`${ap.url}/metrics`)).text());
      const values: Record<string, number> = {};
      for (const [name, [ap, line]] of Object.entries(series)) {
        const m = new RegExp(`^${line.replace(/[{}"]/g, "\\$&")} (\\d+)$`, "m").exec(texts.get(ap())!);
        values[name] = m ? Number(m[1]) : 0;
      }
      return values;
    };
    const before = await scrape();

    const token = await net.token(AVSENDER);
    const delivered = await buildMessage({ token });
    const refused = await buildMessage({ token, receiver: "0192:922020175" });
    for (const letter of [delivered, refused]) expect((await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms))).status).to.equal(201);
    const last = async (letter: { messageId: string }) => (await getJson(c2, `/messages/out/${letter.messageId}/statuses`, token)).body.at(-1).status as string;
    await eventually("SENDT and FEILET", async () => ((await last(delivered)) === "SENDT" && (await last(refused)) === "FEILET" ? true : undefined));

    const after = await scrape();
    const added = Object.fromEntries(Object.keys(series).map((k) => [k, after[k]! - before[k]!]));
    expect(added).to.deep.equal({ accepted: 2, delivered: 1, failed: 1, receipts: 1, notServiced: 1, pending: 0 });
    expect(after.pending).to.equal(0);
  });
});
