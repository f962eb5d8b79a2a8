import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { RunningAccessPoint } from "../server.js";
import { startSandbox, type Sandbox } from "./sandbox.js";
import type { SandboxPorts } from "./sandbox-config.js";
import { OIDC_SANDBOX } from "./oidc/index.js";

/**
 * The sandbox as `npm start` composes it: src/main.ts imports this module (lazily, only in sandbox mode) and
 * runs every external party the access point needs — Maskinporten, the OCSP/CRL responder, SMP and SML (DNS) —
 * beside it as a local simulator on its own port; the access point registers itself for all its participants,
 * and simulated postbox and print providers poll it, so letters and receipts travel a whole DPI network on one
 * machine.
 */

export { sandboxPorts, withSandboxDefaults } from "./sandbox-config.js";

export interface SandboxProcess {
  /** The configuration with what only the running simulators know filled in, unless it was set explicitly. */
  config: Config;
  /** Publishes the started access point in SML and SMP, starts the providers polling it, and prints where everything listens. */
  attach(ap: RunningAccessPoint, log: Logger): Promise<void>;
  close(): Promise<void>;
}

export async function startSandboxProcess(config: Config, ports: SandboxPorts): Promise<SandboxProcess> {
  // Altinn publishes a DPV correspondence 2 s after it arrives and the recipient reads it 5 s later, and SvarUt
  // moves a DPF forsendelse on the same way, so a sandbox message walks its statuses by itself (the simulators'
  // control endpoints do it by hand).
  const sandbox = await startSandbox({
    host: config.host,
    ports,
    altinnCorrespondence: { publishAfterMs: 2000, readAfterMs: 5000 },
    svarUtAutoAdvance: { klarForMottakMs: 3000, lestMs: 3000 },
  });
  const completed = withSimulators(config, sandbox);
  return {
    config: completed,
    async attach(ap, log) {
      await sandbox.registerAccessPoint({ endpointUrl: `${ap.url}${completed.as4.path}`, certificate: ap.as4Certificate, participants: completed.servedParticipants, receives: "both" });
      if (completed.console?.oidc?.issuer === sandbox.oidc.issuer) registerConsoleRedirects(sandbox, completed.publicUrl, ap.url);
      const providers = await sandbox.startProviders(ap.url, { log, behaviour: { openDelayMs: 3000, printDelayMs: 3000 } });
      sandbox.smtp.onMail((m) => log.info({ to: m.to, subject: m.subject, attachments: m.attachments.map((a) => a.filename) }, "sandbox SMTP: mail received"));
      printSandbox(ap, sandbox, completed, providers.map((p) => p.provider));
    },
    close: () => sandbox.close(),
  };
}

/** The sandbox's simulators stand in for Maskinporten and SML unless those were configured explicitly. */
function withSimulators(config: Config, sandbox: Sandbox): Config {
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
    // The access point registers the participants added with `dpi-ap participants add` in the sandbox's SMP.
    participants: { ...config.participants, smpManagement: config.participants.smpManagement ?? sandbox.smpManagement },
    dpe: { ...config.dpe, serviceBusUrl: config.dpe.serviceBusUrl ?? sandbox.serviceBus.url },
    serviceRegistry: {
      ...config.serviceRegistry,
      url: config.serviceRegistry.url ?? sandbox.serviceRegistry.url,
      maskinporten: { ...config.serviceRegistry.maskinporten, tokenUrl: config.serviceRegistry.maskinporten.tokenUrl ?? sandbox.maskinporten.tokenUrl },
    },
    altinn: { tokenExchangeUrl: config.altinn.tokenExchangeUrl ?? sandbox.altinnToken.exchangeUrl },
    dpv: { ...config.dpv, correspondenceUrl: config.dpv.correspondenceUrl ?? sandbox.altinnCorrespondence.url },
    dpf: {
      ...config.dpf,
      svarUtUrl: config.dpf.svarUtUrl ?? sandbox.svarUt.url,
      svarInnUrl: config.dpf.svarInnUrl ?? sandbox.svarUt.svarInnUrl,
      // Mail goes through the SMTP simulator unless an SMTP server was configured.
      mail: config.dpf.mail && !config.dpf.mail.smtp.host ? { ...config.dpf.mail, smtp: { ...config.dpf.mail.smtp, host: sandbox.smtp.host, port: sandbox.smtp.port } } : config.dpf.mail,
    },
    dpo: { ...config.dpo, brokerUrl: config.dpo.brokerUrl ?? sandbox.altinnBroker.url },
    // The console offers OIDC login at the simulator too, unless DPI_AP_CONSOLE_OIDC_ISSUER named a provider.
    console: config.console && {
      ...config.console,
      oidc: config.console.oidc ?? {
        issuer: sandbox.oidc.issuer,
        clientId: OIDC_SANDBOX.client.clientId,
        clientSecret: OIDC_SANDBOX.client.clientSecret,
        name: OIDC_SANDBOX.providerName,
        scope: ["openid", "profile"],
        roleClaim: OIDC_SANDBOX.roleClaim,
        operatorValues: [OIDC_SANDBOX.operatorGroup],
        viewerValues: [OIDC_SANDBOX.viewerGroup],
      },
    },
  };
}

/**
 * Registers the console's redirect URI at the OIDC simulator: DPI_AP_PUBLIC_URL's, or without it the access
 * point's address, by IP and as localhost (the console names the address the browser used).
 */
function registerConsoleRedirects(sandbox: Sandbox, publicUrl: string | undefined, apUrl: string): void {
  const bases = publicUrl ? [publicUrl] : [apUrl, apUrl.replace("//127.0.0.1:", "//localhost:")];
  for (const base of new Set(bases)) sandbox.oidc.state.addRedirectUri(OIDC_SANDBOX.client.clientId, `${base}/console/oidc/callback`);
}

function printSandbox(ap: RunningAccessPoint, sandbox: Sandbox, config: Config, providers: string[]): void {
  const rows = [
    ["access point (REST API)", ap.url],
    ["access point (AS4)", `${ap.url}${config.as4.path}  seat ${ap.seatId}`],
    ...(config.console ? [["operator console", `${ap.url}/console${config.console.oidc ? `  (OIDC at ${config.console.oidc.name})` : ""}`]] : []),
    ["Maskinporten simulator", `${sandbox.maskinporten.url}  (token ${sandbox.maskinporten.tokenUrl})`],
    ["SMP simulator", sandbox.smp.url],
    ["SML (DNS) simulator", `${sandbox.dnsServer}  zone ${sandbox.zone}`],
    ["Service Registry simulator", sandbox.serviceRegistry.url],
    ["Service Bus simulator (DPE)", sandbox.serviceBus.url],
    ["Altinn token exchange simulator", sandbox.altinnToken.exchangeUrl],
    ["Altinn correspondence simulator (DPV)", `${sandbox.altinnCorrespondence.url}  (control: POST ${sandbox.altinnCorrespondence.root}/_sim/correspondence/{id}/publish|read|purge)`],
    ["SvarUt / SvarInn simulator (DPF)", `${sandbox.svarUt.url}  (SvarInn ${sandbox.svarUt.svarInnUrl})`],
    ["SMTP simulator (DPF mail)", `${sandbox.smtp.host}:${sandbox.smtp.port}`],
    ["Altinn Autorisasjon simulator (delegations)", `${sandbox.altinnAuthorization.url}  (POST /accessmanagement/api/v1/organization/maskinportenschema/offered[/revoke])`],
    ["KRR simulator (citizen lookup)", `${sandbox.krr.url}  (POST /rest/v1/personer)`],
    ["OIDC provider simulator (console login)", `${sandbox.oidc.issuer}  (users ${Object.values(OIDC_SANDBOX.users).map((u) => u.username).join(", ")})`],
    ["Altinn 3 broker simulator (DPO)", sandbox.altinnBroker.url],
    ...(config.nextMove.enabled ? [["NextMove API (integrasjonspunkt)", `${ap.url}/api  (Basic ${config.nextMove.users.map((u) => u.name).join(", ")})`]] : []),
    ["OCSP/CRL responder", sandbox.pki.url],
    ["postbox providers (polling)", providers.join(", ")],
    ["database", config.databaseUrl],
  ];
  const width = Math.max(...rows.map((r) => r[0]!.length));
  process.stdout.write(`\nDPI access point sandbox\n${rows.map(([k, v]) => `  ${k!.padEnd(width)}  ${v}`).join("\n")}\n\n`);
}
