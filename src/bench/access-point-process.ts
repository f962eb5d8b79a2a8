import path from "node:path";
import { baseEnv, spawnChild, type ChildHandle } from "./child-process.js";

/**
 * One access point as its own process in production mode (DPI_AP_SANDBOX=false), configured only by
 * environment variables exactly as an operator would, against the local simulators.
 */

/** Where the simulators listen, as the access points must be told. */
export interface NetworkEndpoints {
  maskinportenIssuer: string;
  maskinportenJwksUrl: string;
  /** Base URL of the OCSP/CRL responder that stands in for certs-example's http://127.0.0.1:8899. */
  pkiUrl: string;
  smlZone: string;
  /** "host:port" of the SML DNS simulator. */
  dnsServer: string;
}

export interface AccessPointProcessOptions {
  name: string;
  seat: "POP000001" | "POP000002";
  port: number;
  /** Folder of its database and payloads. */
  dir: string;
  /** "0192:<orgno>" of the participants it serves. */
  served: readonly string[];
  endpoints: NetworkEndpoints;
  certsDir: string;
  logLevel: string;
  outboxPollMs: number;
  outboxConcurrency?: number;
  /** DPI_AP_MAX_CONCURRENT_UPLOADS: the bench raises it to its own concurrency, so it measures throughput, not the cap. */
  maxConcurrentUploads?: number;
  /**
   * A postgresql:// store shared by the corner's instances, payloads in it (DPI_AP_BLOB_STORE=database) and the
   * AS4 spool in `dir`; absent = SQLite and payload files in `dir`.
   */
  postgresUrl?: string;
  /** DPI_AP_BLOB_STORE of a SQLite access point (absent: its default, payload files); PostgreSQL's is always database. */
  blobStore?: "folder" | "database";
  /** DPI_AP_PUBLIC_URL: the balancer's address when the instance sits behind one. */
  publicUrl?: string;
  /** More settings on top (the NextMove API and a channel's, in a channel run); they win over the ones above. */
  extraEnv?: Record<string, string>;
}

/** certs-example's responder address, named in the AIA/CRL-DP extensions of its AP certificates. */
export const CERTS_EXAMPLE_PKI_URL = "http://127.0.0.1:8899";

/** The environment of one access point. Pure. */
export function accessPointEnv(o: AccessPointProcessOptions): Record<string, string> {
  const c = (rel: string) => path.join(o.certsDir, rel);
  return {
    DPI_AP_SANDBOX: "false",
    DPI_AP_HOST: "127.0.0.1",
    DPI_AP_PORT: String(o.port),
    DPI_AP_DATABASE_URL: o.postgresUrl ?? `file:${path.join(o.dir, "ap.db")}`,
    DPI_AP_DATA_DIR: o.dir,
    ...(o.postgresUrl !== undefined ? { DPI_AP_BLOB_STORE: "database", DPI_AP_SPOOL_DIR: path.join(o.dir, "spool") } : {}),
    ...(o.postgresUrl === undefined && o.blobStore !== undefined ? { DPI_AP_BLOB_STORE: o.blobStore } : {}),
    ...(o.publicUrl !== undefined ? { DPI_AP_PUBLIC_URL: o.publicUrl } : {}),
    DPI_AP_LOG_LEVEL: o.logLevel,
    DPI_AP_MASKINPORTEN_ISSUER: o.endpoints.maskinportenIssuer,
    DPI_AP_MASKINPORTEN_JWKS_URL: o.endpoints.maskinportenJwksUrl,
    DPI_AP_BUSINESS_TRUST_ANCHORS: [c("business/root-ca.pem"), c("business/intermediate-ca.pem")].join(","),
    DPI_AP_SERVED_PARTICIPANTS: o.served.join(","),
    DPI_AP_AS4_KEYSTORE: c(`ap/${o.seat}.p12`),
    DPI_AP_AS4_KEYSTORE_PASSWORD: "changeit",
    DPI_AP_OPERATOR_KEYSTORE: c("business/987654325.p12"),
    DPI_AP_OPERATOR_KEYSTORE_PASSWORD: "changeit",
    DPI_AP_PEPPOL_AP_TRUST_ANCHORS: [c("ap/root-ca.pem"), c("ap/intermediate-ca.pem")].join(","),
    DPI_AP_SMP_TRUST_ANCHORS: [c("smp/root-ca.pem"), c("smp/intermediate-ca.pem")].join(","),
    DPI_AP_STATIC_CRLS: [c("smp/intermediate-ca.crl.pem"), c("business/intermediate-ca.crl.pem")].join(","),
    DPI_AP_REVOCATION_URL_MAP: `${CERTS_EXAMPLE_PKI_URL}=${o.endpoints.pkiUrl.replace(/\/+$/, "")}`,
    DPI_AP_SML_MODE: "naptr",
    DPI_AP_SML_ZONE: o.endpoints.smlZone,
    DPI_AP_DNS_SERVERS: o.endpoints.dnsServer,
    DPI_AP_SMP_ALLOW_HTTP: "true",
    DPI_AP_OUTBOX_POLL_MS: String(o.outboxPollMs),
    ...(o.outboxConcurrency !== undefined ? { DPI_AP_OUTBOX_CONCURRENCY: String(o.outboxConcurrency) } : {}),
    ...(o.maxConcurrentUploads !== undefined ? { DPI_AP_MAX_CONCURRENT_UPLOADS: String(o.maxConcurrentUploads) } : {}),
    ...o.extraEnv,
  };
}

export interface AccessPointProcess extends ChildHandle {
  readonly url: string;
}

/**
 * Profiling hook: DPI_AP_BENCH_NODE_ARGS (read in the bench process, never passed on, since baseEnv drops
 * DPI_AP_*) holds extra node options for the access point children and the postbox provider, split on whitespace; `{name}` becomes the
 * child's name, e.g. `DPI_AP_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof/{name}" npm run bench -- --letters 300 --large 0`.
 * The profile is written when the child exits through process.exit (graceful SIGTERM shutdown).
 */
export function benchNodeArgs(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.DPI_AP_BENCH_NODE_ARGS ?? "").split(/\s+/).filter((a) => a !== "").map((a) => a.replaceAll("{name}", name));
}

/** Starts the access point and waits until /health/ready answers 200 (at most `readyTimeoutMs`). */
export async function startAccessPointProcess(o: AccessPointProcessOptions, readyTimeoutMs = 60_000): Promise<AccessPointProcess> {
  const child = spawnChild({
    name: o.name,
    entry: "main",
    env: { ...baseEnv(), ...accessPointEnv(o) },
    logFile: path.join(o.dir, "ap.log"),
    nodeArgs: benchNodeArgs(o.name),
  });
  const url = `http://127.0.0.1:${o.port}`;
  try {
    await waitReady(child, url, readyTimeoutMs);
  } catch (err) {
    await child.stop(2000);
    throw err;
  }
  return Object.assign(child, { url });
}

async function waitReady(child: ChildHandle, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.hasExited()) throw new Error(`${child.name} ended during start-up (${await child.exited}):\n${child.logTail()}`);
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${child.name} was not ready after ${timeoutMs / 1000} s:\n${child.logTail()}`);
}
