import express, { Router, type RequestHandler } from "express";
import type { Clock } from "../../clock.js";
import { ownerOf, ownerOrgs, parseWebhookFilter, SUBSCRIPTION_EVENTS, SUBSCRIPTION_RESOURCES } from "../../core/webhook-event.js";
import type { Subscription } from "../../store/generated/client.js";
import type { SubscriptionChanges, SubscriptionsRepo } from "../../store/subscriptions-repo.js";
import { mayActFor, nextMoveCallerOf, type NextMoveCaller } from "./caller.js";
import { longValue } from "./query-params.js";
import { pageableOf, springPage } from "./spring-page.js";
import { SubscriptionExistsError, SubscriptionInvalidError, SubscriptionNotFoundError } from "./status-errors.js";
import { requestIdOf } from "../request-log.js";

/**
 * /api/subscriptions as the integrasjonspunkt's SubscriptionController and SubscriptionServiceImpl answer it
 * (webhooks/subscription/): list (paged, unsorted), get, create, partial update, delete, delete all. Bodies are
 * validated as its Subscription entity is (domain/…/webhooks/Subscription.java: on create name, pushEndpoint,
 * resource and event required and no id; always a URL, a resource of all|messages, an event of all|status, a
 * filter its parser reads); a second subscription with the same name and push endpoint is refused (400, as there).
 * Creating a subscription, or moving it to another endpoint, pings that endpoint (logged only, as there).
 *
 * The integrasjonspunkt serves one organisation; here a subscription belongs to the organisations its creator
 * may act for (webhook-event.ts `ownerOf`), gets only their conversations' statuses, and is seen and changed only
 * by callers who may act for all of them. Mount under /api.
 */

export interface SubscriptionsDeps {
  repo: SubscriptionsRepo;
  /** POSTs the ping event to a push endpoint; never fails (WebhookSender.ping). */
  ping: (pushEndpoint: string, requestId?: string) => Promise<void>;
  clock: Clock;
}

interface SubscriptionJson {
  id: number;
  name: string;
  pushEndpoint: string;
  resource: string;
  event: string;
  filter?: string;
}

function subscriptionJson(s: Subscription): SubscriptionJson {
  return { id: s.id, name: s.name, pushEndpoint: s.pushEndpoint, resource: s.resource, event: s.event, ...(s.filter !== null ? { filter: s.filter } : {}) };
}

function visibleTo(caller: NextMoveCaller, s: Subscription): boolean {
  if (caller.orgs === "*") return true;
  const orgs = s.owner === null ? [] : ownerOrgs(s.owner);
  // One made by a caller of no organisation is no one's but the deployment-wide callers'.
  return orgs.length > 0 && orgs.every((o) => mayActFor(caller, o));
}

const FIELDS = ["name", "pushEndpoint", "resource", "event", "filter"] as const;
type Fields = { [K in (typeof FIELDS)[number]]?: string };

/** The body's fields after the integrasjonspunkt's checks; absent and null fields are left out. */
function readBody(body: unknown, creating: boolean): Fields {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new SubscriptionInvalidError("the body must be a JSON object");
  const raw = body as Record<string, unknown>;
  const problems: string[] = [];
  const fields: Fields = {};
  for (const k of FIELDS) {
    const v = raw[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") problems.push(`${k}: must be a string`);
    else fields[k] = v;
  }
  if (creating) {
    if (raw.id !== undefined && raw.id !== null) problems.push("id: must be null");
    for (const k of ["name", "pushEndpoint", "resource", "event"] as const) if (raw[k] === undefined || raw[k] === null) problems.push(`${k}: must not be null`);
  }
  // An endpoint we could not POST to is refused, though Java's URL check would let ftp: or file: pass.
  if (fields.pushEndpoint !== undefined && !/^https?:$/.test(URL.parse(fields.pushEndpoint)?.protocol ?? "")) problems.push("pushEndpoint: must be an http or https URL");
  if (fields.resource !== undefined && !(SUBSCRIPTION_RESOURCES as readonly string[]).includes(fields.resource)) problems.push(`resource: must be one of ${SUBSCRIPTION_RESOURCES.join(", ")}`);
  if (fields.event !== undefined && !(SUBSCRIPTION_EVENTS as readonly string[]).includes(fields.event)) problems.push(`event: must be one of ${SUBSCRIPTION_EVENTS.join(", ")}`);
  if (fields.filter !== undefined) {
    const parsed = parseWebhookFilter(fields.filter);
    if (!parsed.ok) problems.push(`filter: ${parsed.detail}`);
  }
  if (problems.length > 0) throw new SubscriptionInvalidError(problems.join("; "));
  return fields;
}

const parseJson = express.json({ limit: "64kb", type: () => true });

/** A body that is not JSON is the subscription's fault, answered like any other invalid subscription. */
const jsonBody: RequestHandler = (req, res, next) => {
  parseJson(req, res, (err?: unknown) => next(err ? new SubscriptionInvalidError(`the body is not JSON: ${(err as Error).message}`) : undefined));
};

const SORTABLE = ["id", "name"] as const;

export function subscriptionsRouter(deps: SubscriptionsDeps): Router {
  const r = Router();

  const visible = async (caller: NextMoveCaller) => (await deps.repo.all()).filter((s) => visibleTo(caller, s));
  const find = async (caller: NextMoveCaller, rawId: string) => {
    const id = longValue("id", rawId);
    const s = await deps.repo.get(id);
    if (!s || !visibleTo(caller, s)) throw new SubscriptionNotFoundError(id);
    return s;
  };
  const refuseDuplicate = async (owner: string | null, name: string, pushEndpoint: string, self?: number) => {
    const other = await deps.repo.findByNameAndEndpoint(owner, name, pushEndpoint);
    if (other && other.id !== self) throw new SubscriptionExistsError(other.id);
  };

  r.get("/subscriptions", async (req, res) => {
    const p = pageableOf(req.query, { sort: [] }, SORTABLE);
    let all = await visible(nextMoveCallerOf(res));
    for (const o of [...p.sort].reverse()) {
      const sign = o.direction === "asc" ? 1 : -1;
      all = [...all].sort((a, b) => sign * (o.field === "id" ? a.id - b.id : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    const content = all.slice(p.page * p.size, (p.page + 1) * p.size).map(subscriptionJson);
    res.json(springPage(content, all.length, { ...p, sorted: p.sort.length > 0 }));
  });

  r.get("/subscriptions/:id", async (req, res) => {
    res.json(subscriptionJson(await find(nextMoveCallerOf(res), req.params.id)));
  });

  r.post("/subscriptions", jsonBody, async (req, res) => {
    const caller = nextMoveCallerOf(res);
    const f = readBody(req.body, true);
    const owner = ownerOf(caller.orgs);
    await refuseDuplicate(owner, f.name!, f.pushEndpoint!);
    await deps.ping(f.pushEndpoint!, requestIdOf(res));
    const created = await deps.repo.create({ name: f.name!, pushEndpoint: f.pushEndpoint!, resource: f.resource!, event: f.event!, filter: f.filter ?? null, owner }, deps.clock());
    res.json(subscriptionJson(created));
  });

  r.put("/subscriptions/:id", jsonBody, async (req, res) => {
    const caller = nextMoveCallerOf(res);
    const existing = await find(caller, String(req.params.id));
    const f = readBody(req.body, false);
    await refuseDuplicate(existing.owner, f.name ?? existing.name, f.pushEndpoint ?? existing.pushEndpoint, existing.id);
    if (f.pushEndpoint !== undefined && f.pushEndpoint !== existing.pushEndpoint) await deps.ping(f.pushEndpoint, requestIdOf(res));
    // As the integrasjonspunkt: what the body leaves out (or sets to null) stays as it was.
    const changes: SubscriptionChanges = { ...f };
    await deps.repo.update(existing.id, changes);
    res.status(200).end();
  });

  r.delete("/subscriptions/:id", async (req, res) => {
    const s = await find(nextMoveCallerOf(res), req.params.id);
    await deps.repo.delete([s.id]);
    res.status(200).end();
  });

  r.delete("/subscriptions", async (_req, res) => {
    await deps.repo.delete((await visible(nextMoveCallerOf(res))).map((s) => s.id));
    res.status(200).end();
  });

  return r;
}
