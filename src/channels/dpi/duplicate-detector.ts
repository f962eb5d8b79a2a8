import { createHash } from "node:crypto";
import { parseSignalMessages } from "../../as4/signal-message.js";
import { parseSoapEnvelope } from "../../as4/soap-parse.js";
import type { SqlClient } from "../../store/raw-sql.js";
import type { DsReference } from "../../xml/dsig-reference.js";

/**
 * Inbound AS4 duplicate detection, behind an interface of its own (the shape of phase4's IAS4DuplicateManager:
 * one call registers a MessageId and says whether the message may go on). A MessageId is a duplicate only when
 * the same access point resends the same content; then it gets the receipt it already got, byte for byte.
 * Anything else that reuses a known MessageId (another access point, or the same one with other content) is
 * refused: answering it with the first receipt would tell its sender a letter was delivered that was dropped.
 *
 * "Content" is what the sender's signature binds that does not change between two transmissions of one message:
 * the SHA-256 digests of the signed payload attachments (`contentDigestOf`). A sender that prepares each attempt
 * anew (our own outbox does) signs a new eb:Messaging (new Timestamp, new Content-IDs in PartInfo, new wsu:Ids)
 * and an empty S12:Body under a new wsu:Id; comparing those references would refuse every honest retry. Peppol
 * AS4 carries every payload as a cid: attachment and the DPI SBD repeats the header's routing (sender, receiver,
 * document type, process, instance id), so the payload digests identify the letter.
 */

export interface IncomingExchange {
  /** The sending access point's seat id, as its validated certificate says (not the From PartyId it claims). */
  peer: string;
  as4MessageId: string;
  contentDigest: string;
}

export interface ReceiptAnswer {
  /** The DPI message id the handler returned. */
  messageId: string | undefined;
  receiptMessageId: string;
  receipt: Buffer;
}

export type ConflictReason =
  /** Another access point used this MessageId first. */
  | "other-peer"
  /** The same access point used it for other payloads. */
  | "other-content"
  /** The first message's content cannot be established (an old record whose receipt cannot be read). */
  | "unknown-content";

export type Registration =
  /** Registered as being handled now: hand the message on, then `answered`, `release` or `abandon` it. */
  | { kind: "new" }
  /** A resend of a message already answered: send `receipt` again. */
  | { kind: "resend"; receipt: Buffer }
  /** The same message is being handled right now (a concurrent resend): ask the sender to try again later. */
  | { kind: "in-progress" }
  | { kind: "conflict"; reason: ConflictReason; knownPeer: string };

export interface DuplicateDetector {
  /**
   * Registers the message as being handled, or says which earlier message it repeats. Atomic per MessageId:
   * of concurrent calls for one MessageId at most one gets "new", so a message is never handed on twice at once.
   */
  register(incoming: IncomingExchange, now: Date): Promise<Registration>;
  /**
   * The handler took the message: keep `answer.receipt` as the answer to every resend. Returns the receipt to
   * send, which is an earlier one when a resend that took the message over (see `abandon`) was answered first.
   */
  answered(incoming: IncomingExchange, answer: ReceiptAnswer, now: Date): Promise<Buffer>;
  /**
   * {@link answered} inside the transaction in which the handler takes the message, so both commit together:
   * true when it was answered so; false leaves it to `answered` after the commit. A detector that keeps no
   * records in the message store leaves this out.
   */
  answeredIn?(tx: SqlClient, incoming: IncomingExchange, answer: ReceiptAnswer, now: Date): Promise<boolean>;
  /** The handler refused the message (nothing was taken): forget it, so a corrected resend is judged anew. */
  release(incoming: IncomingExchange): Promise<void>;
  /**
   * Handling failed in a way that leaves unknown whether the handler took it: keep the MessageId bound to this
   * peer and content, and let the next resend of the same content take it over at once.
   */
  abandon(incoming: IncomingExchange, now: Date): Promise<void>;
}

/**
 * The digest duplicate detection compares: SHA-256 (hex) over the sorted hex digest values of the attachment
 * (cid:) references. The URIs are left out because Content-IDs are chosen anew for each transmission; the values
 * are sorted because the order of ds:Reference elements carries no meaning, and two DPI messages never differ only
 * in the order of their payloads (a DPI message has exactly one). Base64 is decoded first, so two encodings of one
 * digest compare equal.
 */
export function contentDigestOf(references: readonly Pick<DsReference, "uri" | "digestValue">[]): string {
  const digests = references
    .filter((r) => r.uri.startsWith("cid:"))
    .map((r) => Buffer.from(r.digestValue, "base64").toString("hex"))
    .sort();
  return createHash("sha256").update(digests.join("\n")).digest("hex");
}

/**
 * The content digest of a message answered before digests were stored: the receipt we returned lists, in its
 * NonRepudiationInformation, every reference that message signed. Undefined when the receipt cannot be read.
 */
export function contentDigestOfReceipt(receipt: Buffer): string | undefined {
  try {
    const signals = parseSignalMessages(parseSoapEnvelope(receipt).messaging);
    const signal = signals[0];
    if (signals.length !== 1 || signal?.kind !== "receipt" || signal.references.length === 0) return undefined;
    return contentDigestOf(signal.references);
  } catch {
    return undefined;
  }
}

/** What the store knows about a MessageId, as `judgeDuplicate` needs it. */
export interface KnownExchange {
  peer: string;
  /** Undefined when it cannot be established (see `contentDigestOfReceipt`). */
  contentDigest: string | undefined;
  /** The stored receipt, when the message was answered. */
  receipt: Buffer | undefined;
  /** While unanswered: until when the receiver that registered it holds it. */
  claimedUntil: Date | undefined;
}

export type Verdict =
  | { kind: "resend"; receipt: Buffer }
  | { kind: "in-progress" }
  /** Same peer and content, never answered, and its claim ran out: whoever held it is gone; handle it again. */
  | { kind: "take-over" }
  | { kind: "conflict"; reason: ConflictReason; knownPeer: string };

/** The decision for a MessageId the store already knows. Pure; the store makes it atomic (see `register`). */
export function judgeDuplicate(known: KnownExchange, incoming: Pick<IncomingExchange, "peer" | "contentDigest">, now: Date): Verdict {
  // Seat ids come from validated certificates, one spelling per certificate: compared exactly.
  if (known.peer !== incoming.peer) return { kind: "conflict", reason: "other-peer", knownPeer: known.peer };
  if (known.contentDigest === undefined) return { kind: "conflict", reason: "unknown-content", knownPeer: known.peer };
  if (known.contentDigest !== incoming.contentDigest) return { kind: "conflict", reason: "other-content", knownPeer: known.peer };
  if (known.receipt) return { kind: "resend", receipt: known.receipt };
  if (known.claimedUntil && known.claimedUntil.getTime() > now.getTime()) return { kind: "in-progress" };
  return { kind: "take-over" };
}

/** The ErrorDetail a refused duplicate is answered with (EBMS:0004), one stable text per reason. */
export function conflictDetail(reason: ConflictReason, as4MessageId: string): string {
  switch (reason) {
    case "other-peer":
      return `duplicate MessageId ${as4MessageId}: already used by another access point; send the message with a new MessageId`;
    case "other-content":
      return `duplicate MessageId ${as4MessageId}: already used for other payloads; send the message with a new MessageId`;
    case "unknown-content":
      return `duplicate MessageId ${as4MessageId}: already used, and the content it carried cannot be compared; send the message with a new MessageId`;
  }
}
