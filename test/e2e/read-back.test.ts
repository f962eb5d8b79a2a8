import { randomBytes, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import type { LetterType, ReceiptType } from "../../src/dpi/document-types.js";
import { storeIncoming } from "../../src/dpi/incoming.js";
import { parseForretningsmelding } from "../../src/dpi/sbd.js";
import { silentLogger } from "../../src/log.js";
import { buildMessage } from "../helpers/letters.js";
import { certificate } from "../helpers/certs.js";
import { expectProblem } from "../helpers/problem.js";
import { encryptDokumentpakke } from "../../src/dpi/dokumentpakke.js";
import { DOKUMENTPAKKE_IN_HAND_BYTES } from "../../src/api/multipart-submission.js";
import { DOWNLOAD_IN_ONE_PIECE_BYTES } from "../../src/api/messages-in.js";
import { startTestNetwork, type TestNetwork } from "../helpers/test-network.js";

const AVSENDER = "910076787";
const DATABEHANDLER = "810969342";
const OTHER = "991825827";
const DIGIPOST = "984661185";

describe("e2e: reading statuses, receipts and letters back", function () {
  let net: TestNetwork;
  const get = async (path: string, consumer: string, method = "GET") => {
    const token = await net.token(consumer);
    return fetch(`${net.ap.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  };

  /** A letter sent by corner 1, then receipts arriving for it (as the AS4 receiver will file them). */
  async function conversationWithReceipts(opts: { sender?: string; kanal?: string; letter?: LetterType; expectedResponse?: Date; receipts: ReceiptType[] }) {
    const sender = opts.sender ?? AVSENDER;
    const consumer = AVSENDER;
    const token = await net.token(consumer, sender !== AVSENDER ? { supplier: sender } : {});
    const letter = await buildMessage({ token, sender: `0192:${sender}`, ...(opts.letter ? { type: opts.letter } : {}), ...(opts.expectedResponse ? { expectedResponse: opts.expectedResponse } : {}) });
    const r = await postMessage(net.ap.url, token, messagesOutForm(letter.jws, letter.cms), opts.kanal);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const receiptIds: string[] = [];
    for (const type of opts.receipts) {
      const receipt = await buildMessage({ type, conversationId: letter.conversationId, receiver: `0192:${sender}` });
      await storeIncoming(
        { jws: receipt.jws, message: parseForretningsmelding(receipt.payload) },
        { repo: net.ap.repo, clock: () => new Date(), log: silentLogger },
      );
      receiptIds.push(receipt.messageId);
    }
    return { letter, receiptIds };
  }

  before(async () => {
    net = await startTestNetwork();
  });
  after(async () => {
    await net?.close();
  });

  it("GET /messages/in lists unread receipts for the avsender, filtered by kanal and avsenderidentifikator, paged", async () => {
    const { receiptIds } = await conversationWithReceipts({ kanal: "Kanal_A", receipts: ["leveringskvittering", "aapningskvittering"] });
    const all = await get("/messages/in?kanal=kanal_a", AVSENDER);
    expect(all.status).to.equal(200);
    const list = (await all.json()) as { forretningsmelding: string; downloadurl?: string }[];
    expect(list).to.have.length(2);
    const ids = list.map((m) => JSON.parse(Buffer.from(m.forretningsmelding.split(".")[1]!, "base64url").toString()).standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier);
    expect(ids).to.deep.equal(receiptIds);
    expect(list[0]).to.not.have.property("downloadurl");

    expect((await get("/messages/in?kanal=kanal_a&avsenderidentifikator=skatt-innkreving", AVSENDER)).status).to.equal(200);
    expect((await get("/messages/in?kanal=kanal_a&avsenderidentifikator=noen-andre", AVSENDER)).status).to.equal(204);
    expect((await get("/messages/in?kanal=Kanal_B", AVSENDER)).status).to.equal(204);
    const page1 = (await (await get("/messages/in?kanal=Kanal_A&page_size=1&page=1", AVSENDER)).json()) as unknown[];
    expect(page1).to.have.length(1);
    expect(page1[0]).to.deep.equal(list[1]);
    expect((await get("/messages/in?kanal=Kanal_A&page_size=1&page=2", AVSENDER)).status).to.equal(204);
  });

  it("POST /messages/in/{id}/read removes a receipt from the unread list, idempotently", async () => {
    const { receiptIds } = await conversationWithReceipts({ kanal: "lesing", receipts: ["leveringskvittering"] });
    expect((await get("/messages/in?kanal=lesing", AVSENDER)).status).to.equal(200);
    const read = await get(`/messages/in/${receiptIds[0]}/read`, AVSENDER, "POST");
    expect(read.status).to.equal(200);
    expect((await get(`/messages/in/${receiptIds[0]}/read`, AVSENDER, "POST")).status).to.equal(200);
    expect((await get("/messages/in?kanal=lesing", AVSENDER)).status).to.equal(204);
  });

  it("GET /status/{conversationId} shows our statuses and every receipt in order", async () => {
    const { letter } = await conversationWithReceipts({ receipts: ["leveringskvittering", "aapningskvittering"] });
    const res = await get(`/status/${letter.conversationId}`, AVSENDER);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { conversationId: string; events: { status: string; kind: string; messageId: string }[] };
    expect(body.conversationId).to.equal(letter.conversationId);
    expect(body.events.map((e) => `${e.kind}:${e.status}`)).to.deep.equal(["status:OPPRETTET", "receipt:LEVERT", "receipt:LEST"]);
    expect(body.events[0]!.messageId).to.equal(letter.messageId);
  });

  it("GET /status/{conversationId} shows each receipt under the status Digdir's integrasjonspunkt gives it", async () => {
    const timeline = async (conversationId: string) =>
      ((await (await get(`/status/${conversationId}`, AVSENDER)).json()) as { events: { kind: string; documentType: string; status: string }[] }).events
        .filter((e) => e.kind === "receipt")
        .map((e) => `${e.documentType}:${e.status}`);
    const digital = await conversationWithReceipts({ receipts: ["leveringskvittering", "aapningskvittering", "varslingfeiletkvittering", "feil"] });
    expect(await timeline(digital.letter.conversationId)).to.deep.equal(["leveringskvittering:LEVERT", "aapningskvittering:LEST", "varslingfeiletkvittering:FEIL", "feil:FEIL"]);
    const print = await conversationWithReceipts({ letter: "utskrift", receipts: ["mottakskvittering", "leveringskvittering", "returpostkvittering"] });
    expect(await timeline(print.letter.conversationId)).to.deep.equal(["mottakskvittering:LEVERT", "leveringskvittering:LEVERT", "returpostkvittering:FEIL"]);
  });

  it("GET /messages/out/{id}/statuses shows an expired letter as FEILET saying why; the timeline keeps LEVETID_UTLOPT", async () => {
    const expiry = new Date(Date.now() + 300);
    const { letter } = await conversationWithReceipts({ kanal: "utlopt", expectedResponse: expiry, receipts: [] });
    await new Promise((r) => setTimeout(r, 400));
    expect(await net.ap.outbox.sweepExpired()).to.equal(1);
    const statuses = await get(`/messages/out/${letter.messageId}/statuses`, AVSENDER);
    expect(statuses.status).to.equal(200);
    const body = (await statuses.json()) as { status: string; beskrivelse?: string }[];
    expect(body.map((s) => [s.status, s.beskrivelse])).to.deep.equal([
      ["OPPRETTET", undefined],
      ["FEILET", `LEVETID_UTLOPT: the letter expired, no receipt arrived before ${expiry.toISOString()}`],
    ]);
    const timeline = (await (await get(`/status/${letter.conversationId}`, AVSENDER)).json()) as { events: { status: string }[] };
    expect(timeline.events.map((e) => e.status)).to.deep.equal(["OPPRETTET", "LEVETID_UTLOPT"]);
  });

  it("a databehandler reads the statuses and receipts of what it sent on the avsender's behalf; the avsender's own token does not", async () => {
    const { letter, receiptIds } = await conversationWithReceipts({ sender: DATABEHANDLER, kanal: "delegert", receipts: ["leveringskvittering"] });
    // with its own token, as Digdir's integrasjonspunkt polls
    expect((await get(`/messages/out/${letter.messageId}/statuses`, DATABEHANDLER)).status).to.equal(200);
    const list = await get("/messages/in?kanal=delegert", DATABEHANDLER);
    expect(list.status).to.equal(200);
    expect(((await list.json()) as unknown[]).length).to.equal(1);
    // with the delegated token it sent with
    const delegated = await net.token(AVSENDER, { supplier: DATABEHANDLER });
    const viaDelegation = await fetch(`${net.ap.url}/messages/in?kanal=delegert`, { headers: { authorization: `Bearer ${delegated}` } });
    expect(viaDelegation.status).to.equal(200);
    // the avsender calling directly did not send it
    expect((await get("/messages/in?kanal=delegert", AVSENDER)).status).to.equal(204);
    expect((await get(`/messages/out/${letter.messageId}/statuses`, AVSENDER)).status).to.equal(404);
    expect((await get(`/messages/in/${receiptIds[0]}/read`, AVSENDER, "POST")).status).to.equal(404);
    expect((await get(`/messages/in/${receiptIds[0]}/read`, DATABEHANDLER, "POST")).status).to.equal(200);
  });

  it("other organisations get 404 for everything, without learning what exists", async () => {
    const { letter, receiptIds } = await conversationWithReceipts({ kanal: "hemmelig", receipts: ["leveringskvittering"] });
    const probes = [
      await get(`/messages/out/${letter.messageId}/statuses`, OTHER),
      await get(`/messages/out/${randomUUID()}/statuses`, OTHER),
      await get(`/status/${letter.conversationId}`, OTHER),
      await get(`/messages/in/${receiptIds[0]}`, OTHER),
      await get(`/messages/in/${receiptIds[0]}/read`, OTHER, "POST"),
    ];
    expect(probes.map((p) => p.status)).to.deep.equal([404, 404, 404, 404, 404]);
    const bodies = (await Promise.all(probes.map((p) => p.json()))) as { code: string }[];
    expect(bodies[0]!.code).to.equal(bodies[1]!.code);
    expect((await get("/messages/in?kanal=hemmelig", OTHER)).status).to.equal(204);
    // and the owner still sees it unread
    expect((await get("/messages/in?kanal=hemmelig", AVSENDER)).status).to.equal(200);
  });

  it("corner 3: a postbox provider lists letters addressed to it and downloads the dokumentpakke", async () => {
    const letter = await buildMessage({ token: "t" });
    const blob = await net.ap.blobs.write(Readable.from([Buffer.from(letter.cms!)]));
    await storeIncoming({ jws: letter.jws, message: parseForretningsmelding(letter.payload), dokumentpakke: blob }, { repo: net.ap.repo, clock: () => new Date(), log: silentLogger });
    const list = await get("/messages/in", DIGIPOST);
    expect(list.status).to.equal(200);
    const items = (await list.json()) as { forretningsmelding: string; downloadurl: string }[];
    const item = items.find((i) => i.forretningsmelding === letter.jws)!;
    expect(item.downloadurl).to.equal(`${net.ap.url}/messages/in/${letter.messageId}`);
    const dl = await get(new URL(item.downloadurl).pathname, DIGIPOST);
    expect(dl.status).to.equal(200);
    // Digdir's OpenAPI declares the dokumentpakke as application/json with a binary schema: the raw CMS bytes.
    expect(dl.headers.get("content-type")).to.equal("application/json");
    expect(dl.headers.get("content-length")).to.equal(String(letter.cms!.length));
    expect(dl.headers.get("content-disposition")).to.equal(`attachment; filename="${letter.messageId}.asic.cms"`);
    expect(dl.headers.get("cache-control")).to.equal("no-store");
    expect(Buffer.from(await dl.arrayBuffer()).equals(Buffer.from(letter.cms!))).to.equal(true);
    expect((await get(new URL(item.downloadurl).pathname, AVSENDER)).status).to.equal(404);
  });

  it("corner 3: a dokumentpakke too large to send in one piece is streamed, whole and with its length", async () => {
    // Several pieces of DOWNLOAD_IN_ONE_PIECE_BYTES and a short last one.
    const cms = await encryptDokumentpakke(randomBytes(3 * DOWNLOAD_IN_ONE_PIECE_BYTES + 10_000), certificate("business/984661185.pem"));
    const letter = await buildMessage({ token: "t", cms });
    const blob = await net.ap.blobs.write(Readable.from([Buffer.from(cms)]));
    await storeIncoming({ jws: letter.jws, message: parseForretningsmelding(letter.payload), dokumentpakke: blob }, { repo: net.ap.repo, clock: () => new Date(), log: silentLogger });
    const dl = await get(`/messages/in/${letter.messageId}`, DIGIPOST);
    expect(dl.status).to.equal(200);
    expect(dl.headers.get("content-length")).to.equal(String(cms.length));
    expect(Buffer.from(await dl.arrayBuffer()).equals(Buffer.from(cms))).to.equal(true);
  });

  it("POST /messages/out checks a dokumentpakke too large to keep in hand from the store: CMS EnvelopedData is taken, anything else refused", async () => {
    const token = await net.token(AVSENDER);
    const big = await encryptDokumentpakke(randomBytes(DOKUMENTPAKKE_IN_HAND_BYTES + 10_000), certificate("business/984661185.pem"));
    const letter = await buildMessage({ token, cms: big });
    const taken = await postMessage(net.ap.url, token, messagesOutForm(letter.jws, letter.cms));
    expect(taken.status, JSON.stringify(taken.body)).to.equal(201);
    const notCms = await buildMessage({ token, cms: randomBytes(DOKUMENTPAKKE_IN_HAND_BYTES + 10_000) });
    expectProblem(await postMessage(net.ap.url, token, messagesOutForm(notCms.jws, notCms.cms)), 400, "dokumentpakke-not-cms");
  });

  it("GET /messages/in ignores unknown query parameters and takes empty ones as absent, as Digdir's client polls", async () => {
    const { receiptIds } = await conversationWithReceipts({ kanal: "tomme", receipts: ["leveringskvittering", "aapningskvittering"] });
    const idsOf = async (r: Response) => ((await r.json()) as { forretningsmelding: string }[]).map((m) => JSON.parse(Buffer.from(m.forretningsmelding.split(".")[1]!, "base64url").toString()).standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier);
    const filtered = await get("/messages/in?kanal=tomme&avsenderidentifikator=&page=&page_size=&unknown=1&utm_source=x", AVSENDER);
    expect(filtered.status).to.equal(200);
    expect(await idsOf(filtered)).to.deep.equal(receiptIds);
    const unfiltered = await get("/messages/in?kanal=&avsenderidentifikator=&page=", AVSENDER);
    expect(unfiltered.status).to.equal(200);
    const plain = await get("/messages/in", AVSENDER);
    expect(await idsOf(unfiltered)).to.deep.equal(await idsOf(plain));
    expect(await idsOf(await get("/messages/in?kanal=tomme&page_size=1&page=", AVSENDER))).to.deep.equal([receiptIds[0]]);
  });

  it("400 for query parameters that are present and invalid", async () => {
    for (const q of ["page_size=0", "page_size=1001", "page_size=x", "page=-1", "page=1.5", "kanal=%C3%A6", "kanal=a%20b", "kanal=a&kanal=b"]) {
      const r = await get(`/messages/in?${q}`, AVSENDER);
      expect(r.status, q).to.equal(400);
      expect(((await r.json()) as { code: string }).code, q).to.equal("query-invalid");
    }
  });

  it("serves /openapi.json, /health/live and /health/ready without a token", async () => {
    const doc = (await (await fetch(`${net.ap.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, any>; components: { schemas: Record<string, any> } };
    expect(doc.openapi).to.match(/^3\./);
    // Digdir's media type for the download and its three statuses
    expect(Object.keys(doc.paths["/messages/in/{id}"].get.responses["200"].content)).to.deep.equal(["application/json"]);
    expect(doc.components.schemas.Status.properties.status.enum).to.deep.equal(["OPPRETTET", "SENDT", "FEILET"]);
    expect(Object.keys(doc.paths)).to.include.members(["/messages/out", "/messages/out/{id}/statuses", "/messages/in", "/messages/in/{id}", "/messages/in/{id}/read", "/status/{conversationId}"]);
    expect((await fetch(`${net.ap.url}/health/live`)).status).to.equal(200);
    const ready = await fetch(`${net.ap.url}/health/ready`);
    expect(ready.status).to.equal(200);
    expect(((await ready.json()) as { status: string }).status).to.equal("UP");
  });

  it("404 problem for unknown routes", async () => {
    const r = await fetch(`${net.ap.url}/nope`);
    expect(r.status).to.equal(404);
    expect(r.headers.get("content-type")).to.match(/problem\+json/);
  });

  void randomBytes;
});
