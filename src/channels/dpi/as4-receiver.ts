import type { MemoryBudget } from "../../as4/temp-files.js";
import type { Readable } from "node:stream";
import type { X509Certificate } from "node:crypto";
import type { Clock } from "../../clock.js";
import type { Logger } from "../../log.js";
import { EbmsError } from "../../as4/ebms-errors.js";
import { receiveUserMessage, type InboundLimits, type ReceivedUserMessage } from "../../as4/inbound.js";
import { spoolOptions } from "./spool-options.js";
import { buildErrorTree, buildReceiptDocument, buildReceiptTree, errorEntryOf } from "../../as4/signal-message.js";
import { generateMessageId } from "../../as4/user-message.js";
import { signEnvelope, type Signer } from "../../as4/wss-sign.js";
import type { Sql } from "../../store/sql.js";
import { DomainError } from "../../errors.js";
import type { RevocationEvidenceUse } from "../../pki/revocation-evidence.js";
import type { ExchangeRepo } from "../../store/exchange-repo.js";
import { conflictDetail, contentDigestOf, type DuplicateDetector, type IncomingExchange } from "./duplicate-detector.js";
import { ebmsErrorOf } from "./ebms-map.js";
import { storedDuplicateDetector } from "./stored-duplicate-detector.js";

/**
 * The AS4 receiving side, independent of what the payload is: receive and verify the UserMessage, check the
 * sender's certificate, register the MessageId with duplicate detection (a resend of the same content by the
 * same access point gets the receipt it already got, without handing the message on again; any other reuse of
 * the MessageId is refused), let the application take the message, and only then answer with a signed
 * non-repudiation receipt. Every failure becomes a signed EBMS error signal, and every refusal is logged with
 * what is known of the message at that point.
 */

export interface As4Identity extends Signer {
  /** Our Peppol seat id (the CN of our AP certificate), the PartyId senders address. */
  seatId: string;
}

/** An access point's certificate that passed: its seat id, and the OCSP/CRL answers it was found not revoked by. */
export interface TrustedAccessPoint {
  seatId: string;
  revocation?: readonly RevocationEvidenceUse[];
}

export interface SenderTrust {
  /** Validates a sending AP's certificate (chain, revocation, Peppol rules); returns its seat id or throws. */
  validate(cert: X509Certificate, at: Date): Promise<TrustedAccessPoint>;
}

/**
 * Stores the receipt as the answer to the message's MessageId, in the transaction given; called by the handler
 * with the message id it stores the message under.
 */
export type AnswerWrites = (tx: Sql, messageId: string | undefined) => Promise<void>;

export interface InboundHandler {
  /**
   * Takes the message for good (commits it) or throws an EbmsError saying why not. Returns the DPI message id.
   * When the handler commits the message in a transaction, it runs `answer` in it, once; when it commits
   * nothing (it has the message already), it leaves `answer` uncalled and the receiver stores the answer itself.
   * `log` is the receiver's logger for this request: the handler's lines about the message carry its request id.
   */
  accept(message: ReceivedUserMessage, sender: TrustedAccessPoint, answer?: AnswerWrites, log?: Logger): Promise<string | undefined>;
}

export interface As4ReceiverDeps {
  identity: As4Identity;
  trust: SenderTrust;
  handler: InboundHandler;
  exchanges: ExchangeRepo;
  /** Duplicate detection; by default kept in `exchanges` (storedDuplicateDetector). */
  duplicates?: DuplicateDetector;
  clock: Clock;
  log: Logger;
  limits?: InboundLimits;
  /** Parent of the AS4 messages' temp directories; the system's temp folder by default. */
  tempDir?: string;
  /** Bytes of one message kept in memory before it spools to files (temp-files.ts); 1 MiB by default, 0 = always files. */
  memorySpoolBytes?: number;
  /** The process's memory budget for spools, shared by sending and receiving (DPI_AP_AS4_MEMORY_SPOOL_TOTAL_BYTES). */
  memorySpoolBudget?: MemoryBudget | undefined;
  /** Counts each answer: "receipt", "duplicate" or the EBMS error code. */
  onAnswer?: (answer: string) => void;
}

/** What the HTTP endpoint knows about the request, for the log lines about it. */
export interface As4RequestInfo {
  remoteAddress?: string | undefined;
  /** deps.log with the request's id (src/api/request-log.ts): every line about this message is logged with it. */
  log?: Logger | undefined;
}

export interface As4Response {
  status: number;
  contentType: string;
  body: Buffer;
}

const SOAP = "application/soap+xml; charset=UTF-8";

/**
 * What is known about a message at the point it is refused, logged with the refusal. The header fields are the
 * sender's claims until the signature is verified; `signer` is the seat id of a certificate we validated.
 */
interface Known {
  remoteAddress?: string;
  as4MessageId?: string;
  conversationId?: string;
  from?: string;
  finalRecipient?: string;
  action?: string;
  signer?: string;
}

export async function receiveAs4(contentType: string | undefined, body: Readable, deps: As4ReceiverDeps, request: As4RequestInfo = {}): Promise<As4Response> {
  const duplicates = deps.duplicates ?? storedDuplicateDetector(deps.exchanges);
  const base = request.log ?? deps.log;
  const known: Known = request.remoteAddress ? { remoteAddress: request.remoteAddress } : {};
  let received: ReceivedUserMessage | undefined;
  try {
    // The sender's certificate is checked before decryption: an untrusted sender costs no decrypt or gunzip.
    let checked: { cert: X509Certificate; sender: TrustedAccessPoint } | undefined;
    received = await receiveUserMessage(contentType, body, {
      decryptionKey: { privateKey: deps.identity.privateKey, certificate: deps.identity.certificate },
      ...(deps.limits ? { limits: deps.limits } : {}),
      tempDir: spoolOptions(deps),
      onUserMessage: (um) => {
        Object.assign(known, { as4MessageId: um.messageId, conversationId: um.conversationId, from: um.fromPartyId, finalRecipient: um.finalRecipient.value, action: um.action });
      },
      checkSigner: async (cert) => {
        checked = { cert, sender: await validateSender(cert, deps) };
        known.signer = checked.sender.seatId;
      },
    });
    const um = received.userMessage;
    const as4Id = um.messageId;
    const sender =
      checked && checked.cert.fingerprint256 === received.signerCertificate.fingerprint256 ? checked.sender : await validateSender(received.signerCertificate, deps);
    known.signer = sender.seatId;
    const log = base.child(known);
    if (sender.seatId !== um.fromPartyId) {
      throw new EbmsError("EBMS:0101", `From PartyId ${um.fromPartyId} is not the signer's seat id ${sender.seatId}`, { refToMessageId: as4Id });
    }
    if (um.toPartyId !== deps.identity.seatId) {
      throw new EbmsError("EBMS:0010", `To PartyId ${um.toPartyId} is not this access point (${deps.identity.seatId})`, { refToMessageId: as4Id });
    }

    const incoming: IncomingExchange = { peer: sender.seatId, as4MessageId: as4Id, contentDigest: contentDigestOf(received.signedReferences) };
    const registration = await duplicates.register(incoming, deps.clock());
    if (registration.kind === "resend") {
      log.info("duplicate AS4 message: answering with the receipt it already got");
      deps.onAnswer?.("duplicate");
      return { status: 200, contentType: SOAP, body: registration.receipt };
    }
    if (registration.kind === "conflict") {
      // EBMS:0004 as phase4 answers a duplicate it refuses: a permanent failure to the sender, which must send
      // its message again under a new MessageId. Not a receipt, and not a code senders read as "delivered".
      const refusal = new EbmsError("EBMS:0004", conflictDetail(registration.reason, as4Id), { refToMessageId: as4Id });
      log.warn({ duplicate: registration.reason, knownPeer: registration.knownPeer, code: refusal.code, detail: refusal.detail }, "AS4 message refused: its MessageId was used before");
      deps.onAnswer?.(refusal.code);
      return { status: 200, contentType: SOAP, body: Buffer.from(errorSignal(refusal, deps), "utf8") };
    }
    if (registration.kind === "in-progress") {
      throw new EbmsError("EBMS:0202", `MessageId ${as4Id} is being processed; try again later`, { refToMessageId: as4Id });
    }

    let messageId: string | undefined;
    let signed: Buffer;
    let receiptId: string;
    let answeredInTransaction = false;
    try {
      // The receipt is signed before the handler takes the message, so that its answer can be stored in the
      // handler's own transaction: the message and the answer every resend gets commit together.
      receiptId = generateMessageId(deps.identity.seatId.toLowerCase());
      const receipt = { messageId: receiptId, timestamp: deps.clock(), refToMessageId: as4Id, references: received.signedInfoReferenceNodes };
      // Without a DOM, unless the sender's references hold nodes only the DOM path copies (comments, CDATA).
      signed = Buffer.from(signEnvelope(buildReceiptTree(receipt) ?? buildReceiptDocument(receipt), deps.identity, []), "utf8");
      const answeredIn = duplicates.answeredIn?.bind(duplicates);
      const answer: AnswerWrites | undefined = answeredIn
        ? async (tx, id) => {
            answeredInTransaction = await answeredIn(tx, incoming, { messageId: id, receiptMessageId: receiptId, receipt: signed }, deps.clock());
          }
        : undefined;

      messageId = await deps.handler.accept(received, sender, answer, base);
    } catch (err) {
      // The handler's EbmsError means it took nothing; anything else may have come after its commit.
      await (err instanceof EbmsError ? duplicates.release(incoming) : duplicates.abandon(incoming, deps.clock())).catch((e: unknown) =>
        log.error({ err: e }, "could not update the duplicate record; its claim runs out by itself"),
      );
      throw err;
    }
    let receipt: Buffer;
    try {
      receipt = answeredInTransaction ? signed : await duplicates.answered(incoming, { messageId, receiptMessageId: receiptId, receipt: signed }, deps.clock());
    } catch (err) {
      // The handler committed: a resend of the same content must reach it again (it dedupes) and get a receipt.
      await duplicates.abandon(incoming, deps.clock()).catch(() => undefined);
      throw err;
    }
    log.info({ messageId }, "AS4 message accepted, receipt returned");
    deps.onAnswer?.("receipt");
    return { status: 200, contentType: SOAP, body: receipt };
  } catch (err) {
    const ebms = err instanceof EbmsError ? err : new EbmsError("EBMS:0202", "the message could not be processed now; try again later", { cause: err });
    const as4Id = known.as4MessageId ?? ebms.refToMessageId;
    const located = as4Id ? ebms.withRefToMessageId(as4Id) : ebms;
    const fields = { ...known, ...(as4Id ? { as4MessageId: as4Id } : {}), code: located.code, detail: located.detail, ...specificDescription(located) };
    if (err instanceof EbmsError) base.warn(fields, "AS4 message refused");
    else base.error({ ...fields, err }, "AS4 message failed");
    deps.onAnswer?.(located.code);
    return { status: 200, contentType: SOAP, body: Buffer.from(errorSignal(located, deps), "utf8") };
  } finally {
    await received?.dispose();
  }
}

/** The error's own explanation when it has one (NOT_SERVICED says there which participant or type is not served). */
function specificDescription(err: EbmsError): { description?: string } {
  return err.description !== err.definition.description ? { description: err.description } : {};
}

async function validateSender(cert: X509Certificate, deps: As4ReceiverDeps): Promise<TrustedAccessPoint> {
  return deps.trust.validate(cert, deps.clock()).catch((err: unknown) => {
    // Our OCSP/CRL outage is no verdict on the sender (EBMS:0202): answer so that it tries again later.
    if (err instanceof DomainError && err.kind === "unavailable") {
      throw ebmsErrorOf(err, `the sender certificate's revocation status cannot be established now: ${err.message}`);
    }
    if (err instanceof DomainError) throw ebmsErrorOf(err, `sender certificate not accepted: ${err.message}`);
    throw new EbmsError("EBMS:0101", `sender certificate not accepted: ${(err as Error).message}`, { cause: err });
  });
}

function errorSignal(err: EbmsError, deps: As4ReceiverDeps): string {
  const tree = buildErrorTree({
    messageId: generateMessageId(deps.identity.seatId.toLowerCase()),
    timestamp: deps.clock(),
    ...(err.refToMessageId ? { refToMessageId: err.refToMessageId } : {}),
    errors: [errorEntryOf(err)],
  });
  return signEnvelope(tree, deps.identity, []);
}
