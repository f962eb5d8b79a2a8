import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { expect } from "chai";
import { IncomingMessageIdConflictError, storeIncoming } from "../../src/dpi/incoming.js";
import { parseForretningsmelding } from "../../src/dpi/sbd.js";
import { silentLogger } from "../../src/log.js";
import { buildMessage } from "../helpers/letters.js";
import { outStatuses, postMessagesOut } from "../helpers/messages-out.js";
import { expectProblem } from "../helpers/problem.js";
import { startTestNetwork, type TestNetwork } from "../helpers/test-network.js";

/**
 * Message ids are UUIDs, the same id in either letter case: the same id in another case is a used id (409),
 * and reads by id find the message whichever case the caller writes. The forretningsmelding keeps the case
 * its producer chose (it is signed); only the store's key is normalised.
 */

const AVSENDER = "910076787";
const DIGIPOST = "984661185";

describe("e2e: message ids compare case-insensitively (they are UUIDs)", function () {
  let net: TestNetwork;
  before(async () => {
    net = await startTestNetwork();
  });
  after(async () => {
    await net?.close();
  });

  const post = (token: string, jws: string, cms?: Uint8Array) => postMessagesOut(net.ap.url, token, jws, cms);

  async function letter(o: { messageId: string }) {
    const token = await net.token(AVSENDER);
    return { token, msg: await buildMessage({ token, messageId: o.messageId }) };
  }

  const statuses = async (id: string) => outStatuses(net.ap.url, await net.token(AVSENDER), id);

  it("409 message-id-used for ABC… after abc…, and for abc… after ABC…", async () => {
    const id = randomUUID();
    const first = await letter({ messageId: id.toLowerCase() });
    expect((await post(first.token, first.msg.jws, first.msg.cms)).status).to.equal(201);
    const upper = await letter({ messageId: id.toUpperCase() });
    expectProblem(await post(upper.token, upper.msg.jws, upper.msg.cms), 409, "message-id-used");

    const id2 = randomUUID();
    const firstUpper = await letter({ messageId: id2.toUpperCase() });
    const r = await post(firstUpper.token, firstUpper.msg.jws, firstUpper.msg.cms);
    expect({ status: r.status, id: r.body.id }).to.deep.equal({ status: 201, id: id2.toUpperCase() });
    const lower = await letter({ messageId: id2.toLowerCase() });
    expectProblem(await post(lower.token, lower.msg.jws, lower.msg.cms), 409, "message-id-used");
  });

  it("statuses are found by the id in either case", async () => {
    const id = randomUUID();
    const { token, msg } = await letter({ messageId: id.toUpperCase() });
    expect((await post(token, msg.jws, msg.cms)).status).to.equal(201);
    for (const spelling of [id.toUpperCase(), id.toLowerCase(), id.slice(0, 9).toUpperCase() + id.slice(9)]) {
      expect(await statuses(spelling), spelling).to.deep.equal({ status: 200, list: ["OPPRETTET"] });
    }
  });

  it("an incoming letter is downloaded and confirmed by its id in either case, and stored once", async () => {
    const id = randomUUID();
    const l = await buildMessage({ token: "t", messageId: id.toUpperCase() });
    const deps = { repo: net.ap.repo, clock: () => new Date(), log: silentLogger };
    const blob = await net.ap.blobs.write(Readable.from([Buffer.from(l.cms!)]));
    expect(await storeIncoming({ jws: l.jws, message: parseForretningsmelding(l.payload), dokumentpakke: blob }, deps)).to.equal(true);
    const lower = await buildMessage({ token: "t", messageId: id.toLowerCase() });
    expect(await storeIncoming({ jws: l.jws, message: parseForretningsmelding(l.payload), dokumentpakke: blob }, deps), "the same letter again").to.equal(false);
    // Another letter under the same id in another case is no redelivery: it must not be answered as delivered.
    const conflict = await storeIncoming({ jws: lower.jws, message: parseForretningsmelding(lower.payload) }, deps).catch((e: unknown) => e);
    expect(conflict).to.be.instanceOf(IncomingMessageIdConflictError);
    expect((conflict as IncomingMessageIdConflictError).code).to.equal("incoming-message-id-conflict");

    const auth = { authorization: `Bearer ${await net.token(DIGIPOST)}` };
    const download = await fetch(`${net.ap.url}/messages/in/${id.toLowerCase()}`, { headers: auth });
    expect(download.status).to.equal(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(l.cms!))).to.equal(true);
    const read = await fetch(`${net.ap.url}/messages/in/${id.toUpperCase()}/read`, { method: "POST", headers: auth });
    expect(read.status).to.equal(200);
    const unread = await fetch(`${net.ap.url}/messages/in`, { headers: auth });
    const listed = unread.status === 204 ? [] : ((await unread.json()) as { forretningsmelding: string }[]).map((m) => m.forretningsmelding);
    expect(listed).to.not.include(l.jws);
  });
});
