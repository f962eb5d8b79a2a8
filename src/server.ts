import { MemoryBudget } from "./as4/temp-files.js";
import { exclusivePasses } from "./core/worker-lease.js";
import { WorkerLeaseRepo } from "./store/worker-lease-repo.js";
import type { X509Certificate } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import type { Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp, createMetricsApp, listen, openStores, type AppParts, type Stores } from "./app.js";
import type { CallerVerifier } from "./api/auth.js";
import type { InboundLimits } from "./as4/inbound.js";
import { systemClock, type Clock } from "./clock.js";
import type { Config } from "./config.js";
import { createForretningsmeldingVerifier, type VerifiedForretningsmelding } from "./dpi/signed-forretningsmelding.js";
import type { Logger } from "./log.js";
import { NextMoveRepo } from "./store/nextmove-repo.js";
import { DpfMailRepo } from "./store/dpf-mail-repo.js";
import { StatusReplyRepo } from "./store/status-reply-repo.js";
import { createTokenVerifier } from "./maskinporten/token-verifier.js";
import { Metrics } from "./metrics.js";
import { createDiscovery, type Discovery } from "./peppol/discovery.js";
import { organisationNumberOf } from "./pki/business-certificate.js";
import { parseCrl } from "./pki/crl.js";
import { loadKeyStore } from "./pki/keystore.js";
import { loadAnchors } from "./pki/pem.js";
import { peppolSeatIdOf } from "./pki/peppol-certificate.js";
import { createPeppolApTrust } from "./pki/peppol-trust.js";
import { createRevocationCache } from "./pki/revocation-cache.js";
import { createRevocationChecker, type RevocationChecker } from "./pki/revocation.js";
import { evidenceUses } from "./pki/revocation-evidence.js";
import { RevocationAnswersRepo } from "./store/revocation-answers-repo.js";
import type { As4Identity, As4ReceiverDeps, SenderTrust } from "./channels/dpi/as4-receiver.js";
import { createDpiInboundHandler } from "./channels/dpi/dpi-inbound.js";
import { createFeilReceiptIssuer } from "./channels/dpi/feil-receipt.js";
import { DpiOutboundChannel, dpiLeaseMs } from "./channels/dpi/outbound.js";
import type { InboundSource, OutboundChannel, StatusPoller } from "./core/channel.js";
import { Outbox } from "./core/outbox.js";
import { StatusPolling } from "./core/status-polling.js";
import { As4InboundSource } from "./channels/dpi/as4-source.js";
import type { ConversationsRepo } from "./store/conversations-repo.js";
import { IN_FLIGHT_GRACE_MS, PayloadSweeper } from "./core/payload-sweeper.js";
import { PushWorker } from "./channels/dpi/push-worker.js";
import type { BlobStore } from "./store/blob-store.js";
import { ExchangeRepo } from "./store/exchange-repo.js";
import type { DpiMessagesRepo } from "./store/dpi-messages-repo.js";
import { OutboxRepo } from "./store/outbox-repo.js";
import { PushRepo } from "./store/push-repo.js";
import type { NextMoveFrontDoor } from "./server-nextmove.js";
import { adminParticipantsRouter } from "./api/admin-participants.js";
import { loadModule } from "./lazy-module.js";
import { ServedDirectory } from "./participants/directory.js";
import { ParticipantsService } from "./participants/service.js";
import type { ParticipantRole } from "./dpi/participant-roles.js";
import { SmpManagementClient } from "./peppol/smp-management.js";
import { ParticipantsRepo } from "./store/participants-repo.js";

/** A running access point: the HTTP server with its stores and workers, and how to stop it cleanly. */
export interface RunningAccessPoint {
  url: string;
  port: number;
  /** Base URL of the separate metrics server (DPI_AP_METRICS_PORT), when there is one. */
  metricsUrl?: string;
  /** Our Peppol seat id (CN of the AS4 certificate). */
  seatId: string;
  as4Certificate: X509Certificate;
  /** The stores behind the API, for in-process workers and tests. */
  repo: DpiMessagesRepo;
  blobs: BlobStore;
  outbox: Outbox;
  close(): Promise<void>;
}

export interface StartOptions {
  log: Logger;
  clock?: Clock;
  /** Start the outbox worker (default true). Tests that drive it by hand turn it off. */
  workers?: boolean;
  /** Rewrites OCSP/CRL URLs named in certificates, for local responders (tests, sandbox). */
  revocationUrlRewrite?: (url: string) => string;
  random?: () => number;
}

/**
 * Builds and starts one access point from its configuration: each subsystem below is made by its own function,
 * which takes what the earlier ones produced and returns what the later ones need.
 */
export async function startAccessPoint(config: Config, opts: StartOptions): Promise<RunningAccessPoint> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log;
  const maskinporten = requireMaskinporten(config);
  const { stores, as4Tmp, sweeper } = await openStoresAndSweep(config, log);
  const { identity, trust, revocation } = await startTrust(config, clock, new RevocationAnswersRepo(stores.db), opts.revocationUrlRewrite);
  const discovery = await startDiscovery(config, clock, revocation);
  const participants = await startParticipants(config, { stores, identity, clock, log });
  const verifyForretningsmelding = await createIntakeVerifier(config, clock, revocation, log);
  const outboxRepo = new OutboxRepo(stores.db);
  const metrics = createMetrics(config, outboxRepo);
  // The NextMove front door brings the eFormidling channels (their outbound sides, status pollers and polled
  // sources), which the core's outbox and status polling run beside DPI's.
  let nudgeOutbox = () => {};
  // Known once the HTTP server listens; links made before that (none: workers start after) would lack it.
  let listeningUrl = "";
  // Loaded only when enabled: the eFormidling channels and their libraries (mail, AMQP, the Service Registry
  // client) are some 140 modules that a DPI-only access point would otherwise hold in memory for nothing.
  const nextMove: NextMoveFrontDoor | undefined = config.nextMove.enabled
    ? await (await loadModule(() => import("./server-nextmove.js"), new URL("./server-nextmove.js", import.meta.url))).createNextMove(config, { stores, verifyForretningsmelding, maskinporten, clock, log, onQueued: () => nudgeOutbox(), random: opts.random, publicBase: () => config.publicUrl ?? listeningUrl })
    : undefined;
  // One memory budget for the AS4 spools of every message, sent or received.
  const spoolBudget = new MemoryBudget(config.spoolMemoryTotalBytes);
  const outbox = await createOutbox(config, { stores, outboxRepo, discovery, trust, identity, as4Tmp, spoolBudget, metrics, clock, log, random: opts.random, channels: nextMove?.channels.outbound ?? [] });
  nudgeOutbox = () => outbox.nudge();
  let push: PushWorker | undefined;
  const as4 = new As4InboundSource(
    config.as4.path,
    await createAs4Receiver(config, { stores, identity, trust, verifyForretningsmelding, as4Tmp, spoolBudget, metrics, clock, log, directory: participants.directory, onStored: () => push?.nudge() }),
  );
  // The inbound sources of every channel: pushed ones are mounted by the HTTP server, polled ones run their loops.
  const inbound: InboundSource[] = [as4, ...(nextMove?.channels.inbound ?? [])];
  const statusPolling = createStatusPolling(config, { conversations: stores.repo.conversations, leases: new WorkerLeaseRepo(stores.db), clock, log, pollers: nextMove?.channels.pollers ?? [] });
  for (const source of inbound) await source.start();
  // The operator console (its pages, assets and OIDC client) is loaded only where it is configured.
  const consoleRouter = config.console ? (await loadModule(() => import("./console/router.js"), new URL("./console/router.js", import.meta.url))).consoleRouter : undefined;
  const http = await startHttpServer(config, {
    ...stores,
    callers: createCallerVerifier(maskinporten, clock),
    verifyForretningsmelding,
    as4,
    metrics,
    clock,
    log,
    onAccepted: () => outbox.nudge(),
    ...(nextMove ? { nextMove: nextMove.router } : {}),
    servedParticipants: participants.directory.servedParticipants,
    ...(config.admin ? { admin: adminParticipantsRouter({ service: participants.service, credential: config.admin }) } : {}),
    ...(config.console && consoleRouter ? { console: consoleRouter({ config: config.console, publicUrl: config.publicUrl, db: stores.db, outbox, clock, log }) } : {}),
  });
  participants.listening(http.url);
  listeningUrl = http.url;
  const metricsHttp = await startMetricsServer(config, metrics, log);
  push = await createPush(config, { stores, baseUrl: http.url, clock, log, random: opts.random });
  if (opts.workers ?? true) {
    outbox.start();
    statusPolling.start();
    push.start();
    sweeper.start();
    nextMove?.start();
    participants.start();
  }
  log.info({ seatId: identity.seatId, as4Endpoint: `${http.url}${config.as4.path}` }, "AS4 endpoint ready");
  return {
    url: http.url,
    port: http.port,
    ...(metricsHttp ? { metricsUrl: metricsHttp.url } : {}),
    seatId: identity.seatId,
    as4Certificate: identity.certificate,
    repo: stores.repo,
    blobs: stores.blobs,
    outbox,
    async close() {
      const step = timedShutdownStep(log);
      await step("participants", () => participants.stop());
      for (const source of inbound) await step(`inbound ${source.channel}`, () => source.stop());
      await step("nextmove", () => nextMove?.stop());
      await step("outbox", () => outbox.stop());
      await step("status polling", () => statusPolling.stop());
      await step("push", () => push?.stop());
      await step("sweeper", () => sweeper.stop());
      await step("http server", () => http.close());
      await step("metrics server", () => metricsHttp?.close());
      await step("blob store", () => stores.blobs.close());
      await step("database", () => stores.db.$disconnect());
    },
  };
}

/**
 * Served participants: the store's list behind a cached directory that the intake and the AS4 inbound ask,
 * the onboarding service (with the SMP's management API when configured), and the configured seed stored.
 * Seeded participants waiting for their SMP registration are registered once the server listens (their
 * endpoint is its URL), then retried with every other pending one.
 */
async function startParticipants(config: Config, p: { stores: Stores; identity: As4Identity; clock: Clock; log: Logger }) {
  const log = p.log.child({ worker: "participants" });
  const repo = new ParticipantsRepo(p.stores.db);
  const directory = new ServedDirectory(repo, log);
  let endpointUrl = config.participants.endpointUrl;
  const m = config.participants.smpManagement;
  const service = new ParticipantsService({
    repo,
    directory,
    smp: m
      ? {
          client: new SmpManagementClient({ baseUrl: m.url, user: m.user, password: m.password }),
          endpoint: () => {
            if (!endpointUrl) throw new Error("the AS4 endpoint URL is not known before the server listens");
            return { endpointUrl, certificate: p.identity.certificate };
          },
          spelling: config.discovery.spelling,
        }
      : undefined,
    clock: p.clock,
    log,
  });
  const letters = new Set(config.letterRecipients);
  const seed = config.servedParticipants.flatMap((participant) => [
    { participant, role: "sender" as ParticipantRole },
    ...(letters.has(participant) ? (["postbox", "print"] as const).map((role) => ({ participant, role })) : []),
  ]);
  const seeded = await service.seed(seed);
  if (seeded) log.info({ added: seeded }, "served participants seeded from DPI_AP_SERVED_PARTICIPANTS");
  let retryTimer: NodeJS.Timeout | undefined;
  const retry = () => service.retryPending().catch((e: unknown) => log.warn({ err: e }, "retrying pending SMP registrations failed"));
  return {
    directory,
    service,
    /** The server listens at `url`: the AS4 endpoint is known, so pending registrations can go to the SMP. */
    listening(url: string) {
      endpointUrl ??= `${config.publicUrl ?? url}${config.as4.path}`;
      if (m) void retry();
    },
    start() {
      directory.start(config.participants.refreshMs);
      if (m) retryTimer = setInterval(() => void retry(), config.participants.retryMs).unref();
    },
    stop() {
      directory.stop();
      if (retryTimer) clearInterval(retryTimer);
    },
  };
}

/** Maskinporten's issuer and JWKS: without them no API call can be authenticated. */
function requireMaskinporten(config: Config): Config["maskinporten"] & { issuer: string; jwksUrl: string } {
  const { issuer, jwksUrl } = config.maskinporten;
  if (!issuer || !jwksUrl) throw new Error("Maskinporten issuer and JWKS URL must be configured");
  return { ...config.maskinporten, issuer, jwksUrl };
}

/**
 * Trust and revocation: our AS4 identity (key, certificate, seat id), the revocation checker with its cache that
 * every certificate check shares, and the Peppol AP trust that senders and receivers are validated against. Every
 * OCSP/CRL answer a certificate is found not revoked by is kept in the store (once), for the evidence bundles.
 */
async function startTrust(config: Config, clock: Clock, answers: RevocationAnswersRepo, revocationUrlRewrite?: (url: string) => string) {
  if (!config.as4.keystore) throw new Error("the AS4 keystore must be configured (DPI_AP_AS4_KEYSTORE)");
  const keystore = await loadKeyStore({ type: "pkcs12", file: config.as4.keystore, password: config.as4.keystorePassword });
  const identity: As4Identity = { privateKey: keystore.privateKey, certificate: keystore.certificate, seatId: peppolSeatIdOf(keystore.certificate) };
  const staticCrls = await Promise.all(config.as4.staticCrls.map(async (f) => parseCrl(await readFile(f), f)));
  const revocation = createRevocationChecker({
    mode: config.as4.revocation,
    staticCrls,
    clock,
    cache: createRevocationCache({ clock }),
    urlRewrite: revocationUrlRewrite ?? urlMap(config.as4.revocationUrlMap),
    keep: (answer) => answers.keep(answer),
  });
  const apTrust = createPeppolApTrust({ anchors: await loadAnchors(config.as4.trustAnchors), revocation, clock });
  const trust: SenderTrust = {
    validate: async (cert, at) => {
      const ap = await apTrust.validate(cert, at);
      return { seatId: ap.seatId, revocation: evidenceUses(ap.revocation, at) };
    },
  };
  return { identity, trust, revocation };
}

/** Discovery: SML (DNS or a static SMP) and SMP lookups with their signatures and certificates checked. */
async function startDiscovery(config: Config, clock: Clock, revocation: RevocationChecker): Promise<Discovery> {
  const d = config.discovery;
  return createDiscovery({
    sml: d.mode === "static" ? { mode: "static", smpUrl: d.smpUrl!, allowHttp: d.allowHttp } : d.mode === "cname" ? { mode: "cname", zone: d.zone! } : { mode: "naptr", zone: d.zone!, allowHttp: d.allowHttp },
    dnsServers: d.dnsServers,
    smpAnchors: await loadAnchors(d.smpTrustAnchors),
    spelling: d.spelling,
    clock,
    checkSmpCertificatePath: async (path, at) => void (await revocation.check(path, at)),
  });
}

/**
 * Stores and sweeps: the database (migrated) and payload store, the AS4 spool folder, and the sweeper that
 * removes what interrupted writes left behind, run once before anything can be in flight.
 */
async function openStoresAndSweep(config: Config, log: Logger) {
  const stores = await openStores(config, {
    // Commits that may not be on disk must not be answered, and a later sync that succeeds proves nothing about
    // them (sqlite-durability.ts): the process stops, as PostgreSQL does, and SQLite recovers its log at the next
    // start. Nothing after this line runs: no catch block treats the commit as rolled back.
    onCommitSyncFailure: (err) => {
      log.fatal({ err }, "the database's write-ahead log could not be synced: stopping, since commits may not be on disk");
      log.flush();
      process.exit(1);
    },
  });
  if (stores.applied.length) log.info({ migrations: stores.applied }, "database migrated");
  // AS4 spools (config.spoolDir): with the folder store under the data folder, not /tmp, on the same disk as
  // the payloads; with the PostgreSQL database store in the system's temp folder, as nothing in it outlives a restart.
  // What a crash left behind is swept with the payloads.
  const as4Tmp = config.spoolDir;
  await mkdir(as4Tmp, { recursive: true });
  const sweeper = new PayloadSweeper({
    blobs: stores.blobs,
    // Every table that names a blob: DPI's payloads and the NextMove API's files and packages.
    referencedKeys: async () => {
      const [dpi, nextMove, dpfMail] = await Promise.all([stores.repo.payloadKeys(), new NextMoveRepo(stores.db).blobKeys(), new DpfMailRepo(stores.db).blobKeys()]);
      return new Set([...dpi, ...nextMove, ...dpfMail]);
    },
    spoolDirs: [as4Tmp],
    intervalMs: config.sweepIntervalMs,
    // File times come from the operating system, the database blob store's times from the process's real clock:
    // compare them with that clock, never with a pinned test clock.
    clock: systemClock,
    log: log.child({ worker: "sweep" }),
  });
  // Nothing is in flight before the server listens: a store only this process uses is cleared completely.
  // Processes sharing a PostgreSQL store share its payloads (or the folders): then only clearly abandoned ones go.
  await sweeper.sweep(stores.singleProcess ? 0 : IN_FLIGHT_GRACE_MS);
  // Leases in a store only this process uses were held by its previous life: free them at once rather than wait
  // for them to run out (worker leases, src/core/worker-lease.ts; status messages and mails being sent).
  if (stores.singleProcess) {
    const released = {
      workers: await new WorkerLeaseRepo(stores.db).releaseAll(),
      statusReplies: await new StatusReplyRepo(stores.db).releaseAllLeases(),
      mails: await new DpfMailRepo(stores.db).releaseAllLeases(),
    };
    if (released.workers + released.statusReplies + released.mails > 0) log.info({ released }, "released leases left by a previous run");
  }
  return { stores, as4Tmp, sweeper };
}

/** The intake verifier: a forretningsmelding's JWS and business certificate, with the same revocation checks as AS4. */
async function createIntakeVerifier(config: Config, clock: Clock, revocation: RevocationChecker, log: Logger) {
  const warnTo = (to: Logger) => (warnings: readonly string[], signer: X509Certificate) =>
    to.warn({ signer: signer.subject.replace(/\n/g, ", "), warnings }, "forretningsmelding accepted although its certificate's revocation status is unknown (soft-fail)");
  const anchors = await loadAnchors(config.businessTrustAnchors);
  const verifierFor = (to: Logger) => createForretningsmeldingVerifier({ anchors, clock, revocation, onRevocationWarnings: warnTo(to) });
  const verify = verifierFor(log);
  // A caller serving a request hands its logger, so the warning carries the request id (a verifier is a closure).
  return (jws: string, requestLog?: Logger) => (requestLog ? verifierFor(requestLog) : verify)(jws);
}

/** Metrics, when enabled: the registry the workers and the HTTP edges count into. */
function createMetrics(config: Config, outboxRepo: OutboxRepo): Metrics | undefined {
  return config.metrics ? new Metrics({ outboxDue: () => outboxRepo.pending() }) : undefined;
}

interface OutboxParts {
  /** The eFormidling channels' outbound sides, sent beside DPI's. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  channels: readonly OutboundChannel<any>[];
  stores: Stores;
  outboxRepo: OutboxRepo;
  discovery: Discovery;
  trust: SenderTrust;
  identity: As4Identity;
  as4Tmp: string;
  spoolBudget: MemoryBudget;
  metrics: Metrics | undefined;
  clock: Clock;
  log: Logger;
  random: (() => number) | undefined;
}

/** The outbox: sends accepted messages over AS4, retries, and issues feil receipts with the operator's certificate. */
async function createOutbox(config: Config, p: OutboxParts): Promise<Outbox> {
  const { stores, log, metrics } = p;
  const feil = config.operator.keystore ? await operatorFeilIssuer(config.operator.keystore, config.operator.keystorePassword, stores.repo, p.clock, log) : undefined;
  if (!feil) log.warn("no operator keystore (DPI_AP_OPERATOR_KEYSTORE): failed letters get status FEILET but no feil receipt");
  // A lease in a store only this process uses was left by its previous life, which stopped mid-send. In a
  // shared (PostgreSQL) store it may belong to another running access point: leave it to run out.
  if (stores.singleProcess) {
    const released = await p.outboxRepo.releaseAllLeases();
    if (released) log.warn({ messages: released }, "outbox: released leases left by a previous run that stopped mid-send");
  }
  // The core's outbox, with the channels this access point sends through (DPI: SML/SMP and AS4).
  const dpi = new DpiOutboundChannel({
    messages: stores.repo,
    blobs: stores.blobs,
    discovery: p.discovery,
    receiverTrust: p.trust,
    identity: p.identity,
    spelling: config.discovery.spelling,
    timeoutMs: config.as4.timeoutMs,
    clock: p.clock,
    log: log.child({ worker: "outbox", channel: "DPI" }),
    tempDir: p.as4Tmp,
    memorySpoolBytes: config.spoolMemoryBytes,
    memorySpoolBudget: p.spoolBudget,
    allowHttpEndpoints: config.discovery.allowHttp,
    ...(metrics ? { onOutcome: (o: string) => metrics.as4Sent.inc({ outcome: o }) } : {}),
    ...(feil ? { feil } : {}),
  });
  return new Outbox({
    outbox: p.outboxRepo,
    channels: [dpi, ...p.channels],
    retry: config.outbox.retry,
    leaseMs: dpiLeaseMs(config.as4.timeoutMs),
    concurrency: config.outbox.concurrency,
    pollMs: config.outbox.pollMs,
    clock: p.clock,
    log: log.child({ worker: "outbox" }),
    random: p.random,
  });
}

/**
 * Status polling from the core for the channels whose far side is asked for status (DPF, DPV): each channel's
 * StatusPoller. DPI has none, so for a DPI-only access point it idles.
 */
function createStatusPolling(config: Config, p: { conversations: ConversationsRepo; leases: WorkerLeaseRepo; clock: Clock; log: Logger; pollers: readonly StatusPoller[] }): StatusPolling {
  return new StatusPolling({
    conversations: p.conversations,
    pollers: [...p.pollers],
    pollMs: config.statusPollMs,
    minIntervalMs: config.statusPollMinIntervalMs,
    batch: 100,
    clock: p.clock,
    log: p.log.child({ worker: "status-polling" }),
    exclusive: exclusivePasses(p.leases, p.clock),
  });
}

interface As4ReceiverParts {
  stores: Stores;
  identity: As4Identity;
  trust: SenderTrust;
  verifyForretningsmelding: (jws: string, log?: Logger) => Promise<VerifiedForretningsmelding>;
  as4Tmp: string;
  spoolBudget: MemoryBudget;
  metrics: Metrics | undefined;
  clock: Clock;
  log: Logger;
  /** Told after an incoming message was stored. */
  onStored: () => void;
  /** Who is served here, and which of them take letters. */
  directory: ServedDirectory;
}

/** The AS4 receiver: verifies incoming AS4 messages and hands them to the DPI inbound handler for the participants served here. */
async function createAs4Receiver(config: Config, p: As4ReceiverParts): Promise<As4ReceiverDeps> {
  const log = p.log.child({ worker: "as4-in" });
  const exchanges = new ExchangeRepo(p.stores.db);
  // A claim in a store only this process uses was left by its previous life, killed while handling a message:
  // the sender's resend takes it over at once. In a shared store it may be another instance's: its lease runs out.
  if (p.stores.singleProcess) {
    const released = await exchanges.releaseAllInboundClaims(p.clock());
    if (released) log.warn({ claims: released }, "AS4: released duplicate-detection claims left by a previous run that stopped mid-message");
  }
  return {
    identity: p.identity,
    trust: p.trust,
    exchanges,
    handler: createDpiInboundHandler({
      servedParticipants: p.directory.servedParticipants,
      letterRecipients: p.directory.letterRecipients,
      verifyForretningsmelding: p.verifyForretningsmelding,
      repo: p.stores.repo,
      blobs: p.stores.blobs,
      maxDokumentpakkeBytes: config.limits.dokumentpakkeBytes,
      clock: p.clock,
      log,
      onStored: p.onStored,
    }),
    clock: p.clock,
    log,
    tempDir: p.as4Tmp,
    memorySpoolBytes: config.spoolMemoryBytes,
    memorySpoolBudget: p.spoolBudget,
    limits: inboundLimits(config.limits),
    ...(p.metrics ? { onAnswer: (a: string) => p.metrics!.as4Received.inc({ answer: a }) } : {}),
  };
}

/** Who calls the REST API: the Maskinporten token of each request, verified against the configured issuer. */
function createCallerVerifier(m: ReturnType<typeof requireMaskinporten>, clock: Clock): CallerVerifier {
  const tokens = createTokenVerifier({
    issuer: m.issuer,
    jwksUrl: m.jwksUrl,
    requiredScope: m.scope,
    ...(m.audience ? { audience: m.audience } : {}),
    clockSkewSeconds: m.clockSkewSeconds,
    clock,
  });
  return {
    verify: async (bearer) => {
      const t = await tokens.verify(bearer);
      return { token: t.raw, consumer: t.consumer, supplier: t.supplier };
    },
  };
}

interface ListeningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The HTTP server: the REST API and the AS4 endpoint on one port. */
async function startHttpServer(config: Config, parts: Omit<AppParts, "config" | "metrics"> & { metrics: Metrics | undefined }): Promise<ListeningServer> {
  const { metrics, ...rest } = parts;
  const app = createApp({ config, ...rest, ...(metrics ? { metrics } : {}) });
  return listening(await listen(app, config.host, config.port, config.http), config.host, config.http.shutdownGraceMs, parts.log);
}

/** The metrics server, when /metrics has a port of its own (DPI_AP_METRICS_PORT). */
async function startMetricsServer(config: Config, metrics: Metrics | undefined, log: Logger): Promise<ListeningServer | undefined> {
  const m = config.metricsServer;
  if (!metrics || m.port === undefined) return undefined;
  return listening(await listen(createMetricsApp(metrics, m.token, log), m.host, m.port, config.http), m.host, config.http.shutdownGraceMs, log);
}

/**
 * Closing waits for the requests in flight, but not forever: a client that keeps a connection busy (a stalled
 * upload) would otherwise hold the shutdown open. After `graceMs` the rest are cut.
 */
function listening(server: Server, host: string, graceMs: number, log: Logger): ListeningServer {
  const port = (server.address() as AddressInfo).port;
  // A client that keeps its connection busy (a poller asking again as soon as it is answered) would never let it
  // go idle: once closing, every answer not yet begun tells the client to close the connection instead.
  const answering = new Set<ServerResponse>();
  let closing = false;
  server.prependListener("request", (_req, res: ServerResponse) => {
    if (closing) res.setHeader("Connection", "close");
    answering.add(res);
    res.on("close", () => answering.delete(res));
  });
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const res of answering) if (!res.headersSent) res.setHeader("Connection", "close");
        const cut = setTimeout(() => {
          log.warn({ port, graceMs }, "shutdown: connections still busy after the grace period are closed");
          server.closeAllConnections();
        }, graceMs);
        cut.unref();
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/** Runs one shutdown step and says which one was slow, so a shutdown that hangs names its culprit. */
function timedShutdownStep(log: Logger) {
  return async (name: string, stop: () => unknown): Promise<void> => {
    const started = Date.now();
    await stop();
    const ms = Date.now() - started;
    if (ms >= 2_000) log.warn({ step: name, ms }, "shutdown: a step was slow");
    else log.debug({ step: name, ms }, "shutdown: step done");
  };
}

/** Push: letters for providers with a webhook (DPI_AP_PUSH_WEBHOOKS) are posted to it, with a link back to us. */
async function createPush(config: Config, p: { stores: Stores; baseUrl: string; clock: Clock; log: Logger; random: (() => number) | undefined }): Promise<PushWorker> {
  const repo = new PushRepo(p.stores.db);
  // As with the outbox: push leases in a store only this process uses were left by its previous life.
  if (p.stores.singleProcess) {
    const released = await repo.releaseAllLeases();
    if (released) p.log.warn({ letters: released }, "push: released leases left by a previous run that stopped mid-push");
  }
  return new PushWorker({
    repo,
    webhooks: config.pushWebhooks,
    downloadUrl: (id) => `${config.publicUrl ?? p.baseUrl}/messages/in/${id}`,
    retry: config.outbox.retry,
    pollMs: config.outbox.pollMs,
    timeoutMs: config.as4.timeoutMs,
    clock: p.clock,
    log: p.log.child({ worker: "push" }),
    ...(p.random ? { random: p.random } : {}),
  });
}

/**
 * What one AS4 message may bring: the SBD is the base64 dokumentpakke (4/3 of its size) plus the
 * forretningsmelding and the envelope; gzip and encryption add little. Anything beyond is refused while it
 * streams in, before it can fill the disk.
 */
function inboundLimits(l: Config["limits"]): InboundLimits {
  const sbd = Math.ceil((l.dokumentpakkeBytes * 4) / 3) + l.forretningsmeldingBytes + 1024 * 1024;
  return {
    mime: { maxParts: 4, maxRootBytes: 1024 * 1024, maxPartBytes: sbd + 1024 * 1024, maxTotalBytes: sbd + 3 * 1024 * 1024 },
    maxPayloadBytes: sbd,
    maxTotalPayloadBytes: sbd,
  };
}

async function operatorFeilIssuer(file: string, password: string, repo: DpiMessagesRepo, clock: Clock, log: Logger) {
  const ks = await loadKeyStore({ type: "pkcs12", file, password });
  const signer = { privateKey: ks.privateKey, certificate: ks.certificate, org: `0192:${organisationNumberOf(ks.certificate)}` };
  return createFeilReceiptIssuer({ signer, repo, clock, log: log.child({ worker: "feil" }) });
}

/** Prefix rewrites from DPI_AP_REVOCATION_URL_MAP; URLs matching no prefix pass unchanged. */
function urlMap(map: [string, string][]): (url: string) => string {
  return (url) => {
    for (const [from, to] of map) if (url.startsWith(from)) return to + url.slice(from.length);
    return url;
  };
}
