/**
 * What Maskinporten knows about its clients (from Samarbeidsportalen) and about delegations: a fixed list, or
 * (the sandbox) Altinn Autorisasjon asked over HTTP at every delegated token request (altinn-delegations.ts).
 */

export interface SimClient {
  clientId: string;
  /** Organisation number of the client owner; must match the business certificate that signs its grants. */
  orgno: string;
  /** Scopes registered on the client. */
  scopes: readonly string[];
}

/** `consumerOrgno` has delegated `scope` to `supplierOrgno` (Altinn API delegation). */
export interface SimDelegation {
  consumerOrgno: string;
  supplierOrgno: string;
  scope: string;
}

export interface Registry {
  client(clientId: string): SimClient | undefined;
  isDelegated(consumerOrgno: string, supplierOrgno: string, scope: string): Promise<boolean>;
}

/** Whether `consumer` has delegated `scope` to `supplier`; rejects with an OAuthError when it cannot be known. */
export type DelegationLookup = (consumerOrgno: string, supplierOrgno: string, scope: string) => Promise<boolean>;

const ORGNO = /^\d{9}$/;

/** A registry of `clients` whose delegations are the fixed list `delegations`, or what `lookup()` answers when it gives a lookup. */
export function createRegistry(clients: readonly SimClient[], delegations: readonly SimDelegation[], lookup: () => DelegationLookup | undefined = () => undefined): Registry {
  const byId = new Map<string, SimClient>();
  for (const client of clients) {
    if (!ORGNO.test(client.orgno)) throw new TypeError(`client ${client.clientId}: orgno must be nine digits`);
    if (byId.has(client.clientId)) throw new TypeError(`client ${client.clientId} registered twice`);
    byId.set(client.clientId, { ...client, scopes: [...client.scopes] });
  }
  const delegated = new Set<string>();
  for (const d of delegations) {
    if (!ORGNO.test(d.consumerOrgno) || !ORGNO.test(d.supplierOrgno)) {
      throw new TypeError(`delegation ${d.consumerOrgno} -> ${d.supplierOrgno}: organisation numbers must be nine digits`);
    }
    delegated.add(delegationKey(d.consumerOrgno, d.supplierOrgno, d.scope));
  }
  return {
    client: (clientId) => byId.get(clientId),
    isDelegated: async (consumer, supplier, scope) => {
      const remote = lookup();
      return remote ? remote(consumer, supplier, scope) : delegated.has(delegationKey(consumer, supplier, scope));
    },
  };
}

function delegationKey(consumer: string, supplier: string, scope: string): string {
  return JSON.stringify([consumer, supplier, scope]);
}
