import { expect } from "chai";
import { silentLogger } from "../../src/log.js";
import { ConsoleActionRefused, ConsoleActions, offeredActions } from "../../src/console/actions.js";
import { backlogOf, ConsoleQueries, countReasons, perHour, reasonKey, timelineOf } from "../../src/console/queries.js";
import { Outbox } from "../../src/core/outbox.js";
import type { Channel } from "../../src/core/status/index.js";
import { ConversationsRepo, type Direction } from "../../src/store/conversations-repo.js";
import { OutboxRepo, type AttemptRecord } from "../../src/store/outbox-repo.js";
import type { RouteRecord } from "../../src/core/channel.js";
import { conversationPage } from "../../src/console/pages.js";
import type { Session } from "../../src/console/sessions.js";
import { createHash } from "node:crypto";
import type { Db } from "../../src/store/prisma.js";
import { postgresReachable } from "../../scripts/lib/pg-scratch.js";
import { openStoreOn, type TempStore } from "../helpers/temp-store.js";


const T0 = new Date("2030-01-01T12:00:00Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

interface Seed {
  id: string;
  channel: Channel;
  direction?: Direction;
  status?: string;
  minutes: number;
  sender?: string;
  receiver?: string;
  title?: string;
  reference?: string;
  enqueue?: boolean;
  conversationId?: string;
  /** The first status (default OPPRETTET). */
  initial?: string;
}

async function seed(db: Db, s: Seed): Promise<void> {
  const repo = new ConversationsRepo(db);
  const direction = s.direction ?? "OUT";
  await db.$transaction(
    repo.insertOperations(
      {
        messageId: s.id,
        direction,
        conversationId: s.conversationId ?? `conv-${s.id}`,
        channel: s.channel,
        process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
        documentType: "arkivmelding",
        standard: "urn:no:difi:arkivmelding:xsd::arkivmelding",
        senderIdentifier: s.sender ?? "0192:991825827",
        senderName: "Sender kommune",
        receiverIdentifier: s.receiver ?? "0192:910076787",
        messageTitle: s.title,
        messageReference: s.reference,
        enqueue: s.enqueue ?? false,
      },
      s.initial ?? "OPPRETTET",
      at(s.minutes),
    ),
  );
  if (s.status && s.status !== "OPPRETTET") await repo.registerStatus(direction, s.id, s.status, at(s.minutes + 1), { description: `now ${s.status}` });
}

for (const provider of ["sqlite", "postgresql"] as const) describe(`console/queries and console/actions on ${provider}`, function () {
  this.timeout(30_000);
  let store: TempStore | undefined;
  let db: Db;
  let q: ConsoleQueries;

  before(async function () {
    if (provider === "postgresql" && !(await postgresReachable())) this.skip();
  });
  beforeEach(async () => {
    store = await openStoreOn(provider, "console");
    db = store.db;
    q = new ConsoleQueries(db);
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  describe("the list", () => {
    beforeEach(async () => {
      await seed(db, { id: "A-1", channel: "DPO", minutes: 1, title: "Byggesak 12/345", reference: "REF-77" });
      await seed(db, { id: "b-2", channel: "DPF", minutes: 2, status: "SENDT", receiver: "0192:974761076" });
      await seed(db, { id: "c-3", channel: "DPO", minutes: 3, status: "FEIL", direction: "OUT" });
      await seed(db, { id: "d-4", channel: "DPE", minutes: 4, direction: "IN", sender: "0192:810969342", conversationId: "shared-conv" });
    });

    it("lists every channel, newest first, with the total", async () => {
      const r = await q.list({}, { page: 0, size: 50 });
      expect(r.total).to.equal(4);
      expect(r.rows.map((x) => [x.messageId, x.channel, x.direction, x.status])).to.deep.equal([
        ["d-4", "DPE", "IN", "OPPRETTET"],
        ["c-3", "DPO", "OUT", "FEIL"],
        ["b-2", "DPF", "OUT", "SENDT"],
        ["a-1", "DPO", "OUT", "OPPRETTET"],
      ]);
    });

    it("pages", async () => {
      const p2 = await q.list({}, { page: 1, size: 3 });
      expect({ total: p2.total, ids: p2.rows.map((x) => x.messageId) }).to.deep.equal({ total: 4, ids: ["a-1"] });
    });

    it("filters by channel, direction, status, sender, receiver and time", async () => {
      const ids = async (f: Parameters<ConsoleQueries["list"]>[0]) => (await q.list(f, { page: 0, size: 50 })).rows.map((x) => x.messageId);
      expect(await ids({ channel: "DPO" })).to.deep.equal(["c-3", "a-1"]);
      expect(await ids({ direction: "IN" })).to.deep.equal(["d-4"]);
      expect(await ids({ status: "FEIL" })).to.deep.equal(["c-3"]);
      expect(await ids({ sender: "810969342" })).to.deep.equal(["d-4"]);
      expect(await ids({ sender: "Sender kommune", channel: "DPF" })).to.deep.equal(["b-2"]);
      expect(await ids({ receiver: "974761076" })).to.deep.equal(["b-2"]);
      expect(await ids({ from: at(2), to: at(4) })).to.deep.equal(["c-3", "b-2"]);
    });

    it("finds free text in the message id (any case), conversation id, title and reference", async () => {
      const ids = async (text: string) => (await q.list({ text }, { page: 0, size: 50 })).rows.map((x) => x.messageId);
      expect(await ids("A-1")).to.deep.equal(["a-1"]);
      expect(await ids("shared-conv")).to.deep.equal(["d-4"]);
      expect(await ids("Byggesak 12")).to.deep.equal(["a-1"]);
      expect(await ids("REF-77")).to.deep.equal(["a-1"]);
      await db.dpiMessage.create({ data: { direction: "OUT", messageId: "b-2", avsenderOrg: "0192:991825827", forretningsmelding: "f", as4MessageId: "as4-b2@ap.example" } });
      expect(await ids("as4-b2@ap.example"), "an AS4 MessageId, whole").to.deep.equal(["b-2"]);
      expect(await ids("as4-b2"), "not a part of one").to.deep.equal([]);
      expect(await ids("nothing like it")).to.deep.equal([]);
    });

    it("lists the statuses in use, most used first", async () => {
      expect(await q.statusNames()).to.deep.equal(["OPPRETTET", "FEIL", "SENDT"]);
    });
  });

  describe("one conversation", () => {
    it("has its timeline with console actions, its AS4 exchanges and the other messages of its conversation", async () => {
      await seed(db, { id: "m-1", channel: "DPI", minutes: 0, conversationId: "k-1" });
      await seed(db, { id: "r-1", channel: "DPI", direction: "IN", minutes: 5, conversationId: "k-1", initial: "MOTTATT" });
      await db.conversationStatus.create({ data: { direction: "OUT", messageId: "m-1", status: "SENDT", description: "sent", rawReceipt: "<receipt/>", createdAt: at(2) } });
      await db.consoleAction.create({ data: { direction: "OUT", messageId: "m-1", action: "retry", user: "ola", note: null, status: null, createdAt: at(1) } });
      await db.as4Exchange.create({ data: { direction: "OUT", as4MessageId: "as4-1@x", messageId: "m-1", peerPartyId: "POP000002", receiptMessageId: "rcpt-1@y", receipt: new Uint8Array(Buffer.from("<Receipt/>")), createdAt: at(2) } });
      const v = (await q.conversation("OUT", "M-1"))!;
      expect(v.conversation.messageId).to.equal("m-1");
      expect(v.timeline.map((e) => (e.kind === "status" ? `status ${e.status} ${e.rawReceipt ?? ""}` : `action ${e.action} ${e.user}`))).to.deep.equal([
        "status OPPRETTET ",
        "action retry ola",
        "status SENDT <receipt/>",
      ]);
      expect(v.exchanges.map((x) => [x.as4MessageId, x.peerPartyId, Buffer.from(x.receipt!).toString()])).to.deep.equal([["as4-1@x", "POP000002", "<Receipt/>"]]);
      expect(v.related.map((r) => [r.direction, r.messageId])).to.deep.equal([["IN", "r-1"]]);
      expect(await q.conversation("IN", "m-1")).to.equal(null);
    });

    it("reads it as Prisma's model API read it: conversation, statuses, actions, DPI row, exchanges, related messages", async () => {
      await seed(db, { id: "m-1", channel: "DPI", minutes: 0, conversationId: "k-1" });
      await seed(db, { id: "r-1", channel: "DPI", direction: "IN", minutes: 5, conversationId: "k-1", initial: "MOTTATT" });
      await db.consoleAction.create({ data: { direction: "OUT", messageId: "m-1", action: "retry", user: "ola", note: "n", status: null, createdAt: at(1) } });
      await db.as4Exchange.create({ data: { direction: "OUT", as4MessageId: "as4-1@x", messageId: "m-1", peerPartyId: "POP000002", receiptMessageId: "rcpt-1@y", receipt: new Uint8Array(Buffer.from("<Receipt/>")), createdAt: at(2) } });
      await db.dpiMessage.create({ data: { direction: "OUT", messageId: "m-1", avsenderOrg: "0192:991825827", forretningsmelding: "f", payloadSize: 7, pushAttempts: 2 } });
      const v = (await q.conversation("OUT", "m-1"))!;
      const prisma = (await db.conversation.findUnique({ where: { direction_messageId: { direction: "OUT", messageId: "m-1" } }, include: { statuses: { orderBy: { id: "asc" } }, dpi: true } }))!;
      const { statuses, dpi, ...conversation } = prisma;
      expect({ conversation: v.conversation, statuses: v.statuses, dpi: v.dpi, nextMove: v.nextMove }).to.deep.equal({ conversation, statuses, dpi, nextMove: null });
      expect(v.actions).to.deep.equal(await db.consoleAction.findMany({ orderBy: { id: "asc" } }));
      expect(v.exchanges).to.deep.equal(await db.as4Exchange.findMany());
      expect(v.related).to.deep.equal(await db.conversation.findMany({ where: { messageId: "r-1" } }));
    });

    it("has its send attempts in order and the routing records they were routed by, each once; the page shows them escaped", async () => {
      await seed(db, { id: "m-2", channel: "DPF", minutes: 0, enqueue: true });
      await seed(db, { id: "m-3", channel: "DPF", minutes: 0, enqueue: true });
      const record = (text: string, kind: "smp" | "service-registry", minutes: number): RouteRecord => {
        const body = new Uint8Array(Buffer.from(text, "utf8"));
        return { kind, sourceUrl: `https://sr.example/identifier/910076787?n=${minutes}`, fetchedAt: at(minutes), mediaType: kind === "smp" ? "application/xml" : "application/jose", body, sha256: createHash("sha256").update(body).digest("hex") };
      };
      // A signed answer whose payload tries to be markup, and an older record routed by before it.
      const payload = Buffer.from(JSON.stringify({ serviceRecords: [{ service: "<script>alert(1)</script>" }] })).toString("base64url");
      const jws = record(`eyJhbGciOiJSUzI1NiJ9.${payload}.c2ln`, "service-registry", 3);
      const older = record("<SignedServiceMetadata><x>&amp;</x></SignedServiceMetadata>", "smp", 1);
      const repo = new OutboxRepo(db);
      const attempt = (n: number, minutes: number, routedBy: RouteRecord): AttemptRecord => ({ attempt: n, startedAt: at(minutes), peer: "https://svarut.example/<b>", worker: "host:1:ab", routedBy });
      await repo.scheduleRetry("m-2", at(2), "SvarUt answered 503 <html>", "https://svarut.example/<b>", { record: attempt(1, 1, older), at: at(1.5) });
      await repo.markSent("m-2", at(3.5), { attempt: attempt(2, 3, jws) });
      // Another conversation routed by the same record does not show here.
      await repo.markSent("m-3", at(4), { attempt: attempt(1, 4, jws) });

      const v = (await q.conversation("OUT", "m-2"))!;
      expect(v.attemptCount).to.equal(2);
      expect(v.attempts.map((a) => [a.attempt, a.startedAt.toISOString(), a.finishedAt.toISOString(), a.peer, a.outcome, a.error, a.routingSha256])).to.deep.equal([
        [1, at(1).toISOString(), at(1.5).toISOString(), "https://svarut.example/<b>", "retry", "SvarUt answered 503 <html>", older.sha256],
        [2, at(3).toISOString(), at(3.5).toISOString(), "https://svarut.example/<b>", "sent", null, jws.sha256],
      ]);
      expect(v.routing.map((r) => [r.sha256, r.kind, r.sourceUrl, r.fetchedAt.toISOString(), r.mediaType, Buffer.from(r.body).toString("utf8")])).to.deep.equal([
        [jws.sha256, "service-registry", jws.sourceUrl, at(3).toISOString(), "application/jose", Buffer.from(jws.body).toString("utf8")],
        [older.sha256, "smp", older.sourceUrl, at(1).toISOString(), "application/xml", "<SignedServiceMetadata><x>&amp;</x></SignedServiceMetadata>"],
      ]);

      const page = conversationPage({ user: "kari", role: "viewer", csrfToken: "t", createdAt: 0, lastSeenAt: 0 } satisfies Session, { view: v, offered: { retry: false, cancel: false, markHandled: false } }).markup;
      const attemptsTable = page.slice(page.indexOf("<h2>Send attempts</h2>"), page.indexOf("<h2>Routed by</h2>"));
      expect(attemptsTable).to.include(`<td>1</td><td class="mono nowrap">2030-01-01 12:01:00Z</td><td class="mono nowrap">30000 ms</td>`);
      expect(attemptsTable).to.include(`<td class="mono">https://svarut.example/&lt;b&gt;</td><td><span class="badge wait">retry</span></td><td>SvarUt answered 503 &lt;html&gt;</td>`);
      expect(attemptsTable).to.include(`<span class="badge ok">sent</span>`);
      expect(attemptsTable).to.include(`<a href="#routing-${jws.sha256.slice(0, 16)}">${jws.sha256.slice(0, 12)}…</a>`);
      const routedBy = page.slice(page.indexOf("<h2>Routed by</h2>"));
      expect(routedBy).to.include(`<section id="routing-${older.sha256.slice(0, 16)}" class="record">`);
      expect(routedBy).to.include(`<dd class="mono">${older.sha256}</dd>`);
      expect(routedBy).to.include("<pre class=\"raw\">&lt;SignedServiceMetadata&gt;&lt;x&gt;&amp;amp;&lt;/x&gt;&lt;/SignedServiceMetadata&gt;</pre>");
      expect(routedBy).to.include("&quot;service&quot;: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;");
      expect(page).not.to.include("<script>alert");
      expect(page).not.to.include("<b>");
    });

    it("orders a status before an action at the same instant", () => {
      const s = { id: 9, direction: "OUT", messageId: "x", status: "FEIL", description: null, rawReceipt: null, createdAt: T0, publishedAt: null };
      const a = { id: 1, direction: "OUT", messageId: "x", action: "mark-handled", user: "ola", note: "called them", status: null, createdAt: T0 };
      expect(timelineOf([s], [a]).map((e) => e.kind)).to.deep.equal(["status", "action"]);
    });
  });

  describe("the overview", () => {
    it("counts per channel, direction and status, failures by reason, and the outbox backlog", async () => {
      await seed(db, { id: "o-1", channel: "DPO", minutes: -30, enqueue: true });
      await seed(db, { id: "o-2", channel: "DPO", minutes: -20, enqueue: true });
      await seed(db, { id: "f-1", channel: "DPV", minutes: -10, status: "FEIL" });
      await seed(db, { id: "f-2", channel: "DPV", minutes: -9, status: "FEIL" });
      await db.conversation.update({ where: { direction_messageId: { direction: "OUT", messageId: "f-1" } }, data: { lastError: "connection refused 127.0.0.1:4711" } });
      await db.conversation.update({ where: { direction_messageId: { direction: "OUT", messageId: "f-2" } }, data: { lastError: "connection refused 127.0.0.1:4712" } });
      await db.conversation.update({ where: { direction_messageId: { direction: "OUT", messageId: "o-2" } }, data: { nextAttemptAt: at(10), lastError: "HTTP 503" } });
      // Without a last error, a failure's reason is its latest status's description.
      await seed(db, { id: "f-3", channel: "DPV", minutes: -8, status: "FEIL" });
      await db.conversationStatus.create({ data: { direction: "OUT", messageId: "f-3", status: "FEIL", description: "older 1", createdAt: at(-8) } });
      await db.conversationStatus.create({ data: { direction: "OUT", messageId: "f-3", status: "FEIL", description: "refused by Altinn 2", createdAt: at(-7) } });
      const o = await q.overview(T0);
      expect(o.byStatus).to.deep.equal([
        { channel: "DPO", direction: "OUT", status: "OPPRETTET", count: 2 },
        { channel: "DPV", direction: "OUT", status: "FEIL", count: 3 },
      ]);
      expect(o.failures).to.deep.equal([
        { reason: "connection refused <n>:<n>", count: 2 },
        { reason: "refused by Altinn <n>", count: 1 },
      ]);
      expect(o.backlog).to.deep.equal([{ channel: "DPO", due: 1, waiting: 1, sending: 0, oldest: at(-30) }]);
      expect(o.perHour).to.have.length(24);
      expect(o.perHour[23]!.start.toISOString()).to.equal("2030-01-01T12:00:00.000Z");
      expect(o.perHour[22]!.counts).to.deep.equal({ DPO: 2, DPV: 3 });
      expect(o.capped).to.equal(false);
    });

    it("groups reasons without their ids, numbers and URLs", () => {
      expect(reasonKey("retry window ran out: POST https://ap.example/as4 answered 503 for 6f1c2a4e-1b2c-4d5e-8f90-123456789abc")).to.equal("retry window ran out: POST <url> answered <n> for <id>");
      expect(countReasons(["a 1", "a 2", "b"])).to.deep.equal([{ reason: "a <n>", count: 2 }, { reason: "b", count: 1 }]);
    });

    it("sorts the backlog into due, waiting and being sent", () => {
      const row = (next: number, lease: number | null) => ({ channel: "DPI", nextAttemptAt: at(next), leaseUntil: lease === null ? null : at(lease), createdAt: at(-next) });
      expect(backlogOf([row(0, null), row(5, null), row(0, 1), row(-1, -1)], T0)).to.deep.equal([{ channel: "DPI", due: 2, waiting: 1, sending: 1, oldest: at(-5) }]);
    });

    it("puts each conversation in its hour", () => {
      const b = perHour([{ channel: "DPI", createdAt: at(-1) }, { channel: "DPI", createdAt: at(0) }, { channel: "DPE", createdAt: at(-24 * 60 - 1) }], at(30));
      expect([b[22]!.counts, b[23]!.counts, b.reduce((n, x) => n + Object.keys(x.counts).length, 0)]).to.deep.equal([{ DPI: 1 }, { DPI: 1 }, 2]);
    });
  });

  describe("the actions", () => {
    let nudges: number;
    let actions: ConsoleActions;
    beforeEach(() => {
      nudges = 0;
      // The real outbox, with no channel of its own: a DPO failure is FEIL, as the outbox records it.
      const outbox = new Outbox({ outbox: new OutboxRepo(db), channels: [], retry: { baseDelayMs: 1000, maxDelayMs: 1000, windowMs: 60_000 }, leaseMs: 60_000, concurrency: 1, pollMs: 60_000, clock: () => T0, log: silentLogger });
      actions = new ConsoleActions({ db, outbox: { failureFor: (c, r) => outbox.failureFor(c, r), nudge: () => void nudges++ }, clock: () => T0 });
    });

    it("retry: makes a waiting message due now, records who did it and wakes the outbox", async () => {
      await seed(db, { id: "w-1", channel: "DPO", minutes: -5, enqueue: true });
      await db.conversation.update({ where: { direction_messageId: { direction: "OUT", messageId: "w-1" } }, data: { nextAttemptAt: at(30), attempts: 3, lastError: "HTTP 503" } });
      expect(await actions.retry("ola", "OUT", "W-1")).to.deep.equal({ action: "retry", status: null });
      const c = (await db.conversation.findUnique({ where: { direction_messageId: { direction: "OUT", messageId: "w-1" } } }))!;
      expect([c.nextAttemptAt?.toISOString(), c.attempts, c.status]).to.deep.equal([T0.toISOString(), 3, "OPPRETTET"]);
      expect(nudges).to.equal(1);
      expect((await db.consoleAction.findMany()).map((a) => [a.action, a.user, a.messageId])).to.deep.equal([["retry", "ola", "w-1"]]);
    });

    it("retry and cancel: refused while a worker holds the lease, and for a message not in the outbox", async () => {
      await seed(db, { id: "l-1", channel: "DPO", minutes: -5, enqueue: true });
      await db.conversation.update({ where: { direction_messageId: { direction: "OUT", messageId: "l-1" } }, data: { leaseUntil: at(1) } });
      await seed(db, { id: "s-1", channel: "DPO", minutes: -5, status: "SENDT" });
      const code = async (p: Promise<unknown>) => p.then(() => "done", (e: unknown) => (e instanceof ConsoleActionRefused ? e.code : String(e)));
      expect(await code(actions.retry("ola", "OUT", "l-1"))).to.equal("busy");
      expect(await code(actions.cancel("ola", "OUT", "l-1", ""))).to.equal("busy");
      expect(await code(actions.retry("ola", "OUT", "s-1"))).to.equal("not-possible");
      expect(await code(actions.cancel("ola", "OUT", "s-1", ""))).to.equal("not-possible");
      expect(await code(actions.retry("ola", "OUT", "nope"))).to.equal("not-found");
      expect(await db.consoleAction.count()).to.equal(0);
      expect(nudges).to.equal(0);
    });

    it("cancel: the message leaves the outbox as its channel's failure, and can no longer be claimed", async () => {
      await seed(db, { id: "c-1", channel: "DPO", minutes: -5, enqueue: true });
      expect(await actions.cancel("ola", "OUT", "c-1", "wrong receiver")).to.deep.equal({ action: "cancel", status: "FEIL" });
      const c = (await db.conversation.findUnique({ where: { direction_messageId: { direction: "OUT", messageId: "c-1" } }, include: { statuses: { orderBy: { id: "asc" } } } }))!;
      expect([c.status, c.nextAttemptAt, c.lastError]).to.deep.equal(["FEIL", null, "cancelled in the console by ola: wrong receiver"]);
      expect(c.statuses.map((s) => [s.status, s.description])).to.deep.equal([
        ["OPPRETTET", null],
        ["FEIL", "cancelled in the console by ola: wrong receiver"],
      ]);
      expect(await new OutboxRepo(db).claimDue(at(60), 60_000, 10)).to.deep.equal([]);
    });

    it("mark handled: needs a failed conversation and a note; records the note (DPO has no MANUELT_HÅNDTERT)", async () => {
      await seed(db, { id: "f-1", channel: "DPO", minutes: -5, status: "FEIL" });
      await seed(db, { id: "ok-1", channel: "DPO", minutes: -5, status: "SENDT" });
      const code = async (p: Promise<unknown>) => p.then(() => "done", (e: unknown) => (e instanceof ConsoleActionRefused ? e.code : String(e)));
      expect(await code(actions.markHandled("ola", "OUT", "f-1", "   "))).to.equal("bad-note");
      expect(await code(actions.markHandled("ola", "OUT", "ok-1", "note"))).to.equal("not-possible");
      expect(await actions.markHandled("ola", "OUT", "f-1", "resent by phone")).to.deep.equal({ action: "mark-handled", status: null });
      expect(await code(actions.markHandled("kari", "OUT", "f-1", "again"))).to.equal("not-possible");
      expect((await db.consoleAction.findMany()).map((a) => [a.action, a.user, a.note, a.status])).to.deep.equal([["mark-handled", "ola", "resent by phone", null]]);
      expect((await db.conversationStatus.findMany({ where: { messageId: "f-1" } })).map((s) => s.status)).to.deep.equal(["OPPRETTET", "FEIL"]);
      const listed = await q.list({ text: "f-1" }, { page: 0, size: 5 });
      expect(listed.rows.map((r) => [r.messageId, r.handled])).to.deep.equal([["f-1", true]]);
    });

    it("offers only what applies", async () => {
      await seed(db, { id: "o-1", channel: "DPO", minutes: -5, enqueue: true });
      await seed(db, { id: "f-1", channel: "DPO", minutes: -5, status: "FEIL" });
      const get = async (id: string) => (await db.conversation.findUnique({ where: { direction_messageId: { direction: "OUT", messageId: id } } }))!;
      expect(offeredActions(await get("o-1"), ["OPPRETTET"], false, T0)).to.deep.equal({ retry: true, cancel: true, markHandled: false });
      expect(offeredActions(await get("f-1"), ["OPPRETTET", "FEIL"], false, T0)).to.deep.equal({ retry: false, cancel: false, markHandled: true });
      expect(offeredActions(await get("f-1"), ["OPPRETTET", "FEIL"], true, T0)).to.deep.equal({ retry: false, cancel: false, markHandled: false });
      expect(offeredActions({ ...(await get("o-1")), leaseUntil: at(1) }, ["OPPRETTET"], false, T0)).to.deep.equal({ retry: false, cancel: false, markHandled: false });
    });
  });
});
