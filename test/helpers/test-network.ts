import type { Clock } from "../../src/clock.js";
import { silentLogger, type Logger } from "../../src/log.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { startMaskinportenSim, type MaskinportenSim } from "../../src/sim/maskinporten/server.js";
import type { IssueTokenOptions } from "../../src/sim/maskinporten/token-issuer.js";
import { loadDefaultSimOptions } from "../../src/sim/maskinporten/defaults.js";
import { startTempAccessPoint } from "./access-point.js";

export const SCOPE = "digitalpostinnbygger:send";

export interface TestNetwork {
  ap: RunningAccessPoint;
  sim: MaskinportenSim;
  dir: string;
  token(consumer: string, extra?: Partial<IssueTokenOptions>): Promise<string>;
  close(): Promise<void>;
}

/**
 * A Maskinporten simulator and an access point on loopback, without workers, with a fresh SQLite database in a
 * temp folder. The access point logs nothing unless given `log`.
 */
export async function startTestNetwork(opts: { env?: Record<string, string>; clock?: Clock; log?: Logger } = {}): Promise<TestNetwork> {
  const sim = await startMaskinportenSim({ ...(await loadDefaultSimOptions()), ...(opts.clock ? { clock: opts.clock } : {}) });
  let running: Awaited<ReturnType<typeof startTempAccessPoint>>;
  try {
    running = await startTempAccessPoint({
      log: opts.log ?? silentLogger,
      maskinporten: sim,
      env: { DPI_AP_LOG_LEVEL: "silent", ...opts.env },
      workers: false,
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
  } catch (err) {
    await sim.close();
    throw err;
  }
  return {
    ap: running.ap,
    sim,
    dir: running.dir,
    async token(consumer, extra = {}) {
      return (await sim.issueToken({ consumer, scope: SCOPE, ...extra })).token;
    },
    async close() {
      await running.close();
      await sim.close();
    },
  };
}
