import { expect } from "chai";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { DpeInboundSource } from "../../src/channels/dpe/inbound.js";
import { PackageRefusedError } from "../../src/channels/dpe/receive.js";
import { createDpeReplySender } from "../../src/channels/dpe/replies.js";
import { openReceivedPackage } from "../../src/channels/nextmove/received-package.js";
import { StatusReplyRepo } from "../../src/store/status-reply-repo.js";
import { DpeOutboundChannel } from "../../src/channels/dpe/outbound.js";
import { encodeDpePayload } from "../../src/channels/dpe/payload.js";
import { ServiceBusClient } from "../../src/channels/dpe/servicebus-client.js";
import type { RouteRecord, Router } from "../../src/core/channel.js";
import { silentLogger } from "../../src/log.js";
import { decryptCms, encryptCms, openEformidlingAsic } from "../../src/packaging/index.js";
import { orgKeyStoresOf } from "../../src/pki/org-keystores.js";
import type { EformidlingEndpoint } from "../../src/routing/eformidling.js";
import { identifierResourceOf, type ServiceRecord } from "../../src/routing/service-registry/records.js";
import { parseSbdJson, serialiseSbd } from "../../src/sbd/index.js";
import { startServiceBusSim, type ServiceBusSim } from "../../src/sim/servicebus/server.js";
import { FolderBlobStore } from "../../src/store/blob-store.js";
import { ConversationsRepo } from "../../src/store/conversations-repo.js";
import { NextMoveInRepo } from "../../src/store/nextmove-in-repo.js";
import { NextMoveRepo } from "../../src/store/nextmove-repo.js";
import { businessSigner, certificate } from "../helpers/certs.js";
import { openTempStore, type TempStore } from "../helpers/temp-store.js";
import { parsed, sbdJsonOf } from "../sbd/fixtures.js";

/**
 * A publisering from organisation A to eInnsyn's organisation E over the Service Bus simulator: A's outbound puts
 * it on E's queue with its asic.zip sealed to E (PKCS#1 v1.5), E's inbound takes it into the NextMove inbox and
 * completes it, and a status message back to A's queue registers on A's conversation. One store holds both
 * sides, as one access point serving both organisations would.
 */

const A = "991825827";
const E = "810969342";
const ID = "5b1a7c1e-2f4d-4e8a-9c3b-1d2e3f4a5b6c";
const KEY = { keyName: "MoveDPE-pilotPolicy", key: "c2FuZGJveA==" };
const JOURNALPOST = "urn:no:difi:profile:einnsyn:journalpost:ver1.0";
const PUBLISERING = "urn:no:difi:einnsyn:xsd::publisering";

function router(): Router<EformidlingEndpoint> {
  const [record] = identifierResourceOf({
    infoRecord: null,
    serviceRecords: [
      {
        organisationNumber: E,
        pemCertificate: certificate(`business/${E}.pem`).toString(),
        process: JOURNALPOST,
        documentTypes: [PUBLISERING],
        service: { identifier: "DPE", endpointUrl: "data", serviceCode: null, serviceEditionCode: null, securityLevel: null, resource: null },
      },
    ],
  }).serviceRecords as ServiceRecord[];
  return { route: async () => ({ channel: "DPE", endpoint: record as EformidlingEndpoint, record: ROUTED_BY }) };
}

/** The Service Registry answer the fake router says its route came from. */
const ROUTED_BY: RouteRecord = { kind: "service-registry", sourceUrl: "https://sr.example/identifier/x", fetchedAt: new Date(0), mediaType: "application/json", body: new Uint8Array([123, 125]), sha256: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" };

/** A publisering from A to E, stored as A's archive system created it (OPPRETTET). */
async function createPublisering(repo: NextMoveRepo, now: Date): Promise<void> {
  const sbd = parsed(
    sbdJsonOf("publisering", PUBLISERING, JOURNALPOST, { orgnr: A }, (j) => {
      j.standardBusinessDocumentHeader.sender[0].identifier.value = `0192:${A}`;
      j.standardBusinessDocumentHeader.receiver[0].identifier.value = `0192:${E}`;
      j.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier = ID;
    }),
  );
  await repo.create(
    { direction: "OUT", messageId: ID, conversationId: "c-1", channel: "DPE", process: JOURNALPOST, documentType: "publisering", standard: PUBLISERING, senderIdentifier: `0192:${A}`, receiverIdentifier: `0192:${E}` },
    serialiseSbd(sbd),
    "OPPRETTET",
    now,
  );
}

describe("DPE: a publisering over the Service Bus, and the status message back", () => {
  let store: TempStore;
  let dir: string;
  let blobs: FolderBlobStore;
  let sim: ServiceBusSim;
  const now = new Date("2030-01-01T10:00:00Z");

  beforeEach(async () => {
    store = await openTempStore("dpe-flow-");
    dir = await mkdtemp(path.join(os.tmpdir(), "dpe-flow-blobs-"));
    blobs = new FolderBlobStore(dir);
    await blobs.init();
    sim = await startServiceBusSim({ keys: { [KEY.keyName]: KEY.key }, queues: [`nextbestqueue${E}data`, `nextbestqueue${A}innsyn`], clock: () => now });
  });
  afterEach(async () => {
    await sim.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("sends, receives once (a redelivery after a lost lock is recognised), and applies MOTTATT and LEVERT at the sender", async () => {
    const repo = new NextMoveRepo(store.db);
    await createPublisering(repo, now);
    const b = await blobs.write(Readable.from([Buffer.from("<journalpost/>")]));
    await repo.addFile(ID, { filename: "journalpost.xml", mimeType: "application/xml", size: b.size, sha256Hex: b.sha256.toString("hex"), blobKey: b.key }, now);

    const bus = new ServiceBusClient({ baseUrl: sim.url, key: async () => KEY, clock: () => now });
    const out = new DpeOutboundChannel({
      repo,
      blobs,
      routerFor: () => router(),
      keystores: orgKeyStoresOf(new Map([[A, { ...businessSigner(A), chain: [certificate("business/intermediate-ca.pem")] }]])),
      serviceBusFor: () => bus,
      modeOf: () => "innsyn",
      clock: () => now,
    });
    const [loaded] = await out.load([{ direction: "OUT", messageId: ID } as never]);
    const outcome = await out.send(loaded!, { now, attempt: 1, log: silentLogger });
    expect([outcome.kind, sim.messages(`nextbestqueue${E}data`).length]).to.deep.equal(["delivered", 1]);
    // Where it went: the receiver's queue in the namespace; and the record it was routed by.
    expect([outcome.peer, outcome.routedBy]).to.deep.equal([`${sim.url}/nextbestqueue${E}data`, ROUTED_BY]);

    const inbox = new NextMoveInRepo(store.db);
    const conversations = new ConversationsRepo(store.db);
    const received: string[] = [];
    const inbound = (org: string) =>
      new DpeInboundSource({ orgs: [org], modeOf: () => (org === E ? "data" : "innsyn"), serviceBusFor: () => bus, inbox, conversations, blobs, pollMs: 60_000, clock: () => now, log: silentLogger, onReceived: (id) => received.push(id) });
    expect(await inbound(E).pass()).to.equal(false);
    expect(received).to.deep.equal([ID]);
    expect(sim.messages(`nextbestqueue${E}data`)).to.deep.equal([]);
    const stored = (await inbox.message(ID))!;
    expect([stored.channel, stored.status, stored.senderIdentifier, stored.receiverIdentifier]).to.deep.equal(["DPE", "INNKOMMENDE_MOTTATT", `0192:${A}`, `0192:${E}`]);
    // The package is what A sealed: E opens it with its key, signed by A.
    const cms = await readFile(blobs.pathOf(stored.nextMove.packageKey!));
    const e = businessSigner(E);
    const asic = openEformidlingAsic(decryptCms(cms, e.privateKey, e.certificate).content, { anchors: [certificate("business/root-ca.pem"), certificate("business/intermediate-ca.pem")], clock: () => now });
    expect(asic.documents.map((d) => [d.name, Buffer.from(d.bytes).toString()])).to.deep.equal([["journalpost.xml", "<journalpost/>"]]);

    // The same message again (a receiver that died before completing): recognised, not stored twice.
    await bus.send(`nextbestqueue${E}data`, encodeDpePayload({ sbd: parseSbdJson(stored.nextMove.sbd), asic: cms }));
    await inbound(E).pass();
    expect([received, sim.messages(`nextbestqueue${E}data`).length, await store.db.conversation.count({ where: { direction: "IN" } })]).to.deep.equal([[ID], 0, 1]);

    // E's status messages reach A's queue; A's inbound registers them on A's conversation.
    for (const status of ["MOTTATT", "LEVERT"]) {
      const statusSbd = parsed(
        sbdJsonOf("status", "urn:no:difi:eformidling:xsd::status", "urn:no:difi:profile:einnsyn:response:ver1.0", { status }, (j) => {
          j.standardBusinessDocumentHeader.sender[0].identifier.value = `0192:${E}`;
          j.standardBusinessDocumentHeader.receiver[0].identifier.value = `0192:${A}`;
          j.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier = ID;
        }),
      );
      await bus.send(`nextbestqueue${A}innsyn`, encodeDpePayload({ sbd: statusSbd, asic: undefined }));
    }
    await inbound(A).pass();
    const history = await conversations.statuses("OUT", ID);
    expect(history.map((s) => s.status)).to.deep.equal(["OPPRETTET", "MOTTATT", "LEVERT"]);
    expect(sim.messages(`nextbestqueue${A}innsyn`)).to.deep.equal([]);
  });

  it("a package that cannot be opened on arrival is not kept, and FEIL goes back to the sender's conversation", async () => {
    const repo = new NextMoveRepo(store.db);
    await createPublisering(repo, now);
    const bus = new ServiceBusClient({ baseUrl: sim.url, key: async () => KEY, clock: () => now });
    // The package is sealed to A, not to E: E cannot open it.
    const sbd = parseSbdJson((await repo.get("OUT", ID))!.nextMove.sbd);
    const a = businessSigner(A);
    const wrong = encryptCms(Buffer.from("PK not really"), a.certificate, "rsa-pkcs1v15");
    await bus.send(`nextbestqueue${E}data`, encodeDpePayload({ sbd, asic: wrong }));

    const inbox = new NextMoveInRepo(store.db);
    const conversations = new ConversationsRepo(store.db);
    const replies = new StatusReplyRepo(store.db);
    const keystores = orgKeyStoresOf(new Map([[E, { ...businessSigner(E), chain: [] }]]));
    const anchors = [certificate("business/root-ca.pem"), certificate("business/intermediate-ca.pem")];
    const checkPackage = async (org: string, cms: Uint8Array) => {
      const opened = openReceivedPackage(cms, await keystores.get(org), { anchors, clock: () => now });
      if ("unreadable" in opened) throw new PackageRefusedError(opened.unreadable);
    };
    const inbound = (org: string) =>
      new DpeInboundSource({ orgs: [org], modeOf: () => (org === E ? "data" : "innsyn"), serviceBusFor: () => bus, inbox, conversations, blobs, replies, checkPackage, pollMs: 60_000, clock: () => now, log: silentLogger });
    await inbound(E).pass();
    expect([await inbox.message(ID), sim.messages(`nextbestqueue${E}data`).length]).to.deep.equal([null, 0]);
    expect((await replies.all("DPE")).map((r) => [r.messageId, r.status, r.sentAt])).to.deep.equal([[ID, "FEIL", null]]);

    // E's status-message worker puts FEIL on A's queue (E's mode data: status messages go to innsyn), A applies it.
    await createDpeReplySender({ replies, serviceBusFor: () => bus, modeOf: (org) => (org === E ? "data" : "innsyn"), retry: { baseDelayMs: 1000, maxDelayMs: 1000, windowMs: 60_000 }, pollMs: 60_000, clock: () => now, log: silentLogger }).sendOnce();
    expect(sim.messages(`nextbestqueue${A}innsyn`).length).to.equal(1);
    await inbound(A).pass();
    expect((await conversations.statuses("OUT", ID)).map((x) => x.status)).to.deep.equal(["OPPRETTET", "FEIL"]);
  });

  it("a receiver that took the message and died before storing it: the message comes again once its lock runs out, and is stored once", async () => {
    let t = new Date("2030-01-01T10:00:00Z");
    const sb = await startServiceBusSim({ keys: { [KEY.keyName]: KEY.key }, queues: [`nextbestqueue${E}data`], clock: () => t, queueOptions: { lockDurationMs: 60_000 } });
    try {
      const bus = new ServiceBusClient({ baseUrl: sb.url, key: async () => KEY, clock: () => t });
      const sbd = parsed(
        sbdJsonOf("publisering", PUBLISERING, JOURNALPOST, { orgnr: A }, (j) => {
          j.standardBusinessDocumentHeader.sender[0].identifier.value = `0192:${A}`;
          j.standardBusinessDocumentHeader.receiver[0].identifier.value = `0192:${E}`;
          j.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier = ID;
        }),
      );
      await bus.send(`nextbestqueue${E}data`, encodeDpePayload({ sbd, asic: undefined }));
      // The first receiver peek-locks it and is killed.
      expect((await bus.peekLock(`nextbestqueue${E}data`))!.deliveryCount).to.equal(1);
      const inbox = new NextMoveInRepo(store.db);
      const source = new DpeInboundSource({ orgs: [E], modeOf: () => "data", serviceBusFor: () => bus, inbox, conversations: new ConversationsRepo(store.db), blobs, pollMs: 60_000, clock: () => t, log: silentLogger });
      await source.pass();
      expect(await inbox.message(ID)).to.equal(null);
      t = new Date(t.getTime() + 60_000);
      await source.pass();
      await source.pass();
      expect([(await inbox.message(ID))?.status, await store.db.conversation.count({ where: { direction: "IN" } }), sb.messages(`nextbestqueue${E}data`).length]).to.deep.equal(["INNKOMMENDE_MOTTATT", 1, 0]);
    } finally {
      await sb.close();
    }
  });

  it("a namespace that is down is retried; a queue that does not exist fails the message with the bus's reason", async () => {
    const repo = new NextMoveRepo(store.db);
    await createPublisering(repo, now);
    const bus = new ServiceBusClient({ baseUrl: sim.url, key: async () => KEY, clock: () => now });
    const channel = (endpointUrl: string) =>
      new DpeOutboundChannel({
        repo,
        blobs,
        routerFor: () => ({
          route: async () => {
            const r = (await router().route({ receiver: E, process: JOURNALPOST, documentType: "publisering" })).endpoint as EformidlingEndpoint & { queueSuffix: string };
            return { channel: "DPE", endpoint: { ...r, queueSuffix: endpointUrl } as EformidlingEndpoint };
          },
        }),
        keystores: orgKeyStoresOf(new Map()),
        serviceBusFor: () => bus,
        modeOf: () => "innsyn",
        clock: () => now,
      });
    const [loaded] = await repo.ofConversations([{ direction: "OUT", messageId: ID }]);
    sim.setUnavailable(true);
    const down = await channel("data").send(loaded!, { now, attempt: 1, log: silentLogger });
    expect([down.kind, (down as { reason: string }).reason]).to.deep.equal(["retry", `Service Bus: sending to nextbestqueue${E}data: HTTP 503 <Error><Code>503</Code><Detail>The service is unavailable</Detail></Error>`]);
    expect(down.peer).to.equal(`${sim.url}/nextbestqueue${E}data`);
    sim.setUnavailable(false);
    const missing = await channel("meeting").send(loaded!, { now, attempt: 2, log: silentLogger });
    expect([missing.kind, (missing as { reason: string }).reason]).to.deep.equal([
      "failed",
      `Service Bus: sending to nextbestqueue${E}meeting: HTTP 404 <Error><Code>404</Code><Detail>The messaging entity 'nextbestqueue${E}meeting' could not be found</Detail></Error>`,
    ]);
    expect(missing.peer).to.equal(`${sim.url}/nextbestqueue${E}meeting`);
  });
});
