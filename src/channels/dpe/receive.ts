import { Readable } from "node:stream";
import type { Clock } from "../../clock.js";
import type { Logger } from "../../log.js";
import type { BlobStore } from "../../store/blob-store.js";
import { DuplicateMessageIdError, type ConversationsRepo } from "../../store/conversations-repo.js";
import type { NextMoveInRepo } from "../../store/nextmove-in-repo.js";
import type { StatusReplyRepo } from "../../store/status-reply-repo.js";
import { parties, serialiseSbd } from "../../sbd/index.js";
import { reportsOnOurs } from "../nextmove/reports-on-ours.js";
import { statusMessageFor } from "../nextmove/status-message.js";
import type { DpePayload } from "./payload.js";

/**
 * What DPE does with a message taken off one of our queues, however it was taken (REST or AMQP): a status
 * message from the receiver of one of our messages registers its status on it (spec/eformidling.md §7.3);
 * anything else goes into the NextMove inbox with its package (OPPRETTET, INNKOMMENDE_MOTTATT), once: a message id
 * seen before is recognised and not stored again, and owes its sender the MOTTATT status message (queued again
 * after a duplicate too, as the first arrival may have stopped before it: queuing is idempotent). Throws only
 * what is worth trying again (the store); the caller completes the message after it returns.
 */

export interface DpeStoreDeps {
  inbox: NextMoveInRepo;
  conversations: ConversationsRepo;
  blobs: BlobStore;
  clock: Clock;
  log: Logger;
  /** Where owed status messages are queued; absent: none are sent (tests of the receive path alone). */
  replies?: StatusReplyRepo | undefined;
  /** Told after a message was stored (not again for a copy) and its MOTTATT queued. */
  onReceived?: ((messageId: string) => void) | undefined;
  /**
   * Checks a package on arrival for the receiving organisation: decrypts it with its key and verifies the
   * ASiC-E's signature; throws PackageRefusedError when it cannot. Absent: packages are checked at pop only.
   */
  checkPackage?: ((receiverOrg: string, cms: Uint8Array) => Promise<void>) | undefined;
}

/** A package that cannot be opened or verified here: the sender is told FEIL and the message is not kept. */
export class PackageRefusedError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = "PackageRefusedError";
  }
}

/** stored: in the inbox (or applied, or a copy recognised); refused: its package was refused and the sender told. */
export type DpeStoreOutcome = "stored" | "refused";

/** The statuses a status message may carry onto the sender's conversation (FEIL: the receiver refused the package). */
const STATUS_MESSAGE_STATUSES = new Set(["MOTTATT", "LEVERT", "FEIL"]);

export async function storeDpeMessage(deps: DpeStoreDeps, p: DpePayload): Promise<DpeStoreOutcome> {
  const id = p.sbd.header.documentIdentification?.instanceIdentifier ?? "";
  const at = deps.clock();
  if (p.sbd.type === "status") {
    const status = (p.sbd.businessMessage as { status?: string }).status ?? "";
    if (!STATUS_MESSAGE_STATUSES.has(status)) {
      deps.log.warn({ messageId: id, status }, "DPE status message with a status it cannot carry: ignored");
      return "stored";
    }
    // Only the receiver of our message may report on it.
    const from = parties(p.sbd).senderPrimary;
    if (!from || !(await reportsOnOurs(deps.conversations, id, from))) {
      deps.log.warn({ messageId: id, status, from }, "DPE status message about no message of ours to its sender: ignored");
      return "stored";
    }
    const decision = await deps.conversations.registerStatus("OUT", id, status, at, { description: "status message from the receiver" });
    deps.log.info({ messageId: id, status, registered: decision?.ok ?? false }, "DPE status message applied");
    return "stored";
  }
  const receiverOrg = parties(p.sbd).receiver ?? "";
  if (p.asic && deps.checkPackage) {
    try {
      await deps.checkPackage(receiverOrg, p.asic);
    } catch (err) {
      if (!(err instanceof PackageRefusedError)) throw err;
      deps.log.error({ messageId: id, receiver: receiverOrg, reason: err.message }, "DPE package refused on arrival: the sender is told FEIL");
      const feil = statusMessageFor(p.sbd, "FEIL", at);
      await deps.replies?.queue({ channel: "DPE", messageId: id, status: "FEIL", sbd: serialiseSbd(feil) }, at);
      deps.onReceived?.(id);
      return "refused";
    }
  }
  const pakke = p.asic ? await deps.blobs.write(Readable.from([Buffer.from(p.asic)])) : undefined;
  let fresh = true;
  try {
    await deps.inbox.receive({ channel: "DPE", sbd: p.sbd, registerCreated: true, ...(pakke ? { package: { key: pakke.key, size: pakke.size } } : {}) }, at);
    deps.log.info({ messageId: id, type: p.sbd.type, bytes: pakke?.size ?? 0 }, "DPE message received");
  } catch (err) {
    if (pakke) await deps.blobs.delete(pakke.key);
    if (!(err instanceof DuplicateMessageIdError)) throw err;
    deps.log.info({ messageId: id }, "DPE message received before: completed without a second copy");
    fresh = false;
  }
  await deps.replies?.queue({ channel: "DPE", messageId: id, status: "MOTTATT", sbd: serialiseSbd(statusMessageFor(p.sbd, "MOTTATT", at)) }, at);
  if (fresh) deps.onReceived?.(id);
  return "stored";
}
