import { X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { loadDefaultSimOptions } from "../sim/maskinporten/defaults.js";
import { startMaskinportenSim, type MaskinportenSim } from "../sim/maskinporten/server.js";
import { startSandbox, type Sandbox } from "../sim/sandbox.js";
import { startAccessPointProcess, type AccessPointProcess } from "./access-point-process.js";
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
  /** POST /messages/out requests the bench keeps in flight; the access points accept at least that many uploads at once. */
  uploadConcurrency?: number;
  /** Lifetime of access tokens: longer than the whole run, since one token is embedded in every letter. */
  tokenLifetimeSeconds: number;
  /** Processes per corner (more than one needs PostgreSQL). */
  instances?: number;
  /** The PostgreSQL server to create the corners' databases on; absent = SQLite. */
  postgresUrl?: string;
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

export async function startBenchNetwork(o: NetworkOptions): Promise<BenchNetwork> {
  const step = o.onStep ?? (() => {});
  const instances = o.instances ?? 1;
  if (instances > 1 && o.postgresUrl === undefined) throw new Error("several instances of an access point need a PostgreSQL store");
  const dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-bench-"));
  if (!o.keep) o.cleanup.add("remove the temp folder", () => rm(dir, { recursive: true, force: true }));

  step("starting the simulators (Maskinporten, OCSP/CRL, SMP, DNS)");
  const sandbox = await startSandbox();
  o.cleanup.add("close the simulators", () => sandbox.close());
  const maskinporten = await startMaskinportenSim({ ...(await loadDefaultSimOptions(CERTS_DIR)), host: "127.0.0.1", port: 0, tokenLifetimeSeconds: o.tokenLifetimeSeconds });
  o.cleanup.add("close the Maskinporten simulator", () => maskinporten.close());

  const endpoints = {
    maskinportenIssuer: maskinporten.issuer,
    maskinportenJwksUrl: maskinporten.jwksUrl,
    pkiUrl: sandbox.pki.url,
    smlZone: sandbox.zone,
    dnsServer: sandbox.dnsServer,
  };

  /** The corner's store, balancer and ports; its processes start afterwards. */
  const prepare = async (name: string, folder: string) => {
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
  };

  const startInstance = async (
    c: Awaited<ReturnType<typeof prepare>>,
    i: number,
    seat: "POP000001" | "POP000002",
    served: string[],
  ): Promise<AccessPointProcess> => {
    const name = instanceNames(c.name, instances)[i]!;
    const apDir = path.join(dir, instances === 1 ? c.folder : `${c.folder}-${i + 1}`);
    await mkdir(apDir, { recursive: true });
    const ap = await startAccessPointProcess({
      name,
      seat,
      port: c.ports[i]!,
      dir: apDir,
      served,
      endpoints,
      certsDir: CERTS_DIR,
      logLevel: o.logLevel,
      outboxPollMs: 100,
      ...(o.outboxConcurrency !== undefined ? { outboxConcurrency: o.outboxConcurrency } : {}),
      ...(o.uploadConcurrency !== undefined ? { maxConcurrentUploads: Math.max(32, o.uploadConcurrency) } : {}),
      ...(c.store.kind === "postgresql" ? { postgresUrl: c.store.url } : {}),
      ...(c.balancer ? { publicUrl: c.balancer.url } : {}),
    });
    o.cleanup.add(`stop ${name}`, () => ap.stop());
    return ap;
  };

  const [p2, p3] = await allStarted([prepare("corner 2", "c2"), prepare("corner 3", "c3")]);
  const c2Instances: AccessPointProcess[] = [];
  const c3Instances: AccessPointProcess[] = [];
  step(
    instances === 1
      ? `starting corner 2 and corner 3 (separate processes, production mode, ${o.postgresUrl ? "PostgreSQL behind a balancer" : "SQLite"})`
      : `starting corner 2 and corner 3, ${instances} processes each on PostgreSQL behind a balancer (production mode)`,
  );
  // The first process of each corner migrates its database; the others start once it has.
  const start = async (from: number, to: number) => {
    const range = Array.from({ length: to - from }, (_, k) => from + k);
    await allStarted([
      ...range.map((i) => startInstance(p2!, i, "POP000001", SENDERS).then((ap) => (c2Instances[i] = ap))),
      ...range.map((i) => startInstance(p3!, i, "POP000002", PROVIDERS).then((ap) => (c3Instances[i] = ap))),
    ]);
  };
  await start(0, 1);
  if (instances > 1) await start(1, instances);
  const corner = (p: Awaited<ReturnType<typeof prepare>>, list: AccessPointProcess[]): Corner => ({
    name: p.name,
    url: p.balancer?.url ?? list[0]!.url,
    instances: list,
    ...(p.balancer ? { balancer: p.balancer } : {}),
    store: p.store,
  });
  const c2 = corner(p2!, c2Instances);
  const c3 = corner(p3!, c3Instances);

  const apCertificate = async (seat: string) => new X509Certificate(await readFile(path.join(CERTS_DIR, `ap/${seat}.pem`)));
  await sandbox.registerAccessPoint({ endpointUrl: `${c2.url}/as4`, certificate: await apCertificate("POP000001"), participants: SENDERS, receives: "receipts" });
  await sandbox.registerAccessPoint({ endpointUrl: `${c3.url}/as4`, certificate: await apCertificate("POP000002"), participants: PROVIDERS, receives: "letters" });

  step("starting the postbox provider (Digipost simulator)");
  const postbox = await startPostboxProcess({
    accessPointUrl: c3.url,
    orgno: DIGIPOST_ORGNO,
    tokenUrl: maskinporten.tokenUrl,
    issuer: maskinporten.issuer,
    certsDir: CERTS_DIR,
    dir,
    logLevel: o.logLevel === "info" ? "warn" : o.logLevel,
  });
  o.cleanup.add("stop the postbox provider", () => postbox.stop());
  return { dir, sandbox, maskinporten, c2, c3, postbox };
}
