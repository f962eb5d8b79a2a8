import { ConfigError, loadConfig, type Config } from "./config.js";
import { createLogger, type Logger } from "./log.js";
import { startAccessPoint, type RunningAccessPoint } from "./server.js";
import { startSandbox, type Sandbox } from "./sim/sandbox.js";

/**
 * Process entry. In sandbox mode (the default) every external party the access point needs — Maskinporten,
 * the OCSP/CRL responder, SMP and SML (DNS) — runs beside it as a local simulator on its own port, the
 * access point registers itself for all its participants, and simulated postbox and print providers poll
 * it, so letters and receipts travel a whole DPI network on one machine. In production mode every endpoint comes from configuration.
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
  const stop = onSignals(log, closers);

  let sandbox: Sandbox | undefined;
  if (config.sandbox.enabled) {
    sandbox = await startSandbox({ host: config.host, ports: config.sandbox.ports });
    closers.push(() => sandbox!.close());
    config = sandboxConfig(config, sandbox);
  }

  const ap = await startAccessPoint(config, { log });
  closers.unshift(() => ap.close());
  if (sandbox) {
    sandbox.registerAccessPoint({ endpointUrl: `${ap.url}${config.as4.path}`, certificate: ap.as4Certificate, participants: config.servedParticipants, receives: "both" });
    const providers = await sandbox.startProviders(ap.url, { log, behaviour: { openDelayMs: 3000, printDelayMs: 3000 } });
    printSandbox(ap, sandbox, config, providers.map((p) => p.provider));
  }
  log.info({ url: ap.url, ...(ap.metricsUrl ? { metricsUrl: ap.metricsUrl } : {}), seatId: ap.seatId, sandbox: config.sandbox.enabled, servedParticipants: config.servedParticipants }, "access point listening");
  void stop;
}

/** The sandbox's simulators stand in for Maskinporten and SML unless those were configured explicitly. */
function sandboxConfig(config: Config, sandbox: Sandbox): Config {
  return {
    ...config,
    maskinporten: {
      ...config.maskinporten,
      issuer: config.maskinporten.issuer ?? sandbox.maskinporten.issuer,
      jwksUrl: config.maskinporten.jwksUrl ?? sandbox.maskinporten.jwksUrl,
    },
    discovery: {
      ...config.discovery,
      dnsServers: config.discovery.dnsServers.length ? config.discovery.dnsServers : [sandbox.dnsServer],
    },
  };
}

function printSandbox(ap: RunningAccessPoint, sandbox: Sandbox, config: Config, providers: string[]): void {
  const rows = [
    ["access point (REST API)", ap.url],
    ["access point (AS4)", `${ap.url}${config.as4.path}  seat ${ap.seatId}`],
    ["Maskinporten simulator", `${sandbox.maskinporten.url}  (token ${sandbox.maskinporten.tokenUrl})`],
    ["SMP simulator", sandbox.smp.url],
    ["SML (DNS) simulator", `${sandbox.dnsServer}  zone ${sandbox.zone}`],
    ["OCSP/CRL responder", sandbox.pki.url],
    ["postbox providers (polling)", providers.join(", ")],
    ["database", config.databaseUrl],
  ];
  const width = Math.max(...rows.map((r) => r[0]!.length));
  process.stdout.write(`\nDPI access point sandbox\n${rows.map(([k, v]) => `  ${k!.padEnd(width)}  ${v}`).join("\n")}\n\n`);
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
