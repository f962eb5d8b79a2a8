import type { Prisma } from "./generated/client.js";
import { withDpi, type DpiConversation } from "./dpi-messages-repo.js";
import type { Db } from "./prisma.js";

const inbound = (messageId: string) => ({ direction_messageId: { direction: "IN", messageId } });

/**
 * DPI letters waiting to be pushed to a provider's webhook: unread IN letters for the given providers that were
 * neither pushed nor given up. A letter never tried is due at once; a failed one at its nextPushAt. Workers
 * claim them with a lease (pushLeaseUntil) by one conditional update, like the outbox, so processes sharing a
 * PostgreSQL store never push the same letter at once, and a lease left by a dead worker runs out.
 */
export class PushRepo {
  constructor(private readonly db: Db) {}

  /** Claims up to `limit` due letters for `leaseMs`; returns the ones this caller won, oldest first. */
  async claimDue(now: Date, leaseMs: number, providers: readonly string[], letterTypes: readonly string[], limit: number): Promise<DpiConversation[]> {
    const due: Prisma.DpiMessageWhereInput = {
      direction: "IN",
      pushedAt: null,
      AND: [
        { OR: [{ nextPushAt: { lte: now } }, { nextPushAt: null, pushAttempts: 0 }] },
        { OR: [{ pushLeaseUntil: null }, { pushLeaseUntil: { lt: now } }] },
      ],
    };
    const candidates = await this.db.conversation.findMany({
      where: { direction: "IN", channel: "DPI", receiverIdentifier: { in: [...providers] }, documentType: { in: [...letterTypes] }, readAt: null, dpi: { is: due } },
      orderBy: [{ createdAt: "asc" }, { messageId: "asc" }],
      take: limit,
      select: { messageId: true },
    });
    if (candidates.length === 0) return [];
    // The lease is taken on the DPI row alone, by one conditional UPDATE: a candidate another worker leased (or
    // pushed) in the meantime no longer matches.
    const won = await this.db.dpiMessage.updateManyAndReturn({
      where: { ...due, messageId: { in: candidates.map((c) => c.messageId) } },
      data: { pushLeaseUntil: new Date(now.getTime() + leaseMs) },
      select: { messageId: true },
    });
    if (won.length === 0) return [];
    const rows = await this.db.conversation.findMany({ where: { direction: "IN", messageId: { in: won.map((w) => w.messageId) } }, include: { dpi: true } });
    const byId = new Map(rows.map((r) => [r.messageId, withDpi(r)]));
    return candidates.flatMap(({ messageId }) => byId.get(messageId) ?? []);
  }

  async markPushed(id: string, at: Date): Promise<void> {
    await this.db.dpiMessage.update({ where: inbound(id), data: { pushedAt: at, nextPushAt: null, pushLeaseUntil: null, pushAttempts: { increment: 1 } } });
  }

  /** `next` undefined: stop trying (the provider can still poll for it). */
  async failed(id: string, next: Date | undefined): Promise<void> {
    await this.db.dpiMessage.update({ where: inbound(id), data: { nextPushAt: next ?? null, pushLeaseUntil: null, pushAttempts: { increment: 1 } } });
  }

  /**
   * Drops every push lease. Only for a store one process owns (SQLite): leases found at start-up were left by
   * this process's previous life.
   */
  async releaseAllLeases(): Promise<number> {
    return (await this.db.dpiMessage.updateMany({ where: { pushLeaseUntil: { not: null } }, data: { pushLeaseUntil: null } })).count;
  }
}
