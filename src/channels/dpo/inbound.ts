/**
 * DPO's inbound side (spec/eformidling.md §3, §7.3; [IP] DefaultDpoPolling, AltinnDPODownloadService,
 * NextMoveQueueImpl, AltinnNextMoveMessageHandler): every poll interval, for each of our organisations, the
 * broker's published transfers it has not confirmed, filtered on the message channel, oldest first; each is
 * downloaded, handed over, and only then its download confirmed, so a crash in between means a second download,
 * which the inbox discards as a duplicate. What arrives:
 *   - a status message (MOTTATT, LEVERT) updates our outgoing conversation with its messageId;
 *   - anything else enters the NextMove inbox (OPPRETTET, INNKOMMENDE_MOTTATT) and owes the sender a MOTTATT
 *     status message; an arkivmelding_kvittering also gives our outgoing message LEST, or FEIL for ERROR and
 *     NOTSUPPORTED;
 *   - a file that is no DPO package is confirmed and dropped, as the integrasjonspunkt does.
 * A second loop sends the owed status messages (StatusReplyRepo), retrying while the broker is away.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { InboundSource } from "../../core/channel.js";
import { PollingLoop } from "../../core/polling-loop.js";
import type { ExclusivePass } from "../../core/worker-lease.js";
import { StatusReplySender } from "../nextmove/status-replies.js";
import { reportsOnOurs } from "../nextmove/reports-on-ours.js";
import type { RetryPolicy } from "../../core/retry-policy.js";
import type { Clock } from "../../clock.js";
import type { Logger } from "../../log.js";
import { conversationId, isStatus, messageId, parseIso6523, parseSbdJson, parties, sameNorwegianOrganisation, serialiseSbd, type StandardBusinessDocument } from "../../sbd/index.js";
import type { BlobStore } from "../../store/blob-store.js";
import { DuplicateMessageIdError, latestStatusIn } from "../../store/conversations-repo.js";
import type { NextMoveInRepo } from "../../store/nextmove-in-repo.js";
import type { StatusReplyRepo } from "../../store/status-reply-repo.js";
import type { BrokerClient, FileTransferOverview } from "./broker-client.js";
import { BrokerRefusedError, BrokerUnavailableError } from "./broker-errors.js";
import { DpoPackageError, readDpoPackage } from "./package.js";
import type { DpoSender } from "./sender.js";
import { errorReceiptFor, statusMessageFor, type ReplyStatus } from "../nextmove/status-message.js";
import { randomUUID } from "node:crypto";

export const DPO_MAX_BYTES = 1024 * 1024 * 1024;
/** sendersFileTransferReference values that are another integrasjonspunkt's message channel, not a message UUID. */
const CHANNEL_REFERENCE = /^[a-zA-Z0-9-_]{0,25}$/;

export interface DpoInboundDeps {
  orgs: readonly string[];
  broker: BrokerClient;
  sender: DpoSender;
  resourceId: string;
  /** Our message channel (difi.move.dpo.message-channel): only transfers with this reference are ours. */
  messageChannel?: string | undefined;
  inRepo: NextMoveInRepo;
  replies: StatusReplyRepo;
  blobs: BlobStore;
  clock: Clock;
  log: Logger;
  pollMs: number;
  /** How often owed status messages are looked for (they are also sent right after they are queued here). */
  replyPollMs: number;
  retry: RetryPolicy;
  maxBytes?: number | undefined;
  /**
   * Hand-overs of one file that may fail in a row (in this process) before it is dead-lettered: confirmed, logged,
   * and an arkivmelding answered with an error receipt (default 5).
   */
  maxHandOverAttempts?: number | undefined;
  /** Several instances on one database: the broker is polled once per interval across them. */
  exclusive?: ExclusivePass | undefined;
}

export interface DpoInbound extends InboundSource {
  /** One pass over the broker (tests). */
  pollOnce(): Promise<void>;
  /** One pass over the owed status messages (tests). */
  sendRepliesOnce(): Promise<void>;
  /** Wakes the status-message sender (after a delete queued a LEVERT). */
  nudgeReplies(): void;
}

export function createDpoInbound(d: DpoInboundDeps): DpoInbound {
  const log = d.log.child({ channel: "DPO", worker: "dpo-inbound" });
  const maxBytes = d.maxBytes ?? DPO_MAX_BYTES;
  const maxAttempts = d.maxHandOverAttempts ?? 5;
  /** fileTransferId → hand-overs that failed in a row. */
  const failures = new Map<string, number>();

  function ours(t: FileTransferOverview): boolean {
    const ref = t.sendersFileTransferReference ?? "";
    return d.messageChannel ? ref === d.messageChannel : !CHANNEL_REFERENCE.test(ref);
  }

  async function pollOnce(): Promise<void> {
    for (const org of d.orgs) {
      // Besides what is new (Initialized, the integrasjonspunkt's filter), what we downloaded without confirming
      // (DownloadStarted: a crash or a failed hand-over in between), which the integrasjonspunkt would never see again.
      const ids = [
        ...(await d.broker.list(org, { resourceId: d.resourceId, status: "Published", recipientStatus: "Initialized" })),
        ...(await d.broker.list(org, { resourceId: d.resourceId, status: "Published", recipientStatus: "DownloadStarted" })),
      ];
      const transfers: FileTransferOverview[] = [];
      for (const id of ids) {
        try {
          transfers.push(await d.broker.overview(org, id));
        } catch (e) {
          if (!(e instanceof BrokerRefusedError)) throw e;
          log.warn({ org, fileTransferId: id, err: e.message }, "file transfer listed but not readable; skipped");
        }
      }
      const mine = transfers.filter(ours).sort((a, b) => a.created.localeCompare(b.created));
      for (const t of mine) await take(org, t);
    }
  }

  async function take(org: string, t: FileTransferOverview): Promise<void> {
    const id = t.fileTransferId;
    const bytes = await d.broker.download(org, id, maxBytes);
    // What the broker vouches for: bytes that differ were damaged on the way; left unconfirmed, tried again next poll.
    const md5 = createHash("md5").update(bytes).digest("hex");
    if (t.checksum && t.checksum.toLowerCase() !== md5) {
      log.warn({ org, fileTransferId: id, checksum: t.checksum, downloaded: md5 }, "downloaded file does not match the broker's checksum; left for the next poll");
      return;
    }
    let sbd: StandardBusinessDocument;
    let asic: Uint8Array | undefined;
    try {
      ({ sbd, asic } = readDpoPackage(bytes, maxBytes));
      if (!messageId(sbd) || !conversationId(sbd)) throw new DpoPackageError("the SBD has no messageId or conversationId");
    } catch (e) {
      if (!(e instanceof DpoPackageError)) throw e;
      log.warn({ org, fileTransferId: id, err: e.message }, "broker file is no DPO message; confirmed and dropped");
      await d.broker.confirmDownload(org, id);
      return;
    }
    const ids = { messageId: messageId(sbd), conversationId: conversationId(sbd), fileTransferId: id, documentType: sbd.type };
    // The broker vouches for who uploaded the file (its token's organisation); the SBD only says who sent it.
    const uploader = parseIso6523(t.sender ?? "")?.organizationIdentifier;
    const sender = parties(sbd).senderPrimary;
    if (!uploader || !sender || !sameNorwegianOrganisation(uploader, sender)) {
      log.warn({ ...ids, org, uploader: t.sender, sbdSender: sender }, "the SBD's sender is not who uploaded the file; confirmed and dropped");
      await d.broker.confirmDownload(org, id);
      return;
    }
    try {
      await handOver(org, id, sbd, asic, sender, ids);
      failures.delete(id);
    } catch (e) {
      if (e instanceof BrokerUnavailableError) throw e;
      const attempts = (failures.get(id) ?? 0) + 1;
      const err = e instanceof Error ? e.message : String(e);
      if (attempts < maxAttempts) {
        failures.set(id, attempts);
        log.error({ ...ids, org, attempts, err }, "hand-over failed; left unconfirmed for the next poll");
        return;
      }
      failures.delete(id);
      await deadLetter(org, id, sbd, err, ids);
    }
  }

  /**
   * The receiver's dead-letter handling: a message that could not be handed over `maxAttempts` times in a row is
   * given up. An arkivmelding is answered with an error receipt so its sender sees FEIL with the reason instead of
   * waiting for LEVETID_UTLOPT (the seed; Digdir's roadmap issue 68); the file is confirmed so it stops coming back.
   */
  async function deadLetter(org: string, id: string, sbd: StandardBusinessDocument, err: string, ids: Record<string, unknown>): Promise<void> {
    const now = d.clock();
    if (sbd.type === "arkivmelding") {
      const reason = `the receiver could not take the message in: ${err}`;
      await d.replies.queue({ channel: "DPO", messageId: messageId(sbd)!, status: "FEIL", sbd: serialiseSbd(errorReceiptFor(sbd, { messageId: randomUUID(), reason, now, code: "DEAD_LETTER" })) }, now);
      replies.nudge();
    }
    await d.broker.confirmDownload(org, id);
    log.error({ ...ids, org, attempts: maxAttempts, err, errorReceipt: sbd.type === "arkivmelding" }, "message dead-lettered: confirmed and given up");
  }

  async function handOver(org: string, id: string, sbd: StandardBusinessDocument, asic: Uint8Array | undefined, sender: string, ids: Record<string, unknown>): Promise<void> {
    const now = d.clock();
    if (isStatus(sbd)) {
      const status = sbd.type === "status" ? sbd.businessMessage.status : undefined;
      if (status && (await answersOurs(messageId(sbd)!, sender, ids))) {
        const decision = await d.inRepo.conversations.registerStatus("OUT", messageId(sbd)!, status, now);
        log.info({ ...ids, status, registered: decision?.ok ?? "no such conversation" }, "status message received");
      }
      await d.broker.confirmDownload(org, id);
      return;
    }
    const stored = asic ? await d.blobs.write(Readable.from([Buffer.from(asic)]), maxBytes) : undefined;
    try {
      await d.inRepo.receive({ channel: "DPO", sbd, package: stored ? { key: stored.key, size: stored.size } : undefined, externalReference: id, registerCreated: true }, now);
      log.info(ids, "message received from the broker");
    } catch (e) {
      if (stored) await d.blobs.delete(stored.key).catch(() => {});
      if (!(e instanceof DuplicateMessageIdError)) throw e;
      log.warn(ids, "duplicate message id; the copy is dropped");
    }
    // Queued again after a duplicate too: the first arrival may have stopped before it (idempotent per status).
    await queueReply(sbd, "MOTTATT", now);
    if (sbd.type === "arkivmelding_kvittering") await kvittering(sbd, now, ids);
    await d.broker.confirmDownload(org, id);
    replies.nudge();
  }

  /** [IP] AltinnNextMoveMessageHandler: the kvittering's receiptType decides the status of the message it answers. */
  async function kvittering(sbd: Extract<StandardBusinessDocument, { type: "arkivmelding_kvittering" }>, now: Date, ids: Record<string, unknown>): Promise<void> {
    const k = sbd.businessMessage;
    const related = k.relatedToMessageId;
    if (!related || !(await answersOurs(related, parties(sbd).senderPrimary!, ids))) return;
    const status = k.receiptType === "ERROR" || k.receiptType === "NOTSUPPORTED" ? "FEIL" : "LEST";
    const decision = await d.inRepo.conversations.registerStatus("OUT", related, status, now, { description: `ArkivmeldingKvittering: ${k.receiptType ?? null}`, rawReceipt: JSON.stringify(k) });
    log.info({ ...ids, relatedToMessageId: related, status, registered: decision?.ok ?? "no such conversation" }, "arkivmelding_kvittering received");
  }

  /** Whether our outgoing message `id` went to `sender`: only its receiver may report on it. */
  async function answersOurs(id: string, sender: string, ids: Record<string, unknown>): Promise<boolean> {
    if (await reportsOnOurs(d.inRepo.conversations, id, sender)) return true;
    log.warn({ ...ids, about: id, sender }, "a status about no message of ours to its sender; ignored");
    return false;
  }

  async function queueReply(original: StandardBusinessDocument, status: ReplyStatus, now: Date): Promise<void> {
    await d.replies.queue({ channel: "DPO", messageId: messageId(original)!, status, sbd: serialiseSbd(statusMessageFor(original, status, now)) }, now);
  }

  const clusterPass = () => (d.exclusive ? d.exclusive.run("dpo-inbound", { holdMs: 30_000, quietMs: d.pollMs }, pollOnce) : pollOnce());
  const polling = new PollingLoop({ pollMs: d.pollMs, pass: async () => (await clusterPass(), false), onError: (e) => log.warn({ err: e instanceof Error ? e.message : String(e) }, "broker poll failed") });
  const replies = new StatusReplySender({
    channel: "DPO",
    replies: d.replies,
    send: async (sbd) => ({ fileTransferId: await d.sender.send(sbd) }),
    isPermanent: (e) => e instanceof BrokerRefusedError,
    retry: d.retry,
    pollMs: d.replyPollMs,
    clock: d.clock,
    log,
  });

  return {
    channel: "DPO",
    kind: "poll",
    start() {
      polling.start();
      replies.start();
    },
    async stop() {
      await polling.stop();
      await replies.stop();
    },
    pollOnce,
    sendRepliesOnce: async () => void (await replies.sendOnce()),
    nudgeReplies: () => replies.nudge(),
  };
}

/**
 * The DELETE's part for DPO (the onDelivered seam of src/api/nextmove/messages-in.ts): the LEVERT status message
 * owed to the sender, queued in the delete's transaction.
 */
export function dpoDeliveryWrites(replies: StatusReplyRepo, clock: Clock): import("../../store/nextmove-in-repo.js").DeliveryWrites {
  return async (m, tx) => {
    if (m.channel !== "DPO") return;
    const original = parseSbdJson(m.nextMove.sbd);
    const now = clock();
    await replies.queue({ channel: "DPO", messageId: m.messageId, status: "LEVERT", sbd: serialiseSbd(statusMessageFor(original, "LEVERT", now)) }, now, tx);
  };
}

/**
 * The discard's part for DPO (the onDiscarded seam of src/api/nextmove/messages-in.ts): an arkivmelding whose
 * package cannot be read here is answered with an error receipt (arkivmelding_kvittering ERROR), queued in the
 * discard's transaction, so the sender gets FEIL with the reason instead of waiting for LEVETID_UTLOPT. Other
 * message types have no receipt to carry it.
 */
export function dpoDiscardWrites(replies: StatusReplyRepo, clock: Clock, newId: () => string = randomUUID): import("../../store/nextmove-in-repo.js").DeliveryWrites {
  return async (m, tx) => {
    if (m.channel !== "DPO" || m.documentType !== "arkivmelding") return;
    const original = parseSbdJson(m.nextMove.sbd);
    const now = clock();
    const reason = (await latestStatusIn(tx, "IN", m.messageId, "FEIL"))?.description ?? "the package cannot be read";
    await replies.queue({ channel: "DPO", messageId: m.messageId, status: "FEIL", sbd: serialiseSbd(errorReceiptFor(original, { messageId: newId(), reason, now })) }, now, tx);
  };
}
