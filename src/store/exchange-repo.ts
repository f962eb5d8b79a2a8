import type { StoreWrites } from "./conversations-repo.js";
import type { As4Exchange } from "./generated/client.js";
import type { Db } from "./prisma.js";
import { execute, isUniqueViolation, queryRows, type SqlClient } from "./raw-sql.js";
import { sqlOf, type SqlStore } from "./sql.js";
import { encodeRevocation, type RevocationUseRecord } from "./revocation-answers-repo.js";

/**
 * AS4 exchanges: the receipts we got for messages we sent (written by the outbox) and, for messages we received,
 * the inbound duplicate record (src/channels/dpi/stored-duplicate-detector.ts): a claim written before the message is
 * handed on, completed with the receipt we answered. One IN row per MessageId: the primary key is what keeps two
 * concurrent arrivals of one MessageId, from one access point or two, from both being handed on.
 */

export interface InboundRecord {
  as4MessageId: string;
  peerPartyId: string;
  /** Null on rows written before content digests were stored. */
  contentDigest: string | null;
  receipt: Buffer | undefined;
  claimedUntil: Date | undefined;
}

export interface InboundClaim {
  as4MessageId: string;
  peerPartyId: string;
  contentDigest: string;
}

/** The signed receipt the far access point returned for a UserMessage we sent. */
export interface OutboundEvidence {
  as4MessageId: string;
  peerPartyId: string;
  receiptMessageId: string;
  receipt: Buffer;
  /** The OCSP/CRL answers the receiving access point's certificate was found not revoked by for this attempt. */
  revocation?: readonly RevocationUseRecord[] | undefined;
}

/** An unanswered inbound claim of one MessageId, peer and content: parameters $n, $n+1 and $n+2. */
const unansweredClaim = (n: number) => `"direction" = 'IN' AND "as4MessageId" = $${n} AND "peerPartyId" = $${n + 1} AND "contentDigest" = $${n + 2} AND "receipt" IS NULL`;

export class ExchangeRepo {
  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.sql = sqlOf(db);
  }

  async receiptFor(as4MessageId: string): Promise<Buffer | undefined> {
    const [row] = await this.sql.query<{ receipt: Uint8Array | null }>(`SELECT "receipt" FROM "As4Exchange" WHERE "direction" = 'IN' AND "as4MessageId" = $1`, as4MessageId);
    return row?.receipt ? Buffer.from(row.receipt) : undefined;
  }

  async findInbound(as4MessageId: string): Promise<InboundRecord | undefined> {
    const [row] = await queryRows<{ as4MessageId: string; peerPartyId: string; contentDigest: string | null; receipt: Uint8Array | null; claimedUntil: Date | null }>(
      this.sql,
      `SELECT "as4MessageId", "peerPartyId", "contentDigest", "receipt", "claimedUntil" FROM "As4Exchange" WHERE "direction" = 'IN' AND "as4MessageId" = $1`,
      as4MessageId,
    );
    if (!row) return undefined;
    return {
      as4MessageId: row.as4MessageId,
      peerPartyId: row.peerPartyId,
      contentDigest: row.contentDigest,
      receipt: row.receipt ? Buffer.from(row.receipt) : undefined,
      claimedUntil: row.claimedUntil ?? undefined,
    };
  }

  /** Inserts the claim; false when the MessageId already has a row (the unique key decides between racers). */
  async claimInbound(c: InboundClaim, claimedUntil: Date, at: Date): Promise<boolean> {
    return this.insertInbound(c, { claimedUntil, createdAt: at });
  }

  private async insertInbound(c: InboundClaim, rest: { claimedUntil: Date | null; createdAt: Date; messageId?: string | null; receiptMessageId?: string; receipt?: Uint8Array<ArrayBuffer> }): Promise<boolean> {
    try {
      await execute(
        this.sql,
        `INSERT INTO "As4Exchange" ("direction", "as4MessageId", "peerPartyId", "contentDigest", "claimedUntil", "createdAt", "messageId", "receiptMessageId", "receipt")
          VALUES ('IN', $1, $2, $3, $4, $5, $6, $7, $8)`,
        c.as4MessageId,
        c.peerPartyId,
        c.contentDigest,
        rest.claimedUntil,
        rest.createdAt,
        rest.messageId ?? null,
        rest.receiptMessageId ?? null,
        rest.receipt ?? null,
      );
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /**
   * Renews an unanswered claim of this peer and content whose lease was `expected` when read; false when
   * someone else changed it since (renewed it, answered it or released it).
   */
  async takeOverInbound(c: InboundClaim, expected: Date | undefined, claimedUntil: Date): Promise<boolean> {
    const params = [claimedUntil, c.as4MessageId, c.peerPartyId, c.contentDigest];
    const lease = expected ? `"claimedUntil" = $${params.push(expected)}` : `"claimedUntil" IS NULL`;
    const count = await this.sql.execute(`UPDATE "As4Exchange" SET "claimedUntil" = $1 WHERE ${unansweredClaim(2)} AND ${lease}`, ...params);
    return count === 1;
  }

  /**
   * Completes this peer's unanswered claim on the MessageId with the receipt, in `tx`: the handler's transaction
   * that takes the message, so the message and its answer commit together. False when the claim is no longer
   * there as it was (taken over or released meanwhile); then answerInbound, after the commit, finds out why.
   */
  async answerInboundIn(tx: SqlClient, c: InboundClaim, a: { messageId: string | undefined; receiptMessageId: string; receipt: Buffer }, at: Date): Promise<boolean> {
    const count = await execute(
      tx,
      `UPDATE "As4Exchange" SET "messageId" = $1, "receiptMessageId" = $2, "receipt" = $3, "claimedUntil" = NULL, "createdAt" = $4
        WHERE "direction" = 'IN' AND "as4MessageId" = $5 AND "peerPartyId" = $6 AND "contentDigest" = $7 AND "receipt" IS NULL`,
      a.messageId ?? null,
      a.receiptMessageId,
      new Uint8Array(a.receipt),
      at,
      c.as4MessageId,
      c.peerPartyId,
      c.contentDigest,
    );
    return count === 1;
  }

  /**
   * Completes the claim with the receipt, unless an answer is already stored; returns the receipt stored for the
   * MessageId, which a sender then always gets. Throws when the MessageId is now held by another peer or content.
   */
  async answerInbound(c: InboundClaim, a: { messageId: string | undefined; receiptMessageId: string; receipt: Buffer }, at: Date): Promise<Buffer> {
    if (await this.answerInboundIn(this.sql, c, a, at)) return a.receipt;
    const data = { messageId: a.messageId ?? null, receiptMessageId: a.receiptMessageId, receipt: new Uint8Array(a.receipt), claimedUntil: null, createdAt: at };
    // Our claim is gone: answered by a resend that took it over, or released meanwhile by one that was refused.
    if (await this.insertInbound(c, data)) return a.receipt;
    const row = await this.findInbound(c.as4MessageId);
    if (row?.receipt && row.peerPartyId === c.peerPartyId && row.contentDigest === c.contentDigest) return row.receipt;
    throw new Error(`AS4 MessageId ${c.as4MessageId} is no longer held by this message; its receipt was not stored`);
  }

  /** Deletes an unanswered claim of this peer and content. */
  async releaseInbound(c: InboundClaim): Promise<void> {
    await this.sql.execute(`DELETE FROM "As4Exchange" WHERE ${unansweredClaim(1)}`, c.as4MessageId, c.peerPartyId, c.contentDigest);
  }

  /** Ends the lease of an unanswered claim of this peer and content now, keeping the MessageId bound to them. */
  async expireInbound(c: InboundClaim, at: Date): Promise<void> {
    await this.sql.execute(`UPDATE "As4Exchange" SET "claimedUntil" = $1 WHERE ${unansweredClaim(2)}`, at, c.as4MessageId, c.peerPartyId, c.contentDigest);
  }

  /**
   * Ends every unanswered inbound claim now. Only for a store one process owns (SQLite): a claim found at
   * start-up was left by this process's previous life, which died while handling the message, and the sender's
   * resend must be able to take it over at once rather than be told to wait until the lease runs out.
   */
  async releaseAllInboundClaims(at: Date): Promise<number> {
    return this.sql.execute(`UPDATE "As4Exchange" SET "claimedUntil" = $1 WHERE "direction" = 'IN' AND "receipt" IS NULL AND "claimedUntil" > $1`, at);
  }

  async evidenceFor(messageId: string) {
    return this.sql.query<As4Exchange>(`SELECT * FROM "As4Exchange" WHERE "messageId" = $1 ORDER BY "createdAt"`, messageId);
  }
}

/**
 * Keeps the receipt of a message we sent (`messageId`, the message's key) as evidence, in the transaction that
 * records the message as sent: the outbox's `also` writes.
 */
export function outboundEvidence(messageId: string, evidence: OutboundEvidence, at: Date): StoreWrites {
  return async (tx) => {
    await execute(
      tx,
      `INSERT INTO "As4Exchange" ("direction", "as4MessageId", "peerPartyId", "receiptMessageId", "receipt", "messageId", "createdAt", "revocation")
        VALUES ('OUT', $1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT ("direction", "as4MessageId") DO UPDATE SET "receipt" = $4, "receiptMessageId" = $3, "peerPartyId" = $2, "messageId" = $5, "revocation" = COALESCE($7, "As4Exchange"."revocation")`,
      evidence.as4MessageId,
      evidence.peerPartyId,
      evidence.receiptMessageId,
      new Uint8Array(evidence.receipt),
      messageId,
      at,
      encodeRevocation(evidence.revocation),
    );
  };
}
