import { readFile } from "node:fs/promises";
import path from "node:path";
import type { X509Certificate } from "node:crypto";
import type { Clock } from "../clock.js";
import { LETTER_TYPES, RECEIPT_TYPES, processForLetter, type DpiMessageType, type DpiProcessId } from "../dpi/document-types.js";
import { dpiDocumentTypeId, dpiProcessId, dpiProcessesOfReceipt, toParticipantId, type StandardSpelling } from "../peppol/identifiers.js";
import { SmpManagementClient } from "../peppol/smp-management.js";
import { keyStoreFromPem } from "../pki/keystore.js";
import { startDnsSim, type DnsSim } from "./dns/server.js";
import { loadDefaultSimOptions, loadExampleSigner } from "./maskinporten/defaults.js";
import { startPostboxSim, type PostboxBehaviour, type PostboxSim } from "./postbox/index.js";
import { parseCertificates } from "../pki/pem.js";
import type { Logger } from "../log.js";
import { startMaskinportenSim, type MaskinportenSim } from "./maskinporten/server.js";
import { loadExampleApResponderOptions } from "./pki/defaults.js";
import { startPkiResponder, type PkiResponder } from "./pki/server.js";
import { startSmpSim, type SmpSim } from "./smp/server.js";
import { loadDefaultServiceRegistryOptions } from "./service-registry/defaults.js";
import { startServiceRegistrySim, type ServiceRegistrySim } from "./service-registry/server.js";
import { startServiceBusSim, type ServiceBusSim } from "./servicebus/server.js";
import { startAltinnTokenSim, type AltinnTokenSim } from "./altinn-token/server.js";
import { startAltinnCorrespondenceSim, type AltinnCorrespondenceSim } from "./altinn-correspondence/server.js";
import { loadDefaultSvarUtOptions, startSvarUtSim, type SvarUtSim } from "./svarut/index.js";
import { SANDBOX_BROKER_RESOURCES, startAltinnBrokerSim, type AltinnBrokerSim } from "./altinn-broker/index.js";
import { seedKrrSandbox, startKrrSim, type KrrSim } from "./krr/index.js";
import { grantDelegation, SANDBOX_DELEGATION_SCHEMES, startAltinnAuthorizationSim, type AltinnAuthorizationSim } from "./altinn-authorization/index.js";
import { ALTINN_DELEGATION_WRITE_SCOPE, DEFAULT_SIM_DELEGATIONS } from "./maskinporten/defaults.js";
import { createGrantClient } from "../maskinporten/grant-client.js";
import { startSmtpSim, type SmtpSim } from "./smtp/index.js";
import { OIDC_SANDBOX, sandboxOidcClients, sandboxOidcUsers, startOidcSim, type OidcSim } from "./oidc/index.js";

/**
 * Every external party a DPI access point talks to, as honest local implementations of their protocols:
 * Maskinporten (OAuth2 JWT grant, JWKS), the OCSP/CRL responder of the access point CA, an SMP serving
 * signed metadata, an authoritative DNS server for the SML zone, and eFormidling's Service Registry (with its
 * sandbox organisations and persons, src/sim/service-registry/defaults.ts). Used by the sandbox (`npm start`),
 * the e2e tests and the benchmark.
 */

export { SANDBOX_ZONE } from "./sandbox-config.js";
import { SANDBOX_ZONE } from "./sandbox-config.js";
const CERTS = path.resolve(import.meta.dirname, "../../certs-example");

export interface SandboxOptions {
  host?: string;
  /** Fixed ports (sandbox); absent or 0 means ephemeral (tests). */
  ports?: { maskinporten?: number; pki?: number; smp?: number; dns?: number; serviceRegistry?: number; serviceBus?: number; altinnToken?: number; altinnCorrespondence?: number; svarUt?: number; altinnBroker?: number; krr?: number; altinnAuthorization?: number; smtp?: number; oidc?: number };
  /** Altinn publishes (and the recipient reads) each DPV correspondence by itself after these delays; absent: only when told. */
  altinnCorrespondence?: { publishAfterMs?: number; readAfterMs?: number };
  /** KS SvarUt moves accepted forsendelser on by itself (the sandbox process); tests move them by hand. */
  svarUtAutoAdvance?: { klarForMottakMs: number; lestMs: number };
  zone?: string;
  clock?: Clock;
}

export interface AccessPointRegistration {
  /** Where the AP receives AS4, e.g. http://127.0.0.1:8080/as4. */
  endpointUrl: string;
  certificate: X509Certificate;
  /** "0192:<orgno>" of the participants the AP receives for. */
  participants: readonly string[];
  /** Letters (postbox and print providers) or receipts (senders); default both. */
  receives?: "letters" | "receipts" | "both";
  spelling?: StandardSpelling;
}

export interface Sandbox {
  maskinporten: MaskinportenSim;
  pki: PkiResponder;
  smp: SmpSim;
  dns: DnsSim;
  serviceRegistry: ServiceRegistrySim;
  /** DPE's Azure Service Bus namespace, with a queue per sandbox organisation and mode. */
  serviceBus: ServiceBusSim;
  /** Altinn's token exchange and its correspondence service (DPV), trusting the Maskinporten simulator. */
  altinnToken: AltinnTokenSim;
  altinnCorrespondence: AltinnCorrespondenceSim;
  /** KS FIKS SvarUt and SvarInn (DPF), with the sandbox's accounts (src/sim/svarut/defaults.ts). */
  svarUt: SvarUtSim;
  /** The Altinn 3 broker (DPO) with Altinn's token exchange beside it. */
  altinnBroker: AltinnBrokerSim;
  /** Altinn Autorisasjon's API delegations, which Maskinporten asks before it issues a delegated token. */
  altinnAuthorization: AltinnAuthorizationSim;
  /** Kontakt- og reservasjonsregisteret (the citizen lookup), with the same persons as the Service Registry's. */
  krr: KrrSim;
  /** The mail relay DPF's mail delivery sends through; it keeps every mail (src/sim/smtp/). */
  smtp: SmtpSim;
  /** The OpenID Connect provider of the console's OIDC login, with its sandbox users (src/sim/oidc/defaults.ts). */
  oidc: OidcSim;
  zone: string;
  /** "host:port" of the DNS simulator, for DPI_AP_DNS_SERVERS. */
  dnsServer: string;
  /** Points OCSP/CRL URLs from certs-example certificates at the running responder. */
  revocationUrlRewrite(url: string): string;
  /** The SMP's management API and the sandbox's SMP user (the access point's DPI_AP_SMP_MANAGEMENT_*). */
  smpManagement: { url: string; user: string; password: string };
  /**
   * Publishes in SMP (through its management API, over HTTP) and so in SML (DNS) that `participants` receive
   * DPI messages at the access point; what they were registered for before is replaced.
   */
  registerAccessPoint(r: AccessPointRegistration): Promise<void>;
  /** Starts the example postbox and print providers (certs-example) polling the access point at `accessPointUrl`. */
  startProviders(accessPointUrl: string, o?: { log?: Logger; pollIntervalMs?: number; behaviour?: PostboxBehaviour }): Promise<PostboxSim[]>;
  close(): Promise<void>;
}

/** The Service Bus key the sandbox's Service Registry hands out on /sastoken, and its name. */
export const SANDBOX_SAS_KEY_NAME = "MoveDPE-pilotPolicy";
export const SANDBOX_SAS_KEY = "sandbox-dpe-sas-key";
/** Organisations with DPE queues in the sandbox: the example organisations. */
const SANDBOX_QUEUE_ORGS = ["991825827", "810969342", "910076787", "984661185", "922020175", "974761076"];

/** The SMP user the sandbox registers with, and the one its access point is configured with. */
export const SANDBOX_SMP_USER = "dpi-ap";
export const SANDBOX_SMP_PASSWORD = "sandbox-smp-password";

/** Digipost, e-Boks and the print service, as in certs-example. */
export const EXAMPLE_PROVIDERS = ["984661185", "922020175", "974761076"] as const;

export async function startSandbox(o: SandboxOptions = {}): Promise<Sandbox> {
  const host = o.host ?? "127.0.0.1";
  const clock = o.clock ? { clock: o.clock } : {};
  const zone = o.zone ?? SANDBOX_ZONE;
  const started: { close(): Promise<void> }[] = [];
  try {
    // Delegations are Altinn's, not a fixed list: Maskinporten asks the Altinn Autorisasjon simulator (linked below).
    const maskinporten = await startMaskinportenSim({ ...(await loadDefaultSimOptions()), delegations: [], host, port: o.ports?.maskinporten ?? 0, ...clock });
    started.push(maskinporten);
    const altinnAuthorization = await startAltinnAuthorization(maskinporten, host, o.ports?.altinnAuthorization ?? 0, o.clock);
    started.push(altinnAuthorization);
    const pki = await startPkiResponder({ ...(await loadExampleApResponderOptions()), host, port: o.ports?.pki ?? 0, ...clock });
    started.push(pki);
    const smpKeys = keyStoreFromPem({
      key: await readFile(path.join(CERTS, "smp/SMP000001.key.pem")),
      certificate: await readFile(path.join(CERTS, "smp/SMP000001.pem")),
    });
    // The DNS server is the SML's published zone: the SMP registers a participant there when it creates its
    // service group, as phoss-SMP does through the SML's management service.
    const dns = await startDnsSim({ host, port: o.ports?.dns ?? 0, zone });
    started.push(dns);
    let smpUrl = "";
    const smp = await startSmpSim({
      host,
      port: o.ports?.smp ?? 0,
      signer: smpKeys,
      users: { [SANDBOX_SMP_USER]: SANDBOX_SMP_PASSWORD },
      sml: { registerParticipant: (p) => dns.setParticipant(p, smpUrl), unregisterParticipant: (p) => dns.setParticipant(p, undefined) },
    });
    smpUrl = smp.url;
    started.push(smp);
    const management = new SmpManagementClient({ baseUrl: smp.url, user: SANDBOX_SMP_USER, password: SANDBOX_SMP_PASSWORD });
    const serviceRegistry = await startServiceRegistrySim({
      ...(await loadDefaultServiceRegistryOptions({ issuer: maskinporten.issuer, jwksUrl: maskinporten.jwksUrl })),
      host,
      port: o.ports?.serviceRegistry ?? 0,
      ...clock,
    });
    started.push(serviceRegistry);
    const serviceBus = await startServiceBusSim({
      host,
      port: o.ports?.serviceBus ?? 0,
      keys: { [SANDBOX_SAS_KEY_NAME]: SANDBOX_SAS_KEY },
      queues: SANDBOX_QUEUE_ORGS.flatMap((org) => ["innsyn", "data", "meeting"].map((mode) => `nextbestqueue${org}${mode}`)),
      ...clock,
    });
    started.push(serviceBus);
    const altinnToken = await startAltinnTokenSim({ maskinporten: { issuer: maskinporten.issuer, jwksUrl: maskinporten.jwksUrl }, host, port: o.ports?.altinnToken ?? 0, ...clock });
    started.push(altinnToken);
    const altinnCorrespondence = await startAltinnCorrespondenceSim({
      altinn: { issuer: altinnToken.issuer, jwksUrl: altinnToken.jwksUrl },
      host,
      port: o.ports?.altinnCorrespondence ?? 0,
      ...(o.altinnCorrespondence ?? {}),
      ...clock,
    });
    started.push(altinnCorrespondence);
    const svarUt = await startSvarUtSim({ ...(await loadDefaultSvarUtOptions({ maskinporten: { issuer: maskinporten.issuer, jwksUrl: maskinporten.jwksUrl } })), host, port: o.ports?.svarUt ?? 0, autoAdvance: o.svarUtAutoAdvance, ...clock });
    started.push(svarUt);
    const altinnBroker = await startAltinnBrokerSim({
      altinn: { issuer: altinnToken.issuer, jwksUrl: altinnToken.jwksUrl },
      resources: SANDBOX_BROKER_RESOURCES,
      host,
      port: o.ports?.altinnBroker ?? 0,
      ...clock,
    });
    started.push(altinnBroker);
    const krr = await startKrrSim({
      maskinporten: { issuer: maskinporten.issuer, jwksUrl: maskinporten.jwksUrl },
      state: await seedKrrSandbox(),
      host,
      port: o.ports?.krr ?? 0,
      ...clock,
    });
    started.push(krr);
    const smtp = await startSmtpSim({ host, port: o.ports?.smtp ?? 0 });
    started.push(smtp);
    const oidc = await startOidcSim({ users: sandboxOidcUsers(), clients: sandboxOidcClients(), providerName: OIDC_SANDBOX.providerName, host, port: o.ports?.oidc ?? 0, ...clock });
    started.push(oidc);
    return {
      maskinporten,
      pki,
      smp,
      dns,
      serviceRegistry,
      serviceBus,
      altinnToken,
      altinnCorrespondence,
      svarUt,
      altinnBroker,
      altinnAuthorization,
      krr,
      smtp,
      oidc,
      zone,
      dnsServer: `${host}:${dns.port}`,
      revocationUrlRewrite: (url) => pki.rewrite(url),
      smpManagement: { url: smp.url, user: SANDBOX_SMP_USER, password: SANDBOX_SMP_PASSWORD },
      async registerAccessPoint(r) {
        const receives = r.receives ?? "both";
        const types: { type: DpiMessageType; processes: readonly DpiProcessId[] }[] = [];
        if (receives !== "receipts") for (const t of LETTER_TYPES) types.push({ type: t, processes: [processForLetter(t)] });
        if (receives !== "letters") for (const t of RECEIPT_TYPES) types.push({ type: t, processes: dpiProcessesOfReceipt(t) });
        const endpoint = { endpointUrl: r.endpointUrl, certificate: r.certificate, serviceDescription: "dpi-ap sandbox", technicalContactUrl: "https://example.invalid/dpi-ap" };
        for (const participant of r.participants) {
          const id = toParticipantId(participant);
          // Replace what the participant had; deleting the group also removes its SML record, which the PUT restores.
          await management.deleteServiceGroup(id);
          await management.putServiceGroup(id);
          for (const t of types) await management.putServiceMetadata(id, dpiDocumentTypeId(t.type, r.spelling), t.processes.map(dpiProcessId), endpoint);
        }
      },
      async startProviders(accessPointUrl, po = {}) {
        const anchors = [...parseCertificates(await readFile(path.join(CERTS, "business/root-ca.pem"))), ...parseCertificates(await readFile(path.join(CERTS, "business/intermediate-ca.pem")))];
        const sims: PostboxSim[] = [];
        for (const orgno of EXAMPLE_PROVIDERS) {
          const keys = keyStoreFromPem({
            key: await readFile(path.join(CERTS, `business/${orgno}.key.pem`)),
            certificate: await readFile(path.join(CERTS, `business/${orgno}.pem`)),
          });
          const grant = await loadExampleSigner(orgno);
          const sim = await startPostboxSim({
            accessPointUrl,
            orgno,
            signer: keys,
            grant: { ...grant, audience: maskinporten.issuer, tokenEndpoint: maskinporten.tokenUrl },
            businessAnchors: anchors,
            pollIntervalMs: po.pollIntervalMs ?? 1000,
            ...(po.behaviour ? { behaviour: po.behaviour } : {}),
            ...(po.log ? { log: po.log.child({ provider: orgno }) } : {}),
          });
          sims.push(sim);
          started.push({ close: () => sim.stop() });
        }
        return sims;
      },
      async close() {
        for (const s of started.reverse()) await s.close().catch(() => {});
      },
    };
  } catch (err) {
    for (const s of started.reverse()) await s.close().catch(() => {});
    throw err;
  }
}


/**
 * Starts Altinn Autorisasjon trusting `maskinporten`, has each sandbox consumer grant its delegation there
 * through the REST API (with its own Maskinporten token, by a JWT grant), and links Maskinporten to it.
 */
async function startAltinnAuthorization(maskinporten: MaskinportenSim, host: string, port: number, clock: Clock | undefined): Promise<AltinnAuthorizationSim> {
  const altinn = await startAltinnAuthorizationSim({
    maskinporten: { issuer: maskinporten.issuer, jwksUrl: maskinporten.jwksUrl },
    schemes: SANDBOX_DELEGATION_SCHEMES,
    host,
    port,
    ...(clock ? { clock } : {}),
  });
  try {
    for (const d of DEFAULT_SIM_DELEGATIONS) {
      const scheme = SANDBOX_DELEGATION_SCHEMES.find((s) => s.scopes.includes(d.scope));
      if (!scheme) throw new Error(`no sandbox delegation scheme covers ${d.scope}`);
      const grant = createGrantClient({ ...(await loadExampleSigner(d.consumerOrgno)), audience: maskinporten.issuer, tokenEndpoint: maskinporten.tokenUrl, ...(clock ? { clock } : {}) });
      const token = (await grant.getToken({ scope: ALTINN_DELEGATION_WRITE_SCOPE })).access_token;
      const r = await grantDelegation({ url: altinn.url, token, consumerOrg: d.consumerOrgno, supplierOrg: d.supplierOrgno, resourceId: scheme.resourceId });
      if (r.status !== 201) throw new Error(`Altinn refused the sandbox delegation ${d.consumerOrgno} -> ${d.supplierOrgno}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  } catch (error) {
    await altinn.close();
    throw error;
  }
  maskinporten.useAltinnAuthorization(altinn.url);
  return altinn;
}
