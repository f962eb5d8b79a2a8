import type { Clock } from "../clock.js";
import { DomainError } from "../errors.js";
import type { Logger } from "../log.js";
import type { StoredBlob } from "../store/blob-store.js";
import { DuplicateMessageIdError, type StoreWrites } from "../store/conversations-repo.js";
import type { DpiMessagesRepo, FirstLetter, LetterStatusOutcome } from "../store/dpi-messages-repo.js";
import type { RevocationUseRecord } from "../store/revocation-answers-repo.js";
import type { Forretningsmelding } from "./sbd.js";
import { INCOMING_STATUS } from "./status-model.js";
import { messageRecord } from "./message-record.js";
import { answersLetter, receiptStatus } from "./receipt-status.js";

/**
 * Stores a message that arrived for one of our participants (over AS4) so it can be fetched from
 * /messages/in. A receipt is filed under the kanal of the letter that started its conversation, and under
 * that letter's avsenderidentifikator unless the receipt names one itself, so each sender system polls only
 * its own receipts. A receipt also registers the status it stands for (LEVERT, LEST, FEIL) on the outgoing
 * letters here that it answers, in the transaction that stores it (receipt-status.ts); a redelivered receipt
 * is stored and registered once.
 */
export interface IncomingMessage {
  jws: string;
  message: Forretningsmelding;
  dokumentpakke?: StoredBlob | undefined;
  /**
   * For a receipt: the caller's check of the letter that started its conversation (null: none here), run in the
   * transaction that stores the receipt, on the letter as that transaction reads it; it refuses by throwing.
   */
  checkLetter?: ((letter: FirstLetter | null) => void) | undefined;
  /** The OCSP/CRL answers its certificates were found not revoked by, kept with it. */
  revocation?: readonly RevocationUseRecord[] | undefined;
  /** Writes to commit with the message (the AS4 receipt that answers it); not run when it was stored before. */
  also?: StoreWrites | undefined;
}

/**
 * A message id already stored for another message: a redelivery must be the same signed forretningsmelding
 * with the same dokumentpakke, or the second letter would be answered as delivered and silently dropped.
 */
export class IncomingMessageIdConflictError extends DomainError {
  readonly code = "incoming-message-id-conflict";
  readonly kind = "conflict";
  constructor(readonly messageId: string) {
    super(`message id ${messageId} is already used here by another message; send it under a new message id`);
  }
}

/**
 * Returns false when this very message is already stored (a redelivery), true when it was stored now; throws
 * IncomingMessageIdConflictError when its id is stored for another message.
 */
export async function storeIncoming(
  msg: IncomingMessage,
  deps: { repo: DpiMessagesRepo; clock: Clock; log: Logger },
): Promise<boolean> {
  const m = msg.message;
  const recordOf = (original: FirstLetter | null) =>
    messageRecord(m, {
      direction: "IN",
      jws: msg.jws,
      dokumentpakke: msg.dokumentpakke,
      kanal: original?.dpi.kanal ?? undefined,
      avsenderidentifikator: m.motakeridentifikator ?? m.avsenderidentifikator ?? original?.dpi.avsenderidentifikator ?? undefined,
      revocation: msg.revocation,
    });
  const now = deps.clock();
  const answer = receiptStatus(m, msg.jws, now);
  let onLetters: LetterStatusOutcome[] = [];
  try {
    if (m.kind === "receipt") {
      const fromLetter = (letter: FirstLetter | null) => {
        msg.checkLetter?.(letter);
        return recordOf(letter);
      };
      const receipt = { messageId: m.messageId, conversationId: m.conversationId, fromLetter };
      onLetters = await deps.repo.insertReceipt(receipt, INCOMING_STATUS, now, answer && { ...answer, answers: (letter) => answersLetter(m, letter) }, msg.also);
    } else await deps.repo.insert(recordOf(null), INCOMING_STATUS, now, undefined, msg.also);
  } catch (err) {
    if (err instanceof DuplicateMessageIdError) {
      const stored = await deps.repo.get("IN", m.messageId);
      const sha256Hex = msg.dokumentpakke?.sha256.toString("hex") ?? null;
      if (!stored || stored.dpi.forretningsmelding !== msg.jws || stored.dpi.payloadSha256 !== sha256Hex) {
        deps.log.warn({ messageId: m.messageId, conversationId: m.conversationId, storedConversationId: stored?.conversationId }, "incoming message id already used by another message: refused");
        throw new IncomingMessageIdConflictError(m.messageId);
      }
      deps.log.info({ messageId: m.messageId, conversationId: m.conversationId }, "incoming message already stored");
      return false;
    }
    throw err;
  }
  // At debug: the AS4 receiver's "AS4 message accepted, receipt returned" says the same with the AS4 ids, once committed.
  deps.log.debug({ messageId: m.messageId, conversationId: m.conversationId, documentType: m.type, receiver: m.receiver.value }, "incoming message stored");
  if (answer) logLetterStatuses(m, answer.status, onLetters, deps.log);
  return true;
}

/** One line per letter the receipt answers: its status registered, or why not; one line when it answers none here. */
function logLetterStatuses(m: Forretningsmelding, status: string, outcomes: readonly LetterStatusOutcome[], log: Logger): void {
  const about = { receiptId: m.messageId, conversationId: m.conversationId, channel: "DPI", documentType: m.type, status };
  if (outcomes.length === 0) log.info(about, "the receipt answers no letter sent from here: no letter status registered");
  for (const { messageId, decision } of outcomes) {
    if (decision.ok) log.info({ ...about, messageId }, `letter status ${status} registered from the receipt`);
    else log.info({ ...about, messageId, code: decision.code, detail: decision.detail }, `letter status ${status} not registered: ${decision.detail}`);
  }
}
