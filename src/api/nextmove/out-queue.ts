import type { Readable } from "node:stream";
import type { Clock } from "../../clock.js";
import type { NextMoveHandover, Router } from "../../core/channel.js";
import type { Channel } from "../../core/status/index.js";
import { withRequestId, type Logger } from "../../log.js";
import { ReceiverDoesNotAcceptProcessError as RoutingRefusedError, type EformidlingEndpoint } from "../../routing/eformidling.js";
import {
  ARKIVMELDING_FILE,
  DuplicateFilenameError,
  MessageAlreadyExistsError,
  ReceiverDoesNotAcceptProcessError,
  TimeToLiveExpiredError,
  conversationId,
  expectedResponseDateTime,
  fillDefaults,
  parseArkivmelding,
  parseSbd,
  parseSbdJson,
  parties,
  processOf,
  securityLevelOf,
  serialiseSbd,
  uploadMimeType,
  validateOutgoing,
  validateRequest,
  validateSend,
  validateUpload,
  type DpfContext,
  type MessageFile,
  type ServiceIdentifier,
  type ServiceRegistryPostAddress,
  type StandardBusinessDocument,
} from "../../sbd/index.js";
import type { PostAddress } from "../../routing/service-registry/records.js";
import { BlobTooLargeError, type BlobStore, type StoredBlob } from "../../store/blob-store.js";
import { DuplicateMessageIdError } from "../../store/conversations-repo.js";
import { all, any, equals, startsWith, TRUE, type Condition } from "../../store/sql-condition.js";
import { DuplicateFilenameError as StoredDuplicateFilenameError, type FileConversationFields, type NextMoveConversation, type NextMoveRepo } from "../../store/nextmove-repo.js";
import { mayActFor, maySee, type NextMoveCaller } from "./caller.js";
import { MaxFileSizeExceededError, MessageNotFoundError, OrganisationNotAllowedError, SenderRequiredError } from "./errors.js";

/**
 * The integrasjonspunkt's out-queue (NextMoveMessageService behind NextMoveMessageOutController): create a
 * message from its SBD (routed by the Service Registry, defaults filled, validated), add its files one at a
 * time, send it, or delete it before it is sent. Sending hands the message to its channel: a channel with a
 * handover (DPI) prepares what its outbox needs, committed with the queueing; then the outbox sends it.
 * What differs from the integrasjonspunkt, which serves one organisation: the sender must be an organisation
 * the caller may act for, and one left out is filled in only when that leaves no choice.
 */

/** Combined size of a message's files per channel (difi.move.*.upload-size-limit). */
export const UPLOAD_LIMITS: Readonly<Record<Channel, number>> = {
  DPO: 1024 ** 3,
  DPF: 1024 ** 3,
  DPV: 250 * 1024 ** 2,
  DPI: 50 * 1024 ** 2,
  DPE: 2 * 1024 ** 2,
};

export interface OutQueueDeps {
  repo: NextMoveRepo;
  /**
   * Routing as the sending organisation asks it: the Service Registry answers depend on who asks (a print
   * record's return address is the asking organisation's), so each organisation asks with its own token.
   */
  routerFor(orgno: string): Router<EformidlingEndpoint>;
  blobs: BlobStore;
  /** Organisations this deployment sends for (nine digits). */
  orgs: readonly string[];
  /** Channels messages may go to (difi.move.feature.enableDPx). */
  channels: readonly Channel[];
  handovers: readonly NextMoveHandover[];
  defaultTtlHours: number;
  clock: Clock;
  log: Logger;
  /** Told after a message was queued for its channel's outbox. */
  onQueued?: ((channel: Channel) => void) | undefined;
  /** DPF's checks need SvarUt's word (credentials, forsendelsestyper); absent, they are skipped as in an IP without SvarUt. */
  dpf?: ((sbd: StandardBusinessDocument, ownOrgNumber: string) => Promise<DpfContext>) | undefined;
}

/** A file as it arrives: its bytes (streamed or already stored) and what the request says of it. */
export interface IncomingFile {
  filename: string;
  title?: string | undefined;
  contentType?: string | undefined;
  /** The request's Content-Length for a streamed file: the size the integrasjonspunkt reports when it is too large. */
  declaredSize?: number | undefined;
  content: { stream: Readable } | { stored: StoredBlob };
}

export class NextMoveOutQueue {
  private readonly handovers: Map<Channel, NextMoveHandover>;

  constructor(private readonly deps: OutQueueDeps) {
    this.handovers = new Map(deps.handovers.map((h) => [h.channel, h]));
  }

  /** POST /api/messages/out: the SBD as stored, with the integrasjonspunkt's defaults. */
  /** `requestId`: the request being served, which the lines about the message name. */
  async create(caller: NextMoveCaller, body: unknown, requestId?: string): Promise<StandardBusinessDocument> {
    const { deps } = this;
    const log = withRequestId(deps.log, requestId);
    // Date-times without an offset get Oslo's offset at the queue's clock, as every other time here.
    const sbd = parseSbd(body, { clock: deps.clock });
    validateRequest(sbd, { clock: deps.clock });
    const own = this.actingOrg(caller, sbd);
    const { channel, endpoint } = await this.route(sbd, own);
    const filled = fillDefaults(sbd, {
      ownOrgNumber: own,
      channel,
      defaultTtlHours: deps.defaultTtlHours,
      clock: deps.clock,
      ...(endpoint?.serviceIdentifier === "DPI" ? { printAddresses: { postAddress: srAddress(endpoint.postAddress), returnAddress: srAddress(endpoint.returnAddress) } } : {}),
    });
    const dpf = channel === "DPF" && deps.dpf ? await deps.dpf(filled, own) : undefined;
    validateOutgoing(filled, { channel, enabledChannels: deps.channels, clock: deps.clock, ...(dpf ? { dpf } : {}) });
    const id = filled.header.documentIdentification!.instanceIdentifier!;
    if (await deps.repo.used(id)) throw new MessageAlreadyExistsError(id);

    const { sender, senderPrimary, onBehalfOf, receiver } = parties(filled);
    const expiry = expectedResponseDateTime(filled);
    const at = deps.clock();
    try {
      await deps.repo.create(
        {
          direction: "OUT",
          messageId: id,
          conversationId: conversationId(filled)!,
          channel,
          process: processOf(filled)!,
          documentType: filled.type,
          standard: filled.header.documentIdentification!.standard!,
          // As the SBD names it: the sending organisation, and the one it sends for where that is another.
          senderIdentifier: onBehalfOf ? `0192:${senderPrimary}:${onBehalfOf}` : `0192:${sender}`,
          receiverIdentifier: receiver === undefined ? "" : /^\d{9}$/.test(receiver) ? `0192:${receiver}` : receiver,
          ...(expiry ? { expiry: new Date(expiry.epochMs) } : {}),
        },
        serialiseSbd(filled),
        this.handovers.get(channel)?.draftStatus ?? "OPPRETTET",
        at,
      );
    } catch (err) {
      if (err instanceof DuplicateMessageIdError) throw new MessageAlreadyExistsError(id);
      throw err;
    }
    log.info({ messageId: id, conversationId: conversationId(filled), channel, type: filled.type, sender, receiver, caller: caller.name }, "nextmove message created");
    return filled;
  }

  /** GET /api/messages/out/{id}: a message still in the out-queue. */
  async get(caller: NextMoveCaller, messageId: string): Promise<NextMoveConversation> {
    const c = await this.deps.repo.get("OUT", messageId);
    if (!c || c.nextMove.queuedAt !== null || !maySee(caller, c)) throw new MessageNotFoundError(messageId);
    return c;
  }

  /** PUT /api/messages/out/{id}: one more file; arkivmelding.xml also gives the conversation its title and reference. */
  async addFile(caller: NextMoveCaller, messageId: string, file: IncomingFile): Promise<void> {
    const { deps } = this;
    let c: NextMoveConversation;
    try {
      c = await this.get(caller, messageId);
    } catch (err) {
      if ("stream" in file.content) file.content.stream.resume();
      throw err;
    }
    const sbd = parseSbdJson(c.nextMove.sbd);
    const channel = c.channel as Channel;
    const existing: MessageFile[] = c.nextMove.files.map((f) => ({ filename: f.filename, ...(f.title !== null ? { title: f.title } : {}) }));
    try {
      validateUpload(sbd, channel as ServiceIdentifier, existing, { filename: file.filename, ...(file.title !== undefined ? { title: file.title } : {}) });
    } catch (err) {
      if ("stream" in file.content) file.content.stream.resume();
      throw err;
    }
    const limit = UPLOAD_LIMITS[channel];
    const used = c.nextMove.files.reduce((n, f) => n + f.size, 0);
    const blob = await this.store(file, Math.max(0, limit - used), (size) => new MaxFileSizeExceededError(used + size, channel, limit));
    try {
      let update: FileConversationFields | undefined;
      if (file.filename === ARKIVMELDING_FILE) {
        const info = parseArkivmelding(await deps.blobs.read(blob.key));
        update = { messageTitle: info.messageTitle ?? null, ...(info.messageReference !== undefined ? { messageReference: info.messageReference } : {}) };
      }
      const added = await deps.repo.addFile(
        messageId,
        { filename: file.filename, title: file.title, mimeType: uploadMimeType(file.contentType, file.filename), size: blob.size, sha256Hex: blob.sha256.toString("hex"), blobKey: blob.key },
        deps.clock(),
        update,
      );
      if (!added) throw new MessageNotFoundError(messageId);
    } catch (err) {
      await deps.blobs.delete(blob.key);
      if (err instanceof StoredDuplicateFilenameError) throw new DuplicateFilenameError(file.filename);
      throw err;
    }
  }

  /**
   * POST /api/messages/out/{id}: checks the message is complete and hands it to its channel. A message sent
   * already is not sent again (a repeated request is answered as the first).
   */
  async send(caller: NextMoveCaller, messageId: string, requestId?: string): Promise<void> {
    const { deps } = this;
    const log = withRequestId(deps.log, requestId);
    const c = await deps.repo.get("OUT", messageId);
    if (!c || !maySee(caller, c)) throw new MessageNotFoundError(messageId);
    if (c.nextMove.queuedAt !== null) return;
    const sbd = parseSbdJson(c.nextMove.sbd);
    const channel = c.channel as Channel;
    const files = c.nextMove.files;
    const arkivmelding = files.find((f) => f.filename === ARKIVMELDING_FILE);
    try {
      validateSend(sbd, {
        channel: channel as ServiceIdentifier,
        files: files.map((f) => ({ filename: f.filename, ...(f.title !== null ? { title: f.title } : {}) })),
        ...(sbd.type === "arkivmelding" && arkivmelding ? { arkivmeldingFilenames: parseArkivmelding(await deps.blobs.read(arkivmelding.blobKey)).filenames } : {}),
        clock: deps.clock,
      });
    } catch (err) {
      // The integrasjonspunkt keeps LEVETID_UTLOPT though it refuses the request (noRollbackFor).
      if (err instanceof TimeToLiveExpiredError) await deps.repo.conversations.registerStatus("OUT", c.messageId, "LEVETID_UTLOPT", deps.clock());
      throw err;
    }
    const handover = this.handovers.get(channel);
    const prepared = handover ? await handover.prepare({ conversation: c, sbd: c.nextMove.sbd, files }, log) : undefined;
    let queued = false;
    try {
      queued = await deps.repo.queue(c.messageId, deps.clock(), prepared?.writes);
    } finally {
      if (!queued) await prepared?.discard();
    }
    if (!queued) return;
    log.info({ messageId: c.messageId, conversationId: c.conversationId, channel, files: files.length, caller: caller.name }, "nextmove message queued for sending");
    deps.onQueued?.(channel);
  }

  /** POST /api/messages/out/multipart: create, add the files, send; nothing stays behind when any step fails. */
  async createAndSend(caller: NextMoveCaller, body: unknown, files: readonly IncomingFile[], requestId?: string): Promise<StandardBusinessDocument> {
    let created: StandardBusinessDocument | undefined;
    try {
      created = await this.create(caller, body, requestId);
      const id = created.header.documentIdentification!.instanceIdentifier!;
      for (const f of files) await this.addFile(caller, id, f);
      await this.send(caller, id, requestId);
      return created;
    } catch (err) {
      if (created) await this.discard(created.header.documentIdentification!.instanceIdentifier!);
      for (const f of files) if ("stored" in f.content) await this.deps.blobs.delete(f.content.stored.key);
      throw err;
    }
  }

  /** DELETE /api/messages/out/{id}: a message that is not sent yet, with its files. */
  async delete(caller: NextMoveCaller, messageId: string): Promise<void> {
    await this.get(caller, messageId);
    if (!(await this.discard(messageId))) throw new MessageNotFoundError(messageId);
  }

  /** The out-queue as GET /api/messages/out pages it: the caller's unsent messages matching `where`. */
  async list(caller: NextMoveCaller, where: Condition, page: { skip: number; take: number }) {
    const scope = caller.orgs === "*" ? TRUE : any(...caller.orgs.flatMap((o) => [equals("senderIdentifier", `0192:${o}`), startsWith("senderIdentifier", `0192:${o}:`)]));
    return this.deps.repo.unsent(all(where, scope), page);
  }

  private async discard(messageId: string): Promise<boolean> {
    const keys = await this.deps.repo.deleteUnsent(messageId);
    if (keys === null) return false;
    await Promise.all(keys.map((k) => this.deps.blobs.delete(k)));
    return true;
  }

  /**
   * The organisation whose integrasjonspunkt this message is sent from: the SBD's sender (its primary
   * identifier, the organisation sending on another's behalf where it names one), which the caller must be
   * allowed to act for; without a sender, the one organisation the caller has.
   */
  private actingOrg(caller: NextMoveCaller, sbd: StandardBusinessDocument): string {
    const { senderPrimary } = parties(sbd);
    if (senderPrimary !== undefined) {
      const org = /^\d{9}$/.test(senderPrimary) ? senderPrimary : undefined;
      if (!org || !this.deps.orgs.includes(org) || !mayActFor(caller, org)) throw new OrganisationNotAllowedError(senderPrimary, caller.name);
      return org;
    }
    const candidates = this.deps.orgs.filter((o) => mayActFor(caller, o));
    if (candidates.length !== 1) throw new SenderRequiredError(caller.name);
    return candidates[0]!;
  }

  /** Where the receiver takes the message (ServiceRecordProvider); a print letter without receiver goes over DPI. */
  private async route(sbd: StandardBusinessDocument, own: string): Promise<{ channel: Channel; endpoint?: EformidlingEndpoint }> {
    const process = processOf(sbd);
    const { receiver } = parties(sbd);
    if (receiver === undefined) {
      if (sbd.type === "print") return { channel: "DPI" };
      throw new ReceiverDoesNotAcceptProcessError(process ?? "null", "the message has no receiver");
    }
    try {
      const r = await this.deps.routerFor(own).route({
        receiver,
        process: process ?? "",
        documentType: sbd.type,
        standard: sbd.header.documentIdentification?.standard,
        securityLevel: securityLevelOf(sbd),
        conversationId: conversationId(sbd),
      });
      return { channel: r.channel, endpoint: r.endpoint };
    } catch (err) {
      if (err instanceof RoutingRefusedError) throw new ReceiverDoesNotAcceptProcessError(err.process, err.description);
      throw err;
    }
  }

  private async store(file: IncomingFile, max: number, tooLarge: (size: number) => Error): Promise<StoredBlob> {
    if ("stored" in file.content) {
      const b = file.content.stored;
      if (b.size > max) {
        await this.deps.blobs.delete(b.key);
        throw tooLarge(b.size);
      }
      return b;
    }
    try {
      return await this.deps.blobs.write(file.content.stream, max);
    } catch (err) {
      if (err instanceof BlobTooLargeError) {
        file.content.stream.resume();
        // Only the first max + 1 bytes were read; the declared length says how large the file is.
        throw tooLarge(Math.max(max + 1, file.declaredSize ?? 0));
      }
      throw err;
    }
  }
}

/** A Service Registry address as fillDefaults takes it (absent fields rather than nulls). */
function srAddress(a: PostAddress | null): ServiceRegistryPostAddress | undefined {
  if (!a) return undefined;
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v !== null && v !== undefined)) as ServiceRegistryPostAddress;
}
