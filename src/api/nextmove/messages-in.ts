import { Router, type Request, type Response } from "express";
import type { Clock } from "../../clock.js";
import { Inbox, type InboxFilter } from "../../core/inbox.js";
import type { ReadScope } from "../../core/read-scope.js";
import { ASIC_E_MIMETYPE } from "../../dpi/asic-profile.js";
import type { Logger } from "../../log.js";
import type { X509Certificate } from "node:crypto";
import { openReceivedPackage } from "../../channels/nextmove/received-package.js";
import type { OrgKeyStores } from "../../pki/org-keystores.js";
import { isReceiptType, messageTypeOf, SERVICE_IDENTIFIERS } from "../../sbd/message-types.js";
import { BlobNotFoundError, type BlobStore } from "../../store/blob-store.js";
import { channelOf, type ConversationsRepo } from "../../store/conversations-repo.js";
import { all, equals, type Condition } from "../../store/sql-condition.js";
import { normaliseMessageId } from "../../store/message-id.js";
import {
  incomingStatusName,
  INBOX_SORT_FIELDS,
  IS_NEXTMOVE,
  nextMoveInboxColumns,
  partyWhere,
  type DeliveryWrites,
  type InboxMessage,
  type NextMoveInboxColumns,
  type NextMoveInRepo,
} from "../../store/nextmove-in-repo.js";
import { nextMoveCallerOf, orgnoOf, type NextMoveCaller } from "./caller.js";
import { MessageNotFoundError } from "./errors.js";
import { InMessageNotLockedError, InMessagePackageUnreadableError } from "./messages-in-errors.js";
import { enumParam, single } from "./query-params.js";
import { pageableOf, springPage } from "./spring-page.js";
import { requestLogger } from "../request-log.js";

/**
 * /api/messages/in as the integrasjonspunkt's NextMoveMessageInController answers it (spec/eformidling.md §1.2):
 * the archive system lists what arrived, peeks (which locks the oldest unlocked message for `lockMs`), pops the
 * locked message's document package (the ASiC-E, decrypted from the CMS envelope it travelled in with the
 * receiving organisation's key) and deletes it, which registers INNKOMMENDE_LEVERT. A caller sees the messages
 * addressed to the organisations it may act for. Mount under /api.
 */

export type NextMoveInbox = Inbox<NextMoveInboxColumns>;

/** difi.move.nextmove.lockTimeoutMinutes=5 */
export const DEFAULT_LOCK_MS = 5 * 60_000;

/** NextMoveConsts.ASIC_FILE: the name pop gives the package. */
export const ASIC_FILE = "asic.zip";

export interface MessagesInDeps {
  repo: NextMoveInRepo;
  inbox: NextMoveInbox;
  blobs: BlobStore;
  /** The receiving organisations' keys: pop decrypts with the receiver's. */
  keystores: OrgKeyStores;
  /**
   * Business-certificate trust anchors: the ASiC-E's CAdES signature must verify and its signer chain to one of
   * these before the package is handed out (the integrasjonspunkt hands it out unchecked).
   */
  anchors: readonly X509Certificate[];
  clock: Clock;
  /** How long a peek holds a message (DEFAULT_LOCK_MS as the integrasjonspunkt). */
  lockMs: number;
  log: Logger;
  /**
   * Runs inside the transaction of a DELETE that delivers a message (DPO, DPE: write the LEVERT status message
   * to send back to the sender). A throw undoes the delivery and answers 500; the message stays locked.
   */
  onDelivered?: DeliveryWrites | undefined;
  /** Runs inside the transaction that removes a message whose package cannot be read (DPO: queue an error receipt to the sender). */
  onDiscarded?: DeliveryWrites | undefined;
}

/** The NextMove inbox: incoming conversations of any channel, read by receiving organisation. */
export function nextMoveInbox(conversations: ConversationsRepo, clock: Clock): NextMoveInbox {
  return new Inbox<NextMoveInboxColumns>({ conversations, clock, columns: nextMoveInboxColumns });
}

/** What a caller may read: incoming messages for the organisations it may act for (all of them for "*"). */
export function nextMoveReadScope(caller: NextMoveCaller): ReadScope<NextMoveInboxColumns> {
  if (caller.orgs === "*") return { anyOf: [{ direction: "IN", columns: {} }] };
  return { anyOf: caller.orgs.map((receiverOrg) => ({ direction: "IN" as const, columns: { receiverOrg } })) };
}

type Query = Request["query"];

/** NextMoveInMessageQueryInput: each given filter must equal the message's value. */
function filterWhere(q: Query): Condition {
  const and: Condition[] = [IS_NEXTMOVE];
  const conversationId = single(q, "conversationId");
  const messageId = single(q, "messageId");
  const receiver = single(q, "receiverIdentifier");
  const sender = single(q, "senderIdentifier");
  const serviceIdentifier = enumParam(q, "serviceIdentifier", SERVICE_IDENTIFIERS);
  const process = single(q, "process");
  if (conversationId !== undefined) and.push(equals("conversationId", conversationId));
  if (messageId !== undefined) and.push(equals("messageId", normaliseMessageId(messageId)));
  if (receiver !== undefined) and.push(partyWhere("receiverIdentifier", receiver));
  if (sender !== undefined) and.push(partyWhere("senderIdentifier", sender));
  // DPH, UNKNOWN and channels that receive nothing match no stored message.
  if (serviceIdentifier !== undefined) and.push(equals("channel", serviceIdentifier));
  if (process !== undefined) and.push(equals("process", process));
  return all(...and);
}

const sendSbd = (res: Response, sbd: string) => res.status(200).type("application/json").send(sbd);

/** A Spring page whose content is the SBDs as stored, spliced in as text so they reach the client unchanged. */
function sbdPageJson(sbds: string[], total: number, p: { page: number; size: number; sorted: boolean }): string {
  const { content, ...rest } = springPage(sbds, total, p);
  return `{"content":[${content.join(",")}],${JSON.stringify(rest).slice(1)}`;
}


export function messagesInRouter(deps: MessagesInDeps): Router {
  const r = Router();
  const filterOf = (res: Response, q: Query): InboxFilter<NextMoveInboxColumns> => ({ scope: nextMoveReadScope(nextMoveCallerOf(res)), where: filterWhere(q) });
  const ids = (m: InboxMessage) => ({ messageId: m.messageId, conversationId: m.conversationId, channel: m.channel });

  /** The message, still in the caller's inbox and locked after `now`: else 404 or 400 as the integrasjonspunkt. */
  const lockedMessage = async (res: Response, messageId: string, now: Date): Promise<InboxMessage> => {
    const found = await deps.inbox.get({ scope: nextMoveReadScope(nextMoveCallerOf(res)), where: IS_NEXTMOVE }, messageId);
    const m = found && !found.readAt ? await deps.repo.message(found.messageId) : null;
    if (!m) throw new MessageNotFoundError(messageId);
    if (!m.lockedUntil || m.lockedUntil <= now) throw new InMessageNotLockedError(messageId);
    return m;
  };

  const deleteBlob = async (key: string | null, m: InboxMessage, log: Logger) => {
    if (!key) return;
    // Unreferenced now: if this fails, the payload sweeper removes it later.
    await deps.blobs.delete(key).catch((err: unknown) => log.warn({ ...ids(m), err }, "could not delete the package of a message that left the inbox"));
  };

  /** The decrypted ASiC-E, or why it cannot be read (the package is gone or its envelope is not ours to open). */
  const openPackage = async (m: InboxMessage, key: string): Promise<Uint8Array | { unreadable: string }> => {
    let cms: Buffer;
    try {
      cms = await deps.blobs.read(key);
    } catch (err) {
      if (err instanceof BlobNotFoundError) return { unreadable: "the stored package is missing" };
      throw err;
    }
    // A receiver without a usable key is our configuration, not the package's fault: 500, the message stays.
    const ks = await deps.keystores.get(orgnoOf(m.receiverIdentifier));
    return openReceivedPackage(cms, ks, { anchors: deps.anchors, clock: deps.clock });
  };

  r.get("/messages/in", async (req, res) => {
    const filter = filterOf(res, req.query);
    const p = pageableOf(req.query, { sort: [] }, INBOX_SORT_FIELDS);
    const page = await deps.repo.list(deps.inbox.query(filter), { skip: p.page * p.size, take: p.size }, p.sort);
    res.type("application/json").send(sbdPageJson(page.rows.map((m) => m.nextMove.sbd), page.total, { ...p, sorted: p.sort.length > 0 }));
  });

  r.get("/messages/in/peek", async (req, res) => {
    const locked = await deps.inbox.peek(filterOf(res, req.query), deps.lockMs);
    const m = locked && (await deps.repo.message(locked.messageId));
    if (!m) {
      res.status(204).end();
      return;
    }
    requestLogger(deps.log, res).debug({ ...ids(m), lockedUntil: m.lockedUntil }, "incoming message locked by peek");
    sendSbd(res, m.nextMove.sbd);
  });

  r.get("/messages/in/pop/:messageId", async (req, res) => {
    const now = deps.clock();
    const m = await lockedMessage(res, req.params.messageId, now);
    const type = messageTypeOf(m.documentType);
    const key = m.nextMove.packageKey;
    // Receipts carry no package (the integrasjonspunkt answers 204 for them); nor does a message that came without one.
    if ((type !== undefined && isReceiptType(type)) || !key) {
      res.status(204).end();
      return;
    }
    const asic = await openPackage(m, key);
    if ("unreadable" in asic) {
      const channel = channelOf(m.channel);
      const description = `${ASIC_FILE} of message ${m.messageId} from ${m.senderIdentifier} cannot be read (${asic.unreadable}); removed from the queue`;
      const removed = await deps.repo.discard(m.messageId, now, incomingStatusName(channel, "FEIL"), description, deps.onDiscarded);
      if (removed.removed) await deleteBlob(removed.packageKey, m, requestLogger(deps.log, res));
      requestLogger(deps.log, res).error({ ...ids(m), reason: asic.unreadable }, "unreadable package: message removed with FEIL");
      throw new InMessagePackageUnreadableError(m.messageId);
    }
    requestLogger(deps.log, res).debug(ids(m), "package popped");
    res.status(200);
    res.setHeader("Content-Disposition", `attachment; filename=${ASIC_FILE}`);
    res.setHeader("Content-Type", ASIC_E_MIMETYPE);
    res.send(Buffer.from(asic.buffer, asic.byteOffset, asic.byteLength));
  });

  r.delete("/messages/in/:messageId", async (req, res) => {
    const now = deps.clock();
    const m = await lockedMessage(res, req.params.messageId, now);
    const status = incomingStatusName(channelOf(m.channel), "INNKOMMENDE_LEVERT");
    const out = await deps.repo.deliver(m.messageId, now, status, deps.onDelivered);
    if (!out.removed) {
      // Another delete won, or the lock ran out, since it was read: answer what it is now.
      const again = await deps.repo.message(m.messageId);
      throw again && !again.readAt ? new InMessageNotLockedError(m.messageId) : new MessageNotFoundError(m.messageId);
    }
    if (out.decision && !out.decision.ok) requestLogger(deps.log, res).warn({ ...ids(m), refused: out.decision.code }, `delivered without ${status}: ${out.decision.detail}`);
    await deleteBlob(out.packageKey, m, requestLogger(deps.log, res));
    requestLogger(deps.log, res).info(ids(m), "incoming message delivered to the archive system");
    sendSbd(res, out.message.nextMove.sbd);
  });

  return r;
}
