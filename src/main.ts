import { ConfigError, loadConfig, sandboxRequested } from "./config.js";
import { limitHeapGrowth } from "./heap-growth.js";
import { createLogger, type Logger } from "./log.js";
import { startAccessPoint } from "./server.js";

/**
 * Process entry. In production mode (DPI_AP_SANDBOX=false) every endpoint comes from configuration. In sandbox
 * mode (the default) the sandbox's defaults fill in what the environment leaves unset, and every external party
 * the access point needs runs beside it as a local simulator (src/sim/sandbox-process.ts). The simulators are
 * loaded only then: nothing else in src/ imports src/sim/.
 */
async function main(): Promise<void> {
  // Peak memory under load is mostly old-generation garbage V8 lets pile up (src/heap-growth.ts).
  limitHeapGrowth();
  const sim = sandboxRequested(process.env) ? await import("./sim/sandbox-process.js") : undefined;
  const env = sim ? sim.withSandboxDefaults(process.env) : process.env;
  let config = configured(() => loadConfig(env));
  const ports = sim && configured(() => sim.sandboxPorts(env));
  const log = createLogger(config.logLevel, undefined, undefined, { sync: config.logSync });
  const closers: (() => Promise<void>)[] = [];
  onSignals(log, closers);

  const sandbox = sim && ports && (await sim.startSandboxProcess(config, ports));
  if (sandbox) {
    closers.push(() => sandbox.close());
    config = sandbox.config;
  }
  const ap = await startAccessPoint(config, { log });
  closers.unshift(() => ap.close());
  await sandbox?.attach(ap, log);
  log.info({ url: ap.url, ...(ap.metricsUrl ? { metricsUrl: ap.metricsUrl } : {}), seatId: ap.seatId, sandbox: config.sandbox.enabled, servedParticipants: config.servedParticipants }, "access point listening");
}

/** A configuration error ends the process with its message and exit code 2, before anything has started. */
function configured<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

function onSignals(log: Logger, closers: (() => Promise<void>)[]) {
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
  return stop;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
