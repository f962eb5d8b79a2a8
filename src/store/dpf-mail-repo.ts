import { registerStatusIn } from "./conversations-repo.js";
import type { DpfMail } from "./generated/client.js";
import { normaliseMessageId } from "./message-id.js";
import type { Db } from "./prisma.js";
import { isUniqueViolation } from "./raw-sql.js";
import { sqlOf, type Sql, type SqlStore } from "./sql.js";

/**
 * DPF's mails of incoming forsendelser (README, "DPF", mail delivery): one row per forsendelse that could not
 * reach the archive system, with its own copy of the files (CMS-encrypted to the receiving organisation), claimed
 * with a lease and sent by the mail worker, retried while the SMTP server is away. The unique message id makes
 * queuing idempotent; `sentAt` keeps a restart from mailing it again.
 */

export type DpfMailReason = "unconvertible" | "not-fetched";
export type DpfMailBlobKind = "svarinn" | "asic";

export interface NewDpfMail {
  messageId: string;
  receiverOrg: string;
  reason: DpfMailReason;
  detail: string;
  level: 3 | 4;
  blobKey: string;
  blobKind: DpfMailBlobKind;
  address: string;
}

export class DpfMailRepo {
  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.sql = sqlOf(db);
  }

  /** Queues the mail, due at once; inside `tx` when given. False when the forsendelse has one already. */
  async queue(m: NewDpfMail, at: Date, tx?: Sql): Promise<boolean> {
    try {
      await (tx ?? this.sql).execute(
        `INSERT INTO "DpfMail" ("messageId", "receiverOrg", "reason", "detail", "level", "blobKey", "blobKind", "address", "createdAt", "nextAttemptAt")
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
        normaliseMessageId(m.messageId),
        m.receiverOrg,
        m.reason,
        m.detail,
        m.level,
        m.blobKey,
        m.blobKind,
        m.address,
        at,
      );
      return true;
    } catch (err) {
      // Inside a transaction the refusal is the caller's to handle (on PostgreSQL it ended the transaction).
      if (isUniqueViolation(err) && !tx) return false;
      throw err;
    }
  }

  async get(messageId: string): Promise<DpfMail | null> {
    const [row] = await this.sql.query<DpfMail>(`SELECT * FROM "DpfMail" WHERE "messageId" = $1`, normaliseMessageId(messageId));
    return row ?? null;
  }

  /**
   * Incoming DPF messages still waiting in the NextMove inbox that arrived at or before `arrivedBy`, neither read
   * nor locked by an archive system at `now`, and not mailed yet (oldest first). One with a mail (one given up
   * stays in the inbox) is left out by the query itself, so many of them cannot hide a newer one.
   */
  async overdueInInbox(arrivedBy: Date, now: Date, limit: number): Promise<{ messageId: string; receiverIdentifier: string; packageKey: string; sbd: string }[]> {
    return this.sql.query(
      `SELECT c."messageId", c."receiverIdentifier", n."packageKey", n."sbd"
        FROM "Conversation" c JOIN "NextMoveMessage" n ON n."direction" = c."direction" AND n."messageId" = c."messageId"
        WHERE c."direction" = 'IN' AND c."channel" = 'DPF' AND c."readAt" IS NULL AND (c."lockedUntil" IS NULL OR c."lockedUntil" <= $1)
          AND n."createdAt" <= $2 AND n."packageKey" IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM "DpfMail" m WHERE m."messageId" = c."messageId")
        ORDER BY c."createdAt", c."messageId" LIMIT $3`,
      now,
      arrivedBy,
      limit,
    );
  }

  /** Frees every claim (a store only this process uses, at start-up: they were its previous life's); how many. */
  async releaseAllLeases(): Promise<number> {
    return this.sql.execute(`UPDATE "DpfMail" SET "leaseUntil" = NULL WHERE "leaseUntil" IS NOT NULL`);
  }

  /**
   * Due mails, oldest first, leased until `leaseUntil` by one conditional update: a mail another worker leased
   * (or sent) since it was read no longer matches, so no two workers hold the same one.
   */
  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<DpfMail[]> {
    const free = `"sentAt" IS NULL AND "nextAttemptAt" <= $1 AND ("leaseUntil" IS NULL OR "leaseUntil" < $1)`;
    const due = await this.sql.query<{ id: number }>(dueMailsQuery(this.sql.provider), now, limit);
    if (due.length === 0) return [];
    const params: unknown[] = [now, leaseUntil];
    const ids = due.map((d) => `$${params.push(d.id)}`).join(", ");
    const won = await this.sql.query<DpfMail>(`UPDATE "DpfMail" SET "leaseUntil" = $2 WHERE ${free} AND "id" IN (${ids}) RETURNING *`, ...params);
    return won.sort((a, b) => a.id - b.id);
  }

  /** The level-4 link of this attempt: its token's hash and when it stops working (a new attempt makes a new one). */
  async setLink(id: number, tokenHash: string, expiresAt: Date): Promise<void> {
    await changeMail(this.sql, id, `"tokenHash" = $2, "linkExpiresAt" = $3`, tokenHash, expiresAt);
  }

  async byTokenHash(tokenHash: string): Promise<DpfMail | null> {
    const [row] = await this.sql.query<DpfMail>(`SELECT * FROM "DpfMail" WHERE "tokenHash" = $1`, tokenHash);
    return row ?? null;
  }

  /** Sent; inside `tx` when given (with the status that says so). */
  async markSent(id: number, at: Date, note: string | null = null, tx?: Sql): Promise<void> {
    await changeMail(tx ?? this.sql, id, `"sentAt" = $2, "nextAttemptAt" = NULL, "leaseUntil" = NULL, "lastError" = $3`, at, note);
  }

  /** Sent, and the incoming conversation gets `status` with `description`, in one transaction. */
  async markSentWithStatus(id: number, messageId: string, status: string, description: string, at: Date): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await registerStatusIn(tx, "IN", normaliseMessageId(messageId), status, at, { description });
      await this.markSent(id, at, null, tx);
    });
  }

  /** Given up, and the incoming conversation gets `status` with `description`, in one transaction. */
  async markFailedWithStatus(id: number, messageId: string, status: string, description: string, error: string, at: Date): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await registerStatusIn(tx, "IN", normaliseMessageId(messageId), status, at, { description });
      await this.markFailed(id, error, null, tx);
    });
  }

  /** Tried again at `retryAt`, or never again when it is null. */
  async markFailed(id: number, error: string, retryAt: Date | null, tx?: Sql): Promise<void> {
    await changeMail(tx ?? this.sql, id, `"attempts" = "attempts" + 1, "lastError" = $2, "nextAttemptAt" = $3, "leaseUntil" = NULL`, error.slice(0, 2000), retryAt);
  }

  /** Blob keys the mails keep (for the payload sweeper). */
  async blobKeys(): Promise<string[]> {
    return (await this.sql.query<{ blobKey: string }>(`SELECT "blobKey" FROM "DpfMail"`)).map((r) => r.blobKey);
  }
}

/** Sets `assignments` (over $2, $3, …: `values`) on mail `id` ($1); a mail that is not there is an error, as an update of a row that must exist. */
async function changeMail(client: Sql, id: number, assignments: string, ...values: unknown[]): Promise<void> {
  const changed = await client.execute(`UPDATE "DpfMail" SET ${assignments} WHERE "id" = $1`, id, ...values);
  if (changed === 0) throw new Error(`no DPF mail ${id}`);
}

/**
 * The due mails, oldest first: `$1` now, `$2` the limit. Sent mails stay in the table, so the query must read the
 * due ones off the nextAttemptAt index (sent ones have none) and sort those. Given `ORDER BY "id"`, SQLite's planner
 * walks the table in id order instead, past every mail ever sent, to skip the sort: on SQLite the order is written
 * `+"id"`, which the table's order cannot serve (the `+` changes no integer's order). PostgreSQL plans by
 * statistics and gets the plain order.
 */
export function dueMailsQuery(provider: "sqlite" | "postgresql"): string {
  const order = provider === "sqlite" ? `+"id"` : `"id"`;
  return `SELECT "id" FROM "DpfMail" WHERE "sentAt" IS NULL AND "nextAttemptAt" <= $1 AND ("leaseUntil" IS NULL OR "leaseUntil" < $1) ORDER BY ${order} LIMIT $2`;
}
