import { DEFAULT_MEMORY_SPOOL_BYTES, type MemoryBudget } from "../../as4/temp-files.js";
import type { Clock } from "../../clock.js";
import type { Logger } from "../../log.js";
import { prepareUserMessage, send, type OutboundMessage, type PayloadWriter } from "../../as4/outbound.js";
import { generateMessageId } from "../../as4/user-message.js";
import { isLetterType, LETTER_TYPES, type DpiMessageType, type DpiProcessId } from "../../dpi/document-types.js";
import { DomainError } from "../../errors.js";
import type { FeilReceiptIssuer } from "./feil-receipt.js";
import type { Discovery } from "../../peppol/discovery.js";
import { dpiDocumentTypeId, dpiProcessId, formatIdentifier, toParticipantId, type StandardSpelling } from "../../peppol/identifiers.js";
import { checkedParts, dpiSbdBytes, emptyDokumentpakkeError, type DpiSbdInput } from "../../peppol/dpi-sbd.js";
import type { BlobStore } from "../../store/blob-store.js";
import type { StoreWrites } from "../../store/conversations-repo.js";
import type { DpiConversation, DpiMessagesRepo } from "../../store/dpi-messages-repo.js";
import type { Conversation } from "../../store/generated/client.js";
import { outboundEvidence } from "../../store/exchange-repo.js";
import { revocationRecords, type RevocationUseRecord } from "../../store/revocation-answers-repo.js";
import { spoolOptions } from "./spool-options.js";
import type { As4Identity, SenderTrust } from "./as4-receiver.js";
import { interpretResponse, type SendOutcome as As4Outcome } from "./as4-response.js";
import type { OutboundChannel, RouteRecord, Router, SendContext, SendOutcome } from "../../core/channel.js";
import type { SmpEndpoint } from "../../peppol/smp-client.js";
import { createDpiRouter } from "../../routing/dpi.js";

/**
 * DPI's outbound channel: for each due message the core's outbox hands it, find the receiver's access point (SML/SMP), wrap the
 * forretningsmelding and dokumentpakke in the Peppol SBDH, send it as a signed and encrypted AS4 UserMessage
 * and judge the synchronous answer. The database is the only state: a worker that dies leaves a lease that
 * runs out, and every retry reuses the AS4 MessageId and SBDH InstanceIdentifier fixed at the first attempt,
 * so the receiver's duplicate detection makes a resend harmless.
 */

/** What the DPI channel needs (the outbox's own settings are the core's: src/core/outbox.ts). */
export interface DpiOutboundDeps {
  /** The DPI rows of what the outbox hands out, and the AS4 state of each attempt. */
  messages: DpiMessagesRepo;
  blobs: BlobStore;
  discovery: Discovery;
  /** Validates the receiving AP's certificate from the SMP before we encrypt to it. */
  receiverTrust: SenderTrust;
  identity: As4Identity;
  spelling: StandardSpelling;
  timeoutMs: number;
  clock: Clock;
  log: Logger;
  /** Parent of the AS4 messages' temp directories; the system's temp folder by default. */
  tempDir?: string;
  /** Bytes of one message kept in memory before it spools to files (temp-files.ts); 1 MiB by default, 0 = always files. */
  memorySpoolBytes?: number;
  /** The process's memory budget for spools, shared by sending and receiving (DPI_AP_AS4_MEMORY_SPOOL_TOTAL_BYTES). */
  memorySpoolBudget?: MemoryBudget | undefined;
  /** Issues the `feil` receipt corner 1 gets when a letter fails for good; absent, only the status says so. */
  feil?: FeilReceiptIssuer;
  /** Accept http:// AS4 endpoints from the SMP (local test networks only; Peppol requires TLS). */
  allowHttpEndpoints?: boolean;
  /** Counts each attempt's outcome. */
  onOutcome?: (outcome: As4Outcome["kind"]) => void;
}

/** DPI behind the core's OutboundChannel: SML/SMP lookup, the receiver's certificate, the AS4 exchange. */
export class DpiOutboundChannel implements OutboundChannel<DpiConversation> {
  readonly channel = "DPI" as const;
  readonly expiringDocumentTypes = LETTER_TYPES;
  /** Digdir's DPI API calls a failed letter FEILET. */
  readonly failedStatus = "FEILET";

  /** Where the receiver's access point is: SML/SMP through the routing seam. */
  private readonly router: Router<SmpEndpoint>;

  constructor(private readonly deps: DpiOutboundDeps) {
    this.router = createDpiRouter(deps.discovery);
  }

  load(claimed: readonly Conversation[]): Promise<DpiConversation[]> {
    return this.deps.messages.joinDpi(claimed);
  }

  async send(m: DpiConversation, ctx: SendContext): Promise<SendOutcome> {
    const { deps } = this;
    const log = ctx.log;
    let outcome: As4Outcome;
    let as4MessageId: string | undefined;
    let peer = "";
    let peerRevocation: RevocationUseRecord[] = [];
    let endpointKey: string | undefined;
    let routedBy: RouteRecord | undefined;
    let stage: Stage = "lookup";
    try {
      const type = m.documentType as DpiMessageType;
      const process = m.process as DpiProcessId;
      const { endpoint, record } = await this.router.route({ receiver: m.receiverIdentifier, process, documentType: type });
      routedBy = record;
      stage = "receiver";
      endpointKey = peerKey(endpoint.endpointUrl);
      if (!endpoint.endpointUrl.startsWith("https://") && !deps.allowHttpEndpoints) {
        throw new PermanentFailure(`the SMP publishes ${endpoint.endpointUrl}, but Peppol AS4 requires HTTPS`);
      }
      try {
        const trusted = await deps.receiverTrust.validate(endpoint.certificate, deps.clock());
        peer = trusted.seatId;
        peerRevocation = revocationRecords(trusted.revocation, "as4-peer");
      } catch (err) {
        // A revocation outage says nothing about the certificate; anything else refuses it for good.
        if (err instanceof DomainError && err.kind === "unavailable") throw err;
        throw new PermanentFailure(`the receiving access point's certificate from the SMP is not accepted: ${(err as Error).message}`);
      }
      stage = "send";
      // The MessageId an earlier attempt fixed, or a new one, fixed with this attempt's record before it goes out.
      as4MessageId = m.dpi.as4MessageId ?? generateMessageId(deps.identity.seatId.toLowerCase());
      let message = await this.prepare(m, type, process, as4MessageId, peer, endpoint.certificate);
      try {
        // Committed before the message goes out: a crash after sending leaves its MessageId and references known.
        let recorded = await deps.messages.recordAttempt(m.messageId, as4MessageId, message.signedReferences, m.dpi);
        if (recorded.attempts === undefined) {
          // Another attempt fixed a MessageId since this one read the letter: the message is built again with it.
          await message.dispose();
          as4MessageId = recorded.fixed;
          message = await this.prepare(m, type, process, as4MessageId, peer, endpoint.certificate);
          recorded = await deps.messages.recordAttempt(m.messageId, as4MessageId, message.signedReferences);
        }
        const attempts = recorded.attempts;
        if (attempts === undefined) throw new Error(`the AS4 MessageId of ${m.messageId} changed while it was being sent`);
        log.debug({ as4MessageId, endpoint: endpoint.endpointUrl, to: peer, attempt: ctx.attempt }, "sending over AS4");
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
    deps.onOutcome?.(outcome.kind);
    const core = this.toCore(m, outcome, as4MessageId, { seatId: peer, revocation: peerRevocation }, endpointKey);
    return routedBy ? { ...core, routedBy } : core;
  }

  /**
   * The AS4 verdict as the core's outcome. `endpoint`: the receiving access point this attempt went to (its
   * normalised AS4 endpoint URL), undefined when the attempt failed before the SMP named one. `to`: the receiving
   * access point's seat id and the OCSP/CRL answers its certificate was found not revoked by in this attempt.
   */
  private toCore(m: DpiConversation, outcome: As4Outcome, as4MessageId: string | undefined, to: { seatId: string; revocation: RevocationUseRecord[] }, endpoint: string | undefined): SendOutcome {
    const now = this.deps.clock();
    const peer = to.seatId;
    switch (outcome.kind) {
      case "delivered": {
        const evidence = { as4MessageId: as4MessageId!, peerPartyId: peer, receiptMessageId: outcome.receiptMessageId, receipt: outcome.receipt, revocation: to.revocation };
        return { kind: "delivered", also: outboundEvidence(m.messageId, evidence, now), peer: endpoint, log: { as4MessageId, to: peer, receiptMessageId: outcome.receiptMessageId } };
      }
      case "duplicate":
        return { kind: "delivered", description: `the receiver already had it (${outcome.reason}); no receipt evidence`, peer: endpoint, log: { as4MessageId, to: peer } };
      case "retry":
        return { kind: "retry", reason: outcome.reason, peer: endpoint, log: { as4MessageId } };
      case "failed":
        // The feil receipt comes from failureWrites, which the outbox calls when it records FEILET (after it).
        return { kind: "failed", reason: outcome.reason, code: outcome.ebmsCode, peer: endpoint, log: { as4MessageId } };
    }
  }

  failureWrites(m: DpiConversation, reason: string): Promise<StoreWrites | undefined> {
    return this.feilFor(m, reason, this.deps.log.child({ messageId: m.messageId, conversationId: m.conversationId }));
  }

  private async prepare(m: DpiConversation, type: DpiMessageType, process: DpiProcessId, as4MessageId: string, peer: string, certificate: OutboundPrepareCert): Promise<OutboundMessage> {
    const { deps } = this;
    const documentType = dpiDocumentTypeId(type, deps.spelling);
    const sbd: Omit<DpiSbdInput, "dokumentpakke"> = {
      sender: toParticipantId(m.senderIdentifier),
      receiver: toParticipantId(m.receiverIdentifier),
      messageType: type,
      process,
      // The SBDH instance identifier is the DPI message id, so a resend is recognisably the same document.
      instanceIdentifier: m.messageId,
      createdAt: m.createdAt,
      spelling: deps.spelling,
      forretningsmelding: m.dpi.forretningsmelding,
    };
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
      payloads: [{ mimeType: "application/xml", source: await this.sbdSource(sbd, m.dpi) }],
      signer: deps.identity,
      recipientCertificate: certificate,
      tempDir: spoolOptions(deps),
    });
  }

  /**
   * The SBD in memory when its dokumentpakke fits the message's memory spool (a receipt has none), so the AS4
   * layer seals it without streams; otherwise, or when the blob cannot be read whole, a stream that reads the
   * blob piece by piece (and fails as it always did when the blob is missing).
   */
  private async sbdSource(sbd: Omit<DpiSbdInput, "dokumentpakke">, dpi: DpiConversation["dpi"]): Promise<Buffer | PayloadWriter> {
    const { blobs } = this.deps;
    const key = dpi.payloadKey;
    if (!key) return dpiSbdBytes(sbd);
    const memory = this.deps.memorySpoolBytes ?? DEFAULT_MEMORY_SPOOL_BYTES;
    // A payload known to be large is read in large pieces (see OpenOptions); the stream is iterated directly.
    const chunkBytes = dpi.payloadSize !== null && dpi.payloadSize >= LARGE_READ_BYTES ? LARGE_READ_BYTES : undefined;
    const streamed = sbdWriter(sbd, () => blobs.open(key, chunkBytes !== undefined ? { chunkBytes } : {}));
    if (dpi.payloadSize === null || base64Length(dpi.payloadSize) > memory) return streamed;
    const pakke = await blobs.read(key).catch(() => undefined);
    return pakke === undefined ? streamed : dpiSbdBytes({ ...sbd, dokumentpakke: pakke });
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


/** How long the outbox leases a DPI message: two AS4 timeouts (headers and body) and a minute to spare. */
export function dpiLeaseMs(timeoutMs: number): number {
  return timeoutMs * 2 + 60_000;
}

const base64Length = (bytes: number): number => Math.ceil(bytes / 3) * 4;

/**
 * {@link dpiSbdStream}'s bytes (the same checks and errors) for the AS4 layer to write into gzip: the dokumentpakke
 * is read from the store and handed over as whole 3-byte groups for the AS4 layer to base64 and code at once
 * (`writeBase64Of`), through two buffers used in turn, one filled while the other is read, instead of a new buffer
 * per piece (each a little more work for V8's collector); the last, padded group is written as text.
 */
export function sbdWriter(sbd: Omit<DpiSbdInput, "dokumentpakke">, open: () => AsyncIterable<Uint8Array>): PayloadWriter {
  return {
    async writeTo(write, writeBase64Of) {
      const { head, tail } = checkedParts({ ...sbd, dokumentpakke: open });
      await write(Buffer.from(head, "utf8"));
      const buffers: Buffer[] = [];
      let turn = 0;
      let size = 0;
      // The 0–2 bytes after the last whole group so far; they go in front of the next piece.
      let carry: Buffer = NO_BYTES;
      // The piece being read; the next is filled into the other buffer meanwhile.
      let reading: Promise<void> | undefined;
      const next = async (piece: Buffer, to: (piece: Buffer) => Promise<void>): Promise<void> => {
        if (reading !== undefined) await reading;
        reading = undefined;
        if (piece.length === 0) return;
        reading = to(piece);
        // Awaited before the next write or at the end; a failure meanwhile is not an unhandled rejection.
        reading.catch(() => {});
      };
      for await (const chunk of open()) {
        if (!(chunk instanceof Uint8Array)) throw new TypeError("dokumentpakke streams must yield bytes, not strings");
        size += chunk.length;
        const total = carry.length + chunk.length;
        const whole = total - (total % 3);
        const used = whole - carry.length;
        if (whole === 0) {
          carry = Buffer.concat([carry, chunk]);
          continue;
        }
        let into = buffers[turn];
        if (into === undefined || into.length < whole) into = buffers[turn] = Buffer.allocUnsafe(whole);
        turn ^= 1;
        carry.copy(into, 0);
        into.set(chunk.subarray(0, used), carry.length);
        // Copied: the store may reuse the chunk's buffer.
        carry = Buffer.from(chunk.subarray(used));
        await next(into.subarray(0, whole), writeBase64Of);
      }
      await next(Buffer.from(carry.toString("base64"), "latin1"), write);
      if (reading !== undefined) await reading;
      if (size === 0) throw emptyDokumentpakkeError();
      await write(Buffer.from(tail, "utf8"));
    },
  };
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Read piece for a dokumentpakke of at least this size (256 KiB): a quarter of the read calls of Node's 64 KiB. As
 * the spools' reads (temp-files.ts): 1 MiB pieces took no less CPU and left 15–25 MiB more resident memory.
 */
const LARGE_READ_BYTES = 256 * 1024;

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
function classify(err: unknown, stage: Stage): As4Outcome {
  if (err instanceof PermanentFailure) return { kind: "failed", reason: err.message };
  if (!(err instanceof DomainError)) return { kind: "retry", reason: `unexpected error: ${err instanceof Error ? err.message : String(err)}` };
  const words = REASON[stage];
  return err.kind === "unavailable" ? { kind: "retry", reason: `${words.retry}: ${err.message}` } : { kind: "failed", reason: `${words.failed}: ${err.message}` };
}
