import type { FiksTokenSource, SvarUtAccountCredentials } from "../../src/channels/dpf/svarut-client.js";
import { createGrantClient, type GrantClient } from "../../src/maskinporten/grant-client.js";
import { loadDefaultSimOptions, loadExampleSigner } from "../../src/sim/maskinporten/defaults.js";
import { startMaskinportenSim, type MaskinportenSim } from "../../src/sim/maskinporten/server.js";
import { SVARUT_SANDBOX } from "../../src/sim/svarut/index.js";

/**
 * What a DPF test needs to reach the SvarUt simulator's REST API: a Maskinporten simulator, a ks:fiks token source
 * of the example organisations' own clients, and the sandbox account of an organisation (konto + integration).
 */
export interface FiksTokens {
  maskinporten: MaskinportenSim;
  /** The issuer and JWKS for the SvarUt simulator's options. */
  issuer: { issuer: string; jwksUrl: string };
  token: FiksTokenSource;
  /** A grant client of the organisation's own Maskinporten client, for tokens of other scopes. */
  grants(orgnr: string): Promise<GrantClient>;
  close(): Promise<void>;
}

export async function startFiksTokens(): Promise<FiksTokens> {
  const maskinporten = await startMaskinportenSim(await loadDefaultSimOptions());
  const clients = new Map<string, Promise<GrantClient>>();
  const grants = (orgnr: string) => {
    let c = clients.get(orgnr);
    if (!c) clients.set(orgnr, (c = loadExampleSigner(orgnr).then((s) => createGrantClient({ ...s, audience: maskinporten.issuer, tokenEndpoint: maskinporten.tokenUrl }))));
    return c;
  };
  return {
    maskinporten,
    issuer: { issuer: maskinporten.issuer, jwksUrl: maskinporten.jwksUrl },
    token: async (orgnr) => (await (await grants(orgnr)).getToken({ scope: "ks:fiks" })).access_token,
    grants,
    close: () => maskinporten.close(),
  };
}

/** The sandbox's SvarUt account of `orgnr` (src/sim/svarut/defaults.ts). */
export function sandboxAccount(orgnr: string): SvarUtAccountCredentials {
  return { orgnr, kontoId: SVARUT_SANDBOX.kontoId(orgnr), integrasjonId: SVARUT_SANDBOX.integrasjonId(orgnr), integrasjonPassord: SVARUT_SANDBOX.password };
}
