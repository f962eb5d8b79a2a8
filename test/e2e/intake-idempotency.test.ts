import { randomBytes, randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import { encryptDokumentpakke } from "../../src/dpi/dokumentpakke.js";
import { storeIncoming } from "../../src/dpi/incoming.js";
import { parseForretningsmelding } from "../../src/dpi/sbd.js";
import { silentLogger } from "../../src/log.js";
import { OutboxRepo } from "../../src/store/outbox-repo.js";
import { openDatabase } from "../../src/store/prisma.js";
import { certificate } from "../helpers/certs.js";
import { buildMessage, type BuiltMessage } from "../helpers/letters.js";
import { outStatuses, postMessagesOut } from "../helpers/messages-out.js";
import { expectProblem } from "../helpers/problem.js";
import { startTestNetwork, type TestNetwork } from "../helpers/test-network.js";

/**
 * POST /messages/out is idempotent for the caller that sent a message: the same forretningsmelding (byte for
 * byte) and dokumentpakke under a used message id get the original 201 answer again; anything else stays 409
 * message-id-used.
 */

const AVSENDER = "910076787";
const DATABEHANDLER = "810969342";
const OTHER = "991825827";
const DIGIPOST = "984661185";

describe("e2e: resubmission and message id case on POST /messages/out", function () {
  let net: TestNetwork;
  before(async () => {
    net = await startTestNetwork();
  });
  after(async () => {
    await net?.close();
  });

  const post = (token: string, jws: string, cms?: Uint8Array) => postMessagesOut(net.ap.url, token, jws, cms);

  /** A letter from the avsender `consumer` (itself the SBDH sender unless `sender` names its databehandler). */
  async function letter(o: { consumer?: string; sender?: string; messageId?: string; tokenExtra?: object } = {}) {
    const avsender = o.consumer ?? AVSENDER;
    const token = await net.token(avsender, o.tokenExtra ?? {});
    const msg = await buildMessage({ token, avsender: `0192:${avsender}`, sender: `0192:${o.sender ?? avsender}`, ...(o.messageId ? { messageId: o.messageId } : {}) });
    return { token, msg };
  }

  const statuses = async (id: string, consumer = AVSENDER) => outStatuses(net.ap.url, await net.token(consumer), id);

  /** Payload files on disk that no message refers to (what a discarded second upload would leave). */
  async function orphanBlobs(): Promise<string[]> {
    const keys = await net.ap.repo.payloadKeys();
    const files = (await readdir(path.join(net.dir, "blobs"))).filter((f) => f !== ".tmp");
    const tmp = await readdir(path.join(net.dir, "blobs", ".tmp"));
    return [...files.filter((f) => !keys.has(f)), ...tmp.map((f) => `.tmp/${f}`)];
  }

  function accepted(msg: BuiltMessage) {
    return { id: msg.messageId, conversationId: msg.conversationId, documentType: "digital", status: "OPPRETTET" };
  }

  describe("the same caller sending the same letter again", () => {
    it("gets the original 201 answer (body and Location), stores it once and keeps no second dokumentpakke", async () => {
      const { token, msg } = await letter();
      const first = await post(token, msg.jws, msg.cms);
      expect(first.status, JSON.stringify(first.body)).to.equal(201);
      const again = await post(token, msg.jws, msg.cms);
      expect(again.status, JSON.stringify(again.body)).to.equal(201);
      expect(again.body).to.deep.equal(accepted(msg));
      expect(again.body).to.deep.equal(first.body);
      expect(again.location).to.equal(first.location);
      expect(await statuses(msg.messageId)).to.deep.equal({ status: 200, list: ["OPPRETTET"] });
      expect(await orphanBlobs()).to.deep.equal([]);
    });

    it("gets status OPPRETTET, as originally, after the message has moved on (statuses tell the rest)", async () => {
      const { token, msg } = await letter();
      expect((await post(token, msg.jws, msg.cms)).status).to.equal(201);
      const opened = await openDatabase(`file:${path.join(net.dir, "ap.db")}`);
      try {
        await new OutboxRepo(opened.db).markFailed(msg.messageId, new Date(), "test: the receiver refused it");
      } finally {
        await opened.db.$disconnect();
      }
      const again = await post(token, msg.jws, msg.cms);
      expect({ status: again.status, body: again.body }).to.deep.equal({ status: 201, body: accepted(msg) });
      expect((await statuses(msg.messageId)).list).to.deep.equal(["OPPRETTET", "FEILET"]);
    });

    it("is answered with a fresh token too (the letter still embeds the token it was first sent with)", async () => {
      const { token, msg } = await letter();
      expect((await post(token, msg.jws, msg.cms)).status).to.equal(201);
      const fresh = await net.token(AVSENDER);
      expect(fresh).to.not.equal(token);
      const again = await post(fresh, msg.jws, msg.cms);
      expect({ status: again.status, body: again.body }).to.deep.equal({ status: 201, body: accepted(msg) });
    });

    it("is answered for a databehandler's letter sent again with the same delegation", async () => {
      const { token, msg } = await letter({ sender: DATABEHANDLER, tokenExtra: { supplier: DATABEHANDLER } });
      expect((await post(token, msg.jws, msg.cms)).status).to.equal(201);
      const again = await post(await net.token(AVSENDER, { supplier: DATABEHANDLER }), msg.jws, msg.cms);
      expect({ status: again.status, body: again.body }).to.deep.equal({ status: 201, body: accepted(msg) });
    });

    it("is answered for an upper-case message id too (ids compare case-insensitively)", async () => {
      const { token, msg } = await letter({ messageId: randomUUID().toUpperCase() });
      expect((await post(token, msg.jws, msg.cms)).status).to.equal(201);
      const again = await post(token, msg.jws, msg.cms);
      expect({ status: again.status, body: again.body }).to.deep.equal({ status: 201, body: accepted(msg) });
    });

    it("two identical submissions at once both get 201, and one message with one dokumentpakke is stored", async () => {
      const { token, msg } = await letter();
      const both = await Promise.all([post(token, msg.jws, msg.cms), post(token, msg.jws, msg.cms)]);
      expect(both.map((r) => ({ status: r.status, body: r.body }))).to.deep.equal([
        { status: 201, body: accepted(msg) },
        { status: 201, body: accepted(msg) },
      ]);
      expect((await statuses(msg.messageId)).list).to.deep.equal(["OPPRETTET"]);
      expect(await orphanBlobs()).to.deep.equal([]);
    });
  });

  describe("anything else under a used id is 409 message-id-used", () => {
    it("another forretningsmelding with the same id from the same caller", async () => {
      const { token, msg } = await letter();
      expect((await post(token, msg.jws, msg.cms)).status).to.equal(201);
      const other = await buildMessage({ token, messageId: msg.messageId });
      expectProblem(await post(token, other.jws, other.cms), 409, "message-id-used");
      expect(await orphanBlobs()).to.deep.equal([]);
    });

    it("the same message under another kanal (its receipts would be filed elsewhere)", async () => {
      const { token, msg } = await letter();
      const postKanal = (kanal: string | undefined) => postMessagesOut(net.ap.url, token, msg.jws, msg.cms, kanal);
      expect((await postKanal("kanal-a")).status).to.equal(201);
      expect((await postKanal("KANAL-A")).status, "kanal compares case-insensitively, as stored").to.equal(201);
      expectProblem(await postKanal("kanal-b"), 409, "message-id-used");
      expectProblem(await postKanal(undefined), 409, "message-id-used");
      expect(await orphanBlobs()).to.deep.equal([]);
    });

    it("the same forretningsmelding with another dokumentpakke, or none", async () => {
      const { token, msg } = await letter();
      expect((await post(token, msg.jws, msg.cms)).status).to.equal(201);
      const otherCms = await encryptDokumentpakke(randomBytes(2048), certificate("business/984661185.pem"));
      expectProblem(await post(token, msg.jws, otherCms), 409, "message-id-used");
      expectProblem(await post(token, msg.jws), 409, "message-id-used");
      expect(await orphanBlobs()).to.deep.equal([]);
    });

    it("another caller's own letter under the id, which reveals nothing of the first", async () => {
      const { token, msg } = await letter();
      expect((await post(token, msg.jws, msg.cms)).status).to.equal(201);
      const other = await letter({ consumer: OTHER, messageId: msg.messageId });
      const r = await post(other.token, other.msg.jws, other.msg.cms);
      expectProblem(r, 409, "message-id-used");
      expect(r.body.detail).to.equal(`message id ${msg.messageId} has been used before`);
    });

    it("another caller sending the very same forretningsmelding is refused as before, not answered", async () => {
      const { token, msg } = await letter();
      expect((await post(token, msg.jws, msg.cms)).status).to.equal(201);
      expectProblem(await post(await net.token(OTHER), msg.jws, msg.cms), 403, "consumer-not-avsender");
      // The avsender's own token without the databehandler's delegation is not the caller of a delegated letter.
      const delegated = await letter({ sender: DATABEHANDLER, tokenExtra: { supplier: DATABEHANDLER } });
      expect((await post(delegated.token, delegated.msg.jws, delegated.msg.cms)).status).to.equal(201);
      expectProblem(await post(await net.token(AVSENDER), delegated.msg.jws, delegated.msg.cms), 403, "supplier-not-sender");
    });
  });

  describe("receipts (corner 3: forretningsmelding only)", () => {
    async function receivedLetter() {
      const l = await buildMessage({ token: "t" });
      await storeIncoming({ jws: l.jws, message: parseForretningsmelding(l.payload) }, { repo: net.ap.repo, clock: () => new Date(), log: silentLogger });
      return l;
    }

    it("the same receipt again gets the original 201; another receipt under its id gets 409", async () => {
      const l = await receivedLetter();
      const token = await net.token(DIGIPOST);
      const receipt = await buildMessage({ type: "leveringskvittering", conversationId: l.conversationId });
      const first = await post(token, receipt.jws);
      expect(first.status, JSON.stringify(first.body)).to.equal(201);
      const again = await post(token, receipt.jws);
      expect({ status: again.status, body: again.body }).to.deep.equal({
        status: 201,
        body: { id: receipt.messageId, conversationId: l.conversationId, documentType: "leveringskvittering", status: "OPPRETTET" },
      });
      const other = await buildMessage({ type: "aapningskvittering", conversationId: l.conversationId, messageId: receipt.messageId });
      expectProblem(await post(token, other.jws), 409, "message-id-used");
    });
  });
});
