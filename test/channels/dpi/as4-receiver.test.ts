import { expect } from "chai";
import express from "express";
import type { AddressInfo } from "node:net";
import pino from "pino";
import type { X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { openStores, type Stores } from "../../../src/app.js";
import { EbmsError, PEPPOL_NOT_SERVICED } from "../../../src/as4/ebms-errors.js";
import type { ReceivedUserMessage } from "../../../src/as4/inbound.js";
import { prepareUserMessage, type OutboundMessage } from "../../../src/as4/outbound.js";
import { checkReceipt, parseSignalMessages, type SignalMessage } from "../../../src/as4/signal-message.js";
import { NS } from "../../../src/as4/namespaces.js";
import { parseSoapEnvelope } from "../../../src/as4/soap-parse.js";
import type { UserMessage } from "../../../src/as4/user-message.js";
import type { Signer } from "../../../src/as4/wss-sign.js";
import { verifyEnvelope } from "../../../src/as4/wss-verify.js";
import { fixedClock } from "../../../src/clock.js";
import { loadConfig } from "../../../src/config.js";
import { silentLogger, type Logger } from "../../../src/log.js";
import { RevocationUnknownError } from "../../../src/pki/revocation.js";
import { as4Router } from "../../../src/api/as4-endpoint.js";
import { receiveAs4, type As4ReceiverDeps, type As4Response, type InboundHandler, type SenderTrust } from "../../../src/channels/dpi/as4-receiver.js";
import { interpretResponse } from "../../../src/channels/dpi/as4-response.js";
import { sqlOf, type Sql } from "../../../src/store/sql.js";
import { ExchangeRepo } from "../../../src/store/exchange-repo.js";
import { conflictDetail, contentDigestOf, type DuplicateDetector } from "../../../src/channels/dpi/duplicate-detector.js";
import { DEFAULT_CLAIM_MS, storedDuplicateDetector } from "../../../src/channels/dpi/stored-duplicate-detector.js";
import { selfSigned, testSigner } from "../../as4/sign-fixtures.js";

/**
 * The AS4 receiving side with a real ExchangeRepo (SQLite in a temp dir) and a stub application handler.
 * Every answer is read back the way a sending AP reads it: SOAP parse, signal parse, signature check.
 */

const sender = testSigner("POP000001");
const us = testSigner("POP000002");
const untrusted = selfSigned("POP000777");
const NOW = new Date("2026-03-01T12:00:00Z");
const SERVICE = "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0";

let counter = 0;
function newAs4Id(): string {
  counter += 1;
  return `${counter.toString(16).padStart(8, "0")}-1111-4222-8333-444455556666@pop000001`;
}

function header(over: Partial<Omit<UserMessage, "parts">> = {}): Omit<UserMessage, "parts"> {
  return {
    messageId: newAs4Id(),
    timestamp: NOW,
    fromPartyId: "POP000001",
    toPartyId: "POP000002",
    service: { value: SERVICE, type: "cenbii-procid-ubl" },
    action: "busdox-docid-qns::urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
    conversationId: "conv-as4-receiver",
    originalSender: { type: "iso6523-actorid-upis", value: "0192:910076787" },
    finalRecipient: { type: "iso6523-actorid-upis", value: "0192:984661185" },
    ...over,
  };
}

const PAYLOAD = Buffer.from("<sbd>the payload</sbd>");

function prepare(over: Partial<Omit<UserMessage, "parts">> = {}, signer: Signer = sender, payload: Buffer = PAYLOAD): Promise<OutboundMessage> {
  return prepareUserMessage({
    userMessage: header(over),
    payloads: [{ source: () => Readable.from([payload]), mimeType: "application/xml" }],
    signer,
    recipientCertificate: us.certificate,
  });
}

/** Trusts the example PKI's access points by certificate; anything else is refused like an unknown CA would be. */
function trustOf(known: Record<string, Signer>): SenderTrust & { calls: number } {
  const byFingerprint = new Map(Object.entries(known).map(([seat, s]) => [s.certificate.fingerprint256, seat]));
  return {
    calls: 0,
    async validate(cert: X509Certificate) {
      this.calls += 1;
      const seatId = byFingerprint.get(cert.fingerprint256);
      if (!seatId) throw new Error("certificate does not chain to a Peppol AP CA");
      return { seatId };
    },
  };
}

interface StubHandler extends InboundHandler {
  calls: { as4MessageId: string; seatId: string; payload: string }[];
  /** Where each payload was spooled: its file, or undefined while in memory. */
  spooledAt: (string | undefined)[];
  fail: Error | undefined;
  /** When set, accept() waits for it after recording the call (a message still being handled). */
  gate: Promise<void> | undefined;
}

function stubHandler(): StubHandler {
  const h: StubHandler = {
    calls: [],
    spooledAt: [],
    fail: undefined,
    gate: undefined,
    async accept(received: ReceivedUserMessage, senderSeat: { seatId: string }) {
      // Read the payload now: the receiver removes the files once the answer is made.
      const payload = (await received.payloads[0]!.content.readAll()).toString("utf8");
      h.calls.push({ as4MessageId: received.userMessage.messageId, seatId: senderSeat.seatId, payload });
      h.spooledAt.push(received.payloads[0]!.content.path);
      if (h.gate) await h.gate;
      if (h.fail) throw h.fail;
      return `dpi-${received.userMessage.messageId.split("@")[0]}`;
    },
  };
  return h;
}

interface ReadAnswer {
  signal: SignalMessage;
  signer: X509Certificate;
}

function read(res: As4Response): ReadAnswer {
  expect(res.status).to.equal(200);
  expect(res.contentType).to.equal("application/soap+xml; charset=UTF-8");
  const xml = res.body.toString("utf8");
  const signals = parseSignalMessages(parseSoapEnvelope(xml).messaging);
  expect(signals).to.have.length(1);
  // Every answer, error or receipt, is signed with our AP key.
  const verified = verifyEnvelope(xml, { attachmentDigest: () => undefined });
  return { signal: signals[0]!, signer: verified.signerCertificate };
}

function errorOf(answer: ReadAnswer) {
  expect(answer.signal.kind).to.equal("error");
  if (answer.signal.kind !== "error") throw new Error("unreachable");
  expect(answer.signal.errors).to.have.length(1);
  return { info: answer.signal.info, error: answer.signal.errors[0]! };
}

type LogLine = Record<string, unknown>;

/** A logger whose lines land in `lines` as objects, without time, pid and hostname, so tests assert every field. */
function capturingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: "info", base: undefined, timestamp: false }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { log, lines };
}

const WARN = 40;
const INFO = 30;

describe("channels/dpi/as4-receiver: receiveAs4", function () {
  this.timeout(30_000);
  let dir: string;
  let tmp: string;
  let stores: Stores;
  let exchanges: ExchangeRepo;
  let handler: StubHandler;
  let trust: ReturnType<typeof trustOf>;
  let deps: As4ReceiverDeps;
  const prepared: OutboundMessage[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "relay-as4-receiver-"));
    stores = await openStores(loadConfig({ DPI_AP_DATABASE_URL: `file:${path.join(dir, "db.sqlite")}`, DPI_AP_DATA_DIR: dir }));
    exchanges = new ExchangeRepo(stores.db);
  });
  after(async () => {
    for (const m of prepared) await m.dispose();
    await stores?.db.$disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    tmp = await mkdtemp(path.join(dir, "as4-tmp-"));
    handler = stubHandler();
    trust = trustOf({ POP000001: sender, POP000009: testSigner("POP000009") });
    deps = { identity: { ...us, seatId: "POP000002" }, trust, handler, exchanges, clock: fixedClock(NOW), log: silentLogger, tempDir: tmp };
  });
  afterEach(async () => {
    // Whatever the outcome, no decrypted payload stays behind.
    expect(await readdir(tmp)).to.deep.equal([]);
  });

  async function send(msg: OutboundMessage): Promise<As4Response> {
    return receiveAs4(msg.contentType, msg.body(), deps);
  }
  async function message(over: Partial<Omit<UserMessage, "parts">> = {}, signer: Signer = sender, payload?: Buffer): Promise<OutboundMessage> {
    const m = await prepare(over, signer, payload);
    prepared.push(m);
    return m;
  }

  describe("an accepted message", () => {
    it("gets a receipt signed by us whose non-repudiation information is exactly what the sender signed", async () => {
      const msg = await message();
      const answer = read(await send(msg));
      expect(answer.signal.kind).to.equal("receipt");
      if (answer.signal.kind !== "receipt") return;
      expect(answer.signer.fingerprint256).to.equal(us.certificate.fingerprint256);
      expect(answer.signal.info.refToMessageId).to.equal(msg.messageId);
      expect(() => checkReceipt(answer.signal as Extract<SignalMessage, { kind: "receipt" }>, { messageId: msg.messageId, references: msg.signedReferences })).to.not.throw();
      expect(answer.signal.references).to.have.length(msg.signedReferences.length);
      expect(handler.calls).to.deep.equal([{ as4MessageId: msg.messageId, seatId: "POP000001", payload: PAYLOAD.toString("utf8") }]);
    });

    it("is remembered with its receipt and the DPI message id the handler returned", async () => {
      const msg = await message();
      const res = await send(msg);
      expect((await exchanges.receiptFor(msg.messageId))?.equals(res.body)).to.equal(true);
      const id = `dpi-${msg.messageId.split("@")[0]}`;
      const rows = await exchanges.evidenceFor(id);
      expect(rows.map((r) => [r.direction, r.as4MessageId, r.peerPartyId])).to.deep.equal([["IN", msg.messageId, "POP000001"]]);
    });

    it("is spooled in memory, or with memorySpoolBytes 0 in a file under tempDir, removed once answered", async () => {
      read(await send(await message()));
      expect(handler.spooledAt).to.deep.equal([undefined]);
      deps.memorySpoolBytes = 0;
      read(await send(await message()));
      const file = handler.spooledAt[1]!;
      // a large payload is read from the compressed plaintext, decompressed as it is read
      expect(path.relative(tmp, file)).to.match(/^as4-in-[^/]+\/002-plain-[^/]+$/);
      expect(existsSync(file)).to.equal(false);
    });

    it("the sender's own check (interpretResponse) accepts the receipt", async () => {
      const msg = await message();
      const res = await send(msg);
      const outcome = interpretResponse(res.status, res.contentType, res.body.toString("utf8"), {
        as4MessageId: msg.messageId,
        signedReferences: [msg.signedReferences],
        receiverCertificate: us.certificate,
      });
      expect(outcome.kind).to.equal("delivered");
    });
  });

  describe("a MessageId seen before", () => {
    it("is answered with the byte-identical stored receipt, without calling the handler again", async () => {
      const msg = await message();
      const first = await send(msg);
      const again = await send(msg);
      expect(again.body.equals(first.body)).to.equal(true);
      expect(handler.calls).to.have.length(1);
    });

    it("a resend prepared anew (new timestamp, new signature) gets the first receipt, which the sender matches to its first attempt", async () => {
      const firstAttempt = await message();
      const firstAnswer = await send(firstAttempt);
      const secondAttempt = await message({ messageId: firstAttempt.messageId, timestamp: new Date(NOW.getTime() + 60_000) });
      const secondAnswer = await send(secondAttempt);
      expect(secondAnswer.body.equals(firstAnswer.body)).to.equal(true);
      expect(handler.calls).to.have.length(1);
      const judge = (attempts: OutboundMessage[]) =>
        interpretResponse(200, secondAnswer.contentType, secondAnswer.body.toString("utf8"), {
          as4MessageId: firstAttempt.messageId,
          signedReferences: attempts.map((a) => a.signedReferences),
          receiverCertificate: us.certificate,
        }).kind;
      expect(judge([firstAttempt, secondAttempt])).to.equal("delivered");
      expect(judge([secondAttempt])).to.equal("retry");
    });

    it("is not answered from the store when the handler refused it the first time", async () => {
      const msg = await message();
      handler.fail = EbmsError.notServiced();
      expect(read(await send(msg)).signal.kind).to.equal("error");
      expect(await exchanges.receiptFor(msg.messageId)).to.equal(undefined);
      handler.fail = undefined;
      expect(read(await send(msg)).signal.kind).to.equal("receipt");
      expect(handler.calls).to.have.length(2);
    });

    it("a refused message leaves its MessageId free: the same sender may use it for corrected payloads", async () => {
      const msg = await message();
      handler.fail = EbmsError.notServiced();
      expect(errorOf(read(await send(msg))).error.errorCode).to.equal("EBMS:0004");
      handler.fail = undefined;
      const corrected = await message({ messageId: msg.messageId }, sender, Buffer.from("<sbd>corrected</sbd>"));
      expect(read(await send(corrected)).signal.kind).to.equal("receipt");
      expect(handler.calls.map((c) => c.payload)).to.deep.equal([PAYLOAD.toString("utf8"), "<sbd>corrected</sbd>"]);
    });

    it("from another access point: EBMS:0004 naming the duplicate, not the first sender's receipt, and the handler is not called", async () => {
      const first = await message();
      const firstReceipt = (await send(first)).body;
      const stranger = await message({ messageId: first.messageId, fromPartyId: "POP000009" }, testSigner("POP000009"));
      const res = await send(stranger);
      const { info, error } = errorOf(read(res));
      expect([error.errorCode, error.errorDetail, error.severity]).to.deep.equal(["EBMS:0004", conflictDetail("other-peer", first.messageId), "failure"]);
      expect(error.errorDetail).to.equal(`duplicate MessageId ${first.messageId}: already used by another access point; send the message with a new MessageId`);
      expect([info.refToMessageId, error.refToMessageInError]).to.deep.equal([first.messageId, first.messageId]);
      expect(handler.calls.map((c) => c.seatId)).to.deep.equal(["POP000001"]);
      expect((await exchanges.receiptFor(first.messageId))!.equals(firstReceipt)).to.equal(true);
      // The other sender learns for good that this message was not taken (it must send it anew).
      const outcome = interpretResponse(res.status, res.contentType, res.body.toString("utf8"), { as4MessageId: first.messageId, signedReferences: [stranger.signedReferences], receiverCertificate: us.certificate });
      expect(outcome).to.deep.include({ kind: "failed", ebmsCode: "EBMS:0004" });
    });

    it("from the same access point with other payloads: EBMS:0004, and the handler is not called", async () => {
      const first = await message();
      await send(first);
      const reused = await message({ messageId: first.messageId }, sender, Buffer.from("<sbd>another letter</sbd>"));
      const { info, error } = errorOf(read(await send(reused)));
      expect([error.errorCode, error.errorDetail]).to.deep.equal(["EBMS:0004", `duplicate MessageId ${first.messageId}: already used for other payloads; send the message with a new MessageId`]);
      expect(info.refToMessageId).to.equal(first.messageId);
      expect(handler.calls).to.have.length(1);
    });

    it("a concurrent resend while the first is being handled: EBMS:0202 (try later), then the first receipt", async () => {
      const msg = await message();
      let open!: () => void;
      handler.gate = new Promise((resolve) => (open = resolve));
      const first = send(msg);
      while (handler.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
      const concurrent = await send(msg);
      const { error } = errorOf(read(concurrent));
      expect([error.errorCode, error.errorDetail]).to.deep.equal(["EBMS:0202", `MessageId ${msg.messageId} is being processed; try again later`]);
      expect(interpretResponse(200, concurrent.contentType, concurrent.body.toString("utf8"), { as4MessageId: msg.messageId, signedReferences: [msg.signedReferences], receiverCertificate: us.certificate }).kind).to.equal("retry");
      open();
      const firstAnswer = await first;
      const firstReceipt = firstAnswer.body;
      expect(read(firstAnswer).signal.kind).to.equal("receipt");
      expect((await send(msg)).body.equals(firstReceipt)).to.equal(true);
      expect(handler.calls).to.have.length(1);
    });

    it("two arrivals racing with other payloads: one is handed on, the other refused with EBMS:0004", async () => {
      const a = await message();
      const b = await message({ messageId: a.messageId }, sender, Buffer.from("<sbd>another letter</sbd>"));
      const answers = await Promise.all([send(a), send(b)]);
      const kinds = answers.map((r) => read(r).signal.kind).sort();
      expect(kinds).to.deep.equal(["error", "receipt"]);
      const refused = answers.find((r) => read(r).signal.kind === "error")!;
      expect(errorOf(read(refused)).error.errorCode).to.equal("EBMS:0004");
      expect(handler.calls).to.have.length(1);
    });

    it("a crash after the handler committed but before the receipt was stored: once the claim runs out, the resend is handed on again and gets a receipt", async () => {
      const msg = await message();
      // What a receiver that died inside handler.accept() leaves behind: a claim without a receipt.
      await exchanges.claimInbound({ as4MessageId: msg.messageId, peerPartyId: "POP000001", contentDigest: contentDigestOf(msg.signedReferences) }, new Date(NOW.getTime() + DEFAULT_CLAIM_MS), NOW);
      const early = errorOf(read(await send(msg))).error;
      expect([early.errorCode, early.errorDetail]).to.deep.equal(["EBMS:0202", `MessageId ${msg.messageId} is being processed; try again later`]);
      expect(handler.calls).to.deep.equal([]);
      deps.clock = fixedClock(new Date(NOW.getTime() + DEFAULT_CLAIM_MS));
      const res = await send(msg);
      expect(read(res).signal.kind).to.equal("receipt");
      expect(handler.calls).to.have.length(1);
      expect((await exchanges.receiptFor(msg.messageId))!.equals(res.body)).to.equal(true);
    });

    it("a receipt that could not be stored: the answer is EBMS:0202 and the resend of the same content reaches the handler again at once", async () => {
      const msg = await message();
      const stored = storedDuplicateDetector(exchanges);
      let failures = 1;
      const flaky: DuplicateDetector = {
        ...stored,
        async answered(incoming, answer, now) {
          if (failures-- > 0) throw new Error("connection to the database lost");
          return stored.answered(incoming, answer, now);
        },
      };
      deps.duplicates = flaky;
      expect(errorOf(read(await send(msg))).error.errorCode).to.equal("EBMS:0202");
      const res = await send(msg);
      expect(read(res).signal.kind).to.equal("receipt");
      expect(handler.calls).to.have.length(2);
      // Other payloads under that MessageId stay refused although the first attempt was never answered.
      const reused = await message({ messageId: msg.messageId }, sender, Buffer.from("<sbd>another letter</sbd>"));
      deps.duplicates = undefined;
      expect(errorOf(read(await send(reused))).error.errorCode).to.equal("EBMS:0004");
    });
  });

  // The handler that stores the message runs the receiver's answer in its own transaction (dpi-inbound.ts).
  describe("the answer committed with the message", () => {
    /** A handler storing in one transaction of the real store, with what runs in it before and after the answer. */
    function transactionalHandler(o: { before?: (tx: Sql) => Promise<unknown>; after?: () => Promise<void> } = {}): StubHandler {
      const h = stubHandler();
      const take = h.accept.bind(h);
      h.accept = async (received, senderSeat, answer) => {
        const id = await take(received, senderSeat);
        await sqlOf(stores.db).transaction(async (tx) => {
          await o.before?.(tx);
          await answer!(tx, id);
          await o.after?.();
        });
        return id;
      };
      return h;
    }
    function countingDetector(): DuplicateDetector & { answeredCalls: number } {
      const stored = storedDuplicateDetector(exchanges);
      const d = { ...stored, answeredCalls: 0 };
      d.answered = async (incoming, answer, now) => {
        d.answeredCalls += 1;
        return stored.answered(incoming, answer, now);
      };
      return d;
    }

    it("is stored in the handler's transaction: the receipt sent is the one stored, and no second write stores it", async () => {
      const msg = await message();
      const detector = countingDetector();
      deps.duplicates = detector;
      deps.handler = handler = transactionalHandler();
      const res = await send(msg);
      expect(read(res).signal.kind).to.equal("receipt");
      expect((await exchanges.receiptFor(msg.messageId))!.equals(res.body)).to.equal(true);
      expect(detector.answeredCalls).to.equal(0);
      const rows = await exchanges.evidenceFor(`dpi-${msg.messageId.split("@")[0]}`);
      expect(rows.map((r) => [r.direction, r.as4MessageId])).to.deep.equal([["IN", msg.messageId]]);
    });

    it("rolled back with the message: EBMS:0202, no receipt kept, and the resend is handled again at once", async () => {
      const msg = await message();
      deps.handler = handler = transactionalHandler({
        after: async () => {
          throw new Error("disk I/O error");
        },
      });
      expect(errorOf(read(await send(msg))).error.errorCode).to.equal("EBMS:0202");
      expect(await exchanges.receiptFor(msg.messageId)).to.equal(undefined);
      deps.handler = handler = transactionalHandler();
      expect(read(await send(msg)).signal.kind).to.equal("receipt");
      expect(handler.calls).to.have.length(1);
    });

    it("a claim gone by the time of the transaction: the answer is stored after the commit instead", async () => {
      const msg = await message();
      const detector = countingDetector();
      deps.duplicates = detector;
      // Released meanwhile, as a refused attempt of another sender's message under the same MessageId would.
      deps.handler = handler = transactionalHandler({
        before: (tx) => tx.execute(`DELETE FROM "As4Exchange" WHERE "direction" = 'IN' AND "as4MessageId" = $1`, msg.messageId),
      });
      const res = await send(msg);
      expect(read(res).signal.kind).to.equal("receipt");
      expect(detector.answeredCalls).to.equal(1);
      expect((await exchanges.receiptFor(msg.messageId))!.equals(res.body)).to.equal(true);
    });
  });

  // Rows written before content digests were stored have none; every one of them was answered, and the receipt
  // we answered lists the references the message signed, so the digest is taken from the receipt.
  describe("a MessageId recorded before content digests were stored", () => {
    async function legacy(msg: OutboundMessage, receipt?: Buffer): Promise<Buffer> {
      const first = await send(msg);
      await stores.db.as4Exchange.update({
        where: { direction_as4MessageId: { direction: "IN", as4MessageId: msg.messageId } },
        data: { contentDigest: null, ...(receipt ? { receipt: new Uint8Array(receipt) } : {}) },
      });
      return first.body;
    }

    it("the same access point resending the same payloads gets the stored receipt, byte for byte", async () => {
      const msg = await message();
      const first = await legacy(msg);
      const again = await message({ messageId: msg.messageId, timestamp: new Date(NOW.getTime() + 60_000) });
      expect((await send(again)).body.equals(first)).to.equal(true);
      expect(handler.calls).to.have.length(1);
    });

    it("other payloads from the same access point: EBMS:0004", async () => {
      const msg = await message();
      await legacy(msg);
      const reused = await message({ messageId: msg.messageId }, sender, Buffer.from("<sbd>another letter</sbd>"));
      expect(errorOf(read(await send(reused))).error.errorDetail).to.equal(conflictDetail("other-content", msg.messageId));
      expect(handler.calls).to.have.length(1);
    });

    it("a stored receipt that cannot be read: EBMS:0004, since the content cannot be shown to be the same", async () => {
      const msg = await message();
      await legacy(msg, Buffer.from("not a receipt"));
      const { error } = errorOf(read(await send(msg)));
      expect([error.errorCode, error.errorDetail]).to.deep.equal(["EBMS:0004", conflictDetail("unknown-content", msg.messageId)]);
      expect(handler.calls).to.have.length(1);
    });
  });

  describe("log lines", () => {
    let lines: LogLine[];
    beforeEach(() => {
      const captured = capturingLogger();
      lines = captured.lines;
      deps.log = captured.log;
    });
    const REMOTE = { remoteAddress: "192.0.2.7" };
    const refusals = () => lines.filter((l) => l.level === WARN);
    const headerOf = (msg: OutboundMessage, over: Record<string, string> = {}) => ({
      remoteAddress: "192.0.2.7",
      as4MessageId: msg.messageId,
      conversationId: "conv-as4-receiver",
      from: "POP000001",
      finalRecipient: "0192:984661185",
      action: header().action,
      ...over,
    });

    it("a refusal while parsing carries the remote address, code and detail, and nothing it does not know", async () => {
      const twoUserMessages = `<S12:Envelope xmlns:S12="${NS.S12}"><S12:Header><eb:Messaging xmlns:eb="${NS.eb}"><eb:UserMessage/><eb:UserMessage/></eb:Messaging></S12:Header><S12:Body/></S12:Envelope>`;
      const cases: [string, string][] = [
        ["<?xml-stylesheet href='x'?><a/>", "XML must not contain processing instructions (<?xml-stylesheet ...?>)"],
        ["<!DOCTYPE a><a/>", "XML must not contain a doctype declaration"],
        [`<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header/><S:Body/></S:Envelope>`, "root element must be a SOAP 1.2 Envelope, found {http://schemas.xmlsoap.org/soap/envelope/}Envelope"],
        [twoUserMessages, "eb:Messaging must contain one UserMessage, found 2"],
      ];
      for (const [xml] of cases) await receiveAs4("application/soap+xml; charset=UTF-8", Readable.from([Buffer.from(xml)]), deps, REMOTE);
      expect(refusals()).to.deep.equal(cases.map(([, detail]) => ({ level: WARN, remoteAddress: "192.0.2.7", code: "EBMS:0009", detail, msg: "AS4 message refused" })));
    });

    it("a refused signer: the header's MessageId and parties, no signer seat id (none was validated)", async () => {
      const msg = await message({ fromPartyId: "POP000777" }, untrusted);
      await receiveAs4(msg.contentType, msg.body(), deps, REMOTE);
      expect(refusals()).to.deep.equal([
        { level: WARN, ...headerOf(msg, { from: "POP000777" }), code: "EBMS:0101", detail: "sender certificate not accepted: certificate does not chain to a Peppol AP CA", msg: "AS4 message refused" },
      ]);
    });

    it("a refusal after the signer was validated carries its seat id", async () => {
      const msg = await message({ fromPartyId: "POP000009" });
      await receiveAs4(msg.contentType, msg.body(), deps, REMOTE);
      expect(refusals()).to.deep.equal([
        { level: WARN, ...headerOf(msg, { from: "POP000009" }), signer: "POP000001", code: "EBMS:0101", detail: "From PartyId POP000009 is not the signer's seat id POP000001", msg: "AS4 message refused" },
      ]);
    });

    it("PEPPOL:NOT_SERVICED carries the finalRecipient and the reason", async () => {
      const msg = await message();
      handler.fail = EbmsError.notServiced(undefined, "0192:984661185 is not served here");
      await receiveAs4(msg.contentType, msg.body(), deps, REMOTE);
      expect(refusals()).to.deep.equal([
        { level: WARN, ...headerOf(msg), signer: "POP000001", code: "EBMS:0004", detail: PEPPOL_NOT_SERVICED, description: "0192:984661185 is not served here", msg: "AS4 message refused" },
      ]);
    });

    it("a refused duplicate says why, with the peer that sent it and the one that used the MessageId first", async () => {
      const first = await message();
      await receiveAs4(first.contentType, first.body(), deps, REMOTE);
      const stranger = await message({ messageId: first.messageId, fromPartyId: "POP000009" }, testSigner("POP000009"));
      await receiveAs4(stranger.contentType, stranger.body(), deps, { remoteAddress: "198.51.100.9" });
      expect(refusals()).to.deep.equal([
        {
          level: WARN,
          ...headerOf(first, { remoteAddress: "198.51.100.9", from: "POP000009" }),
          signer: "POP000009",
          duplicate: "other-peer",
          knownPeer: "POP000001",
          code: "EBMS:0004",
          detail: conflictDetail("other-peer", first.messageId),
          msg: "AS4 message refused: its MessageId was used before",
        },
      ]);
    });

    it("an answered resend is logged at info with the peer, not as a refusal", async () => {
      const msg = await message();
      await receiveAs4(msg.contentType, msg.body(), deps, REMOTE);
      await receiveAs4(msg.contentType, msg.body(), deps, REMOTE);
      expect(refusals()).to.deep.equal([]);
      expect(lines.filter((l) => l.level === INFO).map((l) => [l.msg, l.signer, l.as4MessageId, l.remoteAddress])).to.deep.equal([
        ["AS4 message accepted, receipt returned", "POP000001", msg.messageId, "192.0.2.7"],
        ["duplicate AS4 message: answering with the receipt it already got", "POP000001", msg.messageId, "192.0.2.7"],
      ]);
    });

    it("the HTTP endpoint hands the remote address to the receiver", async () => {
      const app = express();
      app.use(as4Router("/as4", deps));
      const server = app.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      try {
        const port = (server.address() as AddressInfo).port;
        const res = await fetch(`http://127.0.0.1:${port}/as4`, { method: "POST", headers: { "content-type": "application/soap+xml" }, body: "garbage" });
        expect(res.status).to.equal(200);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
      expect(refusals().map((l) => [l.remoteAddress, l.code])).to.deep.equal([["127.0.0.1", "EBMS:0009"]]);
    });
  });

  describe("refused messages", () => {
    it("From PartyId other than the signer's seat id: EBMS:0101", async () => {
      const msg = await message({ fromPartyId: "POP000009" });
      const { info, error } = errorOf(read(await send(msg)));
      expect(error.errorCode).to.equal("EBMS:0101");
      expect(error.errorDetail).to.equal("From PartyId POP000009 is not the signer's seat id POP000001");
      expect(info.refToMessageId).to.equal(msg.messageId);
      expect(error.refToMessageInError).to.equal(msg.messageId);
      expect(handler.calls).to.deep.equal([]);
      expect(await exchanges.receiptFor(msg.messageId)).to.equal(undefined);
    });

    it("To PartyId other than our seat id: EBMS:0010", async () => {
      const msg = await message({ toPartyId: "POP000009" });
      const { info, error } = errorOf(read(await send(msg)));
      expect(error.errorCode).to.equal("EBMS:0010");
      expect(error.errorDetail).to.equal("To PartyId POP000009 is not this access point (POP000002)");
      expect(info.refToMessageId).to.equal(msg.messageId);
      expect(handler.calls).to.deep.equal([]);
    });

    it("a signer whose certificate is not trusted: EBMS:0101, and the handler never sees the message", async () => {
      const msg = await message({ fromPartyId: "POP000777" }, untrusted);
      const { info, error } = errorOf(read(await send(msg)));
      expect(trust.calls).to.equal(1);
      expect(error.errorCode).to.equal("EBMS:0101");
      expect(error.errorDetail).to.equal("sender certificate not accepted: certificate does not chain to a Peppol AP CA");
      expect(info.refToMessageId).to.equal(msg.messageId);
      expect(handler.calls).to.deep.equal([]);
    });

    it("an untrusted signer is refused before decryption: a message encrypted for someone else still gets EBMS:0101, not 0102", async () => {
      const foreign = await prepareUserMessage({
        userMessage: header({ fromPartyId: "POP000777" }),
        payloads: [{ source: () => Readable.from([PAYLOAD]), mimeType: "application/xml" }],
        signer: untrusted,
        recipientCertificate: sender.certificate,
      });
      prepared.push(foreign);
      const { error } = errorOf(read(await send(foreign)));
      expect(error.errorCode).to.equal("EBMS:0101");
      expect(handler.calls).to.deep.equal([]);
    });

    it("a trusted signer posing as another trusted AP is refused even though both certificates are good", async () => {
      const msg = await message({ fromPartyId: "POP000001" }, testSigner("POP000009"));
      expect(errorOf(read(await send(msg))).error.errorCode).to.equal("EBMS:0101");
    });

    it("an EbmsError from the handler becomes that error signal, naming the message", async () => {
      const msg = await message();
      handler.fail = EbmsError.notServiced(undefined, "0192:984661185 is not served here");
      const { info, error } = errorOf(read(await send(msg)));
      expect([error.errorCode, error.errorDetail, error.severity]).to.deep.equal(["EBMS:0004", PEPPOL_NOT_SERVICED, "failure"]);
      expect(info.refToMessageId).to.equal(msg.messageId);
      expect(error.refToMessageInError).to.equal(msg.messageId);
      expect(error.description?.text).to.equal("0192:984661185 is not served here");
      // The sender reads it as a permanent refusal.
      expect(interpretResponse(200, undefined, (await send(msg)).body.toString("utf8"), { as4MessageId: msg.messageId, signedReferences: [], receiverCertificate: us.certificate }).kind).to.equal("failed");
    });

    it("any other exception from the handler becomes EBMS:0202 (try again later), without leaking its text", async () => {
      const msg = await message();
      handler.fail = new Error("SQLITE_BUSY: database is locked at /var/lib/secret/ap.db");
      const res = await send(msg);
      const { info, error } = errorOf(read(res));
      expect(error.errorCode).to.equal("EBMS:0202");
      expect(info.refToMessageId).to.equal(msg.messageId);
      expect(res.body.toString("utf8")).to.not.include("secret");
      expect(interpretResponse(200, res.contentType, res.body.toString("utf8"), { as4MessageId: msg.messageId, signedReferences: [], receiverCertificate: us.certificate }).kind).to.equal("retry");
    });

    it("a garbage SOAP body: EBMS:0009, with no RefToMessageId (no id could be read)", async () => {
      const res = await receiveAs4("application/soap+xml; charset=UTF-8", Readable.from([Buffer.from("garbage")]), deps);
      const { info, error } = errorOf(read(res));
      expect(error.errorCode).to.equal("EBMS:0009");
      expect(info.refToMessageId).to.equal(undefined);
      expect(error.refToMessageInError).to.equal(undefined);
      expect(trust.calls).to.equal(0);
    });

    it("a garbage multipart body: EBMS:0007", async () => {
      const res = await receiveAs4("multipart/related; boundary=xyz; type=\"application/soap+xml\"", Readable.from([Buffer.from("garbage")]), deps);
      expect(errorOf(read(res)).error.errorCode).to.equal("EBMS:0007");
    });

    it("a signal posted as a request: EBMS:0009", async () => {
      const msg = await message();
      const receipt = (await send(msg)).body;
      const res = await receiveAs4("application/soap+xml", Readable.from([receipt]), deps);
      expect(errorOf(read(res)).error.errorCode).to.equal("EBMS:0009");
    });
  });

  // An OCSP/CRL outage at our end is no verdict on the sender: the answer must be transient (EBMS:0202), or a
  // sending access point would fail the letter for good because of our trouble.
  it("a revocation outage at the receiver is answered with a transient error the sender retries", async () => {
    const msg = await message();
    deps.trust = {
      async validate(cert) {
        throw new RevocationUnknownError("no OCSP or CRL answer for the certificate", cert, ["OCSP: connect ECONNREFUSED", "CRL: connect ECONNREFUSED"]);
      },
    };
    const res = await send(msg);
    const outcome = interpretResponse(res.status, res.contentType, res.body.toString("utf8"), {
      as4MessageId: msg.messageId,
      signedReferences: [msg.signedReferences],
      receiverCertificate: us.certificate,
    });
    expect(outcome.kind).to.equal("retry");
  });
});
