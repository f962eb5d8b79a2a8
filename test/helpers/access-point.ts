import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Clock } from "../../src/clock.js";
import { loadConfig } from "../../src/config.js";
import { withSandboxDefaults } from "../../src/sim/sandbox-config.js";
import type { Logger } from "../../src/log.js";
import { startAccessPoint, type RunningAccessPoint } from "../../src/server.js";

export interface TempAccessPoint {
  ap: RunningAccessPoint;
  /** The temp folder holding its SQLite database and data; removed by close(). */
  dir: string;
  close(): Promise<void>;
}

export interface TempAccessPointOptions {
  log: Logger;
  /** Where tokens are checked; default an address nothing answers on (nothing is fetched until a token arrives). */
  maskinporten?: { issuer: string; jwksUrl: string };
  /** More configuration, over the defaults. */
  env?: Record<string, string>;
  clock?: Clock;
  /** Start the background workers (default true, as `npm start` does). */
  workers?: boolean;
}

/** An access point on an ephemeral loopback port, with a fresh SQLite database in a temp folder. */
export async function startTempAccessPoint(opts: TempAccessPointOptions): Promise<TempAccessPoint> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-test-"));
  try {
    const config = loadConfig(withSandboxDefaults({
      DPI_AP_PORT: "0",
      DPI_AP_DATABASE_URL: `file:${path.join(dir, "ap.db")}`,
      DPI_AP_DATA_DIR: dir,
      DPI_AP_MASKINPORTEN_ISSUER: opts.maskinporten?.issuer ?? "http://127.0.0.1:9/",
      DPI_AP_MASKINPORTEN_JWKS_URL: opts.maskinporten?.jwksUrl ?? "http://127.0.0.1:9/jwk",
      // The sandbox's NextMove API needs its Service Registry; a test that wants it says where (env).
      DPI_AP_NEXTMOVE: "false",
      ...opts.env,
    }));
    const ap = await startAccessPoint(config, { log: opts.log, ...(opts.workers === undefined ? {} : { workers: opts.workers }), ...(opts.clock ? { clock: opts.clock } : {}) });
    return {
      ap,
      dir,
      async close() {
        await ap.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
