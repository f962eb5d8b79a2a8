import { withDpi, type DpiConversation } from "./dpi-messages-repo.js";
import type { Db } from "./prisma.js";

const inbound = (messageId: string) => ({ direction_messageId: { direction: "IN", messageId } });

/**
 * DPI letters waiting to be pushed to a provider's webhook: unread IN letters for the given providers that were
 * neither pushed nor given up. A letter never tried is due at once; a failed one at its nextPushAt.
 */
export class PushRepo {
  constructor(private readonly db: Db) {}

  async due(now: Date, providers: readonly string[], letterTypes: readonly string[], limit: number): Promise<DpiConversation[]> {
    const rows = await this.db.conversation.findMany({
      where: {
        direction: "IN",
        channel: "DPI",
        receiverIdentifier: { in: [...providers] },
        documentType: { in: [...letterTypes] },
        readAt: null,
        dpi: { is: { pushedAt: null, OR: [{ nextPushAt: { lte: now } }, { nextPushAt: null, pushAttempts: 0 }] } },
      },
      include: { dpi: true },
      orderBy: [{ createdAt: "asc" }, { messageId: "asc" }],
      take: limit,
    });
    return rows.map(withDpi);
  }

  async markPushed(id: string, at: Date): Promise<void> {
    await this.db.dpiMessage.update({ where: inbound(id), data: { pushedAt: at, nextPushAt: null, pushAttempts: { increment: 1 } } });
  }

  /** `next` undefined: stop trying (the provider can still poll for it). */
  async failed(id: string, next: Date | undefined): Promise<void> {
    await this.db.dpiMessage.update({ where: inbound(id), data: { nextPushAt: next ?? null, pushAttempts: { increment: 1 } } });
  }
}
