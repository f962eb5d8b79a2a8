/**
 * A minimal Altinn token exchange client for DPO (to be merged with the DPV helper's src/channels/altinn/): a
 * Maskinporten token with the broker scopes, exchanged at Altinn's `exchange/maskinporten` for an Altinn token
 * (spec/eformidling.md §3, `AltinnTokenExchangeService`), cached per organisation until a minute before it expires.
 * Not sent: the system-user `authorization_details` claim (our grant client and Maskinporten simulator have none).
 */
import { decodeJwt } from "jose";
import { systemClock, type Clock } from "../../clock.js";
import { BrokerUnavailableError, BrokerRefusedError } from "./broker-errors.js";

export const DPO_SCOPES = ["altinn:broker.write", "altinn:broker.read"] as const;

export interface AltinnTokens {
  /** An Altinn token for the organisation (nine digits). */
  token(org: string): Promise<string>;
}

export interface AltinnTokenOptions {
  exchangeUrl: string;
  /** The organisation's Maskinporten token for these scopes. */
  maskinporten: (org: string, scopes: readonly string[]) => Promise<string>;
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
      const mp = await o.maskinporten(org, DPO_SCOPES);
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
