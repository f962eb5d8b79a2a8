/**
 * DPV's outbound side ([IP] `nextmove/DpvConversationStrategyImpl.java`, `altinnv3/dpv/AltinnDPVService.java`):
 * an outgoing `arkivmelding` or `digital_dpv` becomes one Altinn 3 correspondence (correspondence.ts), uploaded
 * with the sending organisation's Altinn token, its messageId as idempotent key and sender's reference; the
 * correspondence id becomes the conversation's external reference. Outcomes:
 * - 200 → delivered (SENDT; status polling starts there);
 * - 409 (the idempotent key is known: an earlier attempt got through but its answer was lost) → the id is found
 *   again by sender's reference and the message counts as delivered; when Altinn knows none, delivered without
 *   a reference and polling is switched off, as the integrasjonspunkt does;
 * - any other 4xx → failed at once (FEIL) with Altinn's reason;
 * - 5xx, 429, 401 (the Altinn token refused: a new one is exchanged), no answer, a token that could not be had, a
 *   Service Registry that could not be asked → retry (the outbox's retry window ends it in FEIL).
 * A receipt (arkivmelding_kvittering) is not carried by DPV: it is marked SENDT, LEVERT and LEST and dropped.
 */
import { withFacts, type AttemptFacts, type OutboundChannel, type Router, type SendContext, type SendOutcome } from "../../core/channel.js";
import type { Clock } from "../../clock.js";
import { DomainError } from "../../errors.js";
import type { EformidlingEndpoint } from "../../routing/eformidling.js";
import type { ServiceRegistryClient } from "../../routing/service-registry/client.js";
import { isReceipt, parseArkivmelding, parties, processOf, securityLevelOf, conversationId as conversationIdOf, type StandardBusinessDocument } from "../../sbd/index.js";
import type { BlobStore } from "../../store/blob-store.js";
import { registerStatusIn, setConversation, type StoreWrites } from "../../store/conversations-repo.js";
import type { Conversation } from "../../store/generated/client.js";
import type { NextMoveConversation, NextMoveRepo } from "../../store/nextmove-repo.js";
import { readOutgoing } from "../nextmove/documents.js";
import { AltinnCorrespondenceError, type CorrespondenceClient } from "./client.js";
import { buildCorrespondence, type DpvDocument, type DpvSettings } from "./correspondence.js";

export interface DpvOutboundDeps {
  repo: Pick<NextMoveRepo, "ofConversations">;
  blobs: BlobStore;
  /** The eFormidling router of the sending organisation (its Service Registry client). */
  routerFor: (orgno: string) => Router<EformidlingEndpoint>;
  /** The sending organisation's Service Registry client (the sender's name from its info record). */
  registryFor: (orgno: string) => Pick<ServiceRegistryClient, "info">;
  client: CorrespondenceClient;
  settings: DpvSettings;
  clock: Clock;
  /** The correspondence API's URL, recorded as where an attempt went once it reached the upload. */
  peer?: string | undefined;
}

const ARKIVMELDING_XML = "arkivmelding.xml";

/** Why a message cannot become a correspondence; sending it again gives the same answer. */
class NotSendable extends Error {}

export class DpvOutbound implements OutboundChannel<NextMoveConversation> {
  readonly channel = "DPV" as const;
  readonly expiringDocumentTypes = ["arkivmelding", "digital_dpv"] as const;

  constructor(private readonly deps: DpvOutboundDeps) {}

  load(claimed: readonly Conversation[]): Promise<NextMoveConversation[]> {
    return this.deps.repo.ofConversations(claimed);
  }

  async send(c: NextMoveConversation, ctx: SendContext): Promise<SendOutcome> {
    // How far the attempt got: the Service Registry record it was routed by, and Altinn once it was asked.
    const got: AttemptFacts = {};
    return withFacts(await this.attempt(c, ctx, got), got);
  }

  private async attempt(c: NextMoveConversation, ctx: SendContext, got: AttemptFacts): Promise<SendOutcome> {
    const out = await readOutgoing(c, this.deps.blobs);
    const { sbd } = out;
    if (isReceipt(sbd)) {
      return { kind: "delivered", description: "A receipt: DPV carries none, so it is marked delivered and read and dropped", also: receiptWrites(c.messageId, ctx.now) };
    }
    const { senderPrimary, sender, receiver } = parties(sbd);
    if (!senderPrimary || !sender || !receiver) return { kind: "failed", reason: "The message names no sender or no receiver" };
    // Upload order (the integrasjonspunkt sorts by dokumentnummer, the upload's position).
    const order = new Map(c.nextMove.files.map((f, i) => [f.filename, i]));
    const documents: DpvDocument[] = [...out.documents].sort((a, b) => order.get(a.filename)! - order.get(b.filename)!).map((d) => ({ filename: d.filename, title: d.title, mimeType: d.mimeType, bytes: d.bytes }));

    let fields;
    let files;
    try {
      const resource = await this.resourceOf(sbd, senderPrimary, receiver, got);
      const info = await this.deps.registryFor(senderPrimary).info(sender);
      const built = buildCorrespondence(
        {
          sbd,
          messageId: c.messageId,
          receiver,
          senderIdentifier: c.senderIdentifier,
          senderOrg: sender,
          senderName: info.organizationName ?? sender,
          resource,
          documents,
          arkivmelding: sbd.type === "arkivmelding" ? arkivmeldingOf(documents) : undefined,
          now: ctx.now,
        },
        this.deps.settings,
      );
      ({ fields, files } = built);
    } catch (err) {
      if (err instanceof NotSendable) return { kind: "failed", reason: err.message };
      if (err instanceof DomainError && ["invalid", "not-found", "unsupported"].includes(err.kind)) return { kind: "failed", reason: err.message, code: err.code };
      return { kind: "retry", reason: err instanceof Error ? err.message : String(err) };
    }

    got.peer = this.deps.peer;
    try {
      const result = await this.deps.client.upload(senderPrimary, fields, files);
      return { kind: "delivered", externalReference: result.correspondenceId, log: { correspondenceId: result.correspondenceId, attachments: result.attachmentIds.length } };
    } catch (err) {
      if (!(err instanceof AltinnCorrespondenceError)) return { kind: "retry", reason: err instanceof Error ? err.message : String(err) };
      if (err.status === 409) return this.recover(c.messageId, senderPrimary, ctx);
      // 401: the Altinn token was refused (the client forgot it); the next attempt exchanges a new one.
      if (err.status >= 400 && err.status < 500 && err.status !== 429 && err.status !== 401) return { kind: "failed", reason: `Altinn refused the correspondence: ${err.message}`, code: err.code };
      return { kind: "retry", reason: err.message };
    }
  }

  /** 409 on the idempotent key: the correspondence exists; its id is found by sender's reference (= messageId). */
  private async recover(messageId: string, orgno: string, ctx: SendContext): Promise<SendOutcome> {
    let ids: string[];
    try {
      ids = await this.deps.client.findBySendersReference(orgno, messageId);
    } catch (err) {
      // Unlike the integrasjonspunkt (which gives up polling here), a lookup that failed is tried again: the next
      // attempt meets the 409 again and looks once more.
      return { kind: "retry", reason: `409 on the idempotent key, and the lookup by sender's reference failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    const id = ids[0];
    if (id === undefined) {
      ctx.log.error({}, "409 on the idempotent key, but Altinn has no correspondence with this sender's reference; status polling is off");
      return {
        kind: "delivered",
        description: "Altinn already had this message (409), but no correspondence with its reference was found: no status polling",
        also: async (tx) => void (await setConversation(tx, "OUT", messageId, { pollable: false })),
      };
    }
    ctx.log.warn({ correspondenceId: id }, "409 on the idempotent key: an earlier attempt got through; its correspondence id was found again");
    return { kind: "delivered", externalReference: id, description: "Altinn already had this message (409); its correspondence was found again", log: { correspondenceId: id, recovered: true } };
  }

  /** The receiver's DPV record's Altinn resource, asked as the out-queue asked when the message was created. */
  private async resourceOf(sbd: StandardBusinessDocument, senderPrimary: string, receiver: string, got: AttemptFacts): Promise<string> {
    const route = await this.deps.routerFor(senderPrimary).route({
      receiver,
      process: processOf(sbd) ?? "",
      documentType: sbd.type,
      standard: sbd.header.documentIdentification?.standard,
      securityLevel: securityLevelOf(sbd),
      conversationId: conversationIdOf(sbd),
    });
    got.routedBy = route.record;
    if (route.endpoint.serviceIdentifier !== "DPV") throw new NotSendable(`The receiver is now reached over ${route.endpoint.serviceIdentifier}, not DPV`);
    const resource = route.endpoint.service.resource;
    if (!resource || resource.trim() === "") throw new NotSendable("Service Registry returned empty Altinn resource id. Resource id cannot be null or blank, contact Digdir for support.");
    return resource;
  }
}

function arkivmeldingOf(documents: readonly DpvDocument[]) {
  const xml = documents.find((d) => d.filename === ARKIVMELDING_XML);
  if (!xml) throw new NotSendable(`${ARKIVMELDING_XML} not found`);
  return parseArkivmelding(xml.bytes);
}

/** SENDT is the outbox's; LEVERT and LEST follow in the same transaction. */
function receiptWrites(messageId: string, at: Date): StoreWrites {
  return async (tx) => {
    await registerStatusIn(tx, "OUT", messageId, "LEVERT", at);
    await registerStatusIn(tx, "OUT", messageId, "LEST", at);
  };
}
