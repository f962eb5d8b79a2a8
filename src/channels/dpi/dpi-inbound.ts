import { PassThrough } from "node:stream";
import type { Clock } from "../../clock.js";
import type { Logger } from "../../log.js";
import { EbmsError } from "../../as4/ebms-errors.js";
import type { ReceivedUserMessage } from "../../as4/inbound.js";
import { storeIncoming } from "../../dpi/incoming.js";
import { isLetterType, processAllowsMessageType, type DpiMessageType, type DpiProcessId } from "../../dpi/document-types.js";
import type { VerifiedForretningsmelding } from "../../dpi/signed-forretningsmelding.js";
import { DomainError } from "../../errors.js";
import { dpiProcessId, parseDocumentTypeId, readDpiDocumentTypeId, sameParticipant, toParticipantId, type ParticipantSet } from "../../peppol/identifiers.js";
import { readDpiSbd, type DpiSbd } from "../../peppol/dpi-sbd.js";
import type { BlobStore, StoredBlob } from "../../store/blob-store.js";
import type { DpiMessagesRepo, FirstLetter } from "../../store/dpi-messages-repo.js";
import { revocationRecords } from "../../store/revocation-answers-repo.js";
import type { AnswerWrites, InboundHandler, TrustedAccessPoint } from "./as4-receiver.js";
import type { Sql } from "../../store/sql.js";
import { ebmsErrorOf } from "./ebms-map.js";

/**
 * What a DPI access point does with an AS4 UserMessage once the AS4 layer has verified it: read the Peppol
 * SBDH, make sure the AS4 header, the SBDH and the signed forretningsmelding all tell the same story, refuse
 * participants and document types we do not serve (PEPPOL:NOT_SERVICED), and commit the message with its
 * dokumentpakke to the store before the receipt goes out. Corner 3 receives letters this way, corner 2 receipts.
 */

export interface DpiInboundDeps {
  servedParticipants: Pick<ParticipantSet, "has">;
  /** Served participants that take letters (providers); the rest take only receipts for their own letters. */
  letterRecipients: Pick<ParticipantSet, "has">;
  /** `log`: the logger of the request being served, for the soft-fail revocation warning. */
  verifyForretningsmelding(jws: string, log?: Logger): Promise<VerifiedForretningsmelding>;
  repo: DpiMessagesRepo;
  blobs: BlobStore;
  maxDokumentpakkeBytes: number;
  clock: Clock;
  log: Logger;
  /** Told after a new message was stored (the push worker wakes up). */
  onStored?: () => void;
}

const XML_TYPES = new Set(["application/xml", "text/xml"]);

export function createDpiInboundHandler(deps: DpiInboundDeps): InboundHandler {
  return {
    async accept(received, sender, answer, log) {
      try {
        // The receiver's logger for this request: the lines about the message (storeIncoming's) carry its id.
        return await acceptDpi(received, sender, log ? { ...deps, log } : deps, answer);
      } catch (err) {
        // A domain error no check caught (a malformed identifier in the header) is answered by the AS4 table.
        if (err instanceof DomainError) throw ebmsErrorOf(err, `${err.code}: ${err.message}`, { refToMessageId: received.userMessage.messageId });
        throw err;
      }
    },
  };
}

async function acceptDpi(received: ReceivedUserMessage, sender: TrustedAccessPoint, deps: DpiInboundDeps, answer: AnswerWrites | undefined): Promise<string> {
  const um = received.userMessage;
  const ref = { refToMessageId: um.messageId };
  const other = (detail: string) => new EbmsError("EBMS:0004", detail, ref);

  if (!deps.servedParticipants.has(um.finalRecipient.value)) throw EbmsError.notServiced(um.messageId, `${um.finalRecipient.value} is not served here`);
  const action = readDpiDocumentTypeId(parseDocumentTypeId(um.action));
  // Every NOT_SERVICED description names the participant: it is what the sender's operator looks up first.
  if (!action) throw EbmsError.notServiced(um.messageId, `${um.finalRecipient.value} is not served here for document type ${um.action}: not a DPI document type`);
  if (isLetterType(action.type) && !deps.letterRecipients.has(um.finalRecipient.value)) {
    throw EbmsError.notServiced(um.messageId, `${um.finalRecipient.value} takes no letters here`);
  }
  if (received.payloads.length !== 1) throw other(`a DPI message carries exactly one payload (the SBD), got ${received.payloads.length}`);
  const payload = received.payloads[0]!;
  if (!XML_TYPES.has(payload.mimeType.toLowerCase())) throw other(`the SBD payload must be application/xml, got ${payload.mimeType}`);

  const sink = new PassThrough();
  // Receipts carry no dokumentpakke: then no file is made at all.
  const blobWrite = deps.blobs.writeIfAny(sink, deps.maxDokumentpakkeBytes).then(
    (b) => ({ ok: true as const, blob: b }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  let sbd: DpiSbd;
  try {
    // The payload store digests what it writes: the reader need not hash the same bytes again. A payload read from
    // a file (decompressed as it is read, or not) comes in fresh buffers the reader may decode into; one held in
    // memory comes as it is held.
    sbd = await readDpiSbd(payload.content.createReadStream(), {
      sink,
      maxDokumentpakkeBytes: deps.maxDokumentpakkeBytes,
      digest: false,
      overwriteChunks: payload.content.path !== undefined,
    });
  } catch (err) {
    sink.destroy();
    const w = await blobWrite;
    if (w.ok && w.blob) await deps.blobs.delete(w.blob.key);
    // The AS4 layer's own refusal while the payload is read (a large one is decompressed as it is: EBMS:0303).
    if (err instanceof EbmsError) throw err.withRefToMessageId(um.messageId);
    if (err instanceof DomainError) throw ebmsErrorOf(err, `SBDH: ${err.message}`, ref);
    throw other(`SBDH: ${(err as Error).message}`);
  }
  const written = await blobWrite;
  if (!written.ok) throw new EbmsError("EBMS:0202", `could not store the dokumentpakke: ${(written.err as Error).message}`, { ...ref, cause: written.err });
  const blob: StoredBlob | undefined = sbd.dokumentpakke ? written.blob : undefined;
  if (!blob && written.blob) await deps.blobs.delete(written.blob.key);
  try {
    const messageId = await check(received, sender, sbd, blob, deps, answer);
    return messageId;
  } catch (err) {
    if (blob) await deps.blobs.delete(blob.key);
    throw err;
  }
}

async function check(
  received: ReceivedUserMessage,
  sender: TrustedAccessPoint,
  sbd: DpiSbd,
  blob: StoredBlob | undefined,
  deps: DpiInboundDeps,
  answer: AnswerWrites | undefined,
): Promise<string> {
  const um = received.userMessage;
  const ref = { refToMessageId: um.messageId };
  const other = (detail: string) => new EbmsError("EBMS:0004", detail, ref);
  const h = sbd.header;
  if (!sameParticipant(toParticipantId(um.originalSender.value), h.sender)) throw other(`originalSender ${um.originalSender.value} is not the SBDH sender ${h.sender.value}`);
  if (!sameParticipant(toParticipantId(um.finalRecipient.value), h.receiver)) throw other(`finalRecipient ${um.finalRecipient.value} is not the SBDH receiver ${h.receiver.value}`);
  const action = readDpiDocumentTypeId(parseDocumentTypeId(um.action))!;
  if (action.type !== sbd.messageType) throw other(`Action names ${action.type} but the SBDH carries ${sbd.messageType}`);
  if (um.service.value !== dpiProcessId(sbd.process).value) throw other(`Service ${um.service.value} is not the SBDH process ${sbd.process}`);

  let verified: VerifiedForretningsmelding;
  try {
    verified = await deps.verifyForretningsmelding(sbd.forretningsmelding, deps.log);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    // An OCSP/CRL outage on our side is no verdict on the letter: the sender should try again later.
    throw ebmsErrorOf(err, `forretningsmelding: ${err.code}: ${err.message}${err.kind === "unavailable" ? "; try again later" : ""}`, ref);
  }
  const m = verified.message;
  if (m.type !== sbd.messageType) throw other(`the forretningsmelding is a ${m.type}, the SBDH says ${sbd.messageType}`);
  if (!sameParticipant(m.sender.value, h.sender) || !sameParticipant(m.receiver.value, h.receiver)) {
    throw other("the forretningsmelding's sender and receiver are not those of the Peppol SBDH");
  }
  if (!sameParticipant(verified.signerOrg, m.sender.value)) throw other(`the forretningsmelding is signed by ${verified.signerOrg}, not its sender ${m.sender.value}`);
  // A receipt is checked against the letter it answers in the transaction that stores it (storeIncoming).
  const checkLetter = m.kind === "receipt" ? (letter: FirstLetter | null) => checkAnswersOurLetter(m, letter, other) : undefined;
  if (m.kind === "letter") {
    // The SHA-256 the payload store computed over exactly the bytes the SBD reader decoded into it.
    const expected = Buffer.from(m.dokumentpakkefingeravtrykk!.digestValue, "base64");
    if (!blob || !blob.sha256.equals(expected)) throw other("the dokumentpakke does not match dokumentpakkefingeravtrykk");
  }
  // What the sending access point's certificate and the forretningsmelding's were found not revoked by.
  const revocation = [...revocationRecords(sender.revocation, "as4-peer"), ...revocationRecords(verified.revocation, "forretningsmelding")];
  const also = answer && ((tx: Sql) => answer(tx, m.messageId));
  const stored = await storeIncoming({ jws: verified.jws, message: m, dokumentpakke: blob, revocation, also, checkLetter }, deps).catch(async (err: unknown) => {
    if (!(err instanceof DomainError)) throw err;
    if (blob) await deps.blobs.delete(blob.key);
    throw ebmsErrorOf(err, err.message, ref);
  });
  if (!stored && blob) await deps.blobs.delete(blob.key);
  if (stored) deps.onStored?.();
  return m.messageId;
}

/**
 * A receipt must answer a letter this access point sent: from the provider the letter went to, to the
 * letter's sender, of a type the letter's process has. Anything else would let any access point mark other
 * organisations' letters delivered or read.
 */
function checkAnswersOurLetter(m: VerifiedForretningsmelding["message"], letter: FirstLetter | null, other: (detail: string) => EbmsError): void {
  if (!letter || !isLetterType(letter.documentType as DpiMessageType)) throw other(`no letter in conversation ${m.conversationId} was sent from here`);
  if (!sameParticipant(m.sender.value, letter.receiverIdentifier) || !sameParticipant(m.receiver.value, letter.senderIdentifier)) {
    throw other(`a receipt in conversation ${m.conversationId} must come from ${letter.receiverIdentifier} to ${letter.senderIdentifier}`);
  }
  if (!processAllowsMessageType(letter.process as DpiProcessId, m.type)) throw other(`a ${m.type} does not answer a ${letter.documentType} letter`);
  // The receipt reports to the behandlingsansvarlig: who may read it at corner 2 follows from this field.
  if (!m.mottaker || !sameParticipant(m.mottaker.value, letter.dpi.avsenderOrg)) {
    throw other(`a receipt in conversation ${m.conversationId} must name the letter's avsender ${letter.dpi.avsenderOrg} as mottaker`);
  }
}
