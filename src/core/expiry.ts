import type { Logger } from "../log.js";
import type { OutboxRepo } from "../store/outbox-repo.js";

/**
 * Expiry supervision: an outgoing conversation of an expiring document type whose expiry passed with no answer
 * in its conversation gets LEVETID_UTLOPT (and leaves the outbox if it was still waiting to be sent). Which
 * document types expire is the channels' word (OutboundChannel.expiringDocumentTypes); the rule is the core's.
 */
export async function sweepExpired(outbox: OutboxRepo, now: Date, expiringDocumentTypes: readonly string[], log: Logger): Promise<number> {
  if (expiringDocumentTypes.length === 0) return 0;
  const expired = await outbox.expireOverdue(now, expiringDocumentTypes);
  for (const m of expired) log.warn({ messageId: m.messageId, conversationId: m.conversationId, channel: m.channel, expectedResponseAt: m.expiry }, "no receipt before expectedResponseDateTime: LEVETID_UTLOPT");
  return expired.length;
}
