import type { AddressInfo } from "node:net";
import type { X509Certificate } from "node:crypto";
import { createApp, createMetricsApp, listen, openStores } from "./app.js";
import { systemClock, type Clock } from "./clock.js";
import type { Config } from "./config.js";
import type { Logger } from "./log.js";
import { createForretningsmeldingVerifier } from "./dpi/signed-forretningsmelding.js";
import { createTokenVerifier } from "./maskinporten/token-verifier.js";
import { createDiscovery } from "./peppol/discovery.js";
import { loadKeyStore } from "./pki/keystore.js";
import { loadAnchors } from "./pki/pem.js";
import { peppolSeatIdOf } from "./pki/peppol-certificate.js";
import { createPeppolApTrust } from "./pki/peppol-trust.js";
import { createRevocationCache } from "./pki/revocation-cache.js";
import { createRevocationChecker, type RevocationMode } from "./pki/revocation.js";
import { parseCrl } from "./pki/crl.js";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { InboundLimits } from "./as4/inbound.js";
import type { As4Identity, SenderTrust } from "./relay/as4-receiver.js";
import { createDpiInboundHandler } from "./relay/dpi-inbound.js";
import { OutboxWorker } from "./relay/outbox-worker.js";
import { Metrics } from "./metrics.js";
import { PushWorker } from "./relay/push-worker.js";
import { PushRepo } from "./store/push-repo.js";
import { createFeilReceiptIssuer } from "./relay/feil-receipt.js";
import { organisationNumberOf } from "./pki/business-certificate.js";
import { IN_FLIGHT_GRACE_MS, PayloadSweeper } from "./relay/payload-sweeper.js";
import type { BlobStore } from "./store/blob-store.js";
import { ExchangeRepo } from "./store/exchange-repo.js";
import type { DpiMessagesRepo } from "./store/dpi-messages-repo.js";
import { OutboxRepo } from "./store/outbox-repo.js";

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
  outbox: OutboxWorker;
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

export async function startAccessPoint(config: Config, opts: StartOptions): Promise<RunningAccessPoint> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log;
  const { issuer, jwksUrl } = config.maskinporten;
  if (!issuer || !jwksUrl) throw new Error("Maskinporten issuer and JWKS URL must be configured");
  if (!config.as4.keystore) throw new Error("the AS4 keystore must be configured (DPI_AP_AS4_KEYSTORE)");

  const keystore = await loadKeyStore({ type: "pkcs12", file: config.as4.keystore, password: config.as4.keystorePassword });
  const identity: As4Identity = { privateKey: keystore.privateKey, certificate: keystore.certificate, seatId: peppolSeatIdOf(keystore.certificate) };
  const staticCrls = await Promise.all(config.as4.staticCrls.map(async (f) => parseCrl(await readFile(f), f)));
  const revocationCache = createRevocationCache({ clock });
  const revocationChecker = (mode: RevocationMode) =>
    createRevocationChecker({ mode, staticCrls, clock, cache: revocationCache, urlRewrite: opts.revocationUrlRewrite ?? urlMap(config.as4.revocationUrlMap) });
  const revocation = revocationChecker(config.as4.revocation);
  const apTrust = createPeppolApTrust({ anchors: await loadAnchors(config.as4.trustAnchors), revocation, clock });
  const trust: SenderTrust = { validate: async (cert, at) => ({ seatId: (await apTrust.validate(cert, at)).seatId }) };
  const smpAnchors = await loadAnchors(config.discovery.smpTrustAnchors);
  const d = config.discovery;
  const discovery = createDiscovery({
    sml: d.mode === "static" ? { mode: "static", smpUrl: d.smpUrl!, allowHttp: d.allowHttp } : d.mode === "cname" ? { mode: "cname", zone: d.zone! } : { mode: "naptr", zone: d.zone!, allowHttp: d.allowHttp },
    dnsServers: d.dnsServers,
    smpAnchors,
    spelling: d.spelling,
    clock,
    checkSmpCertificatePath: async (path, at) => void (await revocation.check(path, at)),
  });

  const stores = await openStores(config);
  if (stores.applied.length) log.info({ migrations: stores.applied }, "database migrated");
  // AS4 spools under the data folder, not /tmp: it is on the same disk as the payloads, and what a crash
  // left behind is swept with them.
  const as4Tmp = path.join(config.dataDir, "as4-tmp");
  await mkdir(as4Tmp, { recursive: true });
  const sweeper = new PayloadSweeper({
    blobs: stores.blobs,
    referencedKeys: () => stores.repo.payloadKeys(),
    spoolDirs: [as4Tmp],
    intervalMs: config.sweepIntervalMs,
    // File times come from the operating system: compare them with its clock, never with a pinned test clock.
    clock: systemClock,
    log: log.child({ worker: "sweep" }),
  });
  // Nothing is in flight before the server listens: a store only this process uses is cleared completely.
  // Processes sharing a PostgreSQL store may share the folders too: then only clearly abandoned files go.
  await sweeper.sweep(stores.singleProcess ? 0 : IN_FLIGHT_GRACE_MS);
  const businessAnchors = await loadAnchors(config.businessTrustAnchors);
  const onRevocationWarnings = (warnings: readonly string[], signer: X509Certificate) =>
    log.warn({ signer: signer.subject.replace(/\n/g, ", "), warnings }, "forretningsmelding accepted although its certificate's revocation status is unknown (soft-fail)");
  // Business certificates are checked with the same revocation machinery, cache and mode as AS4 certificates.
  const verifyForretningsmelding = createForretningsmeldingVerifier({ anchors: businessAnchors, clock, revocation, onRevocationWarnings });
  const feil = config.operator.keystore ? await operatorFeilIssuer(config.operator.keystore, config.operator.keystorePassword, stores.repo, clock, log) : undefined;
  if (!feil) log.warn("no operator keystore (DPI_AP_OPERATOR_KEYSTORE): failed letters get status FEILET but no feil receipt");
  const outboxRepo = new OutboxRepo(stores.db);
  const metrics = config.metrics ? new Metrics({ outboxDue: () => outboxRepo.pending() }) : undefined;
  // A lease in a store only this process uses was left by its previous life, which stopped mid-send. In a
  // shared (PostgreSQL) store it may belong to another running access point: leave it to run out.
  if (stores.singleProcess) {
    const released = await outboxRepo.releaseAllLeases();
    if (released) log.warn({ messages: released }, "outbox: released leases left by a previous run that stopped mid-send");
    await new PushRepo(stores.db).releaseAllLeases();
  }
  const outbox = new OutboxWorker({
    outbox: outboxRepo,
    messages: stores.repo,
    blobs: stores.blobs,
    discovery,
    receiverTrust: trust,
    identity,
    spelling: d.spelling,
    retry: config.outbox.retry,
    timeoutMs: config.as4.timeoutMs,
    concurrency: config.outbox.concurrency,
    pollMs: config.outbox.pollMs,
    clock,
    log: log.child({ worker: "outbox" }),
    tempDir: as4Tmp,
    allowHttpEndpoints: config.discovery.allowHttp,
    ...(metrics ? { onOutcome: (o: string) => metrics.as4Sent.inc({ outcome: o }) } : {}),
    ...(opts.random ? { random: opts.random } : {}),
    ...(feil ? { feil } : {}),
  });

  const tokens = createTokenVerifier({
    issuer,
    jwksUrl,
    requiredScope: config.maskinporten.scope,
    ...(config.maskinporten.audience ? { audience: config.maskinporten.audience } : {}),
    clockSkewSeconds: config.maskinporten.clockSkewSeconds,
    clock,
  });
  const servedParticipants = new Set(config.servedParticipants);
  let push: PushWorker | undefined;
  const app = createApp({
    config,
    ...stores,
    callers: {
      verify: async (bearer) => {
        const t = await tokens.verify(bearer);
        return { token: t.raw, consumer: t.consumer, supplier: t.supplier };
      },
    },
    verifyForretningsmelding,
    clock,
    log,
    onAccepted: () => outbox.nudge(),
    ...(metrics ? { metrics } : {}),
    as4: {
      identity,
      trust,
      exchanges: new ExchangeRepo(stores.db),
      handler: createDpiInboundHandler({
        servedParticipants,
        letterRecipients: new Set(config.letterRecipients),
        verifyForretningsmelding,
        repo: stores.repo,
        blobs: stores.blobs,
        maxDokumentpakkeBytes: config.limits.dokumentpakkeBytes,
        clock,
        log: log.child({ worker: "as4-in" }),
        onStored: () => push?.nudge(),
      }),
      clock,
      log: log.child({ worker: "as4-in" }),
      tempDir: as4Tmp,
      limits: inboundLimits(config.limits),
      ...(metrics ? { onAnswer: (a: string) => metrics.as4Received.inc({ answer: a }) } : {}),
    },
  });
  const server = await listen(app, config.host, config.port, config.http);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  const m = config.metricsServer;
  const metricsServer = metrics && m.port !== undefined ? await listen(createMetricsApp(metrics, m.token, log), m.host, m.port, config.http) : undefined;
  const metricsUrl = metricsServer && `http://${m.host.includes(":") ? `[${m.host}]` : m.host}:${(metricsServer.address() as AddressInfo).port}`;
  push = new PushWorker({
    repo: new PushRepo(stores.db),
    webhooks: config.pushWebhooks,
    downloadUrl: (id) => `${config.publicUrl ?? url}/messages/in/${id}`,
    retry: config.outbox.retry,
    pollMs: config.outbox.pollMs,
    timeoutMs: config.as4.timeoutMs,
    clock,
    log: log.child({ worker: "push" }),
    ...(opts.random ? { random: opts.random } : {}),
  });
  if (opts.workers ?? true) {
    outbox.start();
    push.start();
    sweeper.start();
  }
  log.info({ seatId: identity.seatId, as4Endpoint: `${url}${config.as4.path}` }, "AS4 endpoint ready");
  return {
    url,
    port,
    ...(metricsUrl ? { metricsUrl } : {}),
    seatId: identity.seatId,
    as4Certificate: identity.certificate,
    repo: stores.repo,
    blobs: stores.blobs,
    outbox,
    async close() {
      await outbox.stop();
      await push?.stop();
      await sweeper.stop();
      for (const s of [server, metricsServer]) {
        if (s) {
          await new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeIdleConnections();
          });
        }
      }
      await stores.db.$disconnect();
    },
  };
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
