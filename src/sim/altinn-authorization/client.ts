/**
 * A consumer organisation's calls to grant and revoke its API delegations at Altinn (the simulator's REST API,
 * shaped as Altinn's maskinportenschema "offered" endpoints): used by the sandbox to seed its delegation and by
 * tests. The token is the consumer's own Maskinporten token with DELEGATION_WRITE_SCOPE.
 */
import { PARTY_HEADER } from "./server.js";

export interface DelegationCall {
  /** Base URL of Altinn (the simulator's `url`). */
  url: string;
  token: string;
  consumerOrg: string;
  supplierOrg: string;
  resourceId: string;
}

export interface DelegationAnswer {
  status: number;
  body: unknown;
}

export function grantDelegation(c: DelegationCall): Promise<DelegationAnswer> {
  return call(c, "/accessmanagement/api/v1/organization/maskinportenschema/offered");
}

export function revokeDelegation(c: DelegationCall): Promise<DelegationAnswer> {
  return call(c, "/accessmanagement/api/v1/organization/maskinportenschema/offered/revoke");
}

async function call(c: DelegationCall, path: string): Promise<DelegationAnswer> {
  const res = await fetch(`${c.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${c.token}`, "content-type": "application/json", [PARTY_HEADER]: c.consumerOrg },
    body: JSON.stringify({
      to: [{ id: "urn:altinn:organizationnumber", value: c.supplierOrg }],
      rights: [{ resource: [{ id: "urn:altinn:resource", value: c.resourceId }] }],
    }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
