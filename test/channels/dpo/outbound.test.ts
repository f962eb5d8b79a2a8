import { createHash } from "node:crypto";
import { expect } from "chai";
import { readZip } from "../../../src/dpi/zip.js";
import { createDpoOutbound } from "../../../src/channels/dpo/outbound.js";
import { createDpoSender } from "../../../src/channels/dpo/sender.js";
import type { OutboundChannel } from "../../../src/core/channel.js";
import { silentLogger } from "../../../src/log.js";
import { orgKeyStoresOf } from "../../../src/pki/org-keystores.js";
import { parseSbdJson, serialiseSbd } from "../../../src/sbd/index.js";
import { DPO_RESOURCE } from "../../../src/sim/altinn-broker/index.js";
import { FolderBlobStore } from "../../../src/store/blob-store.js";
import { NextMoveRepo, type NextMoveConversation } from "../../../src/store/nextmove-repo.js";
import { openTempStore, type TempStore } from "../../helpers/temp-store.js";
import { sbdJsonOf, parsed } from "../../sbd/fixtures.js";
import { A, B, BrokerWorld } from "./fixtures.js";

/** DPO's outbound side against the broker simulator over HTTP: what goes on the broker, and the outcomes. */
/** Where the channel says its attempts went (the broker's URL as configured). */
const BROKER_URL = "https://broker.example/broker/api/v1";

describe("DPO outbound: the broker upload and its outcomes", function () {
  this.timeout(30_000);
  let w: BrokerWorld;
  let store: TempStore;
  let repo: NextMoveRepo;
  let channel: OutboundChannel<NextMoveConversation>;
  let n = 0;

  before(async () => {
    w = await BrokerWorld.start();
  });
  after(async () => {
    await w?.close();
  });
  beforeEach(async () => {
    store = await openTempStore("dpo-out-");
    repo = new NextMoveRepo(store.db);
    channel = createDpoOutbound({
      repo,
      blobs: new FolderBlobStore("/nonexistent"),
      sender: createDpoSender({ broker: w.client, resourceId: DPO_RESOURCE, newId: () => "5e4d0000-0000-4000-8000-000000000001" }),
      keystores: orgKeyStoresOf(new Map()),
      routerFor: () => {
        throw new Error("an avtalt without files needs no Service Registry record");
      },
      clock: () => new Date(),
      peer: BROKER_URL,
    });
  });
  afterEach(async () => {
    await store.close();
  });

  /** An avtalt message from A to B, stored as the out-queue stores it. */
  async function avtalt(): Promise<NextMoveConversation> {
    const messageId = `a0000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;
    const sbd = parsed(
      sbdJsonOf("avtalt", "urn:no:difi:avtalt:xsd::avtalt", "urn:no:difi:profile:avtalt:avtalt:ver1.0", { identifier: "avtale-1", content: { tekst: "hei" } }, (j) => {
        const h = j.standardBusinessDocumentHeader;
        h.sender[0].identifier.value = `0192:${A}`;
        h.receiver[0].identifier.value = `0192:${B}`;
        h.documentIdentification.instanceIdentifier = messageId;
        h.businessScope.scope[0].instanceIdentifier = "c1000000-0000-4000-8000-000000000001";
        h.businessScope.scope[0].scopeInformation[0].expectedResponseDateTime = "2030-01-02T11:00:00+01:00";
      }),
    );
    const c = {
      messageId,
      direction: "OUT" as const,
      conversationId: "c1000000-0000-4000-8000-000000000001",
      channel: "DPO" as const,
      process: "urn:no:difi:profile:avtalt:avtalt:ver1.0",
      documentType: "avtalt",
      standard: "urn:no:difi:avtalt:xsd::avtalt",
      senderIdentifier: `0192:${A}`,
      receiverIdentifier: `0192:${B}`,
      enqueue: true,
    };
    await repo.create(c, serialiseSbd(sbd), "OPPRETTET", new Date());
    return (await channel.load!([{ direction: "OUT", messageId } as never]))[0]!;
  }

  const ctx = () => ({ now: new Date(), attempt: 1, log: silentLogger });

  it("uploads an avtalt as sbd.zip with sbd.json only (no asic.zip without files), initialised as the integrasjonspunkt does", async () => {
    const c = await avtalt();
    const outcome = await channel.send(c, ctx());
    expect(outcome.kind).to.equal("delivered");
    const t = w.broker.state.all().at(-1)!;
    expect(outcome).to.deep.equal({ kind: "delivered", externalReference: t.fileTransferId, peer: BROKER_URL });
    expect([t.resourceId, t.fileName, t.sender, t.recipients.map((r) => r.recipient), t.sendersFileTransferReference, t.propertyList, t.status]).to.deep.equal([
      DPO_RESOURCE,
      "sbd.zip",
      `0192:${A}`,
      [`0192:${B}`],
      "5e4d0000-0000-4000-8000-000000000001",
      {},
      "Published",
    ]);
    expect(t.declaredChecksum).to.equal(createHash("md5").update(t.bytes!).digest("hex"));
    const entries = readZip(t.bytes!).entries;
    expect(entries.map((e) => e.name)).to.deep.equal(["sbd.json"]);
    expect(serialiseSbd(parseSbdJson(Buffer.from(entries[0]!.data).toString("utf8")))).to.equal(c.nextMove.sbd);
  });

  it("fails for good with the broker's reason when the broker refuses (4xx)", async () => {
    const c = await avtalt();
    w.broker.state.configureResource(DPO_RESOURCE, { organisations: [A] });
    try {
      expect(await channel.send(c, ctx())).to.deep.equal({
        kind: "failed",
        reason: `initialise: the broker refused (400): Recipient has no access: the recipient 0192:${B} has no access to the resource ${DPO_RESOURCE}`,
        code: "dpo-broker-refused",
        peer: BROKER_URL,
      });
    } finally {
      w.broker.state.configureResource(DPO_RESOURCE, { organisations: [A, B] });
    }
  });

  it("asks to be tried again while the broker is down (5xx)", async () => {
    const c = await avtalt();
    w.broker.setAvailable(false);
    try {
      // A's Altinn token is cached from the sends before, so the broker itself answers.
      expect(await channel.send(c, ctx())).to.deep.equal({ kind: "retry", reason: "initialise: the broker answered 503: Service Unavailable: the broker is down", peer: BROKER_URL });
    } finally {
      w.broker.setAvailable(true);
    }
  });
});
