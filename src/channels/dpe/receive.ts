import { Readable } from "node:stream";
import type { Clock } from "../../clock.js";
import type { Logger } from "../../log.js";
import type { BlobStore } from "../../store/blob-store.js";
import { DuplicateMessageIdError, type ConversationsRepo } from "../../store/conversations-repo.js";
import type { NextMoveInRepo } from "../../store/nextmove-in-repo.js";
import type { DpePayload } from "./payload.js";

/**
 * What DPE does with a message taken off one of our queues, however it was taken (REST or AMQP): a status
 * message registers its status on the conversation it reports on (spec/eformidling.md §7.3); anything else goes
 * into the NextMove inbox with its package, once: a message id seen before is recognised and not stored again.
 * Throws only what is worth trying again (the store); the caller completes the message after it returns.
 */

export interface DpeStoreDeps {
  inbox: NextMoveInRepo;
  conversations: ConversationsRepo;
  blobs: BlobStore;
  clock: Clock;
  log: Logger;
  /** Told after a message was stored (the MOTTATT status message back is owed from here). */
  onReceived?: ((messageId: string) => void) | undefined;
}

/** The statuses a status message may carry onto the sender's conversation. */
const STATUS_MESSAGE_STATUSES = new Set(["MOTTATT", "LEVERT"]);

export async function storeDpeMessage(deps: DpeStoreDeps, p: DpePayload): Promise<void> {
  const id = p.sbd.header.documentIdentification?.instanceIdentifier ?? "";
  const at = deps.clock();
  if (p.sbd.type === "status") {
    const status = (p.sbd.businessMessage as { status?: string }).status ?? "";
    if (!STATUS_MESSAGE_STATUSES.has(status)) {
      deps.log.warn({ messageId: id, status }, "DPE status message with a status it cannot carry: ignored");
      return;
    }
    const decision = await deps.conversations.registerStatus("OUT", id, status, at, { description: "status message from the receiver" });
    deps.log.info({ messageId: id, status, registered: decision?.ok ?? false }, decision ? "DPE status message applied" : "DPE status message for an unknown conversation: ignored");
    return;
  }
  const pakke = p.asic ? await deps.blobs.write(Readable.from([Buffer.from(p.asic)])) : undefined;
  try {
    await deps.inbox.receive({ channel: "DPE", sbd: p.sbd, ...(pakke ? { package: { key: pakke.key, size: pakke.size } } : {}) }, at);
  } catch (err) {
    if (pakke) await deps.blobs.delete(pakke.key);
    if (err instanceof DuplicateMessageIdError) {
      deps.log.info({ messageId: id }, "DPE message received before: completed without a second copy");
      return;
    }
    throw err;
  }
  deps.log.info({ messageId: id, type: p.sbd.type, bytes: pakke?.size ?? 0 }, "DPE message received");
  deps.onReceived?.(id);
}
