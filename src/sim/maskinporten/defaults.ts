/**
 * A ready simulator configuration built from certs-example/: one client per example business certificate,
 * all registered for digitalpostinnbygger:send (and the Service Registry's, Altinn's and KRR's scopes), and the
 * delegation of the real delegated samples
 * (behandlingsansvarlig 910076787 lets databehandler 810969342 send for it).
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { keyStoreFromPem, parseCertificates } from "../../pki/index.js";
import type { GrantSigner } from "../../maskinporten/grant-assertion.js";
import { DPI_SEND_SCOPE } from "../../maskinporten/token.js";
import type { SimClient, SimDelegation } from "./registry.js";
import type { MaskinportenSimOptions } from "./server.js";

/** certs-example/ of this checkout. */
export const DEFAULT_CERTS_DIR = fileURLToPath(new URL("../../../certs-example/", import.meta.url));

/** kid of certs-example/maskinporten/signing-key.pem, as published in its jwks.json. */
export const DEFAULT_SIM_KID = "dpi-ap-test-mp-1";

export const AVSENDER_ORGNO = "991825827";
export const DATABEHANDLER_ORGNO = "810969342";
export const BEHANDLINGSANSVARLIG_ORGNO = "910076787";
export const DIGIPOST_ORGNO = "984661185";
export const EBOKS_ORGNO = "922020175";
export const PRINT_ORGNO = "974761076";

/** Organisation numbers with a business certificate in certs-example/business/. */
export const EXAMPLE_BUSINESS_ORGNOS = [
  AVSENDER_ORGNO,
  DATABEHANDLER_ORGNO,
  BEHANDLINGSANSVARLIG_ORGNO,
  DIGIPOST_ORGNO,
  EBOKS_ORGNO,
  PRINT_ORGNO,
] as const;

/** The simulator's client id for an organisation: `dpi-ap-test-<orgno>`. */
export function simClientId(orgno: string): string {
  return `dpi-ap-test-${orgno}`;
}

/** The Service Registry's scopes, as an integrasjonspunkt's client has them for the channels it uses. */
export const SERVICE_REGISTRY_SCOPES = ["eformidling:dpi", "eformidling:dpo", "eformidling:dpf", "eformidling:dpv", "eformidling:dpe"] as const;

/** KRR's oppslagstjeneste: contact details, and the postbox and its certificate (the citizen lookup before sending). */
export const KRR_LOOKUP_SCOPES = ["krr:global/kontaktinformasjon.read", "krr:global/digitalpost.read"] as const;

/**
 * The Altinn Autorisasjon simulator's stand-in for an access manager's login: lets an organisation grant and
 * revoke the delegations it offers (src/sim/altinn-authorization/server.ts).
 */
export const ALTINN_DELEGATION_WRITE_SCOPE = "altinn:maskinporten/delegations.write";

/** KS Fiks's scope (DPF: SvarUt's REST API, as fiks-svarut-klient asks for it). */
export const KS_FIKS_SCOPE = "ks:fiks";

/** The Altinn 3 broker's scopes (DPO), exchanged for an Altinn token. */
export const ALTINN_BROKER_SCOPES = ["altinn:broker.write", "altinn:broker.read"] as const;

export const DEFAULT_SIM_CLIENTS: readonly SimClient[] = EXAMPLE_BUSINESS_ORGNOS.map((orgno) => ({
  clientId: simClientId(orgno),
  orgno,
  scopes: [DPI_SEND_SCOPE, ...SERVICE_REGISTRY_SCOPES, ...ALTINN_BROKER_SCOPES, ...KRR_LOOKUP_SCOPES, ALTINN_DELEGATION_WRITE_SCOPE, KS_FIKS_SCOPE],
}));

/**
 * The sandbox's delegation. A simulator started from loadDefaultSimOptions alone holds it as a fixed list; the
 * sandbox instead grants it at its Altinn Autorisasjon simulator, which Maskinporten then asks.
 */
export const DEFAULT_SIM_DELEGATIONS: readonly SimDelegation[] = [
  { consumerOrgno: BEHANDLINGSANSVARLIG_ORGNO, supplierOrgno: DATABEHANDLER_ORGNO, scope: DPI_SEND_SCOPE },
];

/** Simulator options from certs-example (or another folder of the same layout); override any field after. */
export async function loadDefaultSimOptions(certsDir: string = DEFAULT_CERTS_DIR): Promise<MaskinportenSimOptions> {
  const business = join(certsDir, "business");
  return {
    signingKey: await readFile(join(certsDir, "maskinporten", "signing-key.pem"), "utf8"),
    kid: DEFAULT_SIM_KID,
    trustAnchors: parseCertificates(await readFile(join(business, "root-ca.pem"))),
    intermediates: parseCertificates(await readFile(join(business, "intermediate-ca.pem"))),
    clients: DEFAULT_SIM_CLIENTS,
    delegations: DEFAULT_SIM_DELEGATIONS,
  };
}

/**
 * The grant signer of an example organisation: its simulator client id, business key and x5c chain
 * (leaf, then the issuing CA). Add `audience` (the simulator's issuer) to use it with the grant client.
 */
export async function loadExampleSigner(orgno: string, certsDir: string = DEFAULT_CERTS_DIR): Promise<Omit<GrantSigner, "audience">> {
  const business = join(certsDir, "business");
  const store = keyStoreFromPem({
    key: await readFile(join(business, `${orgno}.key.pem`)),
    certificate: await readFile(join(business, `${orgno}.pem`)),
    chain: await readFile(join(business, "intermediate-ca.pem")),
  });
  return {
    clientId: simClientId(orgno),
    privateKey: store.privateKey,
    certificateChain: [store.certificate, ...store.chain],
  };
}
