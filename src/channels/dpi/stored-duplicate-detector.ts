import type { ExchangeRepo, InboundClaim, InboundRecord } from "../../store/exchange-repo.js";
import {
  contentDigestOfReceipt,
  judgeDuplicate,
  type DuplicateDetector,
  type IncomingExchange,
  type Registration,
  type ReceiptAnswer,
} from "./duplicate-detector.js";

/**
 * Duplicate detection kept in the database (the IN rows of As4Exchange), so it survives restarts and holds
 * across processes sharing one store. A message is registered by inserting its row before the handler sees it:
 * the primary key (direction, MessageId) lets one of two concurrent arrivals win. The row holds a lease
 * (`claimedUntil`) instead of a lock: a receiver that dies after the handler committed the letter but before the
 * receipt was stored leaves a claim that runs out, and the sender's next resend of the same content takes it over,
 * reaches the handler again (which recognises the letter it already has) and gets a receipt.
 */

/**
 * How long a registration holds a MessageId without an answer. The body is fully received and verified by the
 * time a message is registered, so handling is the handler's commit (a file copy and a transaction): far under
 * this. A sender retrying after a crash is served once it runs out; one that retries sooner is told to retry.
 */
export const DEFAULT_CLAIM_MS = 5 * 60_000;

export function storedDuplicateDetector(exchanges: ExchangeRepo, options: { claimMs?: number } = {}): DuplicateDetector {
  const claimMs = options.claimMs ?? DEFAULT_CLAIM_MS;
  const claimOf = (i: IncomingExchange): InboundClaim => ({ as4MessageId: i.as4MessageId, peerPartyId: i.peer, contentDigest: i.contentDigest });
  const until = (now: Date) => new Date(now.getTime() + claimMs);

  return {
    async register(incoming, now): Promise<Registration> {
      const claim = claimOf(incoming);
      // A row may vanish between the failed insert and the read (released by a refused attempt): try again.
      for (let attempt = 0; attempt < 3; attempt += 1) {
        if (await exchanges.claimInbound(claim, until(now), now)) return { kind: "new" };
        const row = await exchanges.findInbound(incoming.as4MessageId);
        if (!row) continue;
        const verdict = judgeDuplicate(knownOf(row), incoming, now);
        if (verdict.kind !== "take-over") return verdict;
        if (await exchanges.takeOverInbound(claim, row.claimedUntil, until(now))) return { kind: "new" };
        return { kind: "in-progress" };
      }
      return { kind: "in-progress" };
    },
    answered(incoming, answer: ReceiptAnswer, now) {
      return exchanges.answerInbound(claimOf(incoming), answer, now);
    },
    answeredIn(tx, incoming, answer: ReceiptAnswer, now) {
      return exchanges.answerInboundIn(tx, claimOf(incoming), answer, now);
    },
    release(incoming) {
      return exchanges.releaseInbound(claimOf(incoming));
    },
    abandon(incoming, now) {
      return exchanges.expireInbound(claimOf(incoming), now);
    },
  };
}

/** Rows written before digests were stored carry the content in their receipt (all of them were answered). */
function knownOf(row: InboundRecord) {
  return {
    peer: row.peerPartyId,
    contentDigest: row.contentDigest ?? (row.receipt ? contentDigestOfReceipt(row.receipt) : undefined),
    receipt: row.receipt,
    claimedUntil: row.claimedUntil,
  };
}
