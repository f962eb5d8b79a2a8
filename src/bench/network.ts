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
import { startPostboxProcess, type PostboxProcess } from "./postbox-process.js";

/**
 * A whole DPI network on loopback for the benchmark: the simulators of the external parties in this
 * process, corner 2 and corner 3 as separate production-mode processes with their own databases, both
 * published in SML/SMP, and a postbox provider process polling corner 3. Everything started is registered
 * with `cleanup` the moment it exists, so any failure part-way leaves nothing behind.
 */

export const CERTS_DIR = path.join(PROJECT_ROOT, "certs-example");
/** Business senders served by corner 2. */
export const SENDERS = ["0192:991825827", "0192:810969342", "0192:910076787"];
/** Postbox and print providers served by corner 3. */
export const PROVIDERS = ["0192:984661185", "0192:922020175", "0192:974761076"];
export const AVSENDER_ORGNO = "910076787";
export const DIGIPOST_ORGNO = "984661185";

export interface BenchNetwork {
  dir: string;
  sandbox: Sandbox;
  /** A Maskinporten simulator of its own whose tokens outlive the run (the sandbox's live 120 s). */
  maskinporten: MaskinportenSim;
  c2: AccessPointProcess;
  c3: AccessPointProcess;
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
  /** Keep the temp folder. */
  keep: boolean;
  onStep?: (what: string) => void;
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

export async function startBenchNetwork(o: NetworkOptions): Promise<BenchNetwork> {
  const step = o.onStep ?? (() => {});
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
  const corner = async (name: string, folder: string, seat: "POP000001" | "POP000002", served: string[]) => {
    const apDir = path.join(dir, folder);
    await mkdir(apDir, { recursive: true });
    const ap = await startAccessPointProcess({
      name,
      seat,
      port: await freePort(),
      dir: apDir,
      served,
      endpoints,
      certsDir: CERTS_DIR,
      logLevel: o.logLevel,
      outboxPollMs: 100,
      ...(o.outboxConcurrency !== undefined ? { outboxConcurrency: o.outboxConcurrency } : {}),
      ...(o.uploadConcurrency !== undefined ? { maxConcurrentUploads: Math.max(32, o.uploadConcurrency) } : {}),
    });
    o.cleanup.add(`stop ${name}`, () => ap.stop());
    return ap;
  };
  step("starting corner 2 and corner 3 (separate processes, production mode)");
  // allSettled: when one fails, the other has still registered its own cleanup before we throw.
  const started = await Promise.allSettled([corner("corner 2", "c2", "POP000001", SENDERS), corner("corner 3", "c3", "POP000002", PROVIDERS)]);
  const [c2, c3] = started.map((r) => {
    if (r.status === "rejected") throw r.reason;
    return r.value;
  }) as [AccessPointProcess, AccessPointProcess];

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
