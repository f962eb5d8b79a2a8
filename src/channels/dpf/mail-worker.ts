import type { Clock } from "../../clock.js";
import type { InboundSource } from "../../core/channel.js";
import { PollingLoop } from "../../core/polling-loop.js";
import { decideRetry, type RetryPolicy } from "../../core/retry-policy.js";
import type { Logger } from "../../log.js";
import type { OrgKeyStores } from "../../pki/org-keystores.js";
import { parseSbdJson, securityLevelOf } from "../../sbd/index.js";
import type { BlobStore } from "../../store/blob-store.js";
import type { DpfMailBlobKind, DpfMailRepo } from "../../store/dpf-mail-repo.js";
import type { DpfMail } from "../../store/generated/client.js";
import type { NextMoveInRepo } from "../../store/nextmove-in-repo.js";
import { mailFiles } from "./mail-documents.js";
import { mailLink, mailTokenHash, newMailToken } from "./mail-link.js";
import { composeMail } from "./mail-message.js";
import { isPermanentSmtpError, type MailTransport } from "./mail-transport.js";

/**
 * DPF's mail delivery (the seed's mailOnError; README, "DPF"). Every `pollMs`:
 *  1. an incoming forsendelse that has waited in the NextMove inbox longer than `deadlineMs`, neither fetched nor
 *     locked by the archive system, is queued for mail (with its own copy of the package: a level-4 link must
 *     outlive the inbox's copy);
 *  2. each queued mail (those, and the forsendelser SvarInnSource could not convert) is claimed with a lease and
 *     sent through the SMTP server. Sent, it is marked on the conversation's timeline in the same transaction:
 *     INNKOMMENDE_LEVERT "delivered by e-mail to …" (a waiting message leaves the inbox then, so the archive system
 *     does not get it twice). The SMTP server away or answering 4xx: tried again by the retry policy; a 5xx
 *     refusal or the end of the window gives up (an unconvertible forsendelse then gets FEIL; a waiting one stays
 *     in the inbox). A waiting forsendelse the archive system fetched before its mail went is not mailed.
 */

export interface DpfMailWorkerDeps {
  repo: DpfMailRepo;
  inRepo: NextMoveInRepo;
  blobs: BlobStore;
  keystores: OrgKeyStores;
  transport: MailTransport;
  from: string;
  /** The receiving organisation's address; undefined: its forsendelser are not mailed. */
  addressFor(orgno: string): string | undefined;
  deadlineMs: number;
  linkHours: number;
  /** Where the NextMove API is reached from outside (`{public URL}/api`), for level-4 links. */
  apiBase(): string;
  retry: RetryPolicy;
  pollMs: number;
  clock: Clock;
  log: Logger;
  newToken?: (() => string) | undefined;
}

const BATCH = 20;
const LEASE_MS = 10 * 60_000;

export function deliveredByMail(address: string): string {
  return `delivered by e-mail to ${address}`;
}

export class DpfMailWorker implements InboundSource {
  readonly channel = "DPF" as const;
  readonly kind = "poll" as const;
  private readonly loop: PollingLoop;

  constructor(private readonly deps: DpfMailWorkerDeps) {
    this.loop = new PollingLoop({ pollMs: deps.pollMs, pass: () => this.runOnce(), onError: (err) => deps.log.warn({ err }, "DPF mail pass failed") });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  nudge(): void {
    this.loop.nudge();
  }

  /** One pass: queue what waited too long, then send what is due; true when a whole batch was due. */
  async runOnce(): Promise<boolean> {
    await this.queueOverdue();
    return this.sendDue();
  }

  /** Queues a mail for each forsendelse that waited in the inbox past the deadline; returns their ids. */
  async queueOverdue(): Promise<string[]> {
    const { deps } = this;
    const now = deps.clock();
    const queued: string[] = [];
    for (const m of await deps.repo.overdueInInbox(new Date(now.getTime() - deps.deadlineMs), now, BATCH)) {
      const orgno = m.receiverIdentifier.replace(/^0192:/, "").split(":")[0]!;
      const address = deps.addressFor(orgno);
      if (!address) continue;
      let level: number | undefined;
      try {
        level = securityLevelOf(parseSbdJson(m.sbd));
      } catch {
        level = undefined;
      }
      const copy = await deps.blobs.write(deps.blobs.open(m.packageKey));
      const hours = deps.deadlineMs / 3_600_000;
      const fresh = await deps.repo.queue(
        {
          messageId: m.messageId,
          receiverOrg: orgno,
          reason: "not-fetched",
          detail: `not fetched from the NextMove inbox within ${Number.isInteger(hours) ? `${hours} h` : `${Math.round(deps.deadlineMs / 60_000)} min`}`,
          // Without a known level, the safe side: no documents in the mailbox.
          level: level === 3 ? 3 : 4,
          blobKey: copy.key,
          blobKind: "asic",
          address,
        },
        now,
      );
      if (!fresh) await deps.blobs.delete(copy.key);
      else queued.push(m.messageId);
    }
    if (queued.length) deps.log.info({ channel: "DPF", forsendelser: queued }, "DPF: forsendelser not fetched from the NextMove inbox in time are queued for mail");
    return queued;
  }

  /** Sends the due mails; true when a whole batch was due. */
  async sendDue(): Promise<boolean> {
    const { deps } = this;
    const now = deps.clock();
    const due = await deps.repo.claimDue(now, new Date(now.getTime() + LEASE_MS), BATCH);
    for (const mail of due) await this.sendOne(mail);
    return due.length === BATCH;
  }

  private async sendOne(mail: DpfMail): Promise<void> {
    const { deps } = this;
    const log = deps.log.child({ messageId: mail.messageId, conversationId: mail.messageId, channel: "DPF", forsendelseId: mail.messageId });
    const conversation = await deps.inRepo.conversations.get("IN", mail.messageId);
    if (!conversation) {
      await deps.repo.markFailed(mail.id, "the conversation is gone", null);
      return;
    }
    if (mail.reason === "not-fetched" && conversation.readAt) {
      // The archive system took it after all: it must not get it twice.
      await deps.repo.markFailed(mail.id, "not mailed: the archive system fetched it from the NextMove inbox first", null);
      log.info("DPF mail dropped: the archive system fetched the forsendelse first");
      return;
    }
    try {
      const files = mailFiles(await deps.blobs.read(mail.blobKey), mail.blobKind as DpfMailBlobKind, await deps.keystores.get(mail.receiverOrg), mail.messageId);
      let links: string[] | undefined;
      let linkExpires: Date | undefined;
      if (mail.level >= 4) {
        const token = (deps.newToken ?? newMailToken)();
        linkExpires = new Date(deps.clock().getTime() + deps.linkHours * 3_600_000);
        // Stored before the mail goes: a link in a mail always works.
        await deps.repo.setLink(mail.id, mailTokenHash(token), linkExpires);
        links = files.files.map((_, n) => mailLink(deps.apiBase(), token, n));
      }
      const message = composeMail(
        { forsendelseId: mail.messageId, title: conversation.messageTitle ?? undefined, sender: conversation.senderName ?? conversation.senderIdentifier, receiverOrg: mail.receiverOrg, level: mail.level, why: whyInNorwegian(mail) },
        files,
        { from: deps.from, to: mail.address, links, linkExpires },
      );
      const sent = await deps.transport.send(message);
      await this.markDelivered(mail);
      log.info({ to: mail.address, level: mail.level, files: files.files.length, smtpMessageId: sent.messageId }, "DPF forsendelse delivered by e-mail");
    } catch (err) {
      await this.markFailed(mail, err, log);
    }
  }

  /** The mail went: sent, and the conversation says so (a waiting forsendelse leaves the inbox), in one transaction. */
  private async markDelivered(mail: DpfMail): Promise<void> {
    const { deps } = this;
    const at = deps.clock();
    const description = `${deliveredByMail(mail.address)} (${mail.detail})`;
    if (mail.reason === "not-fetched") {
      const removal = await deps.inRepo.discard(mail.messageId, at, "INNKOMMENDE_LEVERT", description, (_m, tx) => deps.repo.markSent(mail.id, at, null, tx));
      if (removal.removed) {
        if (removal.packageKey) await deps.blobs.delete(removal.packageKey).catch(() => {});
      } else {
        await deps.repo.markSent(mail.id, at, "mailed, but the archive system fetched it from the NextMove inbox meanwhile");
      }
      return;
    }
    await deps.repo.markSentWithStatus(mail.id, mail.messageId, "INNKOMMENDE_LEVERT", description, at);
  }

  private async markFailed(mail: DpfMail, err: unknown, log: Logger): Promise<void> {
    const { deps } = this;
    const reason = err instanceof Error ? err.message : String(err);
    const decision = isPermanentSmtpError(err) ? undefined : decideRetry(deps.retry, { attemptsMade: mail.attempts + 1, acceptedAt: mail.createdAt, now: deps.clock() });
    const retryAt = decision && "retryAt" in decision ? decision.retryAt : null;
    if (retryAt) {
      await deps.repo.markFailed(mail.id, reason, retryAt);
      log.warn({ reason, retryAt, to: mail.address }, "DPF mail not sent; will retry");
      return;
    }
    if (mail.reason === "unconvertible") {
      // Nothing else will bring it to the organisation: the conversation fails, with the reason.
      await deps.repo.markFailedWithStatus(mail.id, mail.messageId, "FEIL", `could not be delivered by e-mail to ${mail.address}: ${reason}`, reason, deps.clock());
    } else {
      await deps.repo.markFailed(mail.id, reason, null);
    }
    log.error({ reason, to: mail.address }, "DPF mail not sent; given up");
  }
}

function whyInNorwegian(mail: DpfMail): string {
  return mail.reason === "unconvertible"
    ? `Forsendelsen kunne ikke gjøres om til en melding for sak-/arkivsystemet (${mail.detail}).`
    : `Sak-/arkivsystemet hentet den ikke fra NextMove-innboksen i tide (${mail.detail}).`;
}
