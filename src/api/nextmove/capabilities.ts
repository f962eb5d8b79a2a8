import { Router } from "express";
import { capabilitiesOf } from "../../routing/service-registry/capabilities.js";
import type { ServiceRegistryClient } from "../../routing/service-registry/client.js";
import { longParam, single } from "./query-params.js";
import { mayActFor, nextMoveCallerOf } from "./caller.js";
import { OrganisationNotAllowedError } from "./errors.js";

/**
 * GET /api/capabilities/{receiverIdentifier}?securityLevel=&process= as the integrasjonspunkt's
 * CapabilitiesController answers it: what the Service Registry says the receiver takes, one capability per
 * record. A receiver the registry does not know is 404 (IdentifierNotFoundException). Mount under /api.
 */
export interface CapabilitiesDeps {
  /** The registry as an organisation asks it (its own token): the caller's first organisation here asks. */
  registryFor(orgno: string): Pick<ServiceRegistryClient, "identifier" | "identifierProcess">;
  orgs: readonly string[];
}

export function capabilitiesRouter(deps: CapabilitiesDeps): Router {
  const r = Router();
  r.get("/capabilities/:receiverIdentifier", async (req, res) => {
    const securityLevel = longParam(req.query, "securityLevel");
    const process = single(req.query, "process");
    const lookup = securityLevel !== undefined ? { securityLevel } : {};
    const id = req.params.receiverIdentifier;
    const caller = nextMoveCallerOf(res);
    const asking = deps.orgs.find((o) => mayActFor(caller, o));
    if (asking === undefined) throw new OrganisationNotAllowedError(deps.orgs[0] ?? "none", caller.name);
    const registry = deps.registryFor(asking);
    const found = process !== undefined ? await registry.identifierProcess(id, process, lookup) : await registry.identifier(id, lookup);
    res.json(capabilitiesOf(found.serviceRecords));
  });
  return r;
}
