import type { Db } from "./prisma.js";

/** AS4 exchanges we received: the receipt we answered, to answer a retried MessageId identically. */
export class ExchangeRepo {
  constructor(private readonly db: Db) {}

  async receiptFor(as4MessageId: string): Promise<Buffer | undefined> {
    const row = await this.db.as4Exchange.findUnique({ where: { direction_as4MessageId: { direction: "IN", as4MessageId } }, select: { receipt: true } });
    return row?.receipt ? Buffer.from(row.receipt) : undefined;
  }

  async saveInbound(e: { as4MessageId: string; messageId: string | undefined; peerPartyId: string; receiptMessageId: string; receipt: Buffer; at: Date }): Promise<void> {
    await this.db.as4Exchange.upsert({
      where: { direction_as4MessageId: { direction: "IN", as4MessageId: e.as4MessageId } },
      create: { as4MessageId: e.as4MessageId, direction: "IN", messageId: e.messageId ?? null, peerPartyId: e.peerPartyId, receiptMessageId: e.receiptMessageId, receipt: new Uint8Array(e.receipt), createdAt: e.at },
      update: {},
    });
  }

  async evidenceFor(messageId: string) {
    return this.db.as4Exchange.findMany({ where: { messageId }, orderBy: { createdAt: "asc" } });
  }
}
