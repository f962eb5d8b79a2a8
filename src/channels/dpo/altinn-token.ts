import type { Clock } from "../../clock.js";
import { AltinnTokenExchangeError, createAltinnTokens as createSharedAltinnTokens } from "../altinn/token-exchange.js";
import { BrokerRefusedError, BrokerUnavailableError } from "./broker-errors.js";

/**
 * DPO's Altinn tokens (spec/eformidling.md §3, `DpoTokenProducer`, `AltinnTokenExchangeService`): the shared Altinn
 * token exchange (src/channels/altinn), asked for the broker scopes and the organisation's Altinn system user in
 * `authorization_details`, as the integrasjonspunkt's ClaimsFactory names it (externalRef
 * `<orgnr>_integrasjonspunkt_systembruker_<orgnr>`). An exchange that fails is told in the broker's terms, which
 * DPO's sending and receiving decide on: unreachable or 5xx is BrokerUnavailableError (try again), any other
 * refusal BrokerRefusedError.
 */

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

export function createAltinnTokens(o: AltinnTokenOptions): AltinnTokens {
  const shared = createSharedAltinnTokens({
    exchangeUrl: o.exchangeUrl,
    maskinportenToken: (org, scopes, details) => o.maskinporten(org, scopes, details ?? []),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
  });
  return {
    async token(org) {
      try {
        return await shared.token(org, DPO_SCOPES, [systemUserOf(org)]);
      } catch (e) {
        if (!(e instanceof AltinnTokenExchangeError)) throw e;
        if (e.kind === "unavailable") throw new BrokerUnavailableError(e.message, { cause: e });
        throw new BrokerRefusedError(e.status, e.message);
      }
    },
  };
}
