/**
 * An honest local Altinn Autorisasjon, the part Maskinporten's delegations rest on: API delegation of
 * "maskinportenschema" resources between organisations (Altinn/altinn-access-management,
 * `MaskinportenSchemaController`), on node:http:
 *
 *   GET  /accessmanagement/api/v1/maskinporten/delegations?supplierOrg=&consumerOrg=&scope=
 *        Maskinporten's lookup at token time: the active delegations matching the filters, as
 *        `[{consumer_org, supplier_org, delegation_scheme_Id, scopes, created, resourceid}]`. Needs a token with
 *        `altinn:maskinporten/delegations.admin` (what Maskinporten itself holds).
 *   POST /accessmanagement/api/v1/organization/maskinportenschema/offered          grant (201)
 *   POST /accessmanagement/api/v1/organization/maskinportenschema/offered/revoke   revoke (204)
 *   GET  /accessmanagement/api/v1/organization/maskinportenschema/offered          the consumer's own delegations
 *        The consumer names itself in the `Altinn-Party-OrganizationNumber` header (Altinn's "organization" party
 *        form; numeric party ids are not modelled). Bodies as Altinn's DelegationInput:
 *        `{"to":[{"id":"urn:altinn:organizationnumber","value":"<supplier>"}],
 *          "rights":[{"resource":[{"id":"urn:altinn:resource","value":"<resourceId>"}]}]}`.
 *
 * Who may grant and revoke: in Altinn, a person with the access-manager role for the consumer, logged in to
 * Altinn. The simulator stands in for that login with the consumer organisation's own Maskinporten token
 * carrying {@link DELEGATION_WRITE_SCOPE} (not a real Altinn scope): not delegated (no `supplier`), and its
 * `consumer` must be the organisation in the header — only the consumer manages its delegations (403 otherwise).
 * Errors are ProblemDetails as ASP.NET writes them (ValidationProblemDetails with `errors` for 400).
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { systemClock, type Clock } from "../../clock.js";
import { createBearerCheck } from "../bearer-check.js";
import { serve } from "../listen.js";
import { DelegationState, type Delegation, type DelegationScheme } from "./state.js";

/** Maskinporten's scope for delegation lookups across all schemes (Altinn's SCOPE_MASKINPORTEN_DELEGATIONS_ADMIN). */
export const DELEGATIONS_ADMIN_SCOPE = "altinn:maskinporten/delegations.admin";
/** The simulator's stand-in for an access manager's Altinn login: may grant and revoke the token consumer's delegations. */
export const DELEGATION_WRITE_SCOPE = "altinn:maskinporten/delegations.write";
export const PARTY_HEADER = "altinn-party-organizationnumber";
const ORG_ATTRIBUTE = "urn:altinn:organizationnumber";
const RESOURCE_ATTRIBUTE = "urn:altinn:resource";
const BASE = "/accessmanagement/api/v1";

export interface AltinnAuthorizationSimOptions {
  port?: number;
  host?: string;
  /** The Maskinporten whose tokens are accepted. */
  maskinporten: { issuer: string; jwksUrl: string | URL };
  /** The delegable API resources. */
  schemes: readonly DelegationScheme[];
  clock?: Clock;
}

export interface AltinnAuthorizationSimStats {
  lookups: number;
  grants: number;
  revocations: number;
  refused: number;
}

export interface AltinnAuthorizationSim {
  /** Base URL (Altinn's platform URL), no trailing slash. */
  readonly url: string;
  readonly state: DelegationState;
  stats(): AltinnAuthorizationSimStats;
  close(): Promise<void>;
}

class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly errors?: Record<string, string[]>,
    readonly headers: Record<string, string> = {},
  ) {
    super(title);
  }
}

const TYPES: Record<number, string> = {
  400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
  401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
  403: "https://tools.ietf.org/html/rfc7231#section-6.5.3",
  404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
  405: "https://tools.ietf.org/html/rfc9110#section-15.5.6",
};
const invalid = (field: string, message: string) => new Problem(400, "One or more validation errors occurred.", { [field]: [message] });

export async function startAltinnAuthorizationSim(options: AltinnAuthorizationSimOptions): Promise<AltinnAuthorizationSim> {
  const clock = options.clock ?? systemClock;
  const state = new DelegationState(options.schemes, clock);
  const check = createBearerCheck({ ...options.maskinporten, clock });
  const stats: AltinnAuthorizationSimStats = { lookups: 0, grants: 0, revocations: 0, refused: 0 };

  const authenticate = async (req: IncomingMessage) => {
    const r = await check(req.headers.authorization);
    if (!r.ok) throw new Problem(401, r.detail, undefined, { "www-authenticate": r.wwwAuthenticate });
    return r;
  };

  /** The consumer organisation acting on its own delegations: header party, matching a non-delegated write token. */
  const consumerParty = async (req: IncomingMessage): Promise<string> => {
    const auth = await authenticate(req);
    const party = header(req, PARTY_HEADER);
    if (party === undefined) throw invalid("Validation Error", "Missing the Altinn-Party-OrganizationNumber header for the organization party");
    if (!/^\d{9}$/.test(party)) throw invalid("Validation Error", "Altinn-Party-OrganizationNumber is not a well-formed organization number");
    if (!auth.scopes.includes(DELEGATION_WRITE_SCOPE)) throw new Problem(403, `The token lacks the scope ${DELEGATION_WRITE_SCOPE}`);
    const consumer = (auth.claims.consumer as { ID?: unknown } | undefined)?.ID;
    if (auth.claims.supplier !== undefined || consumer !== `0192:${party}`) {
      throw new Problem(403, `Only ${party} itself may manage the delegations it offers`);
    }
    return party;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://altinn");
    const path = url.pathname.replace(/\/+$/, "");
    if (path === `${BASE}/maskinporten/delegations`) {
      requireMethod(req, "GET");
      const auth = await authenticate(req);
      const scope = url.searchParams.get("scope") ?? undefined;
      if (!auth.scopes.includes(DELEGATIONS_ADMIN_SCOPE)) throw new Problem(403, `Not authorized for lookup of delegations for the scope: ${scope ?? ""}`);
      const supplierOrg = orgParam(url, "supplierOrg");
      const consumerOrg = orgParam(url, "consumerOrg");
      if (scope === undefined && supplierOrg === undefined && consumerOrg === undefined) throw invalid("Validation Error", "Query without parameters: give scope, supplierOrg or consumerOrg");
      stats.lookups++;
      const found = state.delegations({ ...(supplierOrg ? { supplierOrg } : {}), ...(consumerOrg ? { consumerOrg } : {}), ...(scope ? { scope } : {}) });
      return sendJson(res, 200, found.map((d) => mpDelegation(d, state)));
    }
    if (path === `${BASE}/organization/maskinportenschema/offered`) {
      if (req.method === "GET") {
        const consumer = await consumerParty(req);
        return sendJson(res, 200, state.delegations({ consumerOrg: consumer }).map((d) => offered(d, state)));
      }
      requireMethod(req, "POST");
      const consumer = await consumerParty(req);
      const { supplier, resourceId } = parseDelegationInput(await readJson(req), state);
      if (supplier === consumer) throw invalid("To", "An organization cannot delegate to itself");
      const d = state.delegate(consumer, supplier, resourceId);
      stats.grants++;
      return sendJson(res, 201, {
        from: [{ id: ORG_ATTRIBUTE, value: d.consumerOrg }],
        to: [{ id: ORG_ATTRIBUTE, value: d.supplierOrg }],
        rightDelegationResults: [{ resource: [{ id: RESOURCE_ATTRIBUTE, value: d.resourceId }], action: "ScopeAccess", status: "Delegated" }],
      }, { location: `${BASE}/organization/maskinportenschema/offered?to=${d.supplierOrg}&resourceId=${encodeURIComponent(d.resourceId)}` });
    }
    if (path === `${BASE}/organization/maskinportenschema/offered/revoke`) {
      requireMethod(req, "POST");
      const consumer = await consumerParty(req);
      const { supplier, resourceId } = parseDelegationInput(await readJson(req), state);
      // Revoking what is not (or no longer) delegated changes nothing and is not an error.
      state.revoke(consumer, supplier, resourceId);
      stats.revocations++;
      res.writeHead(204).end();
      return;
    }
    throw new Problem(404, "Not Found");
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      req.resume();
      if (error instanceof Problem) {
        if (error.status === 401 || error.status === 403) stats.refused++;
        return sendProblem(res, error);
      }
      if (!res.headersSent) sendProblem(res, new Problem(500, `An error occurred while processing your request: ${String(error)}`));
      else res.destroy();
    });
  });
  const served = await serve(server, options.port ?? 0, options.host ?? "127.0.0.1");
  return { url: served.url, state, stats: () => ({ ...stats }), close: served.close };
}

/** One supplier and one resource, as Altinn's DelegationInput / RevokeOfferedDelegationExternal give them. */
function parseDelegationInput(body: unknown, state: DelegationState): { supplier: string; resourceId: string } {
  const b = body as { to?: unknown; rights?: unknown } | null;
  const to = Array.isArray(b?.to) ? (b.to as { id?: unknown; value?: unknown }[]) : [];
  if (to.length !== 1 || to[0]?.id !== ORG_ATTRIBUTE || typeof to[0].value !== "string") {
    throw invalid("To", `Exactly one recipient, {"id":"${ORG_ATTRIBUTE}","value":"<organisation number>"}, is required`);
  }
  if (!/^\d{9}$/.test(to[0].value)) throw invalid("To", `${to[0].value} is not a valid organization number`);
  const rights = Array.isArray(b?.rights) ? (b.rights as { resource?: unknown }[]) : [];
  const resource = rights.length === 1 && Array.isArray(rights[0]?.resource) ? (rights[0].resource as { id?: unknown; value?: unknown }[]) : [];
  if (resource.length !== 1 || resource[0]?.id !== RESOURCE_ATTRIBUTE || typeof resource[0].value !== "string") {
    throw invalid("Rights", `Exactly one right with one resource, {"id":"${RESOURCE_ATTRIBUTE}","value":"<resource id>"}, is required`);
  }
  if (!state.scheme(resource[0].value)) throw invalid("Rights", `The resource ${resource[0].value} is not a delegable maskinportenschema`);
  return { supplier: to[0].value, resourceId: resource[0].value };
}

function mpDelegation(d: Delegation, state: DelegationState) {
  const s = state.scheme(d.resourceId)!;
  return { consumer_org: d.consumerOrg, supplier_org: d.supplierOrg, delegation_scheme_Id: s.schemeId, scopes: [...s.scopes], created: d.created.toISOString(), resourceid: d.resourceId };
}

function offered(d: Delegation, state: DelegationState) {
  const s = state.scheme(d.resourceId)!;
  return { offeredByOrganizationNumber: d.consumerOrg, coveredByOrganizationNumber: d.supplierOrg, resourceId: d.resourceId, resourceReferences: s.scopes.map((scope) => ({ referenceType: "MaskinportenScope", reference: scope })), created: d.created.toISOString() };
}

function orgParam(url: URL, name: string): string | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === "") return undefined;
  if (!/^\d{9}$/.test(v)) throw invalid(name, `${name[0]!.toUpperCase()}${name.slice(1).toLowerCase()} is not an valid organization number`);
  return v;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function requireMethod(req: IncomingMessage, method: "GET" | "POST"): void {
  if (req.method !== method) throw new Problem(405, "Method Not Allowed", undefined, { allow: method });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") throw new Problem(415, "Unsupported Media Type");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Problem(413, "Payload Too Large");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw invalid("$", "The body is not JSON");
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendProblem(res: ServerResponse, p: Problem): void {
  const text = JSON.stringify({ type: TYPES[p.status] ?? "about:blank", title: p.title, status: p.status, ...(p.errors ? { errors: p.errors } : {}) });
  res.writeHead(p.status, { "content-type": "application/problem+json; charset=utf-8", "content-length": Buffer.byteLength(text), ...p.headers });
  res.end(text);
}
