import type { ConversationsRepo } from "../../store/conversations-repo.js";
import { parseIso6523, sameNorwegianOrganisation } from "../../sbd/index.js";

/**
 * Whether `sender` may report on our outgoing message `messageId` (a status message, a kvittering): only the
 * organisation we sent it to may. False when we sent no such message.
 */
export async function reportsOnOurs(conversations: ConversationsRepo, messageId: string, sender: string): Promise<boolean> {
  const c = await conversations.get("OUT", messageId);
  if (!c) return false;
  const receiver = parseIso6523(c.receiverIdentifier)?.organizationIdentifier;
  return receiver !== undefined && sameNorwegianOrganisation(receiver, sender);
}
