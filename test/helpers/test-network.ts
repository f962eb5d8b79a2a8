import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Clock } from "../../src/clock.js";
import { loadConfig } from "../../src/config.js";
import { withSandboxDefaults } from "../../src/sim/sandbox-config.js";
import { silentLogger } from "../../src/log.js";
import { startAccessPoint, type RunningAccessPoint } from "../../src/server.js";
import { startMaskinportenSim, type MaskinportenSim } from "../../src/sim/maskinporten/server.js";
import type { IssueTokenOptions } from "../../src/sim/maskinporten/token-issuer.js";
import { loadDefaultSimOptions } from "../../src/sim/maskinporten/defaults.js";

export const SCOPE = "digitalpostinnbygger:send";

export interface TestNetwork {
  ap: RunningAccessPoint;
  sim: MaskinportenSim;
  dir: string;
  token(consumer: string, extra?: Partial<IssueTokenOptions>): Promise<string>;
  close(): Promise<void>;
}

/** A Maskinporten simulator and an access point on loopback, with a fresh SQLite database in a temp folder. */
export async function startTestNetwork(opts: { env?: Record<string, string>; clock?: Clock } = {}): Promise<TestNetwork> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-e2e-"));
  const sim = await startMaskinportenSim({ ...(await loadDefaultSimOptions()), ...(opts.clock ? { clock: opts.clock } : {}) });
  const config = loadConfig(withSandboxDefaults({
    DPI_AP_PORT: "0",
    DPI_AP_DATABASE_URL: `file:${path.join(dir, "ap.db")}`,
    DPI_AP_DATA_DIR: dir,
    DPI_AP_LOG_LEVEL: "silent",
    DPI_AP_MASKINPORTEN_ISSUER: sim.issuer,
    DPI_AP_MASKINPORTEN_JWKS_URL: sim.jwksUrl,
    ...opts.env,
  }));
  const ap = await startAccessPoint(config, { log: silentLogger, workers: false, ...(opts.clock ? { clock: opts.clock } : {}) });
  return {
    ap,
    sim,
    dir,
    async token(consumer, extra = {}) {
      return (await sim.issueToken({ consumer, scope: SCOPE, ...extra })).token;
    },
    async close() {
      await ap.close();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
