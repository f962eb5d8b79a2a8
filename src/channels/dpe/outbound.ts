import type { Clock } from "../../clock.js";
import type { OutboundChannel, RouteRecord, Router, SendContext, SendOutcome } from "../../core/channel.js";
import type { OrgKeyStores } from "../../pki/org-keystores.js";
import type { EformidlingEndpoint } from "../../routing/eformidling.js";
import { conversationId, parties, processOf } from "../../sbd/index.js";
import type { BlobStore } from "../../store/blob-store.js";
import type { Conversation } from "../../store/generated/client.js";
import type { NextMoveConversation, NextMoveRepo } from "../../store/nextmove-repo.js";
import { readOutgoing, type OutgoingNextMove } from "../nextmove/documents.js";
import { sealedAsic } from "../nextmove/sealed-asic.js";
import { encodeDpePayload } from "./payload.js";
import { queueName, receiverQueueSuffix, type QueueMode } from "./queues.js";
import { ServiceBusError, type ServiceBusClient } from "./servicebus-client.js";

/**
 * DPE's outbound side: a publisering, innsynskrav or einnsyn_kvittering (and the status messages) goes onto the
 * receiver's Service Bus queue as the integrasjonspunkt puts it there (spec/eformidling.md §6): the queue from
 * the receiver's Service Registry record (or, for receipts, from our own mode), the asic.zip sealed to the
 * receiver's certificate with RSA PKCS#1 v1.5 key transport, the payload `{sbd, asic}`. The Service Bus taking it
 * is SENDT; MOTTATT and LEVERT come back as status messages.
 */

export interface DpeOutboundDeps {
  repo: NextMoveRepo;
  blobs: BlobStore;
  routerFor(orgno: string): Router<EformidlingEndpoint>;
  keystores: OrgKeyStores;
  /** The Service Bus namespace as the sending organisation reaches it (its SAS key comes from its registry client). */
  serviceBusFor(orgno: string): ServiceBusClient;
  /** Each organisation's queue mode, which decides where its status messages go. */
  modeOf(orgno: string): QueueMode;
  receiptQueue?: string | undefined;
  clock: Clock;
}

export class DpeOutboundChannel implements OutboundChannel<NextMoveConversation> {
  readonly channel = "DPE" as const;

  constructor(private readonly deps: DpeOutboundDeps) {}

  load(claimed: readonly Conversation[]): Promise<NextMoveConversation[]> {
    return this.deps.repo.ofConversations(claimed);
  }

  async send(c: NextMoveConversation, ctx: SendContext): Promise<SendOutcome> {
    const { deps } = this;
    const message = await readOutgoing(c, deps.blobs);
    const { senderPrimary, receiver } = parties(message.sbd);
    const receiverOrg = receiver!;
    let queue: string;
    let asic: Uint8Array | undefined;
    let routedBy: RouteRecord | undefined;
    try {
      const route = await this.routeIfNeeded(message, senderPrimary!);
      routedBy = route?.record;
      const record = route?.endpoint;
      if (record && record.serviceIdentifier !== "DPE") throw new Error(`the receiver is reached over ${record.serviceIdentifier}, not DPE`);
      queue = queueName(receiverOrg, receiverQueueSuffix(message.sbd, { ownMode: deps.modeOf(senderPrimary!), receiptQueue: deps.receiptQueue, recordEndpoint: record?.queueSuffix }));
      if (message.documents.length > 0) {
        if (!record) throw new Error(`no Service Registry record with a certificate for ${receiverOrg}`);
        asic = await sealedAsic(message, { keystores: deps.keystores, receiverCertificate: record.certificate, scheme: "rsa-pkcs1v15", clock: deps.clock });
      }
    } catch (err) {
      // Routing and packaging: the registry may answer later; anything else is this message's fault.
      const transient = (err as { kind?: string }).kind === "unavailable" || (err as { kind?: string }).kind === "upstream";
      const reason = (err as Error).message;
      return { ...(transient ? { kind: "retry", reason } : { kind: "failed", reason }), ...(routedBy ? { routedBy } : {}) };
    }
    const bus = deps.serviceBusFor(senderPrimary!);
    // Where it goes, and what routed it (nothing, for status messages and receipts without files).
    const facts = { peer: bus.queueUrl(queue), ...(routedBy ? { routedBy } : {}) };
    try {
      await bus.send(queue, encodeDpePayload({ sbd: message.sbd, asic }));
    } catch (err) {
      if (err instanceof ServiceBusError) {
        const reason = `Service Bus: ${err.message}`;
        return err.transient ? { kind: "retry", reason, ...facts } : { kind: "failed", reason, ...facts };
      }
      throw err;
    }
    ctx.log.info({ queue, bytes: asic?.length ?? 0 }, "DPE message put on the receiver's queue");
    return { kind: "delivered", log: { queue }, ...facts };
  }

  /** The route to the receiver's DPE record, where the queue or the certificate must come from it (not for status messages or receipts without files). */
  private async routeIfNeeded(message: OutgoingNextMove, senderOrg: string) {
    const needsQueue = message.sbd.type !== "status" && message.sbd.type !== "einnsyn_kvittering";
    if (!needsQueue && message.documents.length === 0) return undefined;
    const route = await this.deps.routerFor(senderOrg).route({
      receiver: parties(message.sbd).receiver!,
      process: processOf(message.sbd)!,
      documentType: message.sbd.type,
      standard: message.sbd.header.documentIdentification?.standard,
      conversationId: conversationId(message.sbd),
    });
    return route;
  }
}
