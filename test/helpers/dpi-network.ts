import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config.js";
import { withSandboxDefaults } from "../../src/sim/sandbox-config.js";
import { silentLogger, type Logger } from "../../src/log.js";
import { startAccessPoint, type RunningAccessPoint } from "../../src/server.js";
import { startSandbox, type Sandbox } from "../../src/sim/sandbox.js";
import { CERTS } from "./certs.js";

export const SENDERS = ["0192:991825827", "0192:810969342", "0192:910076787"];
export const PROVIDERS = ["0192:984661185", "0192:922020175", "0192:974761076"];

export interface CornerOptions {
  name: string;
  seat: "POP000001" | "POP000002";
  served: string[];
  env?: Record<string, string>;
  dir?: string;
  /** Start the access point's workers (default true); a test that drives the outbox by hand turns them off. */
  workers?: boolean;
}

/** The simulators of every external party plus access points on loopback, each with its own database. */
export class DpiNetwork {
  private constructor(
    readonly sandbox: Sandbox,
    private readonly root: string,
    private readonly log: Logger,
  ) {}
  readonly corners = new Map<string, RunningAccessPoint>();

  static async start(log: Logger = silentLogger): Promise<DpiNetwork> {
    return new DpiNetwork(await startSandbox(), await mkdtemp(path.join(os.tmpdir(), "dpi-ap-net-")), log);
  }

  config(c: CornerOptions) {
    return loadConfig(this.env(c));
  }

  /** The environment of a corner: what a process of its own would be started with (DPI_AP_SANDBOX aside). */
  env(c: CornerOptions): NodeJS.ProcessEnv {
    const dir = c.dir ?? path.join(this.root, c.name);
    return withSandboxDefaults({
      DPI_AP_PORT: "0",
      DPI_AP_DATABASE_URL: `file:${path.join(dir, "ap.db")}`,
      DPI_AP_DATA_DIR: dir,
      DPI_AP_LOG_LEVEL: "silent",
      DPI_AP_MASKINPORTEN_ISSUER: this.sandbox.maskinporten.issuer,
      DPI_AP_MASKINPORTEN_JWKS_URL: this.sandbox.maskinporten.jwksUrl,
      DPI_AP_AS4_KEYSTORE: path.join(CERTS, `ap/${c.seat}.p12`),
      DPI_AP_SERVED_PARTICIPANTS: c.served.join(","),
      DPI_AP_DNS_SERVERS: this.sandbox.dnsServer,
      DPI_AP_SML_ZONE: this.sandbox.zone,
      DPI_AP_SERVICE_REGISTRY_URL: this.sandbox.serviceRegistry.url,
      DPI_AP_MASKINPORTEN_TOKEN_URL: this.sandbox.maskinporten.tokenUrl,
      DPI_AP_DPE_SERVICEBUS_URL: this.sandbox.serviceBus.url,
      DPI_AP_DPO_BROKER_URL: this.sandbox.altinnBroker.url,
      DPI_AP_DPF_SVARUT_URL: this.sandbox.svarUt.url,
      DPI_AP_DPF_SVARINN_URL: this.sandbox.svarUt.svarInnUrl,
      DPI_AP_ALTINN_TOKEN_EXCHANGE_URL: this.sandbox.altinnToken.exchangeUrl,
      DPI_AP_DPV_CORRESPONDENCE_URL: this.sandbox.altinnCorrespondence.url,
      DPI_AP_OUTBOX_POLL_MS: "100",
      DPI_AP_RETRY_BASE_MS: "200",
      DPI_AP_RETRY_MAX_MS: "1000",
      // The NextMove front door and its channels only where a test asks for them: DPI's own tests run as before.
      ...(c.env?.DPI_AP_NEXTMOVE_CHANNELS === undefined && c.env?.DPI_AP_NEXTMOVE === undefined ? { DPI_AP_NEXTMOVE: "false" } : {}),
      ...c.env,
    });
  }

  /**
   * The environment of a corner run as a process of its own in production mode (test/helpers/child-access-point.ts)
   * on `port`: what sandbox mode would have filled in, given explicitly.
   */
  processEnv(c: CornerOptions, port: number): NodeJS.ProcessEnv {
    return {
      ...this.env(c),
      DPI_AP_SANDBOX: "false",
      DPI_AP_HOST: "127.0.0.1",
      DPI_AP_PORT: String(port),
      DPI_AP_LOG_LEVEL: "warn",
      DPI_AP_REVOCATION_URL_MAP: `http://127.0.0.1:8899=${this.sandbox.pki.url}`,
      DPI_AP_SML_MODE: "naptr",
    };
  }

  /** Starts (or restarts, on the same database) an access point and publishes it in SML/SMP. */
  async corner(c: CornerOptions & { receives: "letters" | "receipts" | "both" }): Promise<RunningAccessPoint> {
    const ap = await startAccessPoint(this.config(c), {
      log: this.log.child({ corner: c.name }),
      revocationUrlRewrite: (u) => this.sandbox.revocationUrlRewrite(u),
      ...(c.workers === undefined ? {} : { workers: c.workers }),
    });
    this.corners.set(c.name, ap);
    await this.sandbox.registerAccessPoint({ endpointUrl: `${ap.url}/as4`, certificate: ap.as4Certificate, participants: c.served, receives: c.receives });
    return ap;
  }

  async token(consumer: string, extra: { supplier?: string } = {}): Promise<string> {
    return (await this.sandbox.maskinporten.issueToken({ consumer, scope: "digitalpostinnbygger:send", ...extra })).token;
  }

  async close(): Promise<void> {
    // A close that hangs is rare and only seen in full runs: say which part was slow, so the next one is caught.
    const timed = async (what: string, close: () => Promise<void>) => {
      const started = Date.now();
      await close().catch(() => {});
      if (Date.now() - started > 5_000) process.stderr.write(`DpiNetwork.close: ${what} took ${Date.now() - started} ms\n`);
    };
    for (const [name, ap] of this.corners) await timed(`corner ${name}`, () => ap.close());
    await timed("the sandbox", () => this.sandbox.close());
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Polls until `probe` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** GET a JSON resource of an access point with a bearer token. */
export async function getJson(ap: RunningAccessPoint, path: string, token: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${ap.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
