import type { Route, RouteRecord, Router, RouteQuery } from "../core/channel.js";
import type { DpiMessageType, DpiProcessId } from "../dpi/document-types.js";
import type { Discovery } from "../peppol/discovery.js";
import type { SmpDocument, SmpEndpoint } from "../peppol/smp-client.js";

/**
 * Routing for DPI: a receiver's access point comes from the Peppol SML/SMP (discovery.ts, cached and with the
 * SMP's signature checked there). The endpoint is the AS4 URL and certificate the SMP publishes for the DPI
 * document type and process; the record is the SignedServiceMetadata it was read from, as the SMP sent it. The
 * Service Registry, for the other channels, goes behind the same Router.
 */
export function createDpiRouter(discovery: Discovery): Router<SmpEndpoint> {
  return {
    async route(q: RouteQuery): Promise<Route<SmpEndpoint>> {
      const endpoint = await discovery.lookup(q.receiver, q.documentType as DpiMessageType, q.process as DpiProcessId);
      return { channel: "DPI", endpoint, ...(endpoint.document ? { record: smpRecord(endpoint.document) } : {}) };
    },
  };
}

/** An SMP document as the record a route came from. */
export function smpRecord(d: SmpDocument): RouteRecord {
  return { kind: "smp", sourceUrl: d.url, fetchedAt: d.fetchedAt, mediaType: "application/xml", body: d.body, sha256: d.sha256 };
}
