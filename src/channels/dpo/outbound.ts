/**
 * DPO's outbound side: an arkivmelding, arkivmelding_kvittering or avtalt the archive system sent goes to the
 * broker as sbd.json plus, when it has files, asic.zip sealed to the receiver's certificate from its Service
 * Registry record (RSA-OAEP). SENDT once the upload is taken; the broker's refusal (4xx) is FEIL with its reason;
 * an unreachable broker, token service or registry is tried again.
 */
import { withFacts, type AttemptFacts, type OutboundChannel, type Router, type SendContext, type SendOutcome } from "../../core/channel.js";
import type { Conversation } from "../../store/generated/client.js";
import { DomainError } from "../../errors.js";
import { GrantRequestError } from "../../maskinporten/grant-client.js";
import type { OrgKeyStores } from "../../pki/org-keystores.js";
import type { EformidlingEndpoint } from "../../routing/eformidling.js";
import { parties, primaryIdentifier, receiverIdentifier } from "../../sbd/index.js";
import type { BlobStore } from "../../store/blob-store.js";
import type { NextMoveConversation, NextMoveRepo } from "../../store/nextmove-repo.js";
import type { Clock } from "../../clock.js";
import { readOutgoing } from "../nextmove/documents.js";
import { sealedAsic } from "../nextmove/sealed-asic.js";
import { BrokerRefusedError } from "./broker-errors.js";
import type { DpoSender } from "./sender.js";

export interface DpoOutboundDeps {
  repo: NextMoveRepo;
  blobs: BlobStore;
  sender: DpoSender;
  keystores: OrgKeyStores;
  routerFor: (orgno: string) => Router<EformidlingEndpoint>;
  clock: Clock;
  /** The broker's URL, recorded as where an attempt went once it reached the upload. */
  peer?: string | undefined;
}

export function createDpoOutbound(d: DpoOutboundDeps): OutboundChannel<NextMoveConversation> {
  return {
    channel: "DPO",
    // The integrasjonspunkt's TTL: what is not LEVERT by its expectedResponseDateTime gets LEVETID_UTLOPT.
    expiringDocumentTypes: ["arkivmelding", "avtalt"],
    load: (claimed: readonly Conversation[]) => d.repo.ofConversations(claimed),
    async send(c, ctx): Promise<SendOutcome> {
      // How far the attempt got: the Service Registry record it was routed by, and the broker once it was asked.
      const got: AttemptFacts = {};
      return withFacts(await upload(c, ctx, got), got);
    },
  };

  async function upload(c: NextMoveConversation, ctx: SendContext, got: AttemptFacts): Promise<SendOutcome> {
    try {
      const message = await readOutgoing(c, d.blobs);
      let asic: Uint8Array | undefined;
      if (message.documents.length > 0) {
        const { senderPrimary } = parties(message.sbd);
        const receiver = receiverIdentifier(message.sbd)!;
        const route = await d.routerFor(senderPrimary!).route({
          receiver: primaryIdentifier(receiver),
          process: c.process,
          documentType: c.documentType,
          standard: c.standard,
          conversationId: c.conversationId,
        });
        got.routedBy = route.record;
        if (route.endpoint.serviceIdentifier !== "DPO") return { kind: "failed", reason: `the receiver's Service Registry record is ${route.endpoint.serviceIdentifier}, not DPO` };
        asic = await sealedAsic(message, { keystores: d.keystores, receiverCertificate: route.endpoint.certificate, scheme: "rsaes-oaep", clock: d.clock });
      }
      got.peer = d.peer;
      const fileTransferId = await d.sender.send(message.sbd, asic);
      ctx.log.info({ fileTransferId, files: message.documents.length }, "uploaded to the Altinn broker");
      return { kind: "delivered", externalReference: fileTransferId };
    } catch (e) {
      if (e instanceof BrokerRefusedError) return { kind: "failed", reason: e.message, code: e.code };
      if (e instanceof GrantRequestError && e.status >= 400 && e.status < 500) return { kind: "failed", reason: e.message, code: e.code };
      if (e instanceof DomainError && e.kind !== "unavailable" && e.kind !== "upstream") return { kind: "failed", reason: e.message, code: e.code };
      return { kind: "retry", reason: e instanceof Error ? e.message : String(e) };
    }
  }
}
