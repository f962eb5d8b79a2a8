import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS } from "../helpers/dpi-network.js";
import { buildMessage } from "../helpers/letters.js";

/**
 * A send whose answer is lost (timeout, crash between sending and recording) is sent again with the same AS4
 * MessageId. The receiver recognises it and repeats the receipt of the first attempt, which signed other ids
 * and another content key: corner 2 must accept that receipt as evidence instead of failing the letter.
 */
describe("e2e: a resend after a lost receipt is confirmed by the first attempt's receipt", function () {
  this.timeout(60_000);
  let net: DpiNetwork;
  after(async () => {
    await net?.close();
  });

  it("ends SENDT again, with the letter stored once at corner 3", async () => {
    net = await DpiNetwork.start();
    const c2 = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts" });
    await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters" });
    const token = await net.token("910076787");
    const m = await buildMessage({ token });
    expect((await postMessage(c2.url, token, messagesOutForm(m.jws, m.cms))).status).to.equal(201);
    await eventually("SENDT", async () => ((await c2.repo.get("OUT", m.messageId))?.status === "SENDT" ? true : undefined));

    // As if the receipt had been lost: the letter is due again, and its SENDT was never recorded.
    const db = c2.repo.db;
    const key = { direction: "OUT", messageId: m.messageId };
    await db.$transaction([
      db.conversation.update({ where: { direction_messageId: key }, data: { nextAttemptAt: new Date(), status: "OPPRETTET" } }),
      db.conversationStatus.deleteMany({ where: { ...key, status: "SENDT" } }),
    ]);
    c2.outbox.nudge();
    const row = await eventually("the second attempt", async () => {
      const x = await c2.repo.get("OUT", m.messageId);
      return x && x.attempts >= 2 && x.nextAttemptAt === null ? x : undefined;
    });
    expect({ status: row.status, lastError: row.lastError }).to.deep.equal({ status: "SENDT", lastError: null });
    expect(JSON.parse(row.dpi.signedReferences!)).to.have.length(2);
    expect((await c2.repo.statuses("OUT", m.messageId)).map((s) => s.status)).to.deep.equal(["OPPRETTET", "SENDT"]);

    const list = await fetch(`${net.corners.get("c3")!.url}/messages/in`, { headers: { authorization: `Bearer ${await net.token("984661185")}` } });
    expect(((await list.json()) as unknown[]).length).to.equal(1);
  });
});
