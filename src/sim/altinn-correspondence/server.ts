/**
 * An honest local Altinn 3 correspondence service, as eFormidling's DPV reaches it (Digdir's proxy in front of
 * Altinn: the proxy checks the `eformidling:dpv` scope and its access list, Altinn does the rest), on node:http
 * under `{base}` = `/correspondence/api/v1`:
 *   POST {base}/correspondence/upload            multipart/form-data, dot-notation fields + `attachments` files
 *       → 200 InitializeCorrespondencesResponseExt; 400 (see upload.ts), 403 (not on the access list),
 *         409 1034 (idempotent key used before), 413 (request larger than the limit)
 *   GET  {base}/correspondence?sendersReference=  → {"ids":[…]} of the caller's correspondences with it
 *   GET  {base}/correspondence/{id}              → CorrespondenceOverviewExt (created, published, read, status)
 *   GET  {base}/correspondence/{id}/details      → CorrespondenceDetailsExt (with statusHistory)
 * Every API call needs an Altinn token (the Altinn token simulator's, verified against its JWKS) carrying one of
 * the accepted scopes; the caller is the token's `urn:altinn:orgNumber`, and only the sender sees its
 * correspondences (another organisation gets 404). Unknown correspondences are 404 1001.
 *
 * What only Altinn's inside or the recipient does is the simulator's own API, in code (`publish`, `read`,
 * `purge`, `remove`) and over HTTP without a token for the sandbox: POST /_sim/correspondence/{id}/{publish|read|
 * purge|remove}. `publishAfterMs`/`readAfterMs` publish and read every correspondence by themselves. Faults for
 * tests: `unavailable(true)` answers 503 to every API call; `dropNextUploadAnswer()` creates the next upload's
 * correspondence and then cuts the connection before answering (a lost answer).
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { systemClock, type Clock } from "../../clock.js";
import { AltinnProblem, problem } from "./problem.js";
import { CorrespondenceNotFoundError, CorrespondenceState, CorrespondenceStateError, statusOf, type Correspondence } from "./state.js";
import { parseUpload, type UploadedFile } from "./upload.js";
import { listen } from "../listen.js";

export interface AltinnCorrespondenceSimOptions {
  port?: number;
  host?: string;
  /** The Altinn token issuer (the Altinn token simulator's issuer and jwksUrl). */
  altinn: { issuer: string; jwksUrl: string | URL };
  /** A token must carry one of these scopes (default: the proxy's `eformidling:dpv` and Altinn's `altinn:correspondence.write`). */
  scopes?: readonly string[];
  /** Organisations the proxy lets through (its Altinn access list); absent: every organisation. */
  accessList?: readonly string[];
  state?: CorrespondenceState;
  /** Largest attachment; default 250 MB (error 2004). */
  maxAttachmentBytes?: number;
  /** Largest request body; default 260 MB (413 beyond). */
  maxRequestBytes?: number;
  /** Publish each correspondence this long after its creation (or its requested publish time, if later); absent: never by itself. */
  publishAfterMs?: number;
  /** The recipient reads each correspondence this long after it was published; absent: never by itself. */
  readAfterMs?: number;
  clock?: Clock;
}

export interface AltinnCorrespondenceSimStats {
  uploads: number;
  conflicts: number;
  refused: number;
  lookups: number;
  /** GET correspondence/{id} (overview) per correspondence id. */
  overviews: Map<string, number>;
  details: number;
  unauthorized: number;
}

export interface AltinnCorrespondenceSim {
  /** Base URL `…/correspondence/api/v1` (the integrasjonspunkt's `difi.move.dpv.correspondenceServiceUrl`). */
  readonly url: string;
  /** Root of the server, for the /_sim control API. */
  readonly root: string;
  readonly state: CorrespondenceState;
  publish(id: string): Correspondence;
  read(id: string): Correspondence;
  purge(id: string, by?: "recipient" | "altinn"): Correspondence;
  remove(id: string): void;
  /** While true, every API call answers 503. */
  unavailable(down: boolean): void;
  dropNextUploadAnswer(): void;
  stats(): AltinnCorrespondenceSimStats;
  close(): Promise<void>;
}

export const CORRESPONDENCE_BASE = "/correspondence/api/v1";
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function startAltinnCorrespondenceSim(options: AltinnCorrespondenceSimOptions): Promise<AltinnCorrespondenceSim> {
  const clock = options.clock ?? systemClock;
  const state = options.state ?? new CorrespondenceState();
  const keys = createRemoteJWKSet(new URL(options.altinn.jwksUrl), { cooldownDuration: 0 });
  const scopes = options.scopes ?? ["eformidling:dpv", "altinn:correspondence.write"];
  const maxAttachmentBytes = options.maxAttachmentBytes ?? 250 * 1000 * 1000;
  const maxRequestBytes = options.maxRequestBytes ?? 260 * 1000 * 1000;
  const stats: AltinnCorrespondenceSimStats = { uploads: 0, conflicts: 0, refused: 0, lookups: 0, overviews: new Map(), details: 0, unauthorized: 0 };
  const timers = new Set<NodeJS.Timeout>();
  let down = false;
  let dropNext = false;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const schedule = (c: Correspondence) => {
    if (options.publishAfterMs === undefined) return;
    const wait = Math.max(options.publishAfterMs, (c.requestedPublishTime?.getTime() ?? 0) - clock().getTime());
    later(wait, () => {
      try {
        state.publish(c.id, clock());
        if (options.readAfterMs !== undefined) later(options.readAfterMs, () => void tryIt(() => state.read(c.id, clock())));
      } catch {
        // purged or removed meanwhile
      }
    });
  };

  const caller = async (req: IncomingMessage): Promise<string> => {
    const match = BEARER.exec(req.headers.authorization ?? "");
    const refuse = () => new AltinnProblem(401, "You must use an Altinn token, DialogToken or log in to IDPorten as someone with access to the resource and orgaization in Altinn Authorization", 4001);
    if (!match) throw refuse();
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(match[1]!, keys, { issuer: options.altinn.issuer, algorithms: ["RS256"], currentDate: clock(), clockTolerance: 10 }));
    } catch {
      throw refuse();
    }
    const org = claims["urn:altinn:orgNumber"];
    if (typeof org !== "string" || !/^\d{9}$/.test(org)) throw new AltinnProblem(401, "Could not determine the caller", 4006);
    const granted = typeof claims.scope === "string" ? claims.scope.split(" ") : [];
    if (!scopes.some((s) => granted.includes(s))) throw new AltinnProblem(403, `The token lacks the scope ${scopes.join(" or ")}`);
    if (options.accessList && !options.accessList.includes(org)) throw problem(403, 4008, "Resource not whitelisted. Contact us on Slack or servicedesk@altinn.no");
    return org;
  };

  const own = (org: string, id: string): Correspondence => {
    const c = UUID.test(id) ? state.get(id) : undefined;
    if (!c || c.senderOrg !== org) throw problem(404, 1001, "The requested correspondence was not found");
    return c;
  };

  const upload = async (req: IncomingMessage, res: ServerResponse, org: string) => {
    const type = req.headers["content-type"] ?? "";
    if (!/^multipart\/form-data\s*;/i.test(type)) throw new AltinnProblem(415, "Unsupported Media Type");
    const body = await readBody(req, maxRequestBytes);
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(body), { headers: { "content-type": type } }).formData();
    } catch {
      throw new AltinnProblem(400, "Failed to read the request form.");
    }
    const fields = new Map<string, string[]>();
    const files: UploadedFile[] = [];
    for (const [name, value] of form.entries()) {
      if (typeof value === "string") {
        const key = name.toLowerCase();
        fields.set(key, [...(fields.get(key) ?? []), value]);
      } else if (name.toLowerCase() === "attachments") {
        files.push({ name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
      }
    }
    const parsed = parseUpload(fields, files, clock(), { maxAttachmentBytes });
    if (!parsed.items.every((i) => state.resources.has(i.resourceId))) {
      throw problem(400, 4009, "Resource type is not supported. Resource must be of type GenericAccessResource or CorrespondenceService");
    }
    if (parsed.idempotentKey && state.hasIdempotentKey(parsed.idempotentKey)) {
      stats.conflicts++;
      throw problem(409, 1034, "A correspondence with the same idempotent key already exists");
    }
    const made = state.create(parsed.items.map((i) => ({ ...i, senderOrg: org })), clock());
    stats.uploads++;
    made.forEach(schedule);
    if (dropNext) {
      dropNext = false;
      req.socket.destroy();
      return;
    }
    json(res, 200, {
      correspondences: made.map((c) => ({
        correspondenceId: c.id,
        status: "Initialized",
        recipient: c.recipient,
        notifications: c.notifications.map((n) => ({ orderId: n.orderId, isReminder: n.isReminder, status: "Success" })),
      })),
      attachmentIds: made[0]!.attachments.map((a) => a.id),
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://sim");
    const path = url.pathname;
    const control = /^\/_sim\/correspondence\/([^/]+)\/(publish|read|purge|remove)$/.exec(path);
    if (control && req.method === "POST") {
      const [, id, action] = control;
      try {
        if (action === "publish") state.publish(id!, clock());
        else if (action === "read") state.read(id!, clock());
        else if (action === "purge") state.purge(id!, url.searchParams.get("by") === "altinn" ? "altinn" : "recipient", clock());
        else state.remove(id!);
      } catch (e) {
        if (e instanceof CorrespondenceNotFoundError) throw problem(404, 1001, "The requested correspondence was not found");
        if (e instanceof CorrespondenceStateError) throw new AltinnProblem(400, e.message);
        throw e;
      }
      res.writeHead(204).end();
      return;
    }
    if (!path.startsWith(`${CORRESPONDENCE_BASE}/`)) throw new AltinnProblem(404, "Not Found");
    if (down) throw new AltinnProblem(503, "Service Unavailable");
    const rest = path.slice(CORRESPONDENCE_BASE.length);
    let org: string;
    try {
      org = await caller(req);
    } catch (e) {
      if (e instanceof AltinnProblem && e.status === 401) stats.unauthorized++;
      throw e;
    }
    if (rest === "/correspondence/upload" && req.method === "POST") return upload(req, res, org);
    if (rest === "/correspondence" && req.method === "GET") {
      stats.lookups++;
      const ref = url.searchParams.get("sendersReference");
      const found = ref === null ? state.all().filter((c) => c.senderOrg === org) : state.bySendersReference(org, ref);
      return json(res, 200, { ids: found.map((c) => c.id) });
    }
    const one = /^\/correspondence\/([^/]+)(\/details)?$/.exec(rest);
    if (one && req.method === "GET") {
      const c = own(org, one[1]!);
      if (one[2]) {
        stats.details++;
        return json(res, 200, { ...overview(c), statusHistory: c.history.map((h) => ({ status: h.status, statusText: h.statusText, statusChanged: h.statusChanged.toISOString() })) });
      }
      stats.overviews.set(c.id, (stats.overviews.get(c.id) ?? 0) + 1);
      return json(res, 200, overview(c));
    }
    throw new AltinnProblem(one || rest === "/correspondence" || rest === "/correspondence/upload" ? 405 : 404, one ? "Method Not Allowed" : "Not Found");
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent || res.destroyed) return void res.destroy();
      const p = e instanceof AltinnProblem ? e : new AltinnProblem(500, "An error occurred while processing your request.");
      if (p.status >= 400 && p.status < 500 && p.status !== 401) stats.refused++;
      const text = JSON.stringify(p.body());
      res.writeHead(p.status, { "content-type": "application/problem+json; charset=utf-8", "content-length": Buffer.byteLength(text), ...(p.status === 413 ? { connection: "close" } : {}) }).end(text);
    });
  });
  const address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const root = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url: `${root}${CORRESPONDENCE_BASE}`,
    root,
    state,
    publish: (id) => state.publish(id, clock()),
    read: (id) => state.read(id, clock()),
    purge: (id, by = "recipient") => state.purge(id, by, clock()),
    remove: (id) => state.remove(id),
    unavailable: (d) => void (down = d),
    dropNextUploadAnswer: () => void (dropNext = true),
    stats: () => ({ ...stats, overviews: new Map(stats.overviews) }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** CorrespondenceOverviewExt. */
function overview(c: Correspondence): Record<string, unknown> {
  const last = c.history[c.history.length - 1]!;
  const iso = (d: Date | undefined) => (d ? d.toISOString() : null);
  return {
    resourceId: c.resourceId,
    sender: c.sender ?? null,
    sendersReference: c.sendersReference,
    messageSender: c.messageSender ?? null,
    content: {
      language: c.content.language,
      messageTitle: c.content.messageTitle,
      messageSummary: c.content.messageSummary,
      messageBody: c.content.messageBody,
      attachments: c.attachments.map((a) => ({
        id: a.id,
        fileName: a.fileName,
        displayName: a.displayName ?? null,
        isEncrypted: a.isEncrypted,
        sendersReference: a.sendersReference,
        dataLocationType: "AltinnCorrespondenceAttachment",
        created: c.created.toISOString(),
        status: "Published",
        statusText: "Published",
        statusChanged: c.created.toISOString(),
      })),
    },
    requestedPublishTime: iso(c.requestedPublishTime),
    allowSystemDeleteAfter: null,
    dueDateTime: iso(c.dueDateTime),
    externalReferences: [],
    propertyList: c.propertyList,
    replyOptions: [],
    notification: c.notification ?? null,
    ignoreReservation: c.ignoreReservation ?? null,
    isConfirmationNeeded: c.isConfirmationNeeded,
    isConfidential: c.isConfidential,
    recipient: c.recipient,
    correspondenceId: c.id,
    created: c.created.toISOString(),
    status: statusOf(c),
    statusText: last.statusText,
    statusChanged: last.statusChanged.toISOString(),
    notifications: c.notifications.map((n) => ({ notificationOrderId: n.orderId, isReminder: n.isReminder })),
    altinn2CorrespondenceId: null,
    published: iso(c.published),
    read: iso(c.read),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) }).end(text);
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > max) throw new AltinnProblem(413, "Request body too large.");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new AltinnProblem(413, "Request body too large.");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tryIt(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // the correspondence went away meanwhile
  }
}

