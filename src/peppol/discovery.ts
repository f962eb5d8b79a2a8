import type { X509Certificate } from "node:crypto";
import type { Clock } from "../clock.js";
import type { DpiMessageType, DpiProcessId } from "../dpi/document-types.js";
import { createNodeDnsResolver } from "./dns-resolver.js";
import { dpiDocumentTypeId, dpiProcessId, toParticipantId, type StandardSpelling } from "./identifiers.js";
import { createSmlLocator, type SmlConfig } from "./sml.js";
import { createCachingSmpClient } from "./smp-cache.js";
import { createSmpClient, type SmpEndpoint } from "./smp-client.js";

/**
 * Where does a DPI message for a participant go: the SML says which SMP knows the participant, the SMP's
 * signed metadata says which AS4 endpoint and certificate serve the document type and process. Both
 * answers are cached; see sml.ts and smp-cache.ts for the rules.
 */
export interface Discovery {
  lookup(receiver: string, type: DpiMessageType, process: DpiProcessId): Promise<SmpEndpoint>;
}

export interface DiscoveryOptions {
  sml: SmlConfig;
  dnsServers?: string[];
  smpAnchors: readonly X509Certificate[];
  spelling: StandardSpelling;
  clock: Clock;
  /** Checks on the SMP signer's path (revocation), see smp-client.ts. */
  checkSmpCertificatePath?: (path: readonly X509Certificate[], at: Date) => void | Promise<void>;
}

export function createDiscovery(o: DiscoveryOptions): Discovery {
  const locator = createSmlLocator(o.sml, { resolver: createNodeDnsResolver(o.dnsServers?.length ? { servers: o.dnsServers } : {}), clock: o.clock });
  const smp = createCachingSmpClient(
    createSmpClient({
      smpUrl: async (participant) => (await locator.locate(participant)).baseUrl,
      anchors: o.smpAnchors,
      clock: o.clock,
      ...(o.checkSmpCertificatePath ? { checkSmpCertificatePath: o.checkSmpCertificatePath } : {}),
    }),
    { clock: o.clock },
  );
  return {
    lookup(receiver, type, process) {
      return smp.lookupEndpoint({
        participant: toParticipantId(receiver),
        documentType: dpiDocumentTypeId(type, o.spelling),
        process: dpiProcessId(process),
        at: o.clock(),
      });
    },
  };
}
