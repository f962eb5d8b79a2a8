import { Router } from "express";
import { capabilitiesOf } from "../../routing/service-registry/capabilities.js";
import type { ServiceRegistryClient } from "../../routing/service-registry/client.js";
import { longParam, single } from "./query-params.js";

/**
 * GET /api/capabilities/{receiverIdentifier}?securityLevel=&process= as the integrasjonspunkt's
 * CapabilitiesController answers it: what the Service Registry says the receiver takes, one capability per
 * record. A receiver the registry does not know is 404 (IdentifierNotFoundException). Mount under /api.
 */
export function capabilitiesRouter(deps: { registry: Pick<ServiceRegistryClient, "identifier" | "identifierProcess"> }): Router {
  const r = Router();
  r.get("/capabilities/:receiverIdentifier", async (req, res) => {
    const securityLevel = longParam(req.query, "securityLevel");
    const process = single(req.query, "process");
    const lookup = securityLevel !== undefined ? { securityLevel } : {};
    const id = req.params.receiverIdentifier;
    const found = process !== undefined ? await deps.registry.identifierProcess(id, process, lookup) : await deps.registry.identifier(id, lookup);
    res.json(capabilitiesOf(found.serviceRecords));
  });
  return r;
}
