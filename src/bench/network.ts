import { X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { loadDefaultSimOptions } from "../sim/maskinporten/defaults.js";
import { startMaskinportenSim, type MaskinportenSim } from "../sim/maskinporten/server.js";
import { startSandbox, type Sandbox, type SandboxOptions } from "../sim/sandbox.js";
import { startAccessPointProcess, type AccessPointProcess, type NetworkEndpoints } from "./access-point-process.js";
import { channelAccessPointEnv, SENDER_ORG, type ChannelEndpoints, type ChannelPlan } from "./channels.js";
import { PROJECT_ROOT } from "./child-process.js";
import type { Cleanup } from "./cleanup.js";
import { startBalancer, type Balancer } from "./balancer.js";
import { createBenchDatabase } from "./pg-databases.js";
import { startPostboxProcess, type PostboxProcess } from "./postbox-process.js";

/**
 * A whole DPI network on loopback for the benchmark: the simulators of the external parties in this
 * process, corner 2 and corner 3 as separate production-mode processes, both published in SML/SMP, and a
 * postbox provider process polling corner 3. Each corner is one process on its own SQLite database, or
 * (`store: "postgresql"`) one or more processes on a fresh PostgreSQL database of its own behind a round-robin
 * balancer in this process, which everything else then talks to: corner 1's posts and receipt polls, the other
 * corner's AS4 (the SMP publishes the balancer) and the postbox provider. Everything started is registered
 * with `cleanup` the moment it exists, so any failure part-way leaves nothing behind.
 */

export const CERTS_DIR = path.join(PROJECT_ROOT, "certs-example");
/** Business senders served by corner 2. */
export const SENDERS = ["0192:991825827", "0192:810969342", "0192:910076787"];
/** Postbox and print providers served by corner 3. */
export const PROVIDERS = ["0192:984661185", "0192:922020175", "0192:974761076"];
export const AVSENDER_ORGNO = "910076787";
export const DIGIPOST_ORGNO = "984661185";

/** One access point: its processes, where to reach it, and its store. */
export interface Corner {
  /** "corner 2" or "corner 3". */
  name: string;
  /** The balancer's address, or the single process's when there is none. */
  url: string;
  /** Its processes, named "corner 2" alone or "corner 2 #1", "corner 2 #2", …. */
  instances: AccessPointProcess[];
  balancer?: Balancer;
  store: { kind: "sqlite"; file: string } | { kind: "postgresql"; url: string; database: string };
}

export interface BenchNetwork {
  dir: string;
  sandbox: Sandbox;
  /** A Maskinporten simulator of its own whose tokens outlive the run (the sandbox's live 120 s). */
  maskinporten: MaskinportenSim;
  c2: Corner;
  c3: Corner;
  postbox: PostboxProcess;
}

export interface NetworkOptions {
  cleanup: Cleanup;
  logLevel: string;
  outboxConcurrency: number | undefined;
  /** Letters the postbox provider handles at once (default 1). */
  postboxConcurrency?: number;
  /** POST /messages/out requests the bench keeps in flight; the access points accept at least that many uploads at once. */
  uploadConcurrency?: number;
  /** Lifetime of access tokens: longer than the whole run, since one token is embedded in every letter. */
  tokenLifetimeSeconds: number;
  /** Processes per corner (more than one needs PostgreSQL). */
  instances?: number;
  /** The PostgreSQL server to create the corners' databases on; absent = SQLite. */
  postgresUrl?: string;
  /** DPI_AP_BLOB_STORE of SQLite access points (absent: their default). */
  blobStore?: "folder" | "database";
  /** Keep the temp folder (and the PostgreSQL databases). */
  keep: boolean;
  onStep?: (what: string) => void;
}

/** Names of a corner's processes: the corner's own name when it has one. Pure. */
export function instanceNames(corner: string, instances: number): string[] {
  return instances === 1 ? [corner] : Array.from({ length: instances }, (_, i) => `${corner} #${i + 1}`);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", resolve);
  });
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Resolves with every value, or rejects with the first failure once all have settled (so each registered its cleanup). */
async function allStarted<T>(starts: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(starts);
  return settled.map((r) => {
    if (r.status === "rejected") throw r.reason;
    return r.value;
  });
}

/** The simulators and the temp folder of a run, registered with cleanup. */
async function startSimulators(o: NetworkOptions, sandboxOptions: SandboxOptions = {}): Promise<{ dir: string; sandbox: Sandbox; maskinporten: MaskinportenSim }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-bench-"));
  if (!o.keep) o.cleanup.add("remove the temp folder", () => rm(dir, { recursive: true, force: true }));
  const sandbox = await startSandbox(sandboxOptions);
  o.cleanup.add("close the simulators", () => sandbox.close());
  const maskinporten = await startMaskinportenSim({ ...(await loadDefaultSimOptions(CERTS_DIR)), host: "127.0.0.1", port: 0, tokenLifetimeSeconds: o.tokenLifetimeSeconds });
  o.cleanup.add("close the Maskinporten simulator", () => maskinporten.close());
  return { dir, sandbox, maskinporten };
}

/** A corner whose store, balancer and ports exist; its processes start afterwards. */
interface PreparedCorner {
  name: string;
  folder: string;
  store: Corner["store"];
  ports: number[];
  balancer?: Balancer | undefined;
}

async function prepareCorner(o: NetworkOptions, dir: string, name: string, folder: string): Promise<PreparedCorner> {
  const instances = o.instances ?? 1;
  let store: Corner["store"];
  if (o.postgresUrl !== undefined) {
    const db = await createBenchDatabase(o.postgresUrl, `dpi_ap_bench_${folder}`);
    // Added before the processes' own stops, so it runs after them (cleanup runs last-added first).
    if (!o.keep) o.cleanup.add(`drop ${name}'s database ${db.name}`, () => db.drop());
    store = { kind: "postgresql", url: db.url, database: db.name };
  } else {
    store = { kind: "sqlite", file: path.join(dir, folder, "ap.db") };
  }
  const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
  let balancer: Balancer | undefined;
  if (store.kind === "postgresql") {
    const started = await startBalancer({ backends: ports.map((p) => `http://127.0.0.1:${p}`) });
    o.cleanup.add(`close ${name}'s balancer`, () => started.close());
    balancer = started;
  }
  return { name, folder, store, ports, balancer };
}

/** What one corner's processes are started with, beyond what every access point of the bench has. */
interface CornerSetup {
  seat: "POP000001" | "POP000002";
  served: readonly string[];
  endpoints: NetworkEndpoints;
  extraEnv?: Record<string, string>;
}

async function startInstance(o: NetworkOptions, dir: string, c: PreparedCorner, i: number, setup: CornerSetup): Promise<AccessPointProcess> {
  const instances = o.instances ?? 1;
  const name = instanceNames(c.name, instances)[i]!;
  const apDir = path.join(dir, instances === 1 ? c.folder : `${c.folder}-${i + 1}`);
  await mkdir(apDir, { recursive: true });
  const ap = await startAccessPointProcess({
    name,
    seat: setup.seat,
    port: c.ports[i]!,
    dir: apDir,
    served: setup.served,
    endpoints: setup.endpoints,
    certsDir: CERTS_DIR,
    logLevel: o.logLevel,
    outboxPollMs: 100,
    ...(o.outboxConcurrency !== undefined ? { outboxConcurrency: o.outboxConcurrency } : {}),
    ...(o.uploadConcurrency !== undefined ? { maxConcurrentUploads: Math.max(32, o.uploadConcurrency) } : {}),
    ...(c.store.kind === "postgresql" ? { postgresUrl: c.store.url } : {}),
    ...(o.blobStore !== undefined ? { blobStore: o.blobStore } : {}),
    ...(c.balancer ? { publicUrl: c.balancer.url } : {}),
    ...(setup.extraEnv ? { extraEnv: setup.extraEnv } : {}),
  });
  o.cleanup.add(`stop ${name}`, () => ap.stop());
  return ap;
}

/**
 * Starts the corners' processes: the first of each corner together (each migrates its database), then the
 * others; returns each corner with its processes in order.
 */
async function startCorners(o: NetworkOptions, dir: string, corners: readonly { prepared: PreparedCorner; setup: CornerSetup }[]): Promise<Corner[]> {
  const instances = o.instances ?? 1;
  const started: AccessPointProcess[][] = corners.map(() => []);
  const start = async (from: number, to: number) => {
    const range = Array.from({ length: to - from }, (_, k) => from + k);
    await allStarted(corners.flatMap((c, ci) => range.map((i) => startInstance(o, dir, c.prepared, i, c.setup).then((ap) => (started[ci]![i] = ap)))));
  };
  await start(0, 1);
  if (instances > 1) await start(1, instances);
  return corners.map(({ prepared: p }, ci) => ({
    name: p.name,
    url: p.balancer?.url ?? started[ci]![0]!.url,
    instances: started[ci]!,
    ...(p.balancer ? { balancer: p.balancer } : {}),
    store: p.store,
  }));
}

function checkInstances(o: NetworkOptions): void {
  if ((o.instances ?? 1) > 1 && o.postgresUrl === undefined) throw new Error("several instances of an access point need a PostgreSQL store");
}

function startingStep(o: NetworkOptions, corners: string): string {
  const instances = o.instances ?? 1;
  return instances === 1
    ? `starting ${corners} (separate processes, production mode, ${o.postgresUrl ? "PostgreSQL behind a balancer" : "SQLite"})`
    : `starting ${corners}, ${instances} processes each on PostgreSQL behind a balancer (production mode)`;
}

export async function startBenchNetwork(o: NetworkOptions): Promise<BenchNetwork> {
  const step = o.onStep ?? (() => {});
  checkInstances(o);
  step("starting the simulators (Maskinporten, OCSP/CRL, SMP, DNS)");
  const { dir, sandbox, maskinporten } = await startSimulators(o);

  const endpoints: NetworkEndpoints = {
    maskinportenIssuer: maskinporten.issuer,
    maskinportenJwksUrl: maskinporten.jwksUrl,
    pkiUrl: sandbox.pki.url,
    smlZone: sandbox.zone,
    dnsServer: sandbox.dnsServer,
  };

  const [p2, p3] = await allStarted([prepareCorner(o, dir, "corner 2", "c2"), prepareCorner(o, dir, "corner 3", "c3")]);
  step(startingStep(o, "corner 2 and corner 3"));
  const [c2, c3] = await startCorners(o, dir, [
    { prepared: p2!, setup: { seat: "POP000001", served: SENDERS, endpoints } },
    { prepared: p3!, setup: { seat: "POP000002", served: PROVIDERS, endpoints } },
  ]);

  const apCertificate = async (seat: string) => new X509Certificate(await readFile(path.join(CERTS_DIR, `ap/${seat}.pem`)));
  await sandbox.registerAccessPoint({ endpointUrl: `${c2!.url}/as4`, certificate: await apCertificate("POP000001"), participants: SENDERS, receives: "receipts" });
  await sandbox.registerAccessPoint({ endpointUrl: `${c3!.url}/as4`, certificate: await apCertificate("POP000002"), participants: PROVIDERS, receives: "letters" });

  step("starting the postbox provider (Digipost simulator)");
  const postbox = await startPostboxProcess({
    accessPointUrl: c3!.url,
    orgno: DIGIPOST_ORGNO,
    tokenUrl: maskinporten.tokenUrl,
    issuer: maskinporten.issuer,
    certsDir: CERTS_DIR,
    dir,
    ...(o.postboxConcurrency !== undefined ? { concurrency: o.postboxConcurrency } : {}),
    logLevel: o.logLevel === "info" ? "warn" : o.logLevel,
  });
  o.cleanup.add("stop the postbox provider", () => postbox.stop());
  return { dir, sandbox, maskinporten, c2: c2!, c3: c3!, postbox };
}

/** The network of an eFormidling channel run: corner 2 for the sender, corner 3 for the receiver when it has one. */
export interface ChannelNetwork {
  dir: string;
  sandbox: Sandbox;
  c2: Corner;
  c3?: Corner;
}

/**
 * The simulators, with Altinn publishing (and its recipient reading) each correspondence and SvarUt moving each
 * forsendelse to KLAR_FOR_MOTTAK and LEST the moment they arrive, so each message takes the path it takes in the
 * sandbox without the sandbox's waits; corner 2 serving the sender alone with the channel on, and for DPO and
 * DPE corner 3 serving the receiver alone. Both talk to the sandbox's Maskinporten, which the Service Registry,
 * Altinn and SvarUt simulators trust (each organisation's own client gets its tokens there).
 */
export async function startChannelNetwork(o: NetworkOptions, plan: ChannelPlan): Promise<ChannelNetwork> {
  const step = o.onStep ?? (() => {});
  checkInstances(o);
  step(`starting the simulators (Maskinporten, Service Registry, ${plan.serviceIdentifier}'s far side)`);
  const { dir, sandbox } = await startSimulators(o, {
    altinnCorrespondence: { publishAfterMs: 0, readAfterMs: 0 },
    svarUtAutoAdvance: { klarForMottakMs: 0, lestMs: 0 },
  });
  const endpoints: NetworkEndpoints = {
    maskinportenIssuer: sandbox.maskinporten.issuer,
    maskinportenJwksUrl: sandbox.maskinporten.jwksUrl,
    pkiUrl: sandbox.pki.url,
    smlZone: sandbox.zone,
    dnsServer: sandbox.dnsServer,
  };
  const channelEndpoints: ChannelEndpoints = {
    serviceRegistryUrl: sandbox.serviceRegistry.url,
    maskinportenTokenUrl: sandbox.maskinporten.tokenUrl,
    altinnTokenExchangeUrl: sandbox.altinnToken.exchangeUrl,
    brokerUrl: sandbox.altinnBroker.url,
    correspondenceUrl: sandbox.altinnCorrespondence.url,
    svarUtUrl: sandbox.svarUt.url,
    serviceBusUrl: sandbox.serviceBus.url,
  };
  const corner = (name: "corner 2" | "corner 3", orgno: string, seat: "POP000001" | "POP000002"): CornerSetup => ({
    seat,
    served: [`0192:${orgno}`],
    endpoints,
    extraEnv: channelAccessPointEnv(plan, name, orgno, channelEndpoints, CERTS_DIR),
  });
  const wanted = [
    { name: "corner 2" as const, folder: "c2", setup: corner("corner 2", SENDER_ORG, "POP000001") },
    ...(plan.receivingCorner ? [{ name: "corner 3" as const, folder: "c3", setup: corner("corner 3", plan.receiver, "POP000002") }] : []),
  ];
  const prepared = await allStarted(wanted.map((w) => prepareCorner(o, dir, w.name, w.folder)));
  step(startingStep(o, plan.receivingCorner ? "corner 2 and corner 3" : "corner 2"));
  const [c2, c3] = await startCorners(o, dir, wanted.map((w, i) => ({ prepared: prepared[i]!, setup: w.setup })));
  return { dir, sandbox, c2: c2!, ...(c3 ? { c3 } : {}) };
}
