import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { DpiNetwork, eventually, SENDERS } from "../helpers/dpi-network.js";
import { buildMessage } from "../helpers/letters.js";

/**
 * Corner 2 takes a receipt only when it answers a letter it sent: from the provider the letter went to, of a
 * type the letter's process has. Here another access point, serving e-Boks, answers a letter that went to
 * someone else; corner 2 refuses it with an EBMS error and the letter's timeline is untouched.
 */
describe("e2e: corner 2 refuses receipts that do not answer its letters", function () {
  this.timeout(60_000);
  let net: DpiNetwork;
  after(async () => {
    await net?.close();
  });

  it("a receipt from a provider the letter never went to ends FEILET at its sender, not LEVERT at corner 2", async () => {
    net = await DpiNetwork.start();
    const c2 = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts" });
    const token = await net.token("910076787");
    const letter = await buildMessage({ token, receiver: "0192:999999999" });
    expect((await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms))).status).to.equal(201);

    const other = await net.corner({ name: "other", seat: "POP000002", served: ["0192:922020175"], receives: "letters" });
    // Make the other access point believe e-Boks got a letter in that conversation, so its intake lets e-Boks answer.
    await other.repo.insert(
      { messageId: randomUUID(), direction: "IN", conversationId: letter.conversationId, documentType: "digital", process: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0", standard: "x", senderIdentifier: "0192:910076787", receiverIdentifier: "0192:922020175", avsenderOrg: "0192:910076787", forretningsmelding: "x" },
      "MOTTATT",
      new Date(),
    );
    const receipt = await buildMessage({
      type: "leveringskvittering",
      conversationId: letter.conversationId,
      receiver: "0192:910076787",
      sender: "0192:922020175",
      avsender: "0192:922020175",
    });
    const eboks = await net.token("922020175");
    expect((await postMessage(other.url, eboks, messagesOutForm(receipt.jws))).status).to.equal(201);
    const statuses = await eventually("FEILET at the other access point", async () => {
      const r = await fetch(`${other.url}/messages/out/${receipt.messageId}/statuses`, { headers: { authorization: `Bearer ${eboks}` } });
      const s = (await r.json()) as { status: string; beskrivelse?: string }[];
      return s.some((x) => x.status === "FEILET") ? s : undefined;
    });
    expect(statuses.at(-1)!.beskrivelse).to.match(/EBMS:0004.*must come from 0192:999999999/);
    const tl = (await (await fetch(`${c2.url}/status/${letter.conversationId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { events: { status: string }[] };
    expect(tl.events.map((e) => e.status)).to.not.include("LEVERT");
  });
});
