import type { X509Certificate } from "node:crypto";
import { EbmsError } from "../../as4/ebms-errors.js";
import { checkReceipt, isNotServiced, parseSignalMessages, type ErrorEntry, type ReceiptSignal } from "../../as4/signal-message.js";
import { parseSoapEnvelope } from "../../as4/soap-parse.js";
import { verifyParsedEnvelope } from "../../as4/wss-verify.js";
import type { DsReference } from "../../xml/dsig-reference.js";

/**
 * What the synchronous answer to a UserMessage we sent means for the outbox: delivered (a signed receipt
 * that confirms every reference we signed), worth another try later, or refused for good. Peppol APs answer
 * errors with HTTP 200 and with 5xx alike, so the body decides whenever it is a SOAP signal.
 */

export type SendOutcome =
  | { kind: "delivered"; receiptMessageId: string; receipt: Buffer }
  | { kind: "retry"; reason: string }
  /** The receiver says it already has this MessageId: delivered by an earlier attempt whose answer we lost. */
  | { kind: "duplicate"; reason: string }
  | { kind: "failed"; reason: string; ebmsCode?: string };

/** Errors the ebMS 3 and Peppol specifications describe as transient: the same message may succeed later. */
const TRANSIENT_CODES = new Set(["EBMS:0005", "EBMS:0006", "EBMS:0202", "EBMS:0301"]);

export interface ResponseContext {
  as4MessageId: string;
  /** What each attempt with this MessageId signed, oldest first: the receiver may answer any of them. */
  signedReferences: readonly (readonly DsReference[])[];
  /** The receiving AP's certificate from the SMP: the receipt must be signed with it. */
  receiverCertificate: X509Certificate;
}

export function interpretResponse(status: number, contentType: string | undefined, body: string, ctx: ResponseContext): SendOutcome {
  const soap = /soap\+xml|text\/xml|multipart\/related/i.test(contentType ?? "") || body.trimStart().startsWith("<");
  if (!soap || body.trim() === "") {
    return httpOnly(status, `HTTP ${status} without an AS4 signal`);
  }
  let signals;
  let envelope;
  try {
    envelope = parseSoapEnvelope(body);
    signals = parseSignalMessages(envelope.messaging);
  } catch (err) {
    return httpOnly(status, `HTTP ${status} with an unreadable AS4 answer: ${(err as Error).message}`);
  }
  const signal = signals[0]!;
  if (signal.kind === "error") return fromErrors(signal.errors, ctx.as4MessageId);
  try {
    const verified = verifyParsedEnvelope(body, envelope, { attachmentDigest: () => undefined });
    if (verified.signerCertificate.fingerprint256 !== ctx.receiverCertificate.fingerprint256) {
      throw new EbmsError("EBMS:0302", "the receipt is not signed with the receiving access point's certificate from the SMP");
    }
    checkReceiptOfAnyAttempt(signal, ctx);
  } catch (err) {
    // The receiver deduplicates by MessageId, so sending again is safe and may yield a valid receipt.
    return { kind: "retry", reason: `invalid receipt: ${(err as Error).message}` };
  }
  return { kind: "delivered", receiptMessageId: signal.info.messageId, receipt: Buffer.from(body, "utf8") };
}

/** A receipt is good when it confirms exactly what one of our attempts signed (the receiver's dedupe may answer an earlier one). */
function checkReceiptOfAnyAttempt(signal: ReceiptSignal, ctx: ResponseContext): void {
  let last: unknown;
  for (const references of [...ctx.signedReferences].reverse()) {
    try {
      checkReceipt(signal, { messageId: ctx.as4MessageId, references });
      return;
    } catch (err) {
      last = err;
    }
  }
  throw last ?? new EbmsError("EBMS:0302", "nothing was signed for this message");
}

function httpOnly(status: number, reason: string): SendOutcome {
  // 408/429 and 5xx are the server's trouble; other statuses would not change on a retry.
  if (status >= 500 || status === 408 || status === 429) return { kind: "retry", reason };
  if (status >= 200 && status < 300) return { kind: "retry", reason };
  return { kind: "failed", reason };
}

/** Some receivers answer a MessageId they have seen with EBMS:4001 instead of repeating the receipt. */
const DUPLICATE_CODES = new Set(["EBMS:4001"]);

/**
 * phoss-ap (phase4's Peppol access point) in its REJECT duplicate mode answers a MessageId it has seen with
 * EBMS:0004 and exactly this detail. It rejects only after the first message was processed successfully, so for
 * our own MessageId, which we only ever resend with the same letter, it means an earlier attempt arrived. Our own
 * receiver refuses a conflicting duplicate with another detail, and phase4's library itself registers a
 * MessageId before its processors run ("Another message with the same ID was already received!"), so such an
 * answer says nothing about delivery: both stay failures.
 */
const isPhossApDuplicateRejection = (e: ErrorEntry, as4MessageId: string) =>
  e.errorCode === "EBMS:0004" && e.errorDetail === `Rejecting duplicate AS4 message '${as4MessageId}'`;

function fromErrors(errors: readonly ErrorEntry[], as4MessageId: string): SendOutcome {
  if (errors.length > 0 && errors.every((e) => DUPLICATE_CODES.has(e.errorCode) || isPhossApDuplicateRejection(e, as4MessageId))) {
    return { kind: "duplicate", reason: errors.map((e) => `${e.errorCode}${e.errorDetail ? `: ${e.errorDetail}` : ""}`).join("; ") };
  }
  const text = errors.map((e) => `${e.errorCode}${e.shortDescription ? ` ${e.shortDescription}` : ""}${e.errorDetail ? `: ${e.errorDetail}` : ""}`).join("; ");
  const failures = errors.filter((e) => e.severity !== "warning");
  if (failures.length === 0) return { kind: "retry", reason: `only warnings, no receipt: ${text}` };
  if (failures.every((e) => TRANSIENT_CODES.has(e.errorCode))) return { kind: "retry", reason: text };
  const main = failures.find((e) => isNotServiced(e)) ?? failures.find((e) => !TRANSIENT_CODES.has(e.errorCode)) ?? failures[0]!;
  return { kind: "failed", reason: text, ebmsCode: main.errorCode };
}
