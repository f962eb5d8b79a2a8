import { expect } from "chai";
import { createHash } from "node:crypto";
import type { OutboundChannel, RouteRecord, SendOutcome } from "../../src/core/channel.js";
import { Outbox } from "../../src/core/outbox.js";
import { silentLogger } from "../../src/log.js";
import { ConversationsRepo } from "../../src/store/conversations-repo.js";
import type { Conversation } from "../../src/store/generated/client.js";
import { MAX_ATTEMPT_ERROR, OutboxRepo } from "../../src/store/outbox-repo.js";
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

  /** A DPO channel whose answers the test scripts, one list per message id; each send takes `sendMs` of the clock. */
  function channel(script: Record<string, (SendOutcome | Error)[]>, calls: string[] = [], sendMs = 0): OutboundChannel {
    return {
      channel: "DPO",
      async send(c: Conversation) {
        calls.push(`send ${c.messageId}`);
        now = new Date(now.getTime() + sendMs);
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

  function outbox(ch: OutboundChannel, windowMs = 3_600_000, repo = new OutboxRepo(db)): Outbox {
    return new Outbox({
      outbox: repo,
      channels: [ch],
      retry: { baseDelayMs: 1_000, maxDelayMs: 1_000, windowMs },
      leaseMs: 60_000,
      concurrency: 10,
      pollMs: 60_000,
      clock: () => now,
      log: silentLogger,
      random: () => 0.5,
      instance: "host-a:4711:cafe",
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

  describe("send attempts", () => {
    const BROKER = "https://broker.example/broker/api/v1";
    const body = new Uint8Array(Buffer.from("eyJhbGciOiJSUzI1NiJ9.eyJzZXJ2aWNlUmVjb3JkcyI6W119.c2ln", "utf8"));
    const sha256 = createHash("sha256").update(body).digest("hex");
    const record: RouteRecord = {
      kind: "service-registry",
      sourceUrl: "https://sr.example/identifier/123456785/process/urn:no:difi:profile:arkivmelding:administrasjon:ver1.0?securityLevel=3",
      fetchedAt: new Date("2029-12-31T23:59:00Z"),
      mediaType: "application/jose",
      body,
      sha256,
    };
    const attemptRows = (id: string) =>
      db.sendAttempt.findMany({
        where: { direction: "OUT", messageId: id },
        orderBy: { id: "asc" },
        select: { attempt: true, startedAt: true, finishedAt: true, peer: true, outcome: true, error: true, worker: true, routingSha256: true },
      });

    it("a retry and then a success are two rows, each written with its outcome, linked to the one stored record", async () => {
      await queue("a");
      const w = outbox(
        channel(
          {
            a: [
              { kind: "retry", reason: "HTTP 503 from the broker", peer: BROKER, routedBy: record },
              { kind: "delivered", externalReference: "ft-1", peer: BROKER, routedBy: record },
            ],
          },
          [],
          250,
        ),
      );
      await w.runOnce();
      // Between the attempts the conversation says what the first one left, and its row is already there.
      expect(await conversations.get("OUT", "a")).to.include({ attempts: 1, lastError: "HTTP 503 from the broker", lastPeer: BROKER });
      expect(await attemptRows("a")).to.have.length(1);
      now = new Date(T0.getTime() + 1_000);
      await w.runOnce();
      expect(await attemptRows("a")).to.deep.equal([
        { attempt: 1, startedAt: T0, finishedAt: new Date(T0.getTime() + 250), peer: BROKER, outcome: "retry", error: "HTTP 503 from the broker", worker: "host-a:4711:cafe", routingSha256: sha256 },
        { attempt: 2, startedAt: new Date(T0.getTime() + 1_000), finishedAt: new Date(T0.getTime() + 1_250), peer: BROKER, outcome: "sent", error: null, worker: "host-a:4711:cafe", routingSha256: sha256 },
      ]);
      expect(await conversations.get("OUT", "a")).to.include({ status: "SENDT", attempts: 2 });
      const stored = await db.routingRecord.findMany();
      expect(stored.map((r) => ({ ...r, body: Buffer.from(r.body).toString("utf8") }))).to.deep.equal([
        { sha256, kind: "service-registry", sourceUrl: record.sourceUrl, fetchedAt: record.fetchedAt, mediaType: "application/jose", body: Buffer.from(body).toString("utf8") },
      ]);
    });

    it("giving up at the end of the window is a failed attempt with the reason the status got; an attempt without peer or record leaves them empty", async () => {
      await queue("a");
      const w = outbox(channel({ a: [{ kind: "retry", reason: "broker down" }, { kind: "retry", reason: "broker down" }] }), 10_000);
      await w.runOnce();
      now = new Date(T0.getTime() + 10_000);
      await w.runOnce();
      expect(await attemptRows("a")).to.deep.equal([
        { attempt: 1, startedAt: T0, finishedAt: T0, peer: null, outcome: "retry", error: "broker down", worker: "host-a:4711:cafe", routingSha256: null },
        {
          attempt: 2,
          startedAt: now,
          finishedAt: now,
          peer: null,
          outcome: "failed",
          error: "gave up after 2 attempts in the 10 s retry window: broker down",
          worker: "host-a:4711:cafe",
          routingSha256: null,
        },
      ]);
      expect(await db.routingRecord.count()).to.equal(0);
    });

    it("a refusal is one failed attempt; an exception from the channel is a retry attempt; long errors are cut", async () => {
      await queue("a");
      await queue("b");
      const long = `refused: ${"x".repeat(3000)}`;
      await outbox(channel({ a: [{ kind: "failed", reason: long, peer: BROKER, routedBy: record }], b: [new Error("boom")] })).runOnce();
      const [a] = await attemptRows("a");
      expect(a).to.deep.include({ attempt: 1, outcome: "failed", peer: BROKER, routingSha256: sha256 });
      expect(a!.error).to.equal(`${long.slice(0, MAX_ATTEMPT_ERROR - 1)}…`);
      expect(a!.error).to.have.length(MAX_ATTEMPT_ERROR);
      expect((await conversations.get("OUT", "a"))!.lastError).to.equal(long);
      expect((await attemptRows("b")).map((r) => [r.attempt, r.outcome, r.error])).to.deep.equal([[1, "retry", "unexpected error: boom"]]);
    });

    it("a record many conversations were routed by is stored once, also when another process stored it first", async () => {
      const ok: SendOutcome = { kind: "delivered", peer: BROKER, routedBy: record };
      // Another process (its own repository, so it knows nothing of this one's records) stores it first.
      await queue("a");
      await outbox(channel({ a: [ok] }), undefined, new OutboxRepo(db)).runOnce();
      // Three at once here: one insert, which finds it stored, shared by the three.
      for (const id of ["b", "c", "d"]) await queue(id);
      expect(await outbox(channel({ b: [ok], c: [ok], d: [ok] })).runOnce()).to.equal(3);
      expect(await db.routingRecord.count()).to.equal(1);
      expect(await db.sendAttempt.groupBy({ by: ["routingSha256"], _count: { _all: true } })).to.deep.equal([{ routingSha256: sha256, _count: { _all: 4 } }]);
    });
  });
});
