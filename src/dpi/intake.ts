import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import { DomainError } from "../errors.js";
import type { BlobStore, StoredBlob } from "../store/blob-store.js";
import { DuplicateMessageIdError } from "../store/conversations-repo.js";
import { normaliseKanal, type DpiConversation, type DpiMessagesRepo } from "../store/dpi-messages-repo.js";
import { revocationRecords } from "../store/revocation-answers-repo.js";
import { verifyFingerprint, parseEnvelopedData, parseEnvelopedDataFrom } from "./dokumentpakke.js";
import { messageRecord } from "./message-record.js";
import { isLetterType, processAllowsMessageType, type DpiMessageType, type DpiProcessId } from "./document-types.js";
import type { VerifiedForretningsmelding } from "./signed-forretningsmelding.js";
import { sameParticipant, type ParticipantSet } from "../peppol/identifiers.js";

/**
 * Corner-2 intake (and corner-3 receipt intake, which is the same API): every check a submission to
 * POST /messages/out must pass before it is persisted as OPPRETTET. The order goes from cheap and
 * unauthenticated to expensive, and authorisation failures are reported before content failures that would
 * reveal nothing new.
 *
 * Resubmission is idempotent: a business system whose connection broke after sending cannot know whether we
 * took the message, and Digdir's client treats any non-5xx error as final. So the same caller sending the same
 * message again (byte-identical forretningsmelding, same dokumentpakke) gets the answer it missed: 201 with the
 * body it would have had, status OPPRETTET (the answer describes the acceptance, not the message's progress,
 * which GET /messages/out/{id}/statuses reports). Anything else under a used id is 409 message-id-used, which
 * tells another caller nothing about the message it collided with.
 */

export interface IntakeCaller {
  token: string;
  consumer: string;
  supplier?: string | undefined;
}

export interface IntakeRequest {
  forretningsmelding: string;
  dokumentpakke?: StoredBlob | undefined;
  /**
   * The stored dokumentpakke's bytes, when the caller still holds them (a small one kept on its way to the
   * store): the same bytes the store digested, so its structure is checked from them instead of the store.
   */
  dokumentpakkeBytes?: Uint8Array | undefined;
  kanal?: string | undefined;
  caller: IntakeCaller;
}

export interface AcceptedMessage {
  id: string;
  conversationId: string;
  documentType: string;
  status: string;
}

/** The status every accepted message starts with, and the one its 201 answer reports. */
const ACCEPTED_STATUS = "OPPRETTET";

export interface IntakeDeps {
  /** `log`: the logger of the request being served, for the soft-fail revocation warning. */
  verifyForretningsmelding(jws: string, log?: Logger): Promise<VerifiedForretningsmelding>;
  servedParticipants: Pick<ParticipantSet, "has">;
  repo: DpiMessagesRepo;
  blobs: BlobStore;
  clock: Clock;
  log: Logger;
  /** Told after each accepted message (the outbox worker wakes up, metrics count it). */
  onAccepted?: (documentType: string) => void;
}

export class SignerNotSenderError extends DomainError {
  readonly code = "signer-not-sender";
  readonly kind = "forbidden";
  constructor(signer: string, sender: string) {
    super(`the forretningsmelding is signed by ${signer} but the SBDH sender is ${sender}`);
  }
}
export class SenderNotServedError extends DomainError {
  readonly code = "sender-not-served";
  readonly kind = "forbidden";
  constructor(sender: string) {
    super(`${sender} is not a participant of this access point`);
  }
}
export class ConsumerNotAvsenderError extends DomainError {
  readonly code = "consumer-not-avsender";
  readonly kind = "forbidden";
  constructor(consumer: string, avsender: string) {
    super(`the token was issued for ${consumer} but the avsender is ${avsender}`);
  }
}
export class SupplierNotSenderError extends DomainError {
  readonly code = "supplier-not-sender";
  readonly kind = "forbidden";
  constructor(supplier: string | undefined, sender: string) {
    super(
      supplier
        ? `the token's supplier is ${supplier} but the SBDH sender is ${sender}`
        : `the SBDH sender ${sender} sends on behalf of the avsender, so the token must be delegated to it (supplier claim)`,
    );
  }
}
export class MaskinportentokenMismatchError extends DomainError {
  readonly code = "maskinportentoken-mismatch";
  readonly kind = "forbidden";
  constructor() {
    super("the maskinportentoken in the forretningsmelding is not the bearer token of this request");
  }
}
export class DokumentpakkeMissingError extends DomainError {
  readonly code = "dokumentpakke-missing";
  readonly kind = "invalid";
  constructor(type: string) {
    super(`a ${type} message needs the dokumentpakke part`);
  }
}
export class DokumentpakkeUnexpectedError extends DomainError {
  readonly code = "dokumentpakke-unexpected";
  readonly kind = "invalid";
  constructor(type: string) {
    super(`a ${type} message carries no dokumentpakke`);
  }
}
export class ConversationUnknownError extends DomainError {
  readonly code = "conversation-unknown";
  readonly kind = "invalid";
  constructor(conversationId: string, sender: string) {
    super(`no letter to ${sender} in conversation ${conversationId} arrived here, so there is nothing to answer`);
  }
}
export class ReceiptMismatchError extends DomainError {
  readonly code = "receipt-mismatch";
  readonly kind = "invalid";
  constructor(detail: string) {
    super(detail);
  }
}
export class MessageIdUsedError extends DomainError {
  readonly code = "message-id-used";
  readonly kind = "conflict";
  constructor(id: string) {
    super(`message id ${id} has been used before`);
  }
}

export async function acceptOutgoing(req: IntakeRequest, deps: IntakeDeps): Promise<AcceptedMessage> {
  const keep = req.dokumentpakke;
  try {
    return await check(req, deps);
  } catch (err) {
    if (keep) await deps.blobs.delete(keep.key);
    throw err;
  }
}

async function check(req: IntakeRequest, deps: IntakeDeps): Promise<AcceptedMessage> {
  const verified = await deps.verifyForretningsmelding(req.forretningsmelding, deps.log);
  const m = verified.message;
  const sender = m.sender.value;
  const avsender = m.avsender.value;
  if (!sameParticipant(verified.signerOrg, sender)) throw new SignerNotSenderError(verified.signerOrg, sender);
  if (!deps.servedParticipants.has(sender)) throw new SenderNotServedError(sender);
  if (!sameParticipant(req.caller.consumer, avsender)) throw new ConsumerNotAvsenderError(req.caller.consumer, avsender);
  const delegated = !sameParticipant(sender, avsender);
  if ((delegated || req.caller.supplier !== undefined) && !sameOptional(req.caller.supplier, sender)) {
    throw new SupplierNotSenderError(req.caller.supplier, sender);
  }
  // Before the maskinportentoken check: a retry may come with a fresh token, but the stored letter was
  // bound to the one it was sent with, so the same caller's identical letter is answered, not refused.
  const used = await deps.repo.get("OUT", m.messageId);
  if (used) return resubmitted(used, verified, req, deps);
  if (m.kind === "letter" && m.maskinportentoken !== req.caller.token) throw new MaskinportentokenMismatchError();

  const pakke = req.dokumentpakke;
  if (m.kind === "letter") {
    if (!pakke) throw new DokumentpakkeMissingError(m.type);
    verifyFingerprint(pakke.sha256, m.dokumentpakkefingeravtrykk!);
    if (req.dokumentpakkeBytes) {
      if (req.dokumentpakkeBytes.byteLength !== pakke.size) throw new Error(`the dokumentpakke in hand has ${req.dokumentpakkeBytes.byteLength} bytes, the stored one ${pakke.size}`);
      parseEnvelopedData(req.dokumentpakkeBytes);
    } else {
      // Reads only the structure around the encrypted content, never the package whole: memory per request
      // stays a small constant however large the package and however many arrive at once.
      const stored = await deps.blobs.openRandomAccess(pakke.key);
      try {
        await parseEnvelopedDataFrom(stored);
      } finally {
        await stored.close();
      }
    }
  } else {
    if (pakke) throw new DokumentpakkeUnexpectedError(m.type);
    // A provider answers letters it received through us: the receipt goes back the way the letter came.
    const letter = (await deps.repo.partiesOf(m.conversationId, "IN")).find((l) => sameParticipant(l.receiverIdentifier, sender) && isLetterType(l.documentType as DpiMessageType));
    if (!letter) throw new ConversationUnknownError(m.conversationId, sender);
    if (!sameParticipant(m.receiver.value, letter.senderIdentifier)) throw new ReceiptMismatchError(`the receipt must go back to the letter's sender ${letter.senderIdentifier}, not ${m.receiver.value}`);
    if (!processAllowsMessageType(letter.process as DpiProcessId, m.type)) throw new ReceiptMismatchError(`a ${m.type} does not answer a ${letter.documentType} letter`);
  }

  const at = deps.clock();
  try {
    await deps.repo.insert(
      messageRecord(m, { direction: "OUT", jws: verified.jws, dokumentpakke: pakke, kanal: req.kanal, enqueue: true, revocation: revocationRecords(verified.revocation, "forretningsmelding") }),
      ACCEPTED_STATUS,
      at,
    );
  } catch (err) {
    if (err instanceof DuplicateMessageIdError) {
      // Another request with this id was stored since the look-up above (e.g. a retry racing its original).
      const winner = await deps.repo.get("OUT", m.messageId);
      if (winner) return resubmitted(winner, verified, req, deps);
      throw new MessageIdUsedError(m.messageId);
    }
    throw err;
  }
  deps.log.info({ messageId: m.messageId, conversationId: m.conversationId, documentType: m.type, sender, avsender, kanal: req.kanal }, "message accepted");
  deps.onAccepted?.(m.type);
  return acceptedAnswer(verified);
}

function acceptedAnswer(verified: VerifiedForretningsmelding): AcceptedMessage {
  const m = verified.message;
  return { id: m.messageId, conversationId: m.conversationId, documentType: m.type, status: ACCEPTED_STATUS };
}

/**
 * The message id is taken by `stored`. The same caller sending the same message again gets the original
 * answer, and the dokumentpakke it uploaded again is dropped (the stored one is the same bytes); anything else
 * is a conflict.
 */
async function resubmitted(stored: DpiConversation, verified: VerifiedForretningsmelding, req: IntakeRequest, deps: IntakeDeps): Promise<AcceptedMessage> {
  // The kanal decides where the receipts are filed: a resubmission under another kanal is another request.
  const sameKanal = stored.dpi.kanal === normaliseKanal(req.kanal);
  const same = stored.dpi.forretningsmelding === verified.jws && sameCaller(stored, req.caller) && samePayload(stored, req.dokumentpakke) && sameKanal;
  if (!same) throw new MessageIdUsedError(verified.message.messageId);
  if (req.dokumentpakke) await deps.blobs.delete(req.dokumentpakke.key);
  const m = verified.message;
  deps.log.info({ messageId: m.messageId, conversationId: m.conversationId, documentType: m.type, status: stored.status }, "message resubmitted: the original answer is repeated");
  return acceptedAnswer(verified);
}

/**
 * The caller that sent `stored`: the token spoke for its avsender, and through the same databehandler
 * (supplier) or, when the avsender sent it itself, through none or itself. A byte-identical
 * forretningsmelding that passed the checks above implies this; it is said here so that a message is never
 * answered to anyone else, whatever the checks above become.
 */
function sameCaller(stored: DpiConversation, caller: IntakeCaller): boolean {
  if (!sameParticipant(caller.consumer, stored.dpi.avsenderOrg)) return false;
  if (stored.dpi.databehandlerOrg !== null) return sameOptional(caller.supplier, stored.dpi.databehandlerOrg);
  return caller.supplier === undefined || sameParticipant(caller.supplier, stored.senderIdentifier);
}

/** An absent participant (no supplier claim) is the same as nothing. */
function sameOptional(a: string | undefined, b: string): boolean {
  return a !== undefined && sameParticipant(a, b);
}

function samePayload(stored: DpiConversation, pakke: StoredBlob | undefined): boolean {
  if (!pakke) return stored.dpi.payloadSha256 === null;
  return stored.dpi.payloadSha256 === pakke.sha256.toString("hex") && stored.dpi.payloadSize === pakke.size;
}
