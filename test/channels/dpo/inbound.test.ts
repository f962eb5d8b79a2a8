import { expect } from "chai";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createDpoInbound, type DpoInbound } from "../../../src/channels/dpo/inbound.js";
import { readDpoPackage, writeDpoPackage } from "../../../src/channels/dpo/package.js";
import { createDpoSender, type DpoSender } from "../../../src/channels/dpo/sender.js";
import { silentLogger } from "../../../src/log.js";
import { messageId, type StandardBusinessDocument } from "../../../src/sbd/index.js";
import { DPO_RESOURCE } from "../../../src/sim/altinn-broker/index.js";
import { FolderBlobStore } from "../../../src/store/blob-store.js";
import { NextMoveInRepo } from "../../../src/store/nextmove-in-repo.js";
import { StatusReplyRepo } from "../../../src/store/status-reply-repo.js";
import { incomingSbd } from "../../helpers/incoming-nextmove.js";
import { openTempStore, type TempStore } from "../../helpers/temp-store.js";
import { A, B, BrokerWorld, C } from "./fixtures.js";

/** DPO's polled inbound side at organisation B, against the broker simulator over HTTP and a real store. */
describe("DPO inbound: broker polling, hand-over, confirmation and status messages", function () {
  this.timeout(30_000);
  let w: BrokerWorld;
  let store: TempStore;
  let dir: string;
  let blobs: FolderBlobStore;
  let inRepo: NextMoveInRepo;
  let replies: StatusReplyRepo;
  let inbound: DpoInbound;
  let fromA: DpoSender;
  let n = 0;
  const id = () => `0b0f0e0d-0000-4000-8000-${String(++n).padStart(12, "0")}`;
  const ASIC = Buffer.from("pretend CMS-encrypted asic.zip");

  before(async () => {
    w = await BrokerWorld.start();
    fromA = createDpoSender({ broker: w.client, resourceId: DPO_RESOURCE });
  });
  after(async () => {
    await w?.close();
  });
  beforeEach(async () => {
    store = await openTempStore("dpo-in-");
    dir = await mkdtemp(path.join(os.tmpdir(), "dpo-blobs-"));
    blobs = new FolderBlobStore(dir);
    await blobs.init();
    inRepo = new NextMoveInRepo(store.db);
    replies = new StatusReplyRepo(store.db);
    inbound = inboundAtB();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** B's inbound side over the broker simulator, with the test's store (and what a test changes). */
  const inboundAtB = (over: Partial<Parameters<typeof createDpoInbound>[0]> = {}): DpoInbound =>
    createDpoInbound({
      orgs: [B],
      broker: w.client,
      sender: createDpoSender({ broker: w.client, resourceId: DPO_RESOURCE }),
      resourceId: DPO_RESOURCE,
      inRepo,
      replies,
      blobs,
      clock: () => new Date(),
      log: silentLogger,
      pollMs: 60_000,
      replyPollMs: 60_000,
      retry: { baseDelayMs: 10, maxDelayMs: 10, windowMs: 60_000 },
      ...over,
    });

  const toB = (o: { messageId: string; type?: "arkivmelding" | "arkivmelding_kvittering" | "status" }) => incomingSbd({ ...o, sender: A, receiver: B });
  const transfer = (fileTransferId: string) => w.broker.state.all().find((t) => t.fileTransferId === fileTransferId)!;
  const recipientStatus = (fileTransferId: string) => transfer(fileTransferId).recipients[0]!.status;
  const statuses = async (direction: "IN" | "OUT", m: string) => (await inRepo.conversations.statuses(direction, m)).map((s) => [s.status, s.description]);

  it("takes a message into the inbox (OPPRETTET, INNKOMMENDE_MOTTATT), confirms the download, and sends MOTTATT back to the sender", async () => {
    const m = id();
    const t = await fromA.send(toB({ messageId: m }), ASIC);
    await inbound.pollOnce();
    const got = await inRepo.message(m);
    expect([got?.channel, got?.externalReference, got?.senderIdentifier, got?.receiverIdentifier]).to.deep.equal(["DPO", t, `0192:${A}`, `0192:${B}`]);
    expect((await readFile(blobs.pathOf(got!.nextMove.packageKey!))).equals(ASIC)).to.equal(true);
    expect(await statuses("IN", m)).to.deep.equal([["OPPRETTET", null], ["INNKOMMENDE_MOTTATT", null]]);
    expect(recipientStatus(t)).to.equal("DownloadConfirmed");

    expect((await replies.all("DPO")).map((r) => [r.messageId, r.status, r.sentAt])).to.deep.equal([[m, "MOTTATT", null]]);
    await inbound.sendRepliesOnce();
    expect((await replies.all("DPO")).map((r) => [r.status, r.sentAt !== null])).to.deep.equal([["MOTTATT", true]]);
    const back = w.broker.state.all().at(-1)!;
    expect([back.sender, back.recipients.map((r) => r.recipient)]).to.deep.equal([`0192:${B}`, [`0192:${A}`]]);
    const status = readDpoPackage(back.bytes!, 1 << 20);
    expect(status.asic).to.equal(undefined);
    const s = status.sbd as Extract<StandardBusinessDocument, { type: "status" }>;
    expect([s.type, messageId(s), s.businessMessage.status, s.header.documentIdentification?.standard, s.header.businessScope?.scope?.[0]?.identifier]).to.deep.equal([
      "status",
      m,
      "MOTTATT",
      "urn:no:difi:eformidling:xsd::status",
      "urn:no:difi:profile:arkivmelding:response:ver1.0",
    ]);
  });

  it("delivers a message sent twice (two transfers, one message id) once, and confirms both", async () => {
    const m = id();
    const t1 = await fromA.send(toB({ messageId: m }), ASIC);
    const t2 = await fromA.send(toB({ messageId: m }), ASIC);
    await inbound.pollOnce();
    expect((await store.db.conversation.findMany({ where: { direction: "IN" } })).map((c) => c.messageId)).to.deep.equal([m]);
    expect([recipientStatus(t1), recipientStatus(t2)]).to.deep.equal(["DownloadConfirmed", "DownloadConfirmed"]);
    expect((await replies.all("DPO")).map((r) => r.status)).to.deep.equal(["MOTTATT"]);
  });

  it("picks up a transfer downloaded but never confirmed (a stop in between), and delivers it once", async () => {
    const m = id();
    const t = await fromA.send(toB({ messageId: m }), ASIC);
    await w.client.download(B, t, 1 << 20);
    expect(recipientStatus(t)).to.equal("DownloadStarted");
    await inbound.pollOnce();
    expect(recipientStatus(t)).to.equal("DownloadConfirmed");
    expect(await statuses("IN", m)).to.deep.equal([["OPPRETTET", null], ["INNKOMMENDE_MOTTATT", null]]);
    // The same message again after it was committed (the stop came after the hand-over): discarded, confirmed.
    const again = await fromA.send(toB({ messageId: m }), ASIC);
    await w.client.download(B, again, 1 << 20);
    await inbound.pollOnce();
    expect(recipientStatus(again)).to.equal("DownloadConfirmed");
    expect(await store.db.conversation.count({ where: { direction: "IN" } })).to.equal(1);
  });

  it("leaves a file whose bytes do not match the broker's checksum unconfirmed, and takes it once they do", async () => {
    const m = id();
    const t = await fromA.send(toB({ messageId: m }), ASIC);
    const good = transfer(t).bytes!;
    transfer(t).bytes = Buffer.concat([good.subarray(0, good.length - 1), Buffer.from([good.at(-1)! ^ 1])]);
    await inbound.pollOnce();
    expect([recipientStatus(t), await inRepo.message(m)]).to.deep.equal(["DownloadStarted", null]);
    transfer(t).bytes = good;
    await inbound.pollOnce();
    expect(recipientStatus(t)).to.equal("DownloadConfirmed");
    expect(await statuses("IN", m)).to.deep.equal([["OPPRETTET", null], ["INNKOMMENDE_MOTTATT", null]]);
  });

  it("dead-letters a message whose hand-over keeps failing: an arkivmelding is answered with an error receipt, and the files behind it still come in", async () => {
    const poisoned = id();
    const fine = id();
    const failing = Object.create(inRepo) as NextMoveInRepo;
    failing.receive = async (input, now) => {
      if (messageId(input.sbd) === poisoned) throw new Error("the disk is full");
      return inRepo.receive(input, now);
    };
    const dl = inboundAtB({ inRepo: failing, maxHandOverAttempts: 2 });
    const t = await fromA.send(toB({ messageId: poisoned }), ASIC);
    const t2 = await fromA.send(toB({ messageId: fine }), ASIC);
    await dl.pollOnce();
    expect([recipientStatus(t), recipientStatus(t2), await replies.all("DPO").then((r) => r.map((x) => [x.messageId, x.status]))]).to.deep.equal([
      "DownloadStarted",
      "DownloadConfirmed",
      [[fine, "MOTTATT"]],
    ]);
    await dl.pollOnce();
    expect(recipientStatus(t)).to.equal("DownloadConfirmed");
    expect(await inRepo.message(poisoned)).to.equal(null);
    expect((await replies.all("DPO")).map((x) => [x.messageId, x.status])).to.deep.equal([[fine, "MOTTATT"], [poisoned, "FEIL"]]);
    await dl.sendRepliesOnce();
    const receipt = readDpoPackage(w.broker.state.all().at(-1)!.bytes!, 1 << 20).sbd as Extract<StandardBusinessDocument, { type: "arkivmelding_kvittering" }>;
    expect([receipt.type, receipt.businessMessage.receiptType, receipt.businessMessage.relatedToMessageId, receipt.businessMessage.messages]).to.deep.equal([
      "arkivmelding_kvittering",
      "ERROR",
      poisoned,
      [{ code: "DEAD_LETTER", text: "the receiver could not take the message in: the disk is full" }],
    ]);
  });

  it("registers status messages and kvitteringer on the outgoing conversation they answer (ERROR → FEIL)", async () => {
    const m = id();
    const mine = toB({ messageId: m });
    // Our own outgoing message m (as B), so that A's answers have something to update.
    await store.db.$transaction(
      new NextMoveInRepo(store.db).conversations.insertOperations(
        { messageId: m, direction: "OUT", conversationId: "c0", channel: "DPO", process: "p", documentType: "arkivmelding", standard: "s", senderIdentifier: `0192:${B}`, receiverIdentifier: `0192:${A}` },
        "OPPRETTET",
        new Date(),
      ),
    );
    await fromA.send(incomingSbd({ messageId: m, sender: A, receiver: B, type: "status" }));
    const k = id();
    const kvittering = incomingSbd({ messageId: k, sender: A, receiver: B, type: "arkivmelding_kvittering" }) as Extract<StandardBusinessDocument, { type: "arkivmelding_kvittering" }>;
    (kvittering.businessMessage as { receiptType?: string; relatedToMessageId?: string }).receiptType = "ERROR";
    (kvittering.businessMessage as { relatedToMessageId?: string }).relatedToMessageId = m;
    await fromA.send(kvittering);
    await inbound.pollOnce();
    expect(mine.type).to.equal("arkivmelding");
    expect(await statuses("OUT", m)).to.deep.equal([["OPPRETTET", null], ["LEVERT", null], ["FEIL", "ArkivmeldingKvittering: ERROR"]]);
    // The status message is no message for the archive system; the kvittering is.
    expect((await store.db.conversation.findMany({ where: { direction: "IN" } })).map((c) => [c.messageId, c.documentType])).to.deep.equal([[k, "arkivmelding_kvittering"]]);
  });

  it("confirms and drops a file that is no DPO package, and leaves other integrasjonspunkter's message channels alone", async () => {
    const junk = await w.client.initialise(A, { fileName: "x.zip", resourceId: DPO_RESOURCE, sendersFileTransferReference: "9e0c0000-0000-4000-8000-000000000001", sender: `0192:${A}`, recipients: [`0192:${B}`], propertyList: {} });
    await w.client.upload(A, junk, Buffer.from("not a zip"));
    const other = await w.client.initialise(A, { fileName: "sbd.zip", resourceId: DPO_RESOURCE, sendersFileTransferReference: "another-ip", sender: `0192:${A}`, recipients: [`0192:${B}`], propertyList: {} });
    await w.client.upload(A, other, writeDpoPackage(toB({ messageId: id() })));
    await inbound.pollOnce();
    expect([recipientStatus(junk), recipientStatus(other)]).to.deep.equal(["DownloadConfirmed", "Initialized"]);
    expect(await store.db.conversation.count()).to.equal(0);
  });

  it("drops a file whose SBD names another sender than the organisation that uploaded it, and status messages about messages sent to someone else", async () => {
    const forged = await w.client.initialise(A, { fileName: "sbd.zip", resourceId: DPO_RESOURCE, sendersFileTransferReference: "9e0c0000-0000-4000-8000-000000000002", sender: `0192:${A}`, recipients: [`0192:${B}`], propertyList: {} });
    await w.client.upload(A, forged, writeDpoPackage(incomingSbd({ messageId: id(), sender: C, receiver: B })));
    const m = id();
    await store.db.$transaction(
      inRepo.conversations.insertOperations(
        { messageId: m, direction: "OUT", conversationId: "c0", channel: "DPO", process: "p", documentType: "arkivmelding", standard: "s", senderIdentifier: `0192:${B}`, receiverIdentifier: `0192:${C}` },
        "OPPRETTET",
        new Date(),
      ),
    );
    await fromA.send(incomingSbd({ messageId: m, sender: A, receiver: B, type: "status" }));
    await inbound.pollOnce();
    expect(recipientStatus(forged)).to.equal("DownloadConfirmed");
    expect(await store.db.conversation.count({ where: { direction: "IN" } })).to.equal(0);
    expect(await statuses("OUT", m)).to.deep.equal([["OPPRETTET", null]]);
  });
});
