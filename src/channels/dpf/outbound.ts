import { withFacts, type AttemptFacts, type OutboundChannel, type Router, type SendContext, type SendOutcome } from "../../core/channel.js";
import { DomainError } from "../../errors.js";
import { encryptCms } from "../../packaging/index.js";
import type { EformidlingEndpoint } from "../../routing/eformidling.js";
import type { InfoRecord } from "../../routing/service-registry/records.js";
import { ARKIVMELDING_FILE, conversationId, parseArkivmelding, parties, processOf, receiverRef, securityLevelOf } from "../../sbd/index.js";
import type { BlobStore } from "../../store/blob-store.js";
import { registerStatusIn, setConversation, type StoreWrites } from "../../store/conversations-repo.js";
import type { Conversation } from "../../store/generated/client.js";
import type { NextMoveConversation, NextMoveRepo } from "../../store/nextmove-repo.js";
import { readOutgoing } from "../nextmove/documents.js";
import { ForsendelseFileMissingError, organisasjonForsendelse } from "./forsendelse.js";
import { SvarUtRefusedError, type SvarUtAccountCredentials, type SvarUtClient } from "./svarut-client.js";

/**
 * DPF's outbound side (spec/eformidling.md §4.1): an arkivmelding goes to SvarUt as one forsendelse, its
 * documents CMS-encrypted to SvarUt's certificate from the receiver's Service Registry record (asked again at
 * send time with the message's sikkerhetsnivaa, as the integrasjonspunkt's SvarUtService does). SvarUt's id is
 * the conversation's externalReference, which status polling asks about. SvarUt refusing the forsendelse is
 * FEIL with its reason at once; SvarUt unreachable or failing is tried again. An arkivmelding_kvittering is
 * not sent: municipalities cannot process one (the seed's DPF section), so it is marked as the IP marks it
 * (SENDT, LEVERT, LEST, each saying it was not sent) and dropped.
 */

export const NOT_SENT_KVITTERING = "not sent: an arkivmelding_kvittering is not sent over DPF (a municipality's archive cannot process it)";

export interface DpfOutboundDeps {
  repo: NextMoveRepo;
  blobs: BlobStore;
  routerFor(orgno: string): Router<EformidlingEndpoint>;
  /** The sending organisation's view of the Service Registry's info records (receiver name and address). */
  infoFor(asking: string, identifier: string): Promise<InfoRecord>;
  svarUt: SvarUtClient;
  /** The SvarUt account of a sending organisation; undefined when it has none. */
  accountOf(orgno: string): SvarUtAccountCredentials | undefined;
  /** Where SvarUt is, so that a success wakes the messages waiting for it. */
  peer: string;
  kunDigitalLevering?: boolean | undefined;
  konteringskode?: string | undefined;
}

export class DpfOutboundChannel implements OutboundChannel<NextMoveConversation> {
  readonly channel = "DPF" as const;
  /** A message that expires before SvarUt took it is not sent (the integrasjonspunkt's NextMoveSender). */
  readonly expiringDocumentTypes = ["arkivmelding"] as const;

  constructor(private readonly deps: DpfOutboundDeps) {}

  load(claimed: readonly Conversation[]): Promise<NextMoveConversation[]> {
    return this.deps.repo.ofConversations(claimed);
  }

  async send(c: NextMoveConversation, ctx: SendContext): Promise<SendOutcome> {
    // The Service Registry record the attempt was routed by, once it was asked.
    const got: AttemptFacts = {};
    return withFacts(await this.attempt(c, ctx, got), got);
  }

  private async attempt(c: NextMoveConversation, ctx: SendContext, got: AttemptFacts): Promise<SendOutcome> {
    const { deps } = this;
    const message = await readOutgoing(c, deps.blobs);
    const { sbd } = message;
    if (sbd.type === "arkivmelding_kvittering") return { kind: "delivered", description: NOT_SENT_KVITTERING, also: markedNotSent(c.messageId, ctx.now) };
    if (sbd.type !== "arkivmelding") return { kind: "failed", reason: `DPF sends arkivmelding only, not ${sbd.type}` };

    const { sender, senderPrimary, receiver } = parties(sbd);
    if (!sender || !senderPrimary || !receiver) return { kind: "failed", reason: "the message has no sender or receiver" };
    const account = deps.accountOf(sender);
    if (!account) return { kind: "failed", reason: `SvarUt credentials not configured for orgnr ${sender}` };
    const delivered = (id: string, log: Record<string, unknown>): SendOutcome => ({
      kind: "delivered",
      externalReference: id,
      // SvarUt guarantees delivery once it has taken the forsendelse: the conversation is answered (the
      // integrasjonspunkt's LEVERT at send), and only polling for what SvarUt reports remains.
      also: async (tx) => void (await setConversation(tx, "OUT", c.messageId, { finished: true })),
      peer: deps.peer,
      log,
    });
    const arkivmeldingFile = message.documents.find((d) => d.filename === ARKIVMELDING_FILE);
    if (!arkivmeldingFile) return { kind: "failed", reason: `No attachement "${ARKIVMELDING_FILE}" found` };

    try {
      // Idempotent resend: a forsendelse SvarUt took on an earlier attempt whose answer never reached us (a timeout,
      // a crash before the outcome was stored) is not sent twice. SvarUt is asked first for the account's
      // forsendelser with this message's eksternReferanse (fiks-svarut-klient's EksternRefKlientV2, which the
      // integrasjonspunkt's SvarUtRestClient.getForsendelseId uses); one found is taken as this send's outcome.
      const [earlier] = await deps.svarUt.forsendelserMedEksternRef(account, c.messageId);
      if (earlier) return delivered(earlier, { forsendelseId: earlier, foundByEksternReferanse: true });
      const level = securityLevelOf(sbd);
      const route = await deps.routerFor(senderPrimary).route({
        receiver,
        process: processOf(sbd) ?? "",
        documentType: sbd.type,
        standard: sbd.header.documentIdentification?.standard,
        securityLevel: level,
        conversationId: conversationId(sbd),
      });
      got.routedBy = route.record;
      if (route.endpoint.serviceIdentifier !== "DPF") return { kind: "failed", reason: `the Service Registry now routes ${receiver} to ${route.endpoint.serviceIdentifier}, not DPF` };
      const record = route.endpoint;
      const forsendelse = await organisasjonForsendelse({
        messageId: c.messageId,
        senderOrg: sender,
        receiverOrg: receiver,
        arkivmelding: parseArkivmelding(arkivmeldingFile.bytes),
        files: new Map(message.documents.map((d) => [d.filename, d.mimeType])),
        receiverInfo: await deps.infoFor(senderPrimary, receiver),
        senderInfo: () => deps.infoFor(senderPrimary, sender),
        // The message's level; without one, the highest the receiver has, which the registry's record names.
        level: level ?? record.service.securityLevel ?? 3,
        receiverRef: receiverRef(sbd),
        forsendelsestype: sbd.businessMessage.dpf?.forsendelseType ?? undefined,
        kunDigitalLevering: deps.kunDigitalLevering ?? false,
        konteringskode: deps.konteringskode,
      });
      const byName = new Map(message.documents.map((d) => [d.filename, d]));
      const parts = forsendelse.dokumenter.map((d) => ({ filnavn: d.filnavn, mimeType: d.mimeType, bytes: encryptCms(byName.get(d.filnavn)!.bytes, record.certificate, "rsaes-oaep") }));
      const id = await deps.svarUt.send(account, forsendelse, parts);
      return delivered(id, { forsendelseId: id, sikkerhetsniva: forsendelse.sikkerhetsniva, documents: parts.length });
    } catch (err) {
      if (err instanceof SvarUtRefusedError) return { kind: "failed", reason: err.message, code: err.errorCode, peer: deps.peer };
      if (err instanceof ForsendelseFileMissingError) return { kind: "failed", reason: err.message };
      if (err instanceof DomainError && err.kind !== "unavailable" && err.kind !== "upstream") return { kind: "failed", reason: err.message, code: err.code };
      return { kind: "retry", reason: err instanceof Error ? err.message : String(err), ...(err instanceof DomainError && err.code === "svarut-unavailable" ? { peer: deps.peer } : {}) };
    }
  }
}

/** The integrasjonspunkt marks an arkivmelding_kvittering to DPF as SENDT, LEVERT and LEST and drops it. */
function markedNotSent(messageId: string, at: Date): StoreWrites {
  return async (tx) => {
    for (const status of ["LEVERT", "LEST"]) await registerStatusIn(tx, "OUT", messageId, status, at, { description: NOT_SENT_KVITTERING });
  };
}
