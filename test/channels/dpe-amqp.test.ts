import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import rhea, { type Connection, type EventContext } from "rhea";
import { DpeAmqpSource } from "../../src/channels/dpe/amqp-source.js";
import { encodeDpePayload } from "../../src/channels/dpe/payload.js";
import { queueName } from "../../src/channels/dpe/queues.js";
import { silentLogger } from "../../src/log.js";
import { serialiseSbd } from "../../src/sbd/index.js";
import { FolderBlobStore } from "../../src/store/blob-store.js";
import { ConversationsRepo } from "../../src/store/conversations-repo.js";
import { NextMoveInRepo } from "../../src/store/nextmove-in-repo.js";
import { NextMoveRepo } from "../../src/store/nextmove-repo.js";
import { openTempStore, type TempStore } from "../helpers/temp-store.js";
import { parsed, sbdJsonOf } from "../sbd/fixtures.js";

/**
 * DPE's AMQP 1.0 receive path against the machine's RabbitMQ with its AMQP 1.0 plugin (guest/guest on
 * 127.0.0.1:5672; `.ci/run` enables the plugin). Skipped when no AMQP 1.0 broker answers there. The dead-letter
 * case also needs `rabbitmqctl` (to give the queue a dead-letter policy) and is skipped without it.
 */

const run = promisify(execFile);
const URL_ = process.env.DPI_AP_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const ORG = `9${String(process.pid).padStart(4, "0").slice(-4)}${String(Date.now()).slice(-4)}`;
const QUEUE = queueName(ORG, "innsyn");
const DLQ = `${QUEUE}-dlq`;
const A = "991825827";
const ID = "7c2d9a10-3b4e-4f5a-8b6c-9d0e1f2a3b4c";

async function connect(): Promise<Connection | undefined> {
  const u = new URL(URL_);
  const c = rhea.create_container().connect({ host: u.hostname, port: Number(u.port), username: u.username, password: u.password, reconnect: false, transport: "tcp" });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 2_000);
    c.once("connection_open", () => (clearTimeout(timer), resolve(c)));
    c.once("disconnected", () => (clearTimeout(timer), resolve(undefined)));
    c.once("connection_error", () => (clearTimeout(timer), resolve(undefined)));
  });
}

async function sendAll(c: Connection, address: string, bodies: string[]): Promise<void> {
  const sender = c.open_sender({ target: { address } });
  await new Promise<void>((resolve) => sender.once("sendable", () => resolve()));
  if (bodies.length === 0) return void sender.close();
  let settled = 0;
  await new Promise<void>((resolve, reject) => {
    sender.on("accepted", () => ++settled === bodies.length && resolve());
    sender.on("rejected", (ctx: EventContext) => reject(new Error(`rejected: ${ctx.delivery?.remote_state?.toString()}`)));
    for (const b of bodies) sender.send({ body: rhea.message.data_section(Buffer.from(b)) });
  });
  sender.close();
}

async function receiveAll(c: Connection, address: string, waitMs: number): Promise<string[]> {
  const got: string[] = [];
  const receiver = c.open_receiver({ source: { address } });
  receiver.on("message", (ctx: EventContext) => {
    const b = ctx.message!.body as { content?: Buffer };
    got.push(Buffer.isBuffer(b) ? b.toString() : (b.content?.toString() ?? String(b)));
  });
  await new Promise((r) => setTimeout(r, waitMs));
  receiver.close();
  return got;
}

describe("DPE: AMQP 1.0 receive against RabbitMQ", function () {
  this.timeout(30_000);
  let broker: Connection | undefined;
  let ctl = false;
  let store: TempStore;
  let dir: string;

  before(async function () {
    broker = await connect();
    if (!broker) this.skip();
    ctl = await run("rabbitmqctl", ["set_policy", `dpe-test-${ORG}`, `^${QUEUE}$`, JSON.stringify({ "dead-letter-exchange": "", "dead-letter-routing-key": DLQ }), "--apply-to", "queues"])
      .then(() => true)
      .catch(() => false);
  });
  after(async () => {
    if (ctl) {
      await run("rabbitmqctl", ["clear_policy", `dpe-test-${ORG}`]).catch(() => {});
      for (const q of [QUEUE, DLQ]) await run("rabbitmqctl", ["delete_queue", q]).catch(() => {});
    }
    broker?.close();
  });
  beforeEach(async () => {
    store = await openTempStore("dpe-amqp-");
    dir = await mkdtemp(path.join(os.tmpdir(), "dpe-amqp-blobs-"));
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores a message and completes it, applies a status message, and dead-letters what it cannot read", async function () {
    if (!ctl) this.skip();
    const blobs = new FolderBlobStore(dir);
    await blobs.init();
    const now = new Date("2030-01-01T10:00:00Z");
    // Our own outgoing message that the status message reports on.
    await new NextMoveRepo(store.db).create(
      { direction: "OUT", messageId: "0a0b0c0d-0000-4000-8000-000000000001", conversationId: "c-0", channel: "DPE", process: "urn:no:difi:profile:einnsyn:journalpost:ver1.0", documentType: "publisering", standard: "urn:no:difi:einnsyn:xsd::publisering", senderIdentifier: `0192:${ORG}`, receiverIdentifier: `0192:${A}` },
      serialiseSbd(parsed(sbdJsonOf("publisering", "urn:no:difi:einnsyn:xsd::publisering", "urn:no:difi:profile:einnsyn:journalpost:ver1.0", { orgnr: ORG }))),
      "OPPRETTET",
      now,
    );
    const innsynskrav = parsed(
      sbdJsonOf("innsynskrav", "urn:no:difi:einnsyn:xsd::innsynskrav", "urn:no:difi:profile:einnsyn:innsynskrav:ver1.0", { orgnr: A, epost: "a@example.com" }, (j) => {
        j.standardBusinessDocumentHeader.sender[0].identifier.value = `0192:${A}`;
        j.standardBusinessDocumentHeader.receiver[0].identifier.value = `0192:${ORG}`;
        j.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier = ID;
      }),
    );
    const status = parsed(
      sbdJsonOf("status", "urn:no:difi:eformidling:xsd::status", "urn:no:difi:profile:einnsyn:response:ver1.0", { status: "MOTTATT" }, (j) => {
        // From the receiver of our publisering, about it: only that receiver may report on it.
        j.standardBusinessDocumentHeader.sender[0].identifier.value = `0192:${A}`;
        j.standardBusinessDocumentHeader.receiver[0].identifier.value = `0192:${ORG}`;
        j.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier = "0a0b0c0d-0000-4000-8000-000000000001";
      }),
    );
    // Declared (by a sender, which takes nothing from it) before anything is dead-lettered to it: a dead letter
    // with no queue to go to is dropped.
    await sendAll(broker!, `/queue/${DLQ}`, []);
    await sendAll(broker!, `/queue/${QUEUE}`, [
      encodeDpePayload({ sbd: innsynskrav, asic: Buffer.from([0x30, 0x80, 0x01]) }),
      "this is not a DPE payload",
      encodeDpePayload({ sbd: status, asic: undefined }),
    ]);

    const inbox = new NextMoveInRepo(store.db);
    const conversations = new ConversationsRepo(store.db);
    const received: string[] = [];
    const source = new DpeAmqpSource({ url: URL_, addressPrefix: "/queue/", settleSecond: false, orgs: [ORG], modeOf: () => "innsyn", inbox, conversations, blobs, clock: () => now, log: silentLogger, onReceived: (id) => received.push(id) });
    await source.start();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && ((await conversations.statuses("OUT", "0a0b0c0d-0000-4000-8000-000000000001")).length < 2 || received.length < 1)) await new Promise((r) => setTimeout(r, 100));
    await source.stop();

    expect(received).to.deep.equal([ID]);
    const m = (await inbox.message(ID))!;
    expect([m.channel, m.status, m.nextMove.packageSize]).to.deep.equal(["DPE", "INNKOMMENDE_MOTTATT", 3]);
    expect((await conversations.statuses("OUT", "0a0b0c0d-0000-4000-8000-000000000001")).map((s) => s.status)).to.deep.equal(["OPPRETTET", "MOTTATT"]);
    // The queue is empty (everything was settled) and the unreadable one is in the dead-letter queue.
    expect(await receiveAll(broker!, `/queue/${QUEUE}`, 500)).to.deep.equal([]);
    expect(await receiveAll(broker!, `/queue/${DLQ}`, 500)).to.deep.equal(["this is not a DPE payload"]);
  });
});
