/**
 * Maskinporten's question to Altinn Autorisasjon at token time ("Sjekker om tilgang er delegert Databehandler"
 * in the DPI message flow): `GET {altinn}/accessmanagement/api/v1/maskinporten/delegations?supplierOrg=
 * &consumerOrg=&scope=` with Maskinporten's own token carrying altinn:maskinporten/delegations.admin. Asked at
 * every delegated token request, with no cache, so a revoked delegation refuses the very next request.
 */
import { OAuthError } from "./oauth-error.js";
import type { DelegationLookup } from "./registry.js";

export const ALTINN_DELEGATIONS_ADMIN_SCOPE = "altinn:maskinporten/delegations.admin";

export interface AltinnDelegationLookupOptions {
  /** Altinn's base URL (the Altinn Autorisasjon simulator's `url`). */
  url: string;
  /** A token with {@link ALTINN_DELEGATIONS_ADMIN_SCOPE} (Maskinporten mints its own). */
  adminToken: () => Promise<string>;
  timeoutMs?: number;
}

export function createAltinnDelegationLookup(o: AltinnDelegationLookupOptions): DelegationLookup {
  return async (consumer, supplier, scope) => {
    const url = new URL(`${o.url.replace(/\/+$/, "")}/accessmanagement/api/v1/maskinporten/delegations`);
    url.searchParams.set("supplierOrg", supplier);
    url.searchParams.set("consumerOrg", consumer);
    url.searchParams.set("scope", scope);
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${await o.adminToken()}`, accept: "application/json" }, signal: AbortSignal.timeout(o.timeoutMs ?? 5000) });
    } catch (error) {
      throw new OAuthError("server_error", `Altinn Autorisasjon could not be reached to check the delegation: ${(error as Error).message}`);
    }
    if (res.status !== 200) throw new OAuthError("server_error", `Altinn Autorisasjon answered the delegation lookup with ${res.status}`);
    const found = (await res.json()) as { consumer_org?: unknown; supplier_org?: unknown; scopes?: unknown }[];
    return Array.isArray(found) && found.some((d) => d.consumer_org === consumer && d.supplier_org === supplier && Array.isArray(d.scopes) && d.scopes.includes(scope));
  };
}
