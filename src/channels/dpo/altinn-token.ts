/**
 * A minimal Altinn token exchange client for DPO (to be merged with the DPV helper's src/channels/altinn/): a
 * Maskinporten token with the broker scopes, exchanged at Altinn's `exchange/maskinporten` for an Altinn token
 * (spec/eformidling.md §3, `AltinnTokenExchangeService`), cached per organisation until a minute before it expires.
 * The grant names the organisation's Altinn system user in `authorization_details`, as the integrasjonspunkt's
 * ClaimsFactory does (externalRef `<orgnr>_integrasjonspunkt_systembruker_<orgnr>`).
 */
import { decodeJwt } from "jose";
import { systemClock, type Clock } from "../../clock.js";
import { BrokerUnavailableError, BrokerRefusedError } from "./broker-errors.js";

export const DPO_SCOPES = ["altinn:broker.write", "altinn:broker.read"] as const;

/** The organisation's Altinn system user as the integrasjonspunkt names it in the grant (ClaimsFactory). */
export function systemUserOf(org: string): Record<string, unknown> {
  return { type: "urn:altinn:systemuser", systemuser_org: { authority: "iso6523-actorid-upis", ID: `0192:${org}` }, externalRef: `${org}_integrasjonspunkt_systembruker_${org}` };
}

export interface AltinnTokens {
  /** An Altinn token for the organisation (nine digits). */
  token(org: string): Promise<string>;
}

export interface AltinnTokenOptions {
  exchangeUrl: string;
  /** The organisation's Maskinporten token for these scopes, with these authorization details. */
  maskinporten: (org: string, scopes: readonly string[], authorizationDetails: readonly Record<string, unknown>[]) => Promise<string>;
  clock?: Clock | undefined;
  timeoutMs?: number | undefined;
}

const MARGIN_MS = 60_000;

export function createAltinnTokens(o: AltinnTokenOptions): AltinnTokens {
  const clock = o.clock ?? systemClock;
  const cache = new Map<string, { token: string; expiresAt: number }>();
  return {
    async token(org) {
      const hit = cache.get(org);
      if (hit && hit.expiresAt - MARGIN_MS > clock().getTime()) return hit.token;
      const mp = await o.maskinporten(org, DPO_SCOPES, [systemUserOf(org)]);
      let res: Response;
      try {
        res = await fetch(o.exchangeUrl, { headers: { authorization: `Bearer ${mp}` }, signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
      } catch (e) {
        throw new BrokerUnavailableError(`Altinn token exchange unreachable: ${(e as Error).message}`, { cause: e });
      }
      const text = (await res.text()).trim();
      if (res.status >= 500) throw new BrokerUnavailableError(`Altinn token exchange answered ${res.status}`);
      if (res.status !== 200) throw new BrokerRefusedError(res.status, `Altinn token exchange refused (${res.status}): ${text.slice(0, 300)}`);
      // The body is the token itself, possibly as a JSON string.
      const token = text.startsWith('"') ? (JSON.parse(text) as string) : text;
      const exp = decodeJwt(token).exp;
      cache.set(org, { token, expiresAt: typeof exp === "number" ? exp * 1000 : clock().getTime() + 5 * 60_000 });
      return token;
    },
  };
}
