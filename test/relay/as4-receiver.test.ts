import { expect } from "chai";
import type { X509Certificate } from "node:crypto";
import { readFile, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { openStores, type Stores } from "../../src/app.js";
import { EbmsError, PEPPOL_NOT_SERVICED } from "../../src/as4/ebms-errors.js";
import type { ReceivedUserMessage } from "../../src/as4/inbound.js";
import { prepareUserMessage, type OutboundMessage } from "../../src/as4/outbound.js";
import { checkReceipt, parseSignalMessages, type SignalMessage } from "../../src/as4/signal-message.js";
import { parseSoapEnvelope } from "../../src/as4/soap-parse.js";
import type { UserMessage } from "../../src/as4/user-message.js";
import type { Signer } from "../../src/as4/wss-sign.js";
import { verifyEnvelope } from "../../src/as4/wss-verify.js";
import { fixedClock } from "../../src/clock.js";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { RevocationUnknownError } from "../../src/pki/revocation.js";
import { receiveAs4, type As4ReceiverDeps, type As4Response, type InboundHandler, type SenderTrust } from "../../src/relay/as4-receiver.js";
import { interpretResponse } from "../../src/relay/as4-response.js";
import { ExchangeRepo } from "../../src/store/exchange-repo.js";
import { selfSigned, testSigner } from "../as4/sign-fixtures.js";

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

function prepare(over: Partial<Omit<UserMessage, "parts">> = {}, signer: Signer = sender): Promise<OutboundMessage> {
  return prepareUserMessage({
    userMessage: header(over),
    payloads: [{ source: () => Readable.from([PAYLOAD]), mimeType: "application/xml" }],
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
  fail: Error | undefined;
}

function stubHandler(): StubHandler {
  const h: StubHandler = {
    calls: [],
    fail: undefined,
    async accept(received: ReceivedUserMessage, senderSeat: { seatId: string }) {
      // Read the payload now: the receiver removes the files once the answer is made.
      const payload = await readFile(received.payloads[0]!.path, "utf8");
      h.calls.push({ as4MessageId: received.userMessage.messageId, seatId: senderSeat.seatId, payload });
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
  expect(res.contentType).to.match(/^application\/soap\+xml/);
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

describe("relay/as4-receiver: receiveAs4", function () {
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
  async function message(over: Partial<Omit<UserMessage, "parts">> = {}, signer: Signer = sender): Promise<OutboundMessage> {
    const m = await prepare(over, signer);
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
  });

  describe("refused messages", () => {
    it("From PartyId other than the signer's seat id: EBMS:0101", async () => {
      const msg = await message({ fromPartyId: "POP000009" });
      const { info, error } = errorOf(read(await send(msg)));
      expect(error.errorCode).to.equal("EBMS:0101");
      expect(error.errorDetail).to.match(/From PartyId POP000009 is not the signer's seat id POP000001/);
      expect(info.refToMessageId).to.equal(msg.messageId);
      expect(error.refToMessageInError).to.equal(msg.messageId);
      expect(handler.calls).to.deep.equal([]);
      expect(await exchanges.receiptFor(msg.messageId)).to.equal(undefined);
    });

    it("To PartyId other than our seat id: EBMS:0010", async () => {
      const msg = await message({ toPartyId: "POP000009" });
      const { info, error } = errorOf(read(await send(msg)));
      expect(error.errorCode).to.equal("EBMS:0010");
      expect(error.errorDetail).to.match(/To PartyId POP000009 is not this access point \(POP000002\)/);
      expect(info.refToMessageId).to.equal(msg.messageId);
      expect(handler.calls).to.deep.equal([]);
    });

    it("a signer whose certificate is not trusted: EBMS:0101, and the handler never sees the message", async () => {
      const msg = await message({ fromPartyId: "POP000777" }, untrusted);
      const { info, error } = errorOf(read(await send(msg)));
      expect(trust.calls).to.equal(1);
      expect(error.errorCode).to.equal("EBMS:0101");
      expect(error.errorDetail).to.match(/^sender certificate not accepted: certificate does not chain/);
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
