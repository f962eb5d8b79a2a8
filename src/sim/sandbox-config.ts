import path from "node:path";
import { z } from "zod";
import { ConfigError } from "../config.js";
import { SVARUT_SANDBOX } from "./svarut/defaults.js";

/**
 * The sandbox's settings (`npm start` with DPI_AP_SANDBOX left true): src/main.ts applies them before it loads
 * the configuration, so src/config.ts knows nothing of simulators or of the test PKI. Whatever the environment
 * sets wins; only what it leaves unset comes from here.
 */

/** The SML zone of the local sandbox, answered by the DNS simulator. */
export const SANDBOX_ZONE = "sml.dpi-ap.test";

const CERTS_EXAMPLE = path.resolve(import.meta.dirname, "../../certs-example");
const certs = (...files: string[]) => files.map((f) => path.join(CERTS_EXAMPLE, f)).join(",");

/** The six example organisations of certs-example/business (the operator, 987654325, aside). */
const SANDBOX_ORGS = ["991825827", "810969342", "910076787", "984661185", "922020175", "974761076"];

/**
 * The participants and trust the sandbox uses when nothing is configured: the test PKI in certs-example, the
 * six example organisations, and SMPs at http:// addresses (the local SMP simulator). Maskinporten's issuer
 * and JWKS and the DNS server are only known once the simulators run (see sandbox-process.ts).
 */
export const SANDBOX_DEFAULTS: Readonly<Record<string, string>> = {
  DPI_AP_BUSINESS_TRUST_ANCHORS: certs("business/root-ca.pem", "business/intermediate-ca.pem"),
  DPI_AP_SERVED_PARTICIPANTS: SANDBOX_ORGS.map((o) => `0192:${o}`).join(","),
  DPI_AP_AS4_KEYSTORE: certs("ap/POP000001.p12"),
  DPI_AP_AS4_KEYSTORE_PASSWORD: "changeit",
  DPI_AP_OPERATOR_KEYSTORE: certs("business/987654325.p12"),
  DPI_AP_OPERATOR_KEYSTORE_PASSWORD: "changeit",
  DPI_AP_PEPPOL_AP_TRUST_ANCHORS: certs("ap/root-ca.pem", "ap/intermediate-ca.pem"),
  DPI_AP_SMP_TRUST_ANCHORS: certs("smp/root-ca.pem", "smp/intermediate-ca.pem"),
  DPI_AP_STATIC_CRLS: certs("smp/intermediate-ca.crl.pem", "business/intermediate-ca.crl.pem"),
  DPI_AP_SML_ZONE: SANDBOX_ZONE,
  DPI_AP_SMP_ALLOW_HTTP: "true",
  // The NextMove API for the example organisations, one archive-system user for all of them, their business
  // certificates and Maskinporten clients; the Service Registry is the simulator (its URL is known once it runs).
  DPI_AP_NEXTMOVE: "true",
  DPI_AP_DPE_SAS_KEY_NAME: "MoveDPE-pilotPolicy",
  // The archive systems of the three sending organisations (not the postbox and print providers', whose incoming
  // copies of the sandbox's own letters are theirs).
  DPI_AP_NEXTMOVE_USERS: "arkiv:sandbox:991825827|810969342|910076787",
  DPI_AP_NEXTMOVE_KEYSTORE_DIR: path.join(CERTS_EXAMPLE, "business"),
  DPI_AP_NEXTMOVE_KEYSTORE_PASSWORD: "changeit",
  DPI_AP_NEXTMOVE_CLIENT_IDS: SANDBOX_ORGS.map((o) => `${o}=dpi-ap-test-${o}`).join(","),
  // DPV's Altinn token exchange and correspondence service are simulators too (their URLs are known once they run).
  DPI_AP_NEXTMOVE_CHANNELS: "DPI,DPO,DPE,DPV,DPF",
  // 810969342 plays eInnsyn, whose integrasjonspunkt reads its data queue (journal entries come there).
  DPI_AP_DPE_MODES: "810969342=data",
  DPI_AP_DPE_POLL_MS: "2000",
  // DPV's statuses come from polling Altinn: poll a new message every 2 s rather than every minute.
  DPI_AP_STATUS_POLL_MS: "1000",
  DPI_AP_STATUS_POLL_MIN_INTERVAL_MS: "2000",
  // DPF: the SvarUt simulator's accounts and SvarInn inboxes (src/sim/svarut/defaults.ts); its URLs are known once it runs.
  DPI_AP_DPF_SVARUT_ACCOUNTS: SVARUT_SANDBOX.senders.map((o) => `${o}=${SVARUT_SANDBOX.kontoId(o)}:${SVARUT_SANDBOX.integrasjonId(o)}:${SVARUT_SANDBOX.password}`).join(","),
  DPI_AP_DPF_SVARINN_ACCOUNTS: SVARUT_SANDBOX.senders.map((o) => `${o}=${SVARUT_SANDBOX.svarInnUser(o)}:${SVARUT_SANDBOX.password}`).join(","),
  // DPF's mail delivery stays off, as everywhere, but DPI_AP_DPF_MAIL_ON_ERROR=true is all it takes: mail then goes
  // through the SMTP simulator (its address is known once it runs) to one address for all organisations.
  DPI_AP_DPF_MAIL_TO: "arkiv@sandbox.dpi-ap.test",
  DPI_AP_MAIL_FROM: "dpi-ap@sandbox.dpi-ap.test",
  // The operator console (README, "Console"): user "operator", password "sandbox operator"; user "viewer",
  // password "sandbox viewer" (made with `dpi-ap console hash-password`). OIDC login comes from the sandbox's
  // OIDC simulator unless DPI_AP_CONSOLE_OIDC_ISSUER names a provider (sandbox-process.ts).
  DPI_AP_CONSOLE_USERS: "operator:operator:scrypt$16384$8$1$K1pLvP2dTC67wcmGFARexA$0LZfRNNuFTDJPnzWsXOVUslxqivpNV9dDxDD_C-uPbI,viewer:viewer:scrypt$16384$8$1$Z6-bV08dyyhdNHTegSOlpg$3UKgPTAN7GMKYN3b7z26LaoWj22Wy9W7X6c12C-OMHs",
};

/** `env` with every sandbox default it leaves unset filled in. */
export function withSandboxDefaults(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const filled: NodeJS.ProcessEnv = { ...env };
  for (const [name, value] of Object.entries(SANDBOX_DEFAULTS)) if (filled[name] === undefined) filled[name] = value;
  return filled;
}

export interface SandboxPorts {
  maskinporten: number;
  smp: number;
  dns: number;
  pki: number;
  serviceRegistry: number;
  serviceBus: number;
  altinnToken: number;
  altinnCorrespondence: number;
  svarUt: number;
  altinnBroker: number;
  krr: number;
  altinnAuthorization: number;
  smtp: number;
  oidc: number;
}

const port = z.coerce.number().int().min(0).max(65535);
const portsSchema = z.object({
  DPI_AP_SANDBOX_MASKINPORTEN_PORT: port.default(8090),
  DPI_AP_SANDBOX_SMP_PORT: port.default(8091),
  DPI_AP_SANDBOX_DNS_PORT: port.default(8053),
  // The certs-example AP certificates name http://127.0.0.1:8899 as their OCSP responder and CRL location.
  DPI_AP_SANDBOX_PKI_PORT: port.default(8899),
  DPI_AP_SANDBOX_SERVICE_REGISTRY_PORT: port.default(8092),
  DPI_AP_SANDBOX_SERVICEBUS_PORT: port.default(8093),
  DPI_AP_SANDBOX_ALTINN_TOKEN_PORT: port.default(8094),
  DPI_AP_SANDBOX_ALTINN_CORRESPONDENCE_PORT: port.default(8095),
  DPI_AP_SANDBOX_SVARUT_PORT: port.default(8097),
  DPI_AP_SANDBOX_ALTINN_BROKER_PORT: port.default(8096),
  DPI_AP_SANDBOX_ALTINN_AUTHORIZATION_PORT: port.default(8098),
  DPI_AP_SANDBOX_KRR_PORT: port.default(8099),
  DPI_AP_SANDBOX_SMTP_PORT: port.default(8100),
  DPI_AP_SANDBOX_OIDC_PORT: port.default(8101),
});

/** The ports the sandbox's simulators listen on (0: any free port). */
export function sandboxPorts(env: NodeJS.ProcessEnv): SandboxPorts {
  const parsed = portsSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  const e = parsed.data;
  return {
    maskinporten: e.DPI_AP_SANDBOX_MASKINPORTEN_PORT,
    smp: e.DPI_AP_SANDBOX_SMP_PORT,
    dns: e.DPI_AP_SANDBOX_DNS_PORT,
    pki: e.DPI_AP_SANDBOX_PKI_PORT,
    serviceRegistry: e.DPI_AP_SANDBOX_SERVICE_REGISTRY_PORT,
    serviceBus: e.DPI_AP_SANDBOX_SERVICEBUS_PORT,
    altinnToken: e.DPI_AP_SANDBOX_ALTINN_TOKEN_PORT,
    altinnCorrespondence: e.DPI_AP_SANDBOX_ALTINN_CORRESPONDENCE_PORT,
    svarUt: e.DPI_AP_SANDBOX_SVARUT_PORT,
    altinnBroker: e.DPI_AP_SANDBOX_ALTINN_BROKER_PORT,
    krr: e.DPI_AP_SANDBOX_KRR_PORT,
    altinnAuthorization: e.DPI_AP_SANDBOX_ALTINN_AUTHORIZATION_PORT,
    smtp: e.DPI_AP_SANDBOX_SMTP_PORT,
    oidc: e.DPI_AP_SANDBOX_OIDC_PORT,
  };
}
