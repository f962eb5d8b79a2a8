/**
 * DPO, eFormidlings meldingstjeneste over the Altinn 3 broker: what src/server-nextmove.ts composes when
 * DPI_AP_NEXTMOVE_CHANNELS includes DPO. Its Altinn tokens (altinn-token.ts) come from the exchange client it
 * shares with DPV (src/channels/altinn/).
 */
import { exclusivePasses } from "../../core/worker-lease.js";
import { WorkerLeaseRepo } from "../../store/worker-lease-repo.js";
import type { Router } from "../../core/channel.js";
import type { RetryPolicy } from "../../core/retry-policy.js";
import type { Clock } from "../../clock.js";
import type { Logger } from "../../log.js";
import type { OrgKeyStores } from "../../pki/org-keystores.js";
import type { EformidlingEndpoint } from "../../routing/eformidling.js";
import type { BlobStore } from "../../store/blob-store.js";
import type { Db } from "../../store/prisma.js";
import { NextMoveInRepo, type DeliveryWrites } from "../../store/nextmove-in-repo.js";
import { NextMoveRepo } from "../../store/nextmove-repo.js";
import { StatusReplyRepo } from "../../store/status-reply-repo.js";
import { createAltinnTokens } from "./altinn-token.js";
import { createBrokerClient } from "./broker-client.js";
import { createDpoInbound, dpoDeliveryWrites, dpoDiscardWrites, type DpoInbound } from "./inbound.js";
import { createDpoOutbound } from "./outbound.js";
import { createDpoSender } from "./sender.js";
import type { OutboundChannel } from "../../core/channel.js";
import type { NextMoveConversation } from "../../store/nextmove-repo.js";

export interface DpoSettings {
  brokerUrl: string;
  tokenExchangeUrl: string;
  resource: string;
  pollMs: number;
  messageChannel?: string | undefined;
}

export interface DpoChannelDeps {
  settings: DpoSettings;
  orgs: readonly string[];
  db: Db;
  blobs: BlobStore;
  keystores: OrgKeyStores;
  routerFor: (orgno: string) => Router<EformidlingEndpoint>;
  /** The organisation's Maskinporten token for these scopes. */
  maskinporten: (org: string, scopes: readonly string[], authorizationDetails: readonly Record<string, unknown>[]) => Promise<string>;
  retry: RetryPolicy;
  replyPollMs: number;
  clock: Clock;
  log: Logger;
}

export interface DpoChannel {
  outbound: OutboundChannel<NextMoveConversation>;
  inbound: DpoInbound;
  /** For the NextMove inbox's DELETE (messages-in.ts `onDelivered`): queues DPO's LEVERT status message. */
  onDelivered: DeliveryWrites;
  /** For the NextMove inbox's unreadable packages (messages-in.ts `onDiscarded`): queues DPO's error receipt. */
  onDiscarded: DeliveryWrites;
}

export function createDpoChannel(d: DpoChannelDeps): DpoChannel {
  const tokens = createAltinnTokens({ exchangeUrl: d.settings.tokenExchangeUrl, maskinporten: d.maskinporten, clock: d.clock });
  const broker = createBrokerClient({ baseUrl: d.settings.brokerUrl, tokens });
  const sender = createDpoSender({ broker, resourceId: d.settings.resource });
  const replies = new StatusReplyRepo(d.db);
  const inbound = createDpoInbound({
    orgs: d.orgs,
    broker,
    sender,
    resourceId: d.settings.resource,
    messageChannel: d.settings.messageChannel,
    inRepo: new NextMoveInRepo(d.db),
    replies,
    blobs: d.blobs,
    clock: d.clock,
    log: d.log,
    pollMs: d.settings.pollMs,
    replyPollMs: d.replyPollMs,
    retry: d.retry,
    exclusive: exclusivePasses(new WorkerLeaseRepo(d.db), d.clock),
  });
  const writes = dpoDeliveryWrites(replies, d.clock);
  const discards = dpoDiscardWrites(replies, d.clock);
  return {
    outbound: createDpoOutbound({ repo: new NextMoveRepo(d.db), blobs: d.blobs, sender, keystores: d.keystores, routerFor: d.routerFor, clock: d.clock, peer: d.settings.brokerUrl }),
    inbound,
    onDelivered: async (m, tx) => {
      await writes(m, tx);
      // Sent once the delete commits; the nudge may come first, then the next pass finds it.
      if (m.channel === "DPO") setTimeout(() => inbound.nudgeReplies(), 20);
    },
    onDiscarded: async (m, tx) => {
      await discards(m, tx);
      if (m.channel === "DPO") setTimeout(() => inbound.nudgeReplies(), 20);
    },
  };
}
