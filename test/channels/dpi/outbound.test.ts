import { expect } from "chai";
import type { X509Certificate } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { openStores, type Stores } from "../../../src/app.js";
import type { Clock } from "../../../src/clock.js";
import { fixedClock } from "../../../src/clock.js";
import { loadConfig } from "../../../src/config.js";
import { messageRecord } from "../../../src/dpi/message-record.js";
import { parseForretningsmelding } from "../../../src/dpi/sbd.js";
import { createForretningsmeldingVerifier } from "../../../src/dpi/signed-forretningsmelding.js";
import { silentLogger } from "../../../src/log.js";
import type { Discovery } from "../../../src/peppol/discovery.js";
import { buildDpiSbd } from "../../../src/peppol/dpi-sbd.js";
import { toParticipantId } from "../../../src/peppol/identifiers.js";
import type { SmpEndpoint } from "../../../src/peppol/smp-client.js";
import { SmpHttpError, SmpParticipantNotRegisteredError } from "../../../src/peppol/smp-errors.js";
import { RevocationUnknownError } from "../../../src/pki/revocation.js";
import type { ReceivedUserMessage } from "../../../src/as4/inbound.js";
import { receiveAs4, type SenderTrust } from "../../../src/channels/dpi/as4-receiver.js";
import { createFeilReceiptIssuer } from "../../../src/channels/dpi/feil-receipt.js";
import { DpiOutboundChannel, dpiLeaseMs, type DpiOutboundDeps } from "../../../src/channels/dpi/outbound.js";
import { Outbox, type OutboxDeps as CoreOutboxDeps } from "../../../src/core/outbox.js";
import type { RetryPolicy } from "../../../src/core/retry-policy.js";
import { ExchangeRepo } from "../../../src/store/exchange-repo.js";
import { OutboxRepo } from "../../../src/store/outbox-repo.js";
import { businessSigner, certificate } from "../../helpers/certs.js";
import { eventually } from "../../helpers/dpi-network.js";
import { buildMessage, type BuiltMessage } from "../../helpers/letters.js";
import { testSigner } from "../../as4/sign-fixtures.js";
import { ORGS } from "../../dpi/samples.js";

/**
 * One pass of the outbox worker against a real store, with a fake Discovery, a fixed (steppable) clock and
 * `random: () => 0.5` so back-off delays are exact: attempt n waits baseDelay·2^(n-1)/2.
 */

const T0 = new Date("2026-03-01T12:00:00.000Z");
const RETRY: RetryPolicy = { baseDelayMs: 1000, maxDelayMs: 60_000, windowMs: 3_600_000 };
const OPERATOR = "0192:991825827";
const receiverAp = testSigner("POP000002");

class FakeDiscovery implements Discovery {
  calls = 0;
  constructor(private readonly answer: () => Promise<SmpEndpoint>) {}
  lookup(): Promise<SmpEndpoint> {
    this.calls += 1;
    return this.answer();
  }
}

const failing = (err: Error) => new FakeDiscovery(() => Promise.reject(err));
const endpoint = (endpointUrl: string, cert: X509Certificate = receiverAp.certificate) =>
  new FakeDiscovery(async () => ({ endpointUrl, certificate: cert }) as SmpEndpoint);

function trust(validate: SenderTrust["validate"] = async () => ({ seatId: "POP000002" })): SenderTrust & { calls: number } {
  const t = {
    calls: 0,
    validate(cert: X509Certificate, at: Date) {
      t.calls += 1;
      return validate(cert, at);
    },
  };
  return t;
}

/** Answers each receiver with its own endpoint (several receivers may share one access point). */
class RoutingDiscovery implements Discovery {
  constructor(private readonly routes: Record<string, string>) {}
  async lookup(receiver: string): Promise<SmpEndpoint> {
    return { endpointUrl: this.routes[receiver]!, certificate: receiverAp.certificate } as SmpEndpoint;
  }
}

/**
 * A receiving access point on loopback: answers HTTP 503 while `down`, and otherwise receives for real and
 * returns its signed receipt. Its seat id is POP000002 and it trusts any sender as POP000001.
 */
async function as4Peer(stores: Stores, clock: Clock, tempDir: string) {
  const state = { down: true, received: [] as string[], sbds: [] as Buffer[] };
  const deps = {
    identity: { ...receiverAp, seatId: "POP000002" },
    trust: { validate: async () => ({ seatId: "POP000001" }) },
    handler: {
      accept: async (m: ReceivedUserMessage): Promise<undefined> => {
        state.received.push(m.userMessage.messageId);
        state.sbds.push(await m.payloads[0]!.content.readAll());
        return undefined;
      },
    },
    exchanges: new ExchangeRepo(stores.db),
    clock,
    log: silentLogger,
    tempDir,
  };
  const server: Server = createHttpServer((req, res) => {
    if (state.down) {
      req.resume();
      res.writeHead(503).end();
      return;
    }
    receiveAs4(req.headers["content-type"], req, deps).then(
      (r) => res.writeHead(r.status, { "content-type": r.contentType }).end(r.body),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/as4`,
    state,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A loopback port nobody listens on: connecting to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** The DPI channel's needs and the core outbox's settings, which the tests vary together. */
type WorkerOptions = DpiOutboundDeps & Pick<CoreOutboxDeps, "outbox" | "retry" | "concurrency" | "pollMs" | "random" | "expirySweepMs">;

describe("channels/dpi/outbound: the core Outbox with the DPI channel", function () {
  this.timeout(30_000);
  let dir: string;
  let stores: Stores;
  let outbox: OutboxRepo;
  let now: Date;
  const clock: Clock = () => new Date(now.getTime());

  beforeEach(async () => {
    // A database per test: the worker claims every due message, so tests must not see each other's.
    dir = await mkdtemp(path.join(os.tmpdir(), "relay-outbox-"));
    stores = await openStores(loadConfig({ DPI_AP_DATABASE_URL: `file:${path.join(dir, "db.sqlite")}`, DPI_AP_DATA_DIR: dir }));
    outbox = new OutboxRepo(stores.db);
    now = T0;
  });
  afterEach(async () => {
    await stores?.db.$disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The core's Outbox with the DPI channel, as server.ts composes it. */
  function worker(over: Partial<WorkerOptions>): Outbox {
    const { outbox: repo, retry, concurrency, pollMs, random, expirySweepMs, ...dpi } = options(over);
    return new Outbox({ outbox: repo, channels: [new DpiOutboundChannel(dpi)], retry, leaseMs: dpiLeaseMs(dpi.timeoutMs), concurrency, pollMs, clock: dpi.clock, log: dpi.log, random, expirySweepMs });
  }

  function options(over: Partial<WorkerOptions>): WorkerOptions {
    return {
      outbox,
      messages: stores.repo,
      blobs: stores.blobs,
      discovery: failing(new Error("no discovery configured")),
      receiverTrust: trust(),
      identity: { ...testSigner("POP000001"), seatId: "POP000001" },
      spelling: "innbyggerpost",
      retry: RETRY,
      timeoutMs: 2_000,
      concurrency: 4,
      pollMs: 1_000,
      clock,
      log: silentLogger,
      random: () => 0.5,
      tempDir: dir,
      ...over,
    };
  }

  const feilIssuer = () =>
    createFeilReceiptIssuer({ signer: { ...businessSigner(OPERATOR.split(":")[1]!), org: OPERATOR }, repo: stores.repo, clock, log: silentLogger });

  /** Queues a letter from corner 1 (OUT, due now) with its dokumentpakke in the blob store. */
  async function queued(type: "digital" | "leveringskvittering" = "digital", over: { expectedResponse?: Date; receiver?: string; cms?: Uint8Array } = {}): Promise<BuiltMessage> {
    const built = await buildMessage({ type, ...over });
    const blob = built.cms ? await stores.blobs.write(Readable.from([Buffer.from(built.cms)])) : undefined;
    const m = parseForretningsmelding(built.payload);
    await stores.repo.insert(messageRecord(m, { direction: "OUT", jws: built.jws, dokumentpakke: blob, enqueue: true }), "OPPRETTET", clock());
    return built;
  }

  const row = async (id: string) => (await stores.repo.get("OUT", id))!;
  /** The SBD a digital letter's row and dokumentpakke make, as the stream builds it: what the peer must receive. */
  const digitalSbdOf = (m: Awaited<ReturnType<typeof row>>, dokumentpakke: Buffer) =>
    buildDpiSbd({
      sender: toParticipantId(m.senderIdentifier),
      receiver: toParticipantId(m.receiverIdentifier),
      messageType: "digital",
      instanceIdentifier: m.messageId,
      createdAt: m.createdAt,
      spelling: "innbyggerpost",
      forretningsmelding: m.dpi.forretningsmelding,
      dokumentpakke,
    });
  const statuses = async (id: string) => (await stores.repo.statuses("OUT", id)).map((s) => [s.status, s.description]);
  const incoming = async (conversationId: string) => (await stores.repo.conversation(conversationId)).filter((m) => m.direction === "IN");

  describe("a retryable lookup failure", () => {
    const smpDown = () => new SmpHttpError("status", "https://smp.test/x", "GET https://smp.test/x answered HTTP 503", { kind: "unavailable", httpStatus: 503 });

    it("schedules a retry after the back-off and leaves the letter OPPRETTET", async () => {
      const letter = await queued();
      expect(await worker({ discovery: failing(smpDown()) }).runOnce()).to.equal(1);
      const m = await row(letter.messageId);
      expect(m).to.include({ status: "OPPRETTET", attempts: 1, leaseUntil: null });
      expect(m.nextAttemptAt?.toISOString()).to.equal(new Date(T0.getTime() + 500).toISOString());
      expect(m.lastError).to.equal("lookup failed: GET https://smp.test/x answered HTTP 503");
      expect(await statuses(letter.messageId)).to.deep.equal([["OPPRETTET", null]]);
    });

    it("is not tried again before the back-off has passed, and then waits twice as long", async () => {
      const letter = await queued();
      const w = worker({ discovery: failing(smpDown()) });
      await w.runOnce();
      expect(await w.runOnce()).to.equal(0);
      now = new Date(T0.getTime() + 499);
      expect(await w.runOnce()).to.equal(0);
      now = new Date(T0.getTime() + 500);
      expect(await w.runOnce()).to.equal(1);
      const m = await row(letter.messageId);
      expect(m.attempts).to.equal(2);
      expect(m.nextAttemptAt?.toISOString()).to.equal(new Date(T0.getTime() + 500 + 1000).toISOString());
    });

    it("with an attempt limit, gives up after maxAttempts: FEILET 'gave up after N attempts', with a feil receipt for corner 1", async () => {
      const letter = await queued();
      const w = worker({ discovery: failing(smpDown()), retry: { ...RETRY, maxAttempts: 2 }, feil: feilIssuer() });
      await w.runOnce();
      expect((await row(letter.messageId)).status).to.equal("OPPRETTET");
      expect(await incoming(letter.conversationId)).to.deep.equal([]);
      now = new Date(T0.getTime() + 500);
      await w.runOnce();
      const m = await row(letter.messageId);
      const reason = "gave up after 2 attempts: lookup failed: GET https://smp.test/x answered HTTP 503";
      expect(m).to.include({ status: "FEILET", attempts: 2, nextAttemptAt: null, lastError: reason });
      expect(await statuses(letter.messageId)).to.deep.equal([["OPPRETTET", null], ["FEILET", reason]]);
      const feil = await incoming(letter.conversationId);
      expect(feil.map((f) => f.documentType)).to.deep.equal(["feil"]);
      // No more attempts: the letter has left the outbox.
      now = new Date(T0.getTime() + 3_600_000);
      expect(await w.runOnce()).to.equal(0);
    });
  });

  describe("giving up by elapsed time", () => {
    const smpDown = () => new SmpHttpError("status", "https://smp.test/x", "GET https://smp.test/x answered HTTP 503", { kind: "unavailable", httpStatus: 503 });

    /** Runs the worker at each retry until the letter leaves the outbox; returns the attempt times (ms after T0). */
    async function retryUntilDone(w: Outbox, id: string): Promise<number[]> {
      const times: number[] = [];
      for (let i = 0; i < 100; i++) {
        times.push(now.getTime() - T0.getTime());
        expect(await w.runOnce()).to.equal(1);
        const next = (await row(id)).nextAttemptAt;
        if (!next) return times;
        now = next;
      }
      throw new Error("still retrying after 100 attempts");
    }

    it("retries for the whole window however many attempts that takes, makes the last attempt at its end, then FEILET", async () => {
      const letter = await queued();
      const w = worker({ discovery: failing(smpDown()), retry: { baseDelayMs: 1000, maxDelayMs: 2000, windowMs: 10_000 }, feil: feilIssuer() });
      expect(await retryUntilDone(w, letter.messageId)).to.deep.equal([0, 500, 1500, 2500, 3500, 4500, 5500, 6500, 7500, 8500, 9500, 10_000]);
      const m = await row(letter.messageId);
      const reason = "gave up after 12 attempts in the 10 s retry window: lookup failed: GET https://smp.test/x answered HTTP 503";
      expect(m).to.include({ status: "FEILET", attempts: 12, nextAttemptAt: null, lastError: reason });
      expect(await statuses(letter.messageId)).to.deep.equal([["OPPRETTET", null], ["FEILET", reason]]);
      expect((await incoming(letter.conversationId)).map((f) => f.documentType)).to.deep.equal(["feil"]);
    });

    it("the window counts from when the letter was accepted, not from its first attempt", async () => {
      const letter = await queued();
      now = new Date(T0.getTime() + 9_800);
      const w = worker({ discovery: failing(smpDown()), retry: { baseDelayMs: 1000, maxDelayMs: 2000, windowMs: 10_000 } });
      expect(await retryUntilDone(w, letter.messageId)).to.deep.equal([9_800, 10_000]);
      expect((await row(letter.messageId)).lastError).to.equal("gave up after 2 attempts in the 10 s retry window: lookup failed: GET https://smp.test/x answered HTTP 503");
    });

    it("a letter whose expectedResponseDateTime passes while it waits is not sent again: LEVETID_UTLOPT, no feil receipt", async () => {
      const letter = await queued("digital", { expectedResponse: new Date(T0.getTime() + 300) });
      const discovery = failing(smpDown());
      const w = worker({ discovery, feil: feilIssuer() });
      expect(await w.runOnce()).to.equal(1);
      expect((await row(letter.messageId)).nextAttemptAt?.toISOString()).to.equal(new Date(T0.getTime() + 500).toISOString());
      now = new Date(T0.getTime() + 500);
      expect(await w.runOnce()).to.equal(0);
      expect(discovery.calls).to.equal(1);
      expect(await w.sweepExpired()).to.equal(1);
      const m = await row(letter.messageId);
      expect(m).to.include({ status: "LEVETID_UTLOPT", attempts: 1, nextAttemptAt: null });
      expect(await statuses(letter.messageId)).to.deep.equal([
        ["OPPRETTET", null],
        ["LEVETID_UTLOPT", `no receipt arrived before ${new Date(T0.getTime() + 300).toISOString()}`],
      ]);
      expect(await incoming(letter.conversationId)).to.deep.equal([]);
    });
  });

  describe("a receiving access point that answers again", () => {
    const SLOW: RetryPolicy = { baseDelayMs: 60_000, maxDelayMs: 600_000, windowMs: 3_600_000 };
    let peer: Awaited<ReturnType<typeof as4Peer>>;
    let otherPeer: string;
    beforeEach(async () => {
      peer = await as4Peer(stores, clock, dir);
      otherPeer = `http://127.0.0.1:${await closedPort()}/as4`;
    });
    afterEach(async () => peer?.close());

    /** Digipost and eBoks share the access point `peer`; the print provider has its own, which stays down. */
    const discovery = () => new RoutingDiscovery({ [ORGS.digipost]: peer.url, [ORGS.eboks]: peer.url, [ORGS.print]: otherPeer });
    const nextAt = async (id: string) => (await row(id)).nextAttemptAt?.getTime() ?? null;

    it("a successful send makes every message waiting for that access point due at once, and no other", async () => {
      const w = worker({ discovery: discovery(), allowHttpEndpoints: true, retry: SLOW });
      const digipost = await queued("digital", { receiver: ORGS.digipost });
      const eboks = await queued("digital", { receiver: ORGS.eboks });
      const print = await queued("digital", { receiver: ORGS.print });
      expect(await w.runOnce()).to.equal(3);
      // Each waits for its access point, recorded by endpoint URL, for its own back-off (30 s).
      for (const [l, url] of [[digipost, peer.url], [eboks, peer.url], [print, otherPeer]] as const) {
        expect(await row(l.messageId)).to.include({ status: "OPPRETTET", attempts: 1, lastPeer: url });
        expect(await nextAt(l.messageId)).to.equal(T0.getTime() + 30_000);
      }

      now = new Date(T0.getTime() + 1_000);
      peer.state.down = false;
      const fresh = await queued("digital", { receiver: ORGS.digipost });
      expect(await w.runOnce()).to.equal(1);
      expect((await row(fresh.messageId)).status).to.equal("SENDT");
      expect(await nextAt(digipost.messageId)).to.equal(T0.getTime() + 1_000);
      expect(await nextAt(eboks.messageId)).to.equal(T0.getTime() + 1_000);
      expect(await nextAt(print.messageId)).to.equal(T0.getTime() + 30_000);

      expect(await w.runOnce()).to.equal(2);
      expect(await row(digipost.messageId)).to.include({ status: "SENDT", attempts: 2, nextAttemptAt: null });
      expect(await row(eboks.messageId)).to.include({ status: "SENDT", attempts: 2, nextAttemptAt: null });
      expect(await row(print.messageId)).to.include({ status: "OPPRETTET", attempts: 1 });
      expect(peer.state.received).to.have.length(3);
    });

    // Up to the memory spool the SBD is built in memory and sealed without streams; past it, streamed as before.
    for (const [how, memorySpoolBytes] of [["built in memory", undefined], ["streamed past the memory spool", 1_000]] as const) {
      it(`sends the letter's SBD byte for byte as the stream builds it (${how})`, async () => {
        peer.state.down = false;
        const w = worker({ discovery: discovery(), allowHttpEndpoints: true, ...(memorySpoolBytes !== undefined ? { memorySpoolBytes } : {}) });
        const letter = await queued("digital", { receiver: ORGS.digipost });
        const m = await row(letter.messageId);
        expect(Math.ceil(m.dpi.payloadSize! / 3) * 4).to.be.above(1_000);
        expect(await w.runOnce()).to.equal(1);
        expect((await row(letter.messageId)).status).to.equal("SENDT");
        const expected = await digitalSbdOf(m, Buffer.from(letter.cms!));
        expect(peer.state.sbds).to.have.length(1);
        expect(peer.state.sbds[0]!.equals(expected)).to.equal(true);
      });
    }

    it("sends a dokumentpakke of several MiB, read in large pieces, byte for byte as the stream builds it", async () => {
      peer.state.down = false;
      const w = worker({ discovery: discovery(), allowHttpEndpoints: true, memorySpoolBytes: 1_000 });
      const cms = Buffer.alloc(3 * 1024 * 1024 + 7);
      for (let i = 0; i < cms.length; i++) cms[i] = (i * 7 + (i >> 12)) & 0xff;
      const letter = await queued("digital", { receiver: ORGS.digipost, cms });
      const m = await row(letter.messageId);
      expect(m.dpi.payloadSize).to.equal(3 * 1024 * 1024 + 7);
      expect(await w.runOnce()).to.equal(1);
      expect((await row(letter.messageId)).status).to.equal("SENDT");
      const expected = await digitalSbdOf(m, cms);
      expect(peer.state.sbds).to.have.length(1);
      expect(peer.state.sbds[0]!.equals(expected)).to.equal(true);
    });

    it("a letter read before another attempt fixed its AS4 MessageId is built again and sent with that one", async () => {
      peer.state.down = false;
      const letter = await queued("digital", { receiver: ORGS.digipost });
      const read = await row(letter.messageId);
      expect(read.dpi.as4MessageId).to.equal(null);
      // Another worker's attempt (its lease ran out meanwhile) fixed a MessageId after this one read the letter.
      await stores.repo.recordAttempt(letter.messageId, "fixed-elsewhere@pop000001", [{ uri: "#earlier", digest: "x" }]);
      const channel = new DpiOutboundChannel(options({ discovery: discovery(), allowHttpEndpoints: true }));
      const outcome = await channel.send(read, { now: clock(), attempt: 2, log: silentLogger });
      expect(outcome.kind).to.equal("delivered");
      expect(peer.state.received).to.deep.equal(["fixed-elsewhere@pop000001"]);
      const after = await row(letter.messageId);
      expect(after.dpi.as4MessageId).to.equal("fixed-elsewhere@pop000001");
      expect(JSON.parse(after.dpi.signedReferences!)).to.have.length(2);
    });

    it("the running worker is woken: the waiting letters go without waiting for the next poll", async () => {
      const w = worker({ discovery: discovery(), allowHttpEndpoints: true, retry: SLOW, pollMs: 600_000 });
      const waiting = [await queued("digital", { receiver: ORGS.digipost }), await queued("digital", { receiver: ORGS.eboks })];
      w.start();
      try {
        await eventually("both letters waiting", async () => ((await Promise.all(waiting.map((l) => row(l.messageId)))).every((m) => m.attempts === 1) ? true : undefined));
        now = new Date(T0.getTime() + 1_000);
        peer.state.down = false;
        await queued("digital", { receiver: ORGS.digipost });
        w.nudge();
        await eventually("the waiting letters SENDT", async () => ((await Promise.all(waiting.map((l) => row(l.messageId)))).every((m) => m.status === "SENDT") ? true : undefined), 10_000);
      } finally {
        await w.stop();
      }
      expect(peer.state.received).to.have.length(3);
    });
  });

  describe("a permanent lookup failure", () => {
    const notRegistered = () => new SmpParticipantNotRegisteredError("0192:984661185 is not registered");

    it("marks the letter FEILET at once", async () => {
      const letter = await queued();
      await worker({ discovery: failing(notRegistered()) }).runOnce();
      const m = await row(letter.messageId);
      expect(m).to.include({ status: "FEILET", attempts: 1, nextAttemptAt: null, leaseUntil: null });
      expect(m.lastError).to.equal("lookup: 0192:984661185 is not registered");
      expect(await incoming(letter.conversationId)).to.deep.equal([]);
    });

    it("with a FeilReceiptIssuer, files a signed feil receipt to the letter's sender in the same conversation", async () => {
      const letter = await queued();
      await worker({ discovery: failing(notRegistered()), feil: feilIssuer() }).runOnce();
      expect((await row(letter.messageId)).status).to.equal("FEILET");
      const feil = await incoming(letter.conversationId);
      expect(feil).to.have.length(1);
      const f = feil[0]!;
      expect(f).to.include({ channel: "DPI", documentType: "feil", conversationId: letter.conversationId, senderIdentifier: OPERATOR, receiverIdentifier: ORGS.avsender, status: "MOTTATT" });
      const verified = await createForretningsmeldingVerifier({
        anchors: [certificate("business/root-ca.pem"), certificate("business/intermediate-ca.pem")],
        clock: fixedClock(T0),
      })(f.dpi.forretningsmelding);
      expect(verified.signerOrg).to.equal(OPERATOR);
      expect(verified.message.document.body).to.deep.include({ feiltype: "SERVER", detaljer: "lookup: 0192:984661185 is not registered" });
    });

    it("a failed receipt (not a letter) gets no feil receipt", async () => {
      const receipt = await queued("leveringskvittering");
      await worker({ discovery: failing(notRegistered()), feil: feilIssuer() }).runOnce();
      expect((await row(receipt.messageId)).status).to.equal("FEILET");
      expect(await incoming(receipt.conversationId)).to.deep.equal([]);
    });
  });

  describe("the receiving access point from the SMP", () => {
    it("an http:// endpoint is refused (FEILET) unless allowHttpEndpoints is set", async () => {
      const letter = await queued();
      const t = trust();
      await worker({ discovery: endpoint("http://127.0.0.1:9/as4"), receiverTrust: t, allowHttpEndpoints: false }).runOnce();
      const m = await row(letter.messageId);
      expect(m.status).to.equal("FEILET");
      expect(m.lastError).to.equal("the SMP publishes http://127.0.0.1:9/as4, but Peppol AS4 requires HTTPS");
      expect(t.calls).to.equal(0);
      expect(m.dpi.as4MessageId).to.equal(null);
    });

    it("with allowHttpEndpoints the http:// endpoint is used: a refused connection is retried with the same AS4 MessageId", async () => {
      const letter = await queued();
      const url = `http://127.0.0.1:${await closedPort()}/as4`;
      const w = worker({ discovery: endpoint(url), allowHttpEndpoints: true });
      await w.runOnce();
      const first = await row(letter.messageId);
      expect(first).to.include({ status: "OPPRETTET", attempts: 1 });
      expect(first.lastError).to.match(/^connection failed: ECONNREFUSED/);
      expect(first.dpi.as4MessageId).to.match(/@pop000001$/);
      now = new Date(T0.getTime() + 500);
      await w.runOnce();
      const second = await row(letter.messageId);
      expect(second.attempts).to.equal(2);
      expect(second.dpi.as4MessageId).to.equal(first.dpi.as4MessageId);
      // Each attempt's signed references are kept, so a receipt for any of them is recognised later.
      expect(JSON.parse(second.dpi.signedReferences!)).to.have.length(2);
    });

    it("a receiver certificate the trust refuses: FEILET", async () => {
      const letter = await queued();
      await worker({ discovery: endpoint("https://ap.test/as4"), receiverTrust: trust(async () => Promise.reject(new Error("not a Peppol AP certificate"))) }).runOnce();
      const m = await row(letter.messageId);
      expect(m.status).to.equal("FEILET");
      expect(m.lastError).to.equal("the receiving access point's certificate from the SMP is not accepted: not a Peppol AP certificate");
    });

    it("a revocation outage while checking it is retried, not failed", async () => {
      const letter = await queued();
      const outage = trust(async (cert) => Promise.reject(new RevocationUnknownError("no OCSP or CRL answer", cert, ["OCSP: ECONNREFUSED"])));
      await worker({ discovery: endpoint("https://ap.test/as4"), receiverTrust: outage }).runOnce();
      const m = await row(letter.messageId);
      expect(m).to.include({ status: "OPPRETTET", attempts: 1 });
      expect(m.lastError).to.match(/^revocation status unavailable: /);
    });
  });
});
