import { exclusivePasses } from "./core/worker-lease.js";
import { WorkerLeaseRepo } from "./store/worker-lease-repo.js";
import type { Router as ExpressRouter } from "express";
import { nextMoveApi } from "./api/nextmove/api.js";
import { messagesInRouter, nextMoveInbox } from "./api/nextmove/messages-in.js";
import { NextMoveInRepo } from "./store/nextmove-in-repo.js";
import { DpeInboundSource } from "./channels/dpe/inbound.js";
import { DpeOutboundChannel } from "./channels/dpe/outbound.js";
import { ServiceBusClient } from "./channels/dpe/servicebus-client.js";
import { createDpeReplySender, dpeDeliveryWrites } from "./channels/dpe/replies.js";
import { PackageRefusedError } from "./channels/dpe/receive.js";
import { DpeAmqpSource } from "./channels/dpe/amqp-source.js";
import { openReceivedPackage } from "./channels/nextmove/received-package.js";
import type { X509Certificate } from "node:crypto";
import { StatusReplyRepo } from "./store/status-reply-repo.js";
import { DpfMailRepo } from "./store/dpf-mail-repo.js";
import { mailDownloadRouter } from "./api/nextmove/dpf-mail-download.js";
import type { DeliveryWrites } from "./store/nextmove-in-repo.js";
import { NextMoveOutQueue } from "./api/nextmove/out-queue.js";
import { createDpiHandover } from "./channels/dpi/nextmove-handover.js";
import { createDpvChannel } from "./channels/dpv/index.js";
import { createDpfChannel, createDpfValidation } from "./channels/dpf/index.js";
import { KS_FIKS_SCOPE } from "./channels/dpf/svarut-client.js";
import { createDpoChannel, type DpoChannel } from "./channels/dpo/index.js";
import type { Stores } from "./app.js";
import type { Clock } from "./clock.js";
import type { Config } from "./config.js";
import type { InboundSource, NextMoveHandover, OutboundChannel, Router, StatusPoller } from "./core/channel.js";
import { StatusPublisher } from "./core/status-publisher.js";
import type { Channel } from "./core/status/index.js";
import { WebhookSender } from "./core/webhook-sender.js";
import type { VerifiedForretningsmelding } from "./dpi/signed-forretningsmelding.js";
import type { Logger } from "./log.js";
import { createGrantClient, type GrantClient } from "./maskinporten/grant-client.js";
import { DPI_SEND_SCOPE } from "./maskinporten/token.js";
import { createTokenVerifier } from "./maskinporten/token-verifier.js";
import type { KeyStore } from "./pki/keystore.js";
import { loadAnchors } from "./pki/pem.js";
import { orgKeyStoresFromDir, type OrgKeyStores } from "./pki/org-keystores.js";
import { createEformidlingRouter, type EformidlingEndpoint } from "./routing/eformidling.js";
import { createServiceRegistryClient, type ServiceRegistryClient } from "./routing/service-registry/client.js";
import { NextMoveRepo } from "./store/nextmove-repo.js";
import { NextMoveStatusRepo } from "./store/nextmove-status-repo.js";
import { StatusPublishRepo } from "./store/status-publish-repo.js";
import { SubscriptionsRepo } from "./store/subscriptions-repo.js";
import { WebhookDeliveryRepo } from "./store/webhook-delivery-repo.js";

/**
 * The NextMove front door (README, "NextMove API"), composed when DPI_AP_NEXTMOVE is on: the Service Registry
 * client and the eFormidling router over it, the out-queue with each channel's handover (DPI: letters built and
 * signed with the organisation's certificate and a Maskinporten token of its own client), the /api routers, and
 * the workers that publish statuses to the status queue and to webhook subscriptions.
 */

export interface NextMoveParts {
  stores: Stores;
  verifyForretningsmelding: (jws: string, log?: Logger) => Promise<VerifiedForretningsmelding>;
  /** Maskinporten's issuer (the audience of our grants) and JWKS (for archive systems' bearer tokens). */
  maskinporten: { issuer: string; jwksUrl: string };
  clock: Clock;
  log: Logger;
  /** Where this access point is reached from outside (DPI_AP_PUBLIC_URL, else the listening address once known). */
  publicBase?: (() => string) | undefined;
  /** A message was queued for a channel's outbox. */
  onQueued: (channel: Channel) => void;
  random?: (() => number) | undefined;
}

/** What the eFormidling channels bring to the core: their outbound sides, status pollers and polled sources. */
export interface EformidlingChannels {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  outbound: OutboundChannel<any>[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  pollers: StatusPoller<any>[];
  inbound: InboundSource[];
}

export interface NextMoveFrontDoor {
  router: ExpressRouter;
  channels: EformidlingChannels;
  start(): void;
  stop(): Promise<void>;
}

const SR_SCOPE_PREFIX = "eformidling:";

export async function createNextMove(config: Config, p: NextMoveParts): Promise<NextMoveFrontDoor> {
  const nm = config.nextMove;
  const log = p.log.child({ api: "nextmove" });
  if (!nm.keystoreDir) throw new Error("the NextMove API needs the organisations' keystores (DPI_AP_NEXTMOVE_KEYSTORE_DIR)");
  const keystores = orgKeyStoresFromDir(nm.keystoreDir, nm.keystorePassword);
  const clients = organisationClients(config, keystores, p);
  const registries = serviceRegistries(config, clients, p);
  const routers = new Map<string, Router<EformidlingEndpoint>>();
  const routerFor = (orgno: string) => {
    let r = routers.get(orgno);
    if (!r) routers.set(orgno, (r = createEformidlingRouter({ registry: registries(orgno) })));
    return r;
  };
  // SvarUt's REST API: each organisation's own Maskinporten client, scope ks:fiks (fiks-svarut-klient's).
  const fiksToken = async (orgno: string) => (await (await clients(orgno)).getToken({ scope: KS_FIKS_SCOPE })).access_token;
  const handovers: NextMoveHandover[] = [];
  if (nm.channels.includes("DPI")) {
    handovers.push(
      createDpiHandover({
        routerFor,
        keystores,
        token: async (sender, avsender) => (await (await clients(sender)).getToken({ scope: DPI_SEND_SCOPE, ...(avsender !== sender ? { consumerOrg: avsender } : {}) })).access_token,
        verify: p.verifyForretningsmelding,
        repo: p.stores.repo,
        blobs: p.stores.blobs,
        clock: p.clock,
        spelling: config.discovery.spelling,
      }),
    );
  }
  const queue = new NextMoveOutQueue({
    repo: new NextMoveRepo(p.stores.db),
    routerFor,
    blobs: p.stores.blobs,
    orgs: nm.orgs,
    channels: nm.channels,
    handovers,
    defaultTtlHours: nm.defaultTtlHours,
    clock: p.clock,
    log,
    onQueued: (channel) => p.onQueued(channel),
    ...(nm.channels.includes("DPF") ? { dpf: createDpfValidation({ config: config.dpf, orgs: nm.orgs, fiksToken }) } : {}),
  });

  const deliveries = new WebhookDeliveryRepo(p.stores.db);
  if (p.stores.singleProcess) {
    const released = await deliveries.releaseAllLeases();
    if (released) log.warn({ deliveries: released }, "webhooks: released leases left by a previous run that stopped mid-post");
  }
  const sender = new WebhookSender({
    repo: deliveries,
    retry: config.outbox.retry,
    timeoutMs: 10_000,
    pollMs: config.outbox.pollMs,
    clock: p.clock,
    log: log.child({ worker: "webhooks" }),
    ...(p.random ? { random: p.random } : {}),
  });
  const publisher = new StatusPublisher({
    repo: new StatusPublishRepo(p.stores.db),
    queueChannels: nm.statusQueueChannels,
    pollMs: Math.min(config.outbox.pollMs, 1_000),
    clock: p.clock,
    log: log.child({ worker: "status-publisher" }),
    onDeliveries: () => sender.nudge(),
  });
  // DPO: the Altinn 3 broker, both ways; its LEVERT status message is queued in the inbox's DELETE.
  let dpo: DpoChannel | undefined;
  if (nm.channels.includes("DPO")) {
    const { brokerUrl } = config.dpo;
    const { tokenExchangeUrl } = config.altinn;
    if (!brokerUrl || !tokenExchangeUrl) throw new Error("DPO needs the Altinn broker and token exchange (DPI_AP_DPO_BROKER_URL, DPI_AP_ALTINN_TOKEN_EXCHANGE_URL)");
    dpo = createDpoChannel({
      settings: { ...config.dpo, brokerUrl, tokenExchangeUrl },
      orgs: nm.orgs,
      db: p.stores.db,
      blobs: p.stores.blobs,
      keystores,
      routerFor,
      maskinporten: async (org, scope, authorizationDetails) => (await (await clients(org)).getToken({ scope, authorizationDetails })).access_token,
      retry: config.outbox.retry,
      replyPollMs: config.outbox.pollMs,
      clock: p.clock,
      log,
    });
  }
  // DPE: Azure Service Bus queues; its LEVERT status message too is queued in the inbox's DELETE.
  const businessAnchors = await loadAnchors(config.businessTrustAnchors);
  const dpe = nm.channels.includes("DPE")
    ? createDpeChannel(config, { stores: p.stores, repo: new NextMoveRepo(p.stores.db), inbox: new NextMoveInRepo(p.stores.db), routerFor, registries, keystores, anchors: businessAnchors, clock: p.clock, log: log.child({ channel: "DPE" }) })
    : undefined;
  const inRepo = new NextMoveInRepo(p.stores.db);
  const messagesIn = messagesInRouter({
    repo: inRepo,
    inbox: nextMoveInbox(inRepo.conversations, p.clock),
    blobs: p.stores.blobs,
    keystores,
    anchors: businessAnchors,
    clock: p.clock,
    lockMs: nm.lockMs,
    log,
    // Each channel's part looks at the message's channel and does nothing for another's.
    onDelivered: async (m, tx) => {
      await dpo?.onDelivered(m, tx);
      await dpe?.onDelivered(m, tx);
    },
    ...(dpo ? { onDiscarded: dpo.onDiscarded } : {}),
  });
  const tokens = createTokenVerifier({ issuer: p.maskinporten.issuer, jwksUrl: p.maskinporten.jwksUrl, requiredScope: nm.scope, clock: p.clock });
  const api = nextMoveApi({
    auth: { users: nm.users, verifyToken: async (bearer) => ({ consumer: (await tokens.verify(bearer)).consumer }), scope: nm.scope.join(" ") },
    queue,
    blobs: p.stores.blobs,
    multipart: { sbdBytes: 1024 * 1024, fileBytes: nm.maxFileBytes, maxParts: 1000 },
    statuses: new NextMoveStatusRepo(p.stores.db),
    subscriptions: new SubscriptionsRepo(p.stores.db),
    ping: (url, requestId) => sender.ping(url, requestId),
    registryFor: registries,
    orgs: nm.orgs,
    clock: p.clock,
    more: [messagesIn, ...(nm.channels.includes("DPF") && config.dpf.mail ? [mailDownloadRouter({ repo: new DpfMailRepo(p.stores.db), blobs: p.stores.blobs, keystores, clock: p.clock })] : [])],
  });
  log.info({ orgs: nm.orgs, channels: nm.channels, serviceRegistry: config.serviceRegistry.url, users: nm.users.map((u) => u.name) }, "NextMove API ready under /api");
  const channels: EformidlingChannels = { outbound: [], pollers: [], inbound: [] };
  if (dpe) {
    channels.outbound.push(dpe.outbound);
    channels.inbound.push(dpe.inbound);
  }
  if (nm.channels.includes("DPV")) {
    // DPV: Altinn 3 correspondence with each organisation's own Maskinporten client, exchanged for an Altinn token.
    if (!config.dpv.correspondenceUrl || !config.altinn.tokenExchangeUrl) throw new Error("DPV needs DPI_AP_DPV_CORRESPONDENCE_URL and DPI_AP_ALTINN_TOKEN_EXCHANGE_URL");
    const dpv = createDpvChannel({
      correspondenceUrl: config.dpv.correspondenceUrl,
      tokenExchangeUrl: config.altinn.tokenExchangeUrl,
      maskinportenToken: async (orgno, scope) => (await (await clients(orgno)).getToken({ scope: [...scope] })).access_token,
      routerFor,
      registryFor: registries,
      repo: new NextMoveRepo(p.stores.db),
      blobs: p.stores.blobs,
      settings: config.dpv.settings,
      clock: p.clock,
    });
    channels.outbound.push(dpv.outbound);
    channels.pollers.push(dpv.poller);
    log.info({ correspondence: config.dpv.correspondenceUrl }, "DPV channel ready (Altinn 3 correspondence)");
  }
  if (nm.channels.includes("DPF")) {
    const dpf = createDpfChannel({
      config: config.dpf,
      orgs: nm.orgs,
      ttlHours: nm.defaultTtlHours,
      repo: new NextMoveRepo(p.stores.db),
      inRepo,
      blobs: p.stores.blobs,
      keystores,
      routerFor,
      infoFor: (asking, identifier) => registries(asking).info(identifier),
      fiksToken,
      clock: p.clock,
      log,
      mail: { repo: new DpfMailRepo(p.stores.db), retry: config.outbox.retry, apiBase: () => `${p.publicBase?.() ?? config.publicUrl ?? ""}/api` },
      exclusive: exclusivePasses(new WorkerLeaseRepo(p.stores.db), p.clock),
    });
    channels.outbound.push(dpf.outbound);
    channels.pollers.push(dpf.poller);
    channels.inbound.push(...dpf.inbound);
  }
  if (dpo) {
    channels.outbound.push(dpo.outbound);
    channels.inbound.push(dpo.inbound);
  }
  return {
    router: api,
    channels,
    start() {
      publisher.start();
      sender.start();
    },
    async stop() {
      await publisher.stop();
      await sender.stop();
    },
  };
}

/**
 * Each organisation's own Maskinporten client (DPI_AP_NEXTMOVE_CLIENT_IDS), whose grants its business
 * certificate signs, as each integrasjonspunkt has its organisation's: its tokens ask the Service Registry and
 * travel in its DPI letters.
 */
function organisationClients(config: Config, keystores: OrgKeyStores, p: NextMoveParts): (orgno: string) => Promise<GrantClient> {
  const clients = new Map<string, Promise<GrantClient>>();
  const tokenUrl = config.serviceRegistry.maskinporten.tokenUrl;
  return (orgno) => {
    let client = clients.get(orgno);
    if (!client) {
      const clientId = config.nextMove.clientIds.get(orgno);
      if (!clientId || !tokenUrl) return Promise.reject(new Error(`no Maskinporten client for organisation ${orgno} (DPI_AP_NEXTMOVE_CLIENT_IDS, DPI_AP_MASKINPORTEN_TOKEN_URL)`));
      client = keystores.get(orgno).then((ks) => grantClient(ks, clientId, tokenUrl, p));
      client.catch(() => clients.delete(orgno));
      clients.set(orgno, client);
    }
    return client;
  };
}

/**
 * A Service Registry client per sending organisation, with its token for the channels switched on (the
 * integrasjonspunkt's eformidling:<channel> scopes). The registry's answers depend on who asks (a print record's
 * return address is the asking organisation's), so neither clients nor their caches are shared.
 */
function serviceRegistries(config: Config, clients: (orgno: string) => Promise<GrantClient>, p: NextMoveParts): (orgno: string) => ServiceRegistryClient {
  const sr = config.serviceRegistry;
  if (!sr.url) throw new Error("the NextMove API needs the Service Registry (DPI_AP_SERVICE_REGISTRY_URL)");
  const baseUrl = sr.url;
  const scope = config.nextMove.channels.map((c) => `${SR_SCOPE_PREFIX}${c.toLowerCase()}`);
  const registries = new Map<string, ServiceRegistryClient>();
  return (orgno) => {
    let r = registries.get(orgno);
    if (!r) {
      r = createServiceRegistryClient({
        baseUrl,
        token: async () => (await (await clients(orgno)).getToken({ scope })).access_token,
        requireSignature: sr.signed,
        cacheTtlMs: sr.cacheMs,
        clock: p.clock,
      });
      registries.set(orgno, r);
    }
    return r;
  };
}

/**
 * DPE: the Service Bus namespace as each organisation reaches it (the SAS key from its Service Registry client's
 * /sastoken unless configured), the outbound side, and the receive loop over our organisations' queues.
 */
function createDpeChannel(
  config: Config,
  p: {
    stores: Stores;
    repo: NextMoveRepo;
    inbox: NextMoveInRepo;
    routerFor(orgno: string): Router<EformidlingEndpoint>;
    registries(orgno: string): ServiceRegistryClient;
    keystores: OrgKeyStores;
    anchors: readonly X509Certificate[];
    clock: Clock;
    log: Logger;
  },
): { outbound: DpeOutboundChannel; inbound: InboundSource; onDelivered: DeliveryWrites } {
  const d = config.dpe;
  if (!d.serviceBusUrl) throw new Error("DPE needs the Service Bus namespace (DPI_AP_DPE_SERVICEBUS_URL)");
  const baseUrl = d.serviceBusUrl;
  const buses = new Map<string, ServiceBusClient>();
  const serviceBusFor = (orgno: string) => {
    let b = buses.get(orgno);
    if (!b) {
      const key = d.sasKey;
      buses.set(orgno, (b = new ServiceBusClient({ baseUrl, key: async () => ({ keyName: d.sasKeyName, key: key ?? (await p.registries(orgno).sasToken()) }), clock: p.clock })));
    }
    return b;
  };
  const modeOf = (orgno: string) => d.modes.get(orgno) ?? d.mode;
  const replies = new StatusReplyRepo(p.stores.db);
  const sender = createDpeReplySender({ replies, serviceBusFor, modeOf, receiptQueue: d.receiptQueue, retry: config.outbox.retry, pollMs: config.outbox.pollMs, clock: p.clock, log: p.log });
  const storeDeps = {
    inbox: p.inbox,
    conversations: p.inbox.conversations,
    blobs: p.stores.blobs,
    replies,
    onReceived: () => sender.nudge(),
    // The integrasjonspunkt verifies a DPE package's signature on arrival; one that fails is answered with FEIL.
    checkPackage: async (org: string, cms: Uint8Array) => {
      const opened = openReceivedPackage(cms, await p.keystores.get(org), { anchors: p.anchors, clock: p.clock });
      if ("unreadable" in opened) throw new PackageRefusedError(opened.unreadable);
    },
    clock: p.clock,
    log: p.log,
  };
  // REST peek-lock by default; AMQP 1.0 when a broker URL is configured (the integrasjonspunkt's batchRead).
  const receiving: InboundSource = d.amqp
    ? new DpeAmqpSource({ ...storeDeps, ...d.amqp, orgs: config.nextMove.orgs, modeOf })
    : new DpeInboundSource({ ...storeDeps, orgs: config.nextMove.orgs, modeOf, serviceBusFor, pollMs: d.pollMs });
  const delivered = dpeDeliveryWrites(replies, p.clock);
  return {
    outbound: new DpeOutboundChannel({ repo: p.repo, blobs: p.stores.blobs, routerFor: p.routerFor, keystores: p.keystores, serviceBusFor, modeOf, receiptQueue: d.receiptQueue, clock: p.clock }),
    // The receive loop and the status-message sender run and stop together.
    inbound: {
      channel: "DPE",
      kind: "poll",
      start: async () => {
        await receiving.start();
        sender.start();
      },
      stop: async () => {
        await receiving.stop();
        await sender.stop();
      },
    },
    onDelivered: async (m, tx) => {
      await delivered(m, tx);
      // Sent once the delete commits; a nudge that comes first finds it at the next pass.
      if (m.channel === "DPE") setTimeout(() => sender.nudge(), 20);
    },
  };
}

function grantClient(ks: KeyStore, clientId: string, tokenUrl: string, p: NextMoveParts): GrantClient {
  return createGrantClient({
    clientId,
    audience: p.maskinporten.issuer,
    privateKey: ks.privateKey,
    certificateChain: [ks.certificate, ...ks.chain],
    tokenEndpoint: tokenUrl,
    clock: p.clock,
  });
}
