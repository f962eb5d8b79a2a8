/**
 * What the simulated Altinn Autorisasjon knows about API delegations ("delegerbare API-ressurser", Altinn's
 * maskinportenschema resources): which resources exist and which Maskinporten scopes each one gives, and which
 * consumer (the avsender) has delegated which resource to which supplier (the databehandler). Plain in-memory
 * data; the server's REST API changes it, tests and the sandbox may read it.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../../clock.js";

/** A delegable API resource ("delegation scheme") and the scopes a delegation of it opens in Maskinporten. */
export interface DelegationScheme {
  /** The resource registry identifier, e.g. "dpi-ap-sandbox-digitalpostinnbygger-send". */
  resourceId: string;
  scopes: readonly string[];
  /** The scheme's id in Maskinporten's lookups (`delegation_scheme_Id`); a random UUID when absent. */
  schemeId?: string;
}

export interface Delegation {
  consumerOrg: string;
  supplierOrg: string;
  resourceId: string;
  created: Date;
}

const ORGNO = /^\d{9}$/;

export class DelegationState {
  readonly #schemes = new Map<string, Required<DelegationScheme>>();
  readonly #delegations = new Map<string, Delegation>();

  constructor(
    schemes: readonly DelegationScheme[],
    private readonly clock: Clock,
  ) {
    for (const s of schemes) this.#schemes.set(s.resourceId, { resourceId: s.resourceId, scopes: [...s.scopes], schemeId: s.schemeId ?? randomUUID() });
  }

  scheme(resourceId: string): Required<DelegationScheme> | undefined {
    return this.#schemes.get(resourceId);
  }

  /** Schemes that open `scope`. */
  schemesFor(scope: string): Required<DelegationScheme>[] {
    return [...this.#schemes.values()].filter((s) => s.scopes.includes(scope));
  }

  /** Adds the delegation (again: unchanged, keeps its first `created`). */
  delegate(consumerOrg: string, supplierOrg: string, resourceId: string): Delegation {
    if (!ORGNO.test(consumerOrg) || !ORGNO.test(supplierOrg)) throw new TypeError("organisation numbers must be nine digits");
    if (!this.#schemes.has(resourceId)) throw new TypeError(`unknown resource ${resourceId}`);
    const key = keyOf(consumerOrg, supplierOrg, resourceId);
    const existing = this.#delegations.get(key);
    if (existing) return { ...existing };
    const d: Delegation = { consumerOrg, supplierOrg, resourceId, created: this.clock() };
    this.#delegations.set(key, d);
    return { ...d };
  }

  /** Removes the delegation; false when there was none. */
  revoke(consumerOrg: string, supplierOrg: string, resourceId: string): boolean {
    return this.#delegations.delete(keyOf(consumerOrg, supplierOrg, resourceId));
  }

  /** Delegations matching every given filter. */
  delegations(filter: { consumerOrg?: string; supplierOrg?: string; scope?: string } = {}): Delegation[] {
    return [...this.#delegations.values()]
      .filter((d) => filter.consumerOrg === undefined || d.consumerOrg === filter.consumerOrg)
      .filter((d) => filter.supplierOrg === undefined || d.supplierOrg === filter.supplierOrg)
      .filter((d) => filter.scope === undefined || this.#schemes.get(d.resourceId)!.scopes.includes(filter.scope))
      .map((d) => ({ ...d }));
  }
}

function keyOf(consumer: string, supplier: string, resourceId: string): string {
  return JSON.stringify([consumer, supplier, resourceId]);
}
