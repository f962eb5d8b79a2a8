import { Readable } from "node:stream";
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import { prepareUserMessage, send, type OutboundMessage } from "../as4/outbound.js";
import { generateMessageId } from "../as4/user-message.js";
import { isLetterType, LETTER_TYPES, type DpiMessageType, type DpiProcessId } from "../dpi/document-types.js";
import { DomainError } from "../errors.js";
import type { FeilReceiptIssuer } from "./feil-receipt.js";
import type { Discovery } from "../peppol/discovery.js";
import { dpiDocumentTypeId, dpiProcessId, formatIdentifier, toParticipantId, type StandardSpelling } from "../peppol/identifiers.js";
import { dpiSbdStream } from "../peppol/dpi-sbd.js";
import { peppolSeatIdOf } from "../pki/peppol-certificate.js";
import type { BlobStore } from "../store/blob-store.js";
import type { StoreWrites } from "../store/conversations-repo.js";
import type { DpiConversation, DpiMessagesRepo } from "../store/dpi-messages-repo.js";
import { outboundEvidence } from "../store/exchange-repo.js";
import type { OutboxRepo } from "../store/outbox-repo.js";
import type { As4Identity, SenderTrust } from "./as4-receiver.js";
import { interpretResponse, type SendOutcome } from "./as4-response.js";
import { decideRetry, type RetryPolicy } from "./retry-policy.js";
import { PollingLoop } from "./polling-loop.js";

/**
 * Sends what the outbox holds: for each due message, find the receiver's access point (SML/SMP), wrap the
 * forretningsmelding and dokumentpakke in the Peppol SBDH, send it as a signed and encrypted AS4 UserMessage
 * and judge the synchronous answer. The database is the only state: a worker that dies leaves a lease that
 * runs out, and every retry reuses the AS4 MessageId and SBDH InstanceIdentifier fixed at the first attempt,
 * so the receiver's duplicate detection makes a resend harmless.
 */

export interface OutboxDeps {
  outbox: OutboxRepo;
  /** The DPI rows of what the outbox hands out, and the AS4 state of each attempt. */
  messages: DpiMessagesRepo;
  blobs: BlobStore;
  discovery: Discovery;
  /** Validates the receiving AP's certificate from the SMP before we encrypt to it. */
  receiverTrust: SenderTrust;
  identity: As4Identity;
  spelling: StandardSpelling;
  retry: RetryPolicy;
  timeoutMs: number;
  concurrency: number;
  pollMs: number;
  clock: Clock;
  log: Logger;
  random?: () => number;
  tempDir?: string;
  /** Issues the `feil` receipt corner 1 gets when a letter fails for good; absent, only the status says so. */
  feil?: FeilReceiptIssuer;
  /** Accept http:// AS4 endpoints from the SMP (local test networks only; Peppol requires TLS). */
  allowHttpEndpoints?: boolean;
  /** Counts each attempt's outcome. */
  onOutcome?: (outcome: SendOutcome["kind"]) => void;
  /** How often overdue letters (expectedResponseDateTime passed, no receipt) are looked for. Default 30 s. */
  expirySweepMs?: number;
}

export class OutboxWorker {
  private readonly loop: PollingLoop;
  private nextSweep = 0;

  constructor(private readonly deps: OutboxDeps) {
    this.loop = new PollingLoop({ pollMs: deps.pollMs, pass: () => this.pass(), onError: (err) => deps.log.error({ err }, "outbox pass failed") });
  }

  start(): void {
    this.loop.start();
  }

  /** Finishes the messages in hand, then stops. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Something was queued: look now instead of at the next poll. */
  nudge(): void {
    this.loop.nudge();
  }

  /** A full batch means there may be more waiting; overdue letters are looked for now and then. */
  private async pass(): Promise<boolean> {
    const handled = await this.runOnce();
    if (Date.now() >= this.nextSweep) {
      this.nextSweep = Date.now() + (this.deps.expirySweepMs ?? 30_000);
      await this.sweepExpired();
    }
    return handled >= this.deps.concurrency;
  }

  /** One pass: claims up to `concurrency` due messages and sends them. Returns how many it handled. */
  async runOnce(): Promise<number> {
    const { deps } = this;
    const leaseMs = deps.timeoutMs * 2 + 60_000;
    // A letter whose expectedResponseDateTime has passed is not sent any more: the expiry sweep makes it
    // LEVETID_UTLOPT, whichever retry it was waiting for.
    const claimed = await deps.outbox.claimDue(deps.clock(), leaseMs, deps.concurrency, LETTER_TYPES, ["DPI"]);
    const batch = await deps.messages.joinDpi(claimed);
    await Promise.all(batch.map((m) => this.process(m)));
    return batch.length;
  }

  /** Marks overdue letters LEVETID_UTLOPT; returns how many. */
  async sweepExpired(): Promise<number> {
    const expired = await this.deps.outbox.expireOverdue(this.deps.clock(), LETTER_TYPES);
    for (const m of expired) this.deps.log.warn({ messageId: m.messageId, conversationId: m.conversationId, channel: m.channel, expectedResponseAt: m.expiry }, "no receipt before expectedResponseDateTime: LEVETID_UTLOPT");
    return expired.length;
  }

  private async process(m: DpiConversation): Promise<void> {
    const { deps } = this;
    const log = deps.log.child({ messageId: m.messageId, conversationId: m.conversationId, channel: m.channel, documentType: m.documentType, receiver: m.receiverIdentifier });
    let outcome: SendOutcome;
    let as4MessageId: string | undefined;
    let peer = "";
    let endpointKey: string | undefined;
    let stage: Stage = "lookup";
    try {
      const type = m.documentType as DpiMessageType;
      const process = m.process as DpiProcessId;
      const endpoint = await deps.discovery.lookup(m.receiverIdentifier, type, process);
      stage = "receiver";
      endpointKey = peerKey(endpoint.endpointUrl);
      if (!endpoint.endpointUrl.startsWith("https://") && !deps.allowHttpEndpoints) {
        throw new PermanentFailure(`the SMP publishes ${endpoint.endpointUrl}, but Peppol AS4 requires HTTPS`);
      }
      try {
        peer = (await deps.receiverTrust.validate(endpoint.certificate, deps.clock())).seatId;
      } catch (err) {
        // A revocation outage says nothing about the certificate; anything else refuses it for good.
        if (err instanceof DomainError && err.kind === "unavailable") throw err;
        throw new PermanentFailure(`the receiving access point's certificate from the SMP is not accepted: ${(err as Error).message}`);
      }
      stage = "send";
      as4MessageId = await deps.messages.as4MessageIdFor(m.messageId, generateMessageId(deps.identity.seatId.toLowerCase()));
      const message = await this.prepare(m, type, process, as4MessageId, peer, endpoint.certificate);
      try {
        const attempts = await deps.messages.recordAttempt(m.messageId, message.signedReferences);
        log.info({ as4MessageId, endpoint: endpoint.endpointUrl, to: peer, attempt: m.attempts + 1 }, "sending over AS4");
        const res = await send(endpoint.endpointUrl, message, { headersTimeoutMs: deps.timeoutMs, bodyTimeoutMs: deps.timeoutMs });
        outcome = interpretResponse(res.status, res.contentType, res.body, {
          as4MessageId,
          signedReferences: attempts,
          receiverCertificate: endpoint.certificate,
        });
      } finally {
        await message.dispose();
      }
    } catch (err) {
      outcome = classify(err, stage);
    }
    await this.record(m, outcome, as4MessageId, peer, endpointKey, log);
  }

  private async prepare(m: DpiConversation, type: DpiMessageType, process: DpiProcessId, as4MessageId: string, peer: string, certificate: OutboundPrepareCert): Promise<OutboundMessage> {
    const { deps } = this;
    const documentType = dpiDocumentTypeId(type, deps.spelling);
    const blobs = deps.blobs;
    const payloadKey = m.dpi.payloadKey;
    return prepareUserMessage({
      userMessage: {
        messageId: as4MessageId,
        timestamp: deps.clock(),
        fromPartyId: deps.identity.seatId,
        toPartyId: peer,
        service: { value: dpiProcessId(process).value, type: dpiProcessId(process).scheme },
        action: formatIdentifier(documentType),
        conversationId: m.conversationId,
        originalSender: { value: m.senderIdentifier, type: "iso6523-actorid-upis" },
        finalRecipient: { value: m.receiverIdentifier, type: "iso6523-actorid-upis" },
      },
      payloads: [
        {
          mimeType: "application/xml",
          source: () =>
            dpiSbdStream({
              sender: toParticipantId(m.senderIdentifier),
              receiver: toParticipantId(m.receiverIdentifier),
              messageType: type,
              process,
              // The SBDH instance identifier is the DPI message id, so a resend is recognisably the same document.
              instanceIdentifier: m.messageId,
              createdAt: m.createdAt,
              spelling: deps.spelling,
              forretningsmelding: m.dpi.forretningsmelding,
              ...(payloadKey ? { dokumentpakke: Readable.from(blobs.open(payloadKey)) } : {}),
            }),
        },
      ],
      signer: deps.identity,
      recipientCertificate: certificate,
      ...(deps.tempDir ? { tempDir: { parent: deps.tempDir } } : {}),
    });
  }

  /**
   * `endpoint`: the receiving access point this attempt went to (its normalised AS4 endpoint URL), undefined
   * when the attempt failed before the SMP named one.
   */
  private async record(m: DpiConversation, outcome: SendOutcome, as4MessageId: string | undefined, peer: string, endpoint: string | undefined, log: Logger): Promise<void> {
    const { deps } = this;
    const now = deps.clock();
    deps.onOutcome?.(outcome.kind);
    if (outcome.kind === "delivered") {
      const evidence = { as4MessageId: as4MessageId!, peerPartyId: peer, receiptMessageId: outcome.receiptMessageId, receipt: outcome.receipt };
      await deps.outbox.markSent(m.messageId, now, { also: outboundEvidence(m.messageId, evidence, now) });
      log.info({ as4MessageId, to: peer, receiptMessageId: outcome.receiptMessageId }, "delivered: signed receipt received");
      await this.peerAnswered(endpoint!, now, log);
      return;
    }
    if (outcome.kind === "duplicate") {
      await deps.outbox.markSent(m.messageId, now, { description: `the receiver already had it (${outcome.reason}); no receipt evidence` });
      log.warn({ as4MessageId, to: peer, reason: outcome.reason }, "receiver reports a duplicate: delivered by an earlier attempt");
      await this.peerAnswered(endpoint!, now, log);
      return;
    }
    if (outcome.kind === "retry") {
      const decision = decideRetry(deps.retry, { attemptsMade: m.attempts + 1, acceptedAt: m.createdAt, now, random: deps.random });
      if ("retryAt" in decision) {
        await deps.outbox.scheduleRetry(m.messageId, decision.retryAt, outcome.reason, endpoint ?? null);
        log.warn({ as4MessageId, attempt: m.attempts + 1, retryInMs: decision.retryAt.getTime() - now.getTime(), reason: outcome.reason }, "send failed, will retry");
        return;
      }
      const reason = `${decision.giveUp}: ${outcome.reason}`;
      await deps.outbox.markFailed(m.messageId, now, reason, await this.feilFor(m, reason, log));
      log.error({ as4MessageId, reason }, "send failed for good");
      return;
    }
    await deps.outbox.markFailed(m.messageId, now, outcome.reason, await this.feilFor(m, outcome.reason, log));
    log.error({ as4MessageId, reason: outcome.reason, ebmsCode: outcome.ebmsCode }, "send refused for good");
  }

  /**
   * A send to `endpoint` succeeded, so the access point behind it is back: the messages waiting in back-off for
   * it are due now instead of each at the end of its own delay, and this worker looks for them at once.
   */
  private async peerAnswered(endpoint: string, now: Date, log: Logger): Promise<void> {
    let woken: number;
    try {
      woken = await this.deps.outbox.wakeWaitingFor(endpoint, now);
    } catch (err) {
      // The message itself is recorded; the waiting ones keep their own back-off.
      log.warn({ err, endpoint }, "could not make the messages waiting for this access point due");
      return;
    }
    if (woken === 0) return;
    log.info({ endpoint, messages: woken }, "the receiving access point answers again: its waiting messages are due now");
    this.loop.nudge();
  }

  /** The feil receipt corner 1 gets for a failed letter, committed together with FEILET. */
  private async feilFor(m: DpiConversation, reason: string, log: Logger): Promise<StoreWrites | undefined> {
    if (!this.deps.feil || !isLetterType(m.documentType as DpiMessageType)) return undefined;
    try {
      return await this.deps.feil.operations(m, reason);
    } catch (err) {
      log.error({ err }, "could not sign the feil receipt; the letter is FEILET without one");
      return undefined;
    }
  }
}

type OutboundPrepareCert = Parameters<typeof prepareUserMessage>[0]["recipientCertificate"];

class PermanentFailure extends Error {}

/**
 * Which receiving access point a message waits for: its AS4 endpoint URL, normalised (scheme and host in lower
 * case, default port dropped), since several receivers share one access point and different SMPs may spell
 * its URL differently. The endpoint, not the seat id, because it is what was unreachable, and it is known
 * before the certificate is validated (a revocation outage is retried too).
 */
export function peerKey(endpointUrl: string): string {
  return URL.canParse(endpointUrl) ? new URL(endpointUrl).href : endpointUrl;
}

/** How far an attempt got: the SML/SMP lookup, the receiving access point's certificate, or the AS4 exchange. */
type Stage = "lookup" | "receiver" | "send";

/** How a stage words a failure worth retrying (`unavailable`), and one that is final (any other kind). */
const REASON: Record<Stage, { retry: string; failed: string }> = {
  lookup: { retry: "lookup failed", failed: "lookup" },
  receiver: { retry: "revocation status unavailable", failed: "the receiving access point's certificate from the SMP is not accepted" },
  send: { retry: "connection failed", failed: "cannot be sent" },
};

/**
 * Exceptions before or during the HTTP exchange. A domain error decides by its kind: `unavailable` is tried
 * again, any other kind is final. Anything else is no verdict on the message (a fault of ours, an answer
 * too large to read): it is tried again until the retry policy gives up.
 */
function classify(err: unknown, stage: Stage): SendOutcome {
  if (err instanceof PermanentFailure) return { kind: "failed", reason: err.message };
  if (!(err instanceof DomainError)) return { kind: "retry", reason: `unexpected error: ${err instanceof Error ? err.message : String(err)}` };
  const words = REASON[stage];
  return err.kind === "unavailable" ? { kind: "retry", reason: `${words.retry}: ${err.message}` } : { kind: "failed", reason: `${words.failed}: ${err.message}` };
}
