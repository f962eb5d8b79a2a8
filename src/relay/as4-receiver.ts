import type { Readable } from "node:stream";
import type { X509Certificate } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import { EbmsError } from "../as4/ebms-errors.js";
import { receiveUserMessage, type InboundLimits, type ReceivedUserMessage } from "../as4/inbound.js";
import { buildErrorEnvelope, buildReceiptEnvelope, errorEntryOf } from "../as4/signal-message.js";
import { generateMessageId } from "../as4/user-message.js";
import { signEnvelope, type Signer } from "../as4/wss-sign.js";
import type { ExchangeRepo } from "../store/exchange-repo.js";
import { isRevocationUnavailable } from "../pki/revocation.js";

/**
 * The AS4 receiving side, independent of what the payload is: receive and verify the UserMessage, check the
 * sender's certificate, answer a retried MessageId with the receipt it already got (without handing the
 * message on again), let the application take the message, and only then answer with a signed
 * non-repudiation receipt. Every failure becomes a signed EBMS error signal.
 */

export interface As4Identity extends Signer {
  /** Our Peppol seat id (the CN of our AP certificate), the PartyId senders address. */
  seatId: string;
}

export interface SenderTrust {
  /** Validates a sending AP's certificate (chain, revocation, Peppol rules); returns its seat id or throws. */
  validate(cert: X509Certificate, at: Date): Promise<{ seatId: string }>;
}

export interface InboundHandler {
  /** Takes the message for good (commits it) or throws an EbmsError saying why not. Returns the DPI message id. */
  accept(message: ReceivedUserMessage, sender: { seatId: string }): Promise<string | undefined>;
}

export interface As4ReceiverDeps {
  identity: As4Identity;
  trust: SenderTrust;
  handler: InboundHandler;
  exchanges: ExchangeRepo;
  clock: Clock;
  log: Logger;
  limits?: InboundLimits;
  tempDir?: string;
  /** Counts each answer: "receipt", "duplicate" or the EBMS error code. */
  onAnswer?: (answer: string) => void;
}

export interface As4Response {
  status: number;
  contentType: string;
  body: Buffer;
}

const SOAP = "application/soap+xml; charset=UTF-8";

export async function receiveAs4(contentType: string | undefined, body: Readable, deps: As4ReceiverDeps): Promise<As4Response> {
  let received: ReceivedUserMessage | undefined;
  let as4Id: string | undefined;
  try {
    // The sender's certificate is checked before decryption: an untrusted sender costs no decrypt or gunzip.
    let checked: { cert: X509Certificate; seatId: string } | undefined;
    received = await receiveUserMessage(contentType, body, {
      decryptionKey: { privateKey: deps.identity.privateKey, certificate: deps.identity.certificate },
      ...(deps.limits ? { limits: deps.limits } : {}),
      ...(deps.tempDir ? { tempDir: { parent: deps.tempDir } } : {}),
      checkSigner: async (cert) => {
        checked = { cert, seatId: (await validateSender(cert, deps)).seatId };
      },
    });
    const um = received.userMessage;
    as4Id = um.messageId;
    const log = deps.log.child({ as4MessageId: as4Id, conversationId: um.conversationId, from: um.fromPartyId });
    const sender =
      checked && checked.cert.fingerprint256 === received.signerCertificate.fingerprint256
        ? { seatId: checked.seatId }
        : await validateSender(received.signerCertificate, deps);
    if (sender.seatId !== um.fromPartyId) {
      throw new EbmsError("EBMS:0101", `From PartyId ${um.fromPartyId} is not the signer's seat id ${sender.seatId}`, { refToMessageId: as4Id });
    }
    if (um.toPartyId !== deps.identity.seatId) {
      throw new EbmsError("EBMS:0010", `To PartyId ${um.toPartyId} is not this access point (${deps.identity.seatId})`, { refToMessageId: as4Id });
    }
    const earlier = await deps.exchanges.receiptFor(as4Id);
    if (earlier) {
      log.info("duplicate AS4 message: answering with the receipt it already got");
      deps.onAnswer?.("duplicate");
      return { status: 200, contentType: SOAP, body: earlier };
    }
    const messageId = await deps.handler.accept(received, sender);
    const receiptId = generateMessageId(deps.identity.seatId.toLowerCase());
    const receipt = Buffer.from(
      signEnvelope(
        buildReceiptEnvelope({ messageId: receiptId, timestamp: deps.clock(), refToMessageId: as4Id, references: received.signedInfoReferenceNodes }),
        deps.identity,
        [],
      ),
      "utf8",
    );
    await deps.exchanges.saveInbound({ as4MessageId: as4Id, messageId, peerPartyId: sender.seatId, receiptMessageId: receiptId, receipt, at: deps.clock() });
    log.info({ messageId }, "AS4 message accepted, receipt returned");
    deps.onAnswer?.("receipt");
    return { status: 200, contentType: SOAP, body: receipt };
  } catch (err) {
    const ebms = err instanceof EbmsError ? err : new EbmsError("EBMS:0202", "the message could not be processed now; try again later", { cause: err });
    const located = as4Id ? ebms.withRefToMessageId(as4Id) : ebms;
    if (err instanceof EbmsError) deps.log.warn({ as4MessageId: located.refToMessageId, code: located.code, detail: located.detail }, "AS4 message refused");
    else deps.log.error({ err, as4MessageId: as4Id }, "AS4 message failed");
    deps.onAnswer?.(located.code);
    return { status: 200, contentType: SOAP, body: Buffer.from(errorSignal(located, deps), "utf8") };
  } finally {
    await received?.dispose();
  }
}

async function validateSender(cert: X509Certificate, deps: As4ReceiverDeps): Promise<{ seatId: string }> {
  return deps.trust.validate(cert, deps.clock()).catch((err: unknown) => {
    // Our OCSP/CRL outage is no verdict on the sender: answer so that it tries again later.
    if (isRevocationUnavailable(err)) throw new EbmsError("EBMS:0202", `the sender certificate's revocation status cannot be established now: ${(err as Error).message}`, { cause: err });
    throw new EbmsError("EBMS:0101", `sender certificate not accepted: ${(err as Error).message}`, { cause: err });
  });
}

function errorSignal(err: EbmsError, deps: As4ReceiverDeps): string {
  const xml = buildErrorEnvelope({
    messageId: generateMessageId(deps.identity.seatId.toLowerCase()),
    timestamp: deps.clock(),
    ...(err.refToMessageId ? { refToMessageId: err.refToMessageId } : {}),
    errors: [errorEntryOf(err)],
  });
  return signEnvelope(xml, deps.identity, []);
}
