import type { Message } from "./generated/client.js";
import type { Db } from "./prisma.js";

/**
 * Letters waiting to be pushed to a provider's webhook: unread IN letters for the given providers that were
 * neither pushed nor given up. A letter never tried is due at once; a failed one at its nextPushAt.
 */
export class PushRepo {
  constructor(private readonly db: Db) {}

  async due(now: Date, providers: readonly string[], letterTypes: readonly string[], limit: number): Promise<Message[]> {
    return this.db.message.findMany({
      where: {
        direction: "IN",
        receiverOrg: { in: [...providers] },
        documentType: { in: [...letterTypes] },
        readAt: null,
        pushedAt: null,
        OR: [{ nextPushAt: { lte: now } }, { nextPushAt: null, pushAttempts: 0 }],
      },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      take: limit,
    });
  }

  async markPushed(id: string, at: Date): Promise<void> {
    await this.db.message.update({ where: inbound(id), data: { pushedAt: at, nextPushAt: null, pushAttempts: { increment: 1 } } });
  }

  /** `next` undefined: stop trying (the provider can still poll for it). */
  async failed(id: string, next: Date | undefined): Promise<void> {
    await this.db.message.update({ where: inbound(id), data: { nextPushAt: next ?? null, pushAttempts: { increment: 1 } } });
  }
}

const inbound = (id: string) => ({ direction_id: { direction: "IN", id } });
