import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { storeIncoming } from "../../src/dpi/incoming.js";
import { parseForretningsmelding } from "../../src/dpi/sbd.js";
import { silentLogger } from "../../src/log.js";
import { buildMessage } from "../helpers/letters.js";
import { startTestNetwork, type TestNetwork } from "../helpers/test-network.js";

// One avsender A whose letters go out three ways: directly, through databehandler D and through databehandler
// D2. Each way is its own (consumer, supplier) pair and reads only its own conversations.
const A = "910076787";
const D = "810969342";
const D2 = "991825827";
const KANAL = "scope";

interface Pair {
  consumer: string;
  supplier?: string;
}
const direct: Pair = { consumer: A };
const viaD: Pair = { consumer: A, supplier: D };
const viaD2: Pair = { consumer: A, supplier: D2 };
/** D's own token, as Digdir's integrasjonspunkt polls with after sending for A with viaD. */
const dItself: Pair = { consumer: D };
const d2Itself: Pair = { consumer: D2 };

describe("e2e: reads are scoped to the (consumer, supplier) pair that sent the conversation", function () {
  let net: TestNetwork;
  const call = async (pair: Pair, path: string, method = "GET") => {
    const token = await net.token(pair.consumer, pair.supplier ? { supplier: pair.supplier } : {});
    return fetch(`${net.ap.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  };
  const unreadIds = async (pair: Pair): Promise<string[]> => {
    const r = await call(pair, `/messages/in?kanal=${KANAL}`);
    if (r.status === 204) return [];
    expect(r.status).to.equal(200);
    const list = (await r.json()) as { forretningsmelding: string }[];
    return list.map((m) => JSON.parse(Buffer.from(m.forretningsmelding.split(".")[1]!, "base64url").toString()).standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier);
  };

  /** A letter sent with the pair's token, and a leveringskvittering for it as the AS4 receiver files it. */
  async function sendWithReceipt(pair: Pair) {
    const token = await net.token(pair.consumer, pair.supplier ? { supplier: pair.supplier } : {});
    const letter = await buildMessage({ token, sender: `0192:${pair.supplier ?? pair.consumer}` });
    const r = await postMessage(net.ap.url, token, messagesOutForm(letter.jws, letter.cms), KANAL);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const receipt = await buildMessage({ type: "leveringskvittering", conversationId: letter.conversationId, receiver: `0192:${pair.supplier ?? pair.consumer}` });
    await storeIncoming({ jws: receipt.jws, message: parseForretningsmelding(receipt.payload) }, { repo: net.ap.repo, clock: () => new Date(), log: silentLogger });
    return { letterId: letter.messageId, conversationId: letter.conversationId, receiptId: receipt.messageId };
  }

  let byA: Awaited<ReturnType<typeof sendWithReceipt>>;
  let byD: Awaited<ReturnType<typeof sendWithReceipt>>;
  let byD2: Awaited<ReturnType<typeof sendWithReceipt>>;

  before(async () => {
    net = await startTestNetwork();
    byA = await sendWithReceipt(direct);
    byD = await sendWithReceipt(viaD);
    byD2 = await sendWithReceipt(viaD2);
  });
  after(async () => {
    await net?.close();
  });

  it("GET /messages/in lists to each pair only the receipts of what it sent", async () => {
    expect(await unreadIds(direct)).to.deep.equal([byA.receiptId]);
    expect(await unreadIds(viaD)).to.deep.equal([byD.receiptId]);
    expect(await unreadIds(viaD2)).to.deep.equal([byD2.receiptId]);
    expect(await unreadIds(dItself)).to.deep.equal([byD.receiptId]);
    expect(await unreadIds(d2Itself)).to.deep.equal([byD2.receiptId]);
  });

  it("GET /messages/out/{id}/statuses answers only the pair that sent the letter (404 for everyone else)", async () => {
    const statuses = async (pair: Pair) =>
      Promise.all([byA, byD, byD2].map(async (c) => (await call(pair, `/messages/out/${c.letterId}/statuses`)).status));
    expect(await statuses(direct)).to.deep.equal([200, 404, 404]);
    expect(await statuses(viaD)).to.deep.equal([404, 200, 404]);
    expect(await statuses(viaD2)).to.deep.equal([404, 404, 200]);
    expect(await statuses(dItself)).to.deep.equal([404, 200, 404]);
  });

  it("GET /status/{conversationId} shows a conversation only to the pair that sent it", async () => {
    const timelines = async (pair: Pair) =>
      Promise.all([byA, byD, byD2].map(async (c) => (await call(pair, `/status/${c.conversationId}`)).status));
    expect(await timelines(direct)).to.deep.equal([200, 404, 404]);
    expect(await timelines(viaD)).to.deep.equal([404, 200, 404]);
    expect(await timelines(viaD2)).to.deep.equal([404, 404, 200]);
    const timeline = (await (await call(viaD, `/status/${byD.conversationId}`)).json()) as { events: { messageId: string; status: string }[] };
    expect(timeline.events.map((e) => [e.messageId, e.status])).to.deep.equal([
      [byD.letterId, "OPPRETTET"],
      [byD.receiptId, "LEVERT"],
    ]);
  });

  it("POST /messages/in/{id}/read confirms only the pair's own receipts and hides nothing from the others", async () => {
    const confirm = async (pair: Pair, receiptId: string) => (await call(pair, `/messages/in/${receiptId}/read`, "POST")).status;
    expect(await confirm(viaD, byA.receiptId)).to.equal(404);
    expect(await confirm(viaD, byD2.receiptId)).to.equal(404);
    expect(await confirm(direct, byD.receiptId)).to.equal(404);
    expect(await confirm(dItself, byD2.receiptId)).to.equal(404);
    expect(await unreadIds(direct)).to.deep.equal([byA.receiptId]);
    expect(await unreadIds(viaD2)).to.deep.equal([byD2.receiptId]);

    expect(await confirm(viaD, byD.receiptId)).to.equal(200);
    expect(await unreadIds(viaD)).to.deep.equal([]);
    expect(await unreadIds(dItself), "the same sender, D, with its own token").to.deep.equal([]);
    expect(await unreadIds(direct)).to.deep.equal([byA.receiptId]);
    expect(await unreadIds(viaD2)).to.deep.equal([byD2.receiptId]);

    expect(await confirm(direct, byA.receiptId)).to.equal(200);
    expect(await unreadIds(direct)).to.deep.equal([]);
    expect(await unreadIds(viaD2)).to.deep.equal([byD2.receiptId]);
  });
});
