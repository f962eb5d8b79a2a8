import { expect } from "chai";
import type { OutboundChannel, SendOutcome } from "../../src/core/channel.js";
import { Outbox } from "../../src/core/outbox.js";
import { silentLogger } from "../../src/log.js";
import { ConversationsRepo } from "../../src/store/conversations-repo.js";
import type { Conversation } from "../../src/store/generated/client.js";
import { OutboxRepo } from "../../src/store/outbox-repo.js";
import type { Db } from "../../src/store/prisma.js";
import { openTempStore, type TempStore } from "../helpers/temp-store.js";

/** The core's outbox with a channel that is not DPI: it claims, dispatches and records without knowing AS4. */
describe("core/outbox: Outbox over an OutboundChannel", () => {
  const T0 = new Date("2030-01-01T00:00:00Z");
  let store: TempStore;
  let db: Db;
  let conversations: ConversationsRepo;
  let now: Date;

  beforeEach(async () => {
    store = await openTempStore("core-outbox-");
    db = store.db;
    conversations = new ConversationsRepo(db);
    now = T0;
  });

  afterEach(async () => {
    await store.close();
  });

  async function queue(id: string, channel: "DPO" | "DPI" = "DPO"): Promise<void> {
    await db.$transaction(
      conversations.insertOperations(
        { messageId: id, direction: "OUT", conversationId: `conv-${id}`, channel, process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0", documentType: "arkivmelding", standard: "urn:test", senderIdentifier: "0192:987654325", receiverIdentifier: "0192:123456785", enqueue: true },
        "OPPRETTET",
        T0,
      ),
    );
  }

  /** A DPO channel whose answers the test scripts, one list per message id. */
  function channel(script: Record<string, (SendOutcome | Error)[]>, calls: string[] = []): OutboundChannel {
    return {
      channel: "DPO",
      async send(c: Conversation) {
        calls.push(`send ${c.messageId}`);
        const next = script[c.messageId]!.shift()!;
        if (next instanceof Error) throw next;
        return next;
      },
      async failureWrites(c: Conversation, reason: string) {
        calls.push(`failureWrites ${c.messageId} ${reason}`);
        return undefined;
      },
    };
  }

  function outbox(ch: OutboundChannel, windowMs = 3_600_000): Outbox {
    return new Outbox({
      outbox: new OutboxRepo(db),
      channels: [ch],
      retry: { baseDelayMs: 1_000, maxDelayMs: 1_000, windowMs },
      leaseMs: 60_000,
      concurrency: 10,
      pollMs: 60_000,
      clock: () => now,
      log: silentLogger,
      random: () => 0.5,
    });
  }

  const statuses = async (id: string) => (await conversations.statuses("OUT", id)).map((s) => [s.status, s.description]);

  it("records a delivery as SENDT with the channel's external reference and description", async () => {
    await queue("a");
    expect(await outbox(channel({ a: [{ kind: "delivered", externalReference: "altinn-1", description: "taken by the broker" }] })).runOnce()).to.equal(1);
    expect(await statuses("a")).to.deep.equal([
      ["OPPRETTET", null],
      ["SENDT", "taken by the broker"],
    ]);
    expect(await conversations.get("OUT", "a")).to.include({ externalReference: "altinn-1", nextAttemptAt: null, attempts: 1 });
  });

  it("retries inside the window, then gives up with FEIL and asks the channel for its failure writes", async () => {
    await queue("a");
    const calls: string[] = [];
    const w = outbox(channel({ a: [{ kind: "retry", reason: "broker down" }, { kind: "retry", reason: "broker down" }] }, calls), 10_000);
    await w.runOnce();
    const waiting = await conversations.get("OUT", "a");
    expect(waiting).to.include({ lastError: "broker down", attempts: 1 });
    expect(waiting!.nextAttemptAt!.getTime()).to.equal(T0.getTime() + 500);
    now = new Date(T0.getTime() + 10_000);
    await w.runOnce();
    expect(calls).to.deep.equal(["send a", "send a", "failureWrites a gave up after 2 attempts in the 10 s retry window: broker down"]);
    expect((await statuses("a")).at(-1)).to.deep.equal(["FEIL", "gave up after 2 attempts in the 10 s retry window: broker down"]);
  });

  it("a failed outcome is FEIL with its reason; an exception from the channel is retried", async () => {
    await queue("a");
    await queue("b");
    await outbox(channel({ a: [{ kind: "failed", reason: "receiver unknown", code: "X" }], b: [new Error("boom")] })).runOnce();
    expect((await statuses("a")).at(-1)).to.deep.equal(["FEIL", "receiver unknown"]);
    expect(await conversations.get("OUT", "b")).to.include({ status: "OPPRETTET", lastError: "unexpected error: boom" });
  });

  it("a delivery to a peer makes the conversations waiting for that peer due at once", async () => {
    await queue("a");
    const w = outbox(channel({ a: [{ kind: "retry", reason: "down", peer: "https://peer/" }], b: [{ kind: "delivered", peer: "https://peer/" }] }));
    await w.runOnce();
    expect((await conversations.get("OUT", "a"))!.nextAttemptAt!.getTime()).to.equal(T0.getTime() + 500);
    await queue("b");
    expect(await w.runOnce()).to.equal(1);
    expect((await conversations.get("OUT", "b"))!.status).to.equal("SENDT");
    const a = await conversations.get("OUT", "a");
    expect(a!.status).to.equal("OPPRETTET");
    expect(a!.nextAttemptAt!.getTime()).to.be.at.most(T0.getTime());
  });

  it("claims only the conversations of its channels", async () => {
    await queue("dpi", "DPI");
    expect(await outbox(channel({})).runOnce()).to.equal(0);
    expect(await conversations.get("OUT", "dpi")).to.include({ status: "OPPRETTET", attempts: 0 });
  });
});
