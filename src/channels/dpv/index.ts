/**
 * DPV, Altinn Digital Post til virksomheter: outgoing NextMove messages become Altinn 3 correspondences
 * (outbound.ts), whose state in Altinn is polled for LEVERT, LEST and purge (poller.ts). Composed by
 * src/server-nextmove.ts when DPI_AP_NEXTMOVE_CHANNELS includes DPV.
 */
import type { Clock } from "../../clock.js";
import type { Router } from "../../core/channel.js";
import type { EformidlingEndpoint } from "../../routing/eformidling.js";
import type { ServiceRegistryClient } from "../../routing/service-registry/client.js";
import type { BlobStore } from "../../store/blob-store.js";
import type { NextMoveRepo } from "../../store/nextmove-repo.js";
import { createAltinnTokens } from "../altinn/token-exchange.js";
import { CorrespondenceClient } from "./client.js";
import type { DpvSettings } from "./correspondence.js";
import { DpvOutbound } from "./outbound.js";
import { DpvStatusPoller } from "./poller.js";

/** The Maskinporten scope of DPV through Digdir's proxy ([IP] `CorrespondenceApiClient`). */
export const DPV_SCOPE = "eformidling:dpv";

export interface DpvChannelDeps {
  /** …/correspondence/api/v1. */
  correspondenceUrl: string;
  /** Altinn's …/authentication/api/v1/exchange/maskinporten. */
  tokenExchangeUrl: string;
  /** A Maskinporten token of the organisation's own client. */
  maskinportenToken: (orgno: string, scopes: readonly string[]) => Promise<string>;
  routerFor: (orgno: string) => Router<EformidlingEndpoint>;
  registryFor: (orgno: string) => Pick<ServiceRegistryClient, "info">;
  repo: Pick<NextMoveRepo, "ofConversations">;
  blobs: BlobStore;
  settings: DpvSettings;
  clock: Clock;
}

export function createDpvChannel(deps: DpvChannelDeps): { outbound: DpvOutbound; poller: DpvStatusPoller } {
  const tokens = createAltinnTokens({ exchangeUrl: deps.tokenExchangeUrl, maskinportenToken: deps.maskinportenToken, clock: deps.clock });
  const client = new CorrespondenceClient({ baseUrl: deps.correspondenceUrl, token: (orgno) => tokens.token(orgno, [DPV_SCOPE]), onUnauthorized: (orgno) => tokens.forget(orgno) });
  return {
    outbound: new DpvOutbound({ repo: deps.repo, blobs: deps.blobs, routerFor: deps.routerFor, registryFor: deps.registryFor, client, settings: deps.settings, clock: deps.clock, peer: deps.correspondenceUrl }),
    poller: new DpvStatusPoller(client, deps.clock),
  };
}

export { CorrespondenceClient, AltinnCorrespondenceError } from "./client.js";
export { buildCorrespondence, DEFAULT_DPV_SETTINGS, type DpvSettings } from "./correspondence.js";
export { DpvOutbound } from "./outbound.js";
export { DpvStatusPoller, GONE_DESCRIPTION } from "./poller.js";
