import { ConfigError, loadConfig, type Config } from "./config.js";
import { createLogger, type Logger } from "./log.js";
import { startAccessPoint } from "./server.js";
import { loadDefaultSimOptions } from "./sim/maskinporten/defaults.js";
import { startMaskinportenSim, type MaskinportenSim } from "./sim/maskinporten/server.js";

/**
 * Process entry. In sandbox mode (the default) the external parties the access point needs are started
 * beside it as local simulators on their own ports, and the access point is pointed at them; in production
 * mode every endpoint comes from configuration.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const closers: (() => Promise<void>)[] = [];

  if (config.sandbox.enabled) {
    const sim = await startSandboxMaskinporten(config, log);
    closers.push(() => sim.close());
    config = {
      ...config,
      maskinporten: { ...config.maskinporten, issuer: config.maskinporten.issuer ?? sim.issuer, jwksUrl: config.maskinporten.jwksUrl ?? sim.jwksUrl },
    };
  }

  const ap = await startAccessPoint(config, { log });
  closers.unshift(() => ap.close());
  log.info({ url: ap.url, sandbox: config.sandbox.enabled, servedParticipants: config.servedParticipants }, "access point listening");

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    for (const close of closers) await close().catch((err: unknown) => log.error({ err }, "shutdown step failed"));
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

async function startSandboxMaskinporten(config: Config, log: Logger): Promise<MaskinportenSim> {
  const sim = await startMaskinportenSim({ ...(await loadDefaultSimOptions()), host: config.host, port: config.sandbox.maskinportenPort });
  log.info({ url: sim.url, tokenUrl: sim.tokenUrl, jwksUrl: sim.jwksUrl }, "sandbox: Maskinporten simulator listening");
  return sim;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
