import type { Conversation } from "./generated/client.js";
import { DpiMessagesRepo, type DpiConversation } from "./dpi-messages-repo.js";
import type { Db } from "./prisma.js";
import { sqlOf, type SqlStore } from "./sql.js";

/**
 * A DPI row's push is due at $1 and free at $1: neither pushed nor given up (a letter never tried is due at once,
 * a failed one at its nextPushAt), and not leased, or its lease ran out. Over the DpiMessage row `d`.
 */
const DUE = (d: string) =>
  `${d}."direction" = 'IN' AND ${d}."pushedAt" IS NULL AND (${d}."nextPushAt" <= $1 OR (${d}."nextPushAt" IS NULL AND ${d}."pushAttempts" = 0))
    AND (${d}."pushLeaseUntil" IS NULL OR ${d}."pushLeaseUntil" < $1)`;

/**
 * DPI letters waiting to be pushed to a provider's webhook: unread IN letters for the given providers that were
 * neither pushed nor given up. A letter never tried is due at once; a failed one at its nextPushAt. Workers
 * claim them with a lease (pushLeaseUntil) by one conditional update, like the outbox, so processes sharing a
 * PostgreSQL store never push the same letter at once, and a lease left by a dead worker runs out. The push
 * worker claims on every tick: SQL of our own (sql.ts).
 */
export class PushRepo {
  private readonly sql: SqlStore;
  private readonly dpi: DpiMessagesRepo;

  constructor(db: Db) {
    this.sql = sqlOf(db);
    this.dpi = new DpiMessagesRepo(db);
  }

  /** Claims up to `limit` due letters for `leaseMs`; returns the ones this caller won, oldest first. */
  async claimDue(now: Date, leaseMs: number, providers: readonly string[], letterTypes: readonly string[], limit: number): Promise<DpiConversation[]> {
    if (providers.length === 0 || letterTypes.length === 0) return [];
    const params: unknown[] = [now, limit];
    const list = (values: readonly string[]) => values.map((v) => `$${params.push(v)}`).join(", ");
    const candidates = await this.sql.query<{ messageId: string }>(
      `SELECT c."messageId" FROM "Conversation" c JOIN "DpiMessage" d ON d."direction" = c."direction" AND d."messageId" = c."messageId"
        WHERE c."direction" = 'IN' AND c."channel" = 'DPI' AND c."receiverIdentifier" IN (${list(providers)}) AND c."documentType" IN (${list(letterTypes)})
          AND c."readAt" IS NULL AND ${DUE("d")}
        ORDER BY c."createdAt", c."messageId" LIMIT $2`,
      ...params,
    );
    if (candidates.length === 0) return [];
    // The lease is taken on the DPI row alone, by one conditional UPDATE: a candidate another worker leased (or
    // pushed) in the meantime no longer matches.
    const claim: unknown[] = [now, new Date(now.getTime() + leaseMs)];
    const won = await this.sql.query<{ messageId: string }>(
      `UPDATE "DpiMessage" SET "pushLeaseUntil" = $2 WHERE ${DUE(`"DpiMessage"`)} AND "messageId" IN (${candidates.map((c) => `$${claim.push(c.messageId)}`).join(", ")}) RETURNING "messageId"`,
      ...claim,
    );
    if (won.length === 0) return [];
    const keys: unknown[] = [];
    const rows = await this.sql.query<Conversation>(`SELECT * FROM "Conversation" WHERE "direction" = 'IN' AND "messageId" IN (${won.map((w) => `$${keys.push(w.messageId)}`).join(", ")})`, ...keys);
    const byId = new Map((await this.dpi.joinDpi(rows)).map((r) => [r.messageId, r]));
    return candidates.flatMap(({ messageId }) => byId.get(messageId) ?? []);
  }

  async markPushed(id: string, at: Date): Promise<void> {
    await this.change(id, `"pushedAt" = $2, "nextPushAt" = NULL`, at);
  }

  /** `next` undefined: stop trying (the provider can still poll for it). */
  async failed(id: string, next: Date | undefined): Promise<void> {
    await this.change(id, `"nextPushAt" = $2`, next ?? null);
  }

  /**
   * Drops every push lease. Only for a store one process owns (SQLite): leases found at start-up were left by
   * this process's previous life.
   */
  async releaseAllLeases(): Promise<number> {
    return this.sql.execute(`UPDATE "DpiMessage" SET "pushLeaseUntil" = NULL WHERE "pushLeaseUntil" IS NOT NULL`);
  }

  /** An attempt ended on IN letter `id` ($1): `assignments` (over $2), the lease dropped, one attempt more. */
  private async change(id: string, assignments: string, value: unknown): Promise<void> {
    const changed = await this.sql.execute(
      `UPDATE "DpiMessage" SET ${assignments}, "pushLeaseUntil" = NULL, "pushAttempts" = "pushAttempts" + 1 WHERE "direction" = 'IN' AND "messageId" = $1`,
      id,
      value,
    );
    // As Prisma's update of a row that is not there: the caller holds the letter it pushed.
    if (changed === 0) throw new Error(`no incoming DPI message ${id}`);
  }
}
