import { expect } from "chai";
import { Readable } from "node:stream";
import { EbmsError } from "../../../src/as4/ebms-errors.js";
import { receiveUserMessage } from "../../../src/as4/inbound.js";
import { prepareUserMessage, type OutboundMessage } from "../../../src/as4/outbound.js";
import { buildErrorEnvelope, buildReceiptEnvelope, errorEntryOf, type ErrorEntry } from "../../../src/as4/signal-message.js";
import type { UserMessage } from "../../../src/as4/user-message.js";
import { signEnvelope, type Signer } from "../../../src/as4/wss-sign.js";
import { interpretResponse, type ResponseContext } from "../../../src/channels/dpi/as4-response.js";
import type { DsReference } from "../../../src/xml/dsig-reference.js";
import { testSigner } from "../../as4/sign-fixtures.js";

/**
 * How the outbox judges the synchronous answer to a UserMessage it sent. Receipts are made the way a real
 * receiver makes them: the prepared message is received (decrypted, verified) and the receipt repeats the
 * ds:References the receiver saw, signed with the receiver's key.
 */

const sender = testSigner("POP000001");
const receiver = testSigner("POP000002");
const stranger = testSigner("POP000009");

const SOAP = "application/soap+xml; charset=UTF-8";
const AS4_ID = "5f0c3c1e-7d0a-4d55-8e0e-2f6f1b7a9c01@pop000001";

function header(at: string, messageId = AS4_ID): Omit<UserMessage, "parts"> {
  return {
    messageId,
    timestamp: new Date(at),
    fromPartyId: "POP000001",
    toPartyId: "POP000002",
    service: { value: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0", type: "cenbii-procid-ubl" },
    action: "busdox-docid-qns::urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
    conversationId: "conv-as4-response",
    originalSender: { type: "iso6523-actorid-upis", value: "0192:910076787" },
    finalRecipient: { type: "iso6523-actorid-upis", value: "0192:984661185" },
  };
}

/** One send attempt: prepared (signed + encrypted) like the outbox does, every attempt with its own timestamp. */
async function attempt(at: string, messageId = AS4_ID): Promise<OutboundMessage> {
  return prepareUserMessage({
    userMessage: header(at, messageId),
    payloads: [{ source: () => Readable.from([Buffer.from("<sbd>payload</sbd>")]), mimeType: "application/xml" }],
    signer: sender,
    recipientCertificate: receiver.certificate,
  });
}

/** What the receiving AP answers after it accepted `msg`: a signed non-repudiation receipt. */
async function receiptFor(msg: OutboundMessage, signer: Signer = receiver): Promise<string> {
  const received = await receiveUserMessage(msg.contentType, msg.body(), { decryptionKey: receiver });
  try {
    const xml = buildReceiptEnvelope({
      messageId: "receipt-1@pop000002",
      timestamp: new Date("2026-03-01T12:00:01Z"),
      refToMessageId: received.userMessage.messageId,
      references: received.signedInfoReferenceNodes,
    });
    return signEnvelope(xml, signer, []);
  } finally {
    await received.dispose();
  }
}

function errorSignal(...errors: ErrorEntry[]): string {
  return signEnvelope(
    buildErrorEnvelope({ messageId: "error-1@pop000002", timestamp: new Date("2026-03-01T12:00:01Z"), refToMessageId: AS4_ID, errors }),
    receiver,
    [],
  );
}

const ctx = (signedReferences: (readonly DsReference[])[], over: Partial<ResponseContext> = {}): ResponseContext => ({
  as4MessageId: AS4_ID,
  signedReferences,
  receiverCertificate: receiver.certificate,
  ...over,
});

describe("channels/dpi/as4-response: interpretResponse", function () {
  this.timeout(30_000);
  let first: OutboundMessage;
  let second: OutboundMessage;
  let receipt: string;

  before(async () => {
    first = await attempt("2026-03-01T12:00:00Z");
    second = await attempt("2026-03-01T12:05:00Z");
    receipt = await receiptFor(first);
  });
  after(async () => {
    await first?.dispose();
    await second?.dispose();
  });

  describe("receipts", () => {
    it("a receipt signed by the receiver that confirms what we signed is delivered", () => {
      const outcome = interpretResponse(200, SOAP, receipt, ctx([first.signedReferences]));
      expect(outcome).to.deep.include({ kind: "delivered", receiptMessageId: "receipt-1@pop000002" });
      expect(outcome.kind === "delivered" && outcome.receipt.toString("utf8")).to.equal(receipt);
    });

    it("the two attempts sign different references (their timestamps differ), so the attempts are distinguishable", () => {
      // Precondition of the two tests below: without it, "earlier attempt" would prove nothing.
      expect(JSON.stringify(first.signedReferences)).to.not.equal(JSON.stringify(second.signedReferences));
    });

    it("a receipt that matches only an earlier attempt with the same MessageId is delivered", () => {
      const outcome = interpretResponse(200, SOAP, receipt, ctx([first.signedReferences, second.signedReferences]));
      expect(outcome.kind).to.equal("delivered");
    });

    it("a receipt that matches no attempt we recorded is retried", () => {
      const outcome = interpretResponse(200, SOAP, receipt, ctx([second.signedReferences]));
      expect(outcome.kind).to.equal("retry");
      expect(outcome.kind === "retry" && outcome.reason).to.match(/invalid receipt: .*reference/);
    });

    it("a receipt signed with another certificate than the receiver's from the SMP is retried", async () => {
      const forged = await receiptFor(first, stranger);
      const outcome = interpretResponse(200, SOAP, forged, ctx([first.signedReferences]));
      expect(outcome.kind).to.equal("retry");
      expect(outcome.kind === "retry" && outcome.reason).to.match(/not signed with the receiving access point's certificate/);
      // ... and the same receipt is accepted when that certificate is the one the SMP published.
      expect(interpretResponse(200, SOAP, forged, ctx([first.signedReferences], { receiverCertificate: stranger.certificate })).kind).to.equal("delivered");
    });

    it("a receipt for another MessageId is retried", async () => {
      const other = await attempt("2026-03-01T12:00:00Z", "6a1d2b3c-0000-4000-8000-000000000002@pop000001");
      try {
        const otherReceipt = await receiptFor(other);
        const outcome = interpretResponse(200, SOAP, otherReceipt, ctx([first.signedReferences]));
        expect(outcome.kind).to.equal("retry");
        expect(outcome.kind === "retry" && outcome.reason).to.match(/acknowledges 6a1d2b3c-.*expected 5f0c3c1e-/);
      } finally {
        await other.dispose();
      }
    });

    it("a receipt whose signature no longer verifies (tampered after signing) is retried", () => {
      const tampered = receipt.replace("receipt-1@pop000002", "receipt-2@pop000002");
      expect(tampered).to.not.equal(receipt);
      expect(interpretResponse(200, SOAP, tampered, ctx([first.signedReferences])).kind).to.equal("retry");
    });

    it("a receipt with nothing recorded as signed is retried, not delivered", () => {
      expect(interpretResponse(200, SOAP, receipt, ctx([])).kind).to.equal("retry");
    });
  });

  describe("error signals", () => {
    it("EBMS:0004 PEPPOL:NOT_SERVICED fails for good", () => {
      const outcome = interpretResponse(200, SOAP, errorSignal(errorEntryOf(EbmsError.notServiced(AS4_ID))), ctx([first.signedReferences]));
      expect(outcome).to.deep.include({ kind: "failed", ebmsCode: "EBMS:0004" });
      expect(outcome.kind === "failed" && outcome.reason).to.include("PEPPOL:NOT_SERVICED");
    });

    it("the same answer with HTTP 500 is judged by its body, not its status", () => {
      expect(interpretResponse(500, SOAP, errorSignal(errorEntryOf(EbmsError.notServiced(AS4_ID))), ctx([])).kind).to.equal("failed");
    });

    it("EBMS:0202 (try again later) is retried", () => {
      const outcome = interpretResponse(200, SOAP, errorSignal(errorEntryOf(new EbmsError("EBMS:0202", "database down", { refToMessageId: AS4_ID }))), ctx([]));
      expect(outcome.kind).to.equal("retry");
    });

    it("a transient error next to a permanent one fails", () => {
      const outcome = interpretResponse(
        200,
        SOAP,
        errorSignal(errorEntryOf(new EbmsError("EBMS:0202", "busy")), errorEntryOf(new EbmsError("EBMS:0101", "bad signature"))),
        ctx([]),
      );
      expect(outcome.kind).to.equal("failed");
      expect(outcome.kind === "failed" && outcome.reason).to.include("EBMS:0101");
    });

    // ebmsCode names the error that decided the outcome, not a transient one beside it.
    it("a transient error next to a permanent one names the permanent one as ebmsCode", () => {
      const outcome = interpretResponse(
        200,
        SOAP,
        errorSignal(errorEntryOf(new EbmsError("EBMS:0202", "busy")), errorEntryOf(new EbmsError("EBMS:0101", "bad signature"))),
        ctx([]),
      );
      expect(outcome).to.deep.include({ kind: "failed", ebmsCode: "EBMS:0101" });
    });

    it("EBMS:0004 with phoss-ap's duplicate-rejection detail for our MessageId means an earlier attempt was delivered", () => {
      const c = ctx([]);
      const detail = `Rejecting duplicate AS4 message '${c.as4MessageId}'`;
      const outcome = interpretResponse(200, SOAP, errorSignal({ errorCode: "EBMS:0004", severity: "failure", errorDetail: detail }), c);
      expect(outcome).to.deep.equal({ kind: "duplicate", reason: `EBMS:0004: ${detail}` });
    });

    it("EBMS:0004 refusing a duplicate for other payloads (our receiver's conflict answer) or another MessageId fails", () => {
      const c = ctx([]);
      const conflict = interpretResponse(200, SOAP, errorSignal({ errorCode: "EBMS:0004", severity: "failure", errorDetail: `duplicate MessageId ${c.as4MessageId}: already used for other payloads` }), c);
      expect(conflict).to.deep.include({ kind: "failed", ebmsCode: "EBMS:0004" });
      const other = interpretResponse(200, SOAP, errorSignal({ errorCode: "EBMS:0004", severity: "failure", errorDetail: "Rejecting duplicate AS4 message 'someone-else@ap'" }), c);
      expect(other).to.deep.include({ kind: "failed", ebmsCode: "EBMS:0004" });
    });

    it("EBMS:0004 with phase4's own duplicate texts fails: phase4 registers the id before processing, so delivery is unknown", () => {
      for (const detail of ["Another message with the same ID was already received!", "The message was already handled (this is a duplicate)"]) {
        const outcome = interpretResponse(200, SOAP, errorSignal({ errorCode: "EBMS:0004", severity: "failure", errorDetail: detail }), ctx([]));
        expect(outcome, detail).to.deep.include({ kind: "failed", ebmsCode: "EBMS:0004" });
      }
    });

    it("EBMS:4001 (a duplicate MessageId) means an earlier attempt was delivered", () => {
      const outcome = interpretResponse(200, SOAP, errorSignal({ errorCode: "EBMS:4001", severity: "failure", errorDetail: "duplicate" }), ctx([]));
      expect(outcome.kind).to.equal("duplicate");
      expect(outcome.kind === "duplicate" && outcome.reason).to.equal("EBMS:4001: duplicate");
    });

    it("EBMS:4001 together with another failure is not taken for a duplicate", () => {
      const outcome = interpretResponse(
        200,
        SOAP,
        errorSignal({ errorCode: "EBMS:4001", severity: "failure" }, errorEntryOf(new EbmsError("EBMS:0004", "something else"))),
        ctx([]),
      );
      expect(outcome.kind).to.equal("failed");
    });

    it("warnings only, without a receipt, are retried", () => {
      const outcome = interpretResponse(200, SOAP, errorSignal(errorEntryOf(new EbmsError("EBMS:0002", "feature not supported"))), ctx([]));
      expect(outcome.kind).to.equal("retry");
      expect(outcome.kind === "retry" && outcome.reason).to.match(/^only warnings/);
    });

    it("a warning next to a failure fails", () => {
      const outcome = interpretResponse(
        200,
        SOAP,
        errorSignal(errorEntryOf(new EbmsError("EBMS:0002", "feature not supported")), errorEntryOf(new EbmsError("EBMS:0010", "wrong party"))),
        ctx([]),
      );
      expect(outcome).to.deep.include({ kind: "failed", ebmsCode: "EBMS:0010" });
    });
  });

  describe("answers without an AS4 signal", () => {
    it("HTTP 503 with an empty body is retried", () => {
      expect(interpretResponse(503, undefined, "", ctx([])).kind).to.equal("retry");
      expect(interpretResponse(503, SOAP, "  \n", ctx([])).kind).to.equal("retry");
    });

    it("HTTP 404 with a non-SOAP body fails for good", () => {
      const outcome = interpretResponse(404, "text/plain", "Not Found", ctx([]));
      expect(outcome.kind).to.equal("failed");
      expect(outcome.kind === "failed" && outcome.reason).to.equal("HTTP 404 without an AS4 signal");
      expect(interpretResponse(404, "text/html", "<html><body>Not Found</body></html>", ctx([])).kind).to.equal("failed");
    });

    it("HTTP 429 and 408 are retried like 5xx", () => {
      expect(interpretResponse(429, "text/plain", "slow down", ctx([])).kind).to.equal("retry");
      expect(interpretResponse(408, "text/plain", "", ctx([])).kind).to.equal("retry");
    });

    it("HTTP 200 with unreadable XML is retried", () => {
      const outcome = interpretResponse(200, SOAP, "<S12:Envelope xmlns:S12=", ctx([]));
      expect(outcome.kind).to.equal("retry");
      expect(outcome.kind === "retry" && outcome.reason).to.match(/unreadable AS4 answer/);
    });

    it("HTTP 400 with unreadable XML fails", () => {
      expect(interpretResponse(400, SOAP, "<oops/>", ctx([])).kind).to.equal("failed");
    });

    it("a SOAP envelope without a SignalMessage (another UserMessage) is not a receipt", () => {
      expect(interpretResponse(200, SOAP, first.soapXml, ctx([first.signedReferences])).kind).to.equal("retry");
    });
  });
});
