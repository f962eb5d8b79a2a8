import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { Logger } from "../log.js";
import { isConditional, markPrivate } from "./answer.js";
import type { Caller } from "./auth.js";
import type { MessagesInHandlers } from "./messages-in.js";
import { locationIsPlain, type MessagesOutHandler } from "./messages-out.js";
import { answerProblem } from "./problem-middleware.js";
import { startRequestLine } from "./request-log.js";
import type { StatusesHandler } from "./status.js";

/**
 * The busiest routes, served without express: express gives every request its own set-up (the prototype swap of
 * req and res, the router's walk and closures) before a handler runs. The dispatcher takes a request only when
 * it can do everything express did for it, calling the same handler functions express's routes call, and hands
 * every other request to express as it came:
 *
 * - AS4's POST, and POST /messages/out, GET /messages/in, GET /messages/in/:id, POST /messages/in/:id/read,
 *   GET /messages/out/:id/statuses. Paths are matched as express matched these routes: case-insensitively, with
 *   one optional trailing slash, on the path as sent; a parameter is one non-empty segment.
 * - Other methods (HEAD, OPTIONS, PUT, ...) go to express, which answers HEAD with the GET route, OPTIONS with
 *   the routes' Allow list and the rest with its 404 problem.
 * - So do conditional requests (If-None-Match, If-Modified-Since: express's res.json may answer 304), a parameter
 *   with `%` that is not valid percent-encoding (express's 400 path-invalid), a request target express parses
 *   with url.parse instead of splitting at `?` (not starting with `/`, or holding whitespace or `#`), and a
 *   submission whose Location would need percent-encoding (express's res.location encodes it).
 *
 * What express did before the handler is done here in the same order: the request id and the request's log
 * line (requestLog), then for /messages: Cache-Control: no-store and X-Content-Type-Options: nosniff, and the
 * Maskinporten token check. Errors, thrown or rejected, get the problem+json answer problemHandler gives.
 */
export interface FrontRoutes {
  log: Logger;
  /** The AS4 path the request log's level rules use (config.as4.path). */
  logAs4Path: string;
  newId: () => string;
  /** Told the code of every problem answered, as problemHandler's onProblem. */
  onProblem?: ((code: string) => void) | undefined;
  /** The AS4 endpoint's route, when it has one; a path with anything but literal characters is left to express. */
  as4?: { path: string; handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> } | undefined;
  /** The token check (verifyCaller): the caller, or a refusal with its WWW-Authenticate set on `res`. */
  authenticate: (req: IncomingMessage, res: ServerResponse) => Promise<Caller>;
  /** The Location a submission from `req` would be answered with, given its id: tested with locationIsPlain. */
  submissionLocation: (req: IncomingMessage) => string;
  submit: MessagesOutHandler;
  inbox: MessagesInHandlers;
  statuses: StatusesHandler;
}

/** Route patterns, as express 5 (router 2, path-to-regexp 8, not strict, not case-sensitive) matched them. */
const MESSAGES_OUT = /^\/messages\/out\/?$/i;
const MESSAGES_IN = /^\/messages\/in\/?$/i;
const MESSAGE_IN = /^\/messages\/in\/([^/]+)\/?$/i;
const MESSAGE_IN_READ = /^\/messages\/in\/([^/]+)\/read\/?$/i;
const OUT_STATUSES = /^\/messages\/out\/([^/]+)\/statuses\/?$/i;

/** Characters after which parseurl (express's req.path, req.query) leaves its fast path for url.parse. */
const NOT_FAST_PARSED = /[\t\n\f\r #\u00a0\ufeff]/;

/** Characters path-to-regexp gives a meaning in a route path: a path with one is not a plain literal. */
const ROUTE_SPECIAL = /[:*{}()[\]?+!\\]/;

type Handle = (req: IncomingMessage, res: ServerResponse, query: string) => Promise<void>;

/**
 * A request listener that serves `routes` and calls `next` with every request it does not take. `next` is the
 * express app (or anything else with its signature).
 */
export function frontDispatcher(routes: FrontRoutes, next: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
  const as4 = routes.as4 && !ROUTE_SPECIAL.test(routes.as4.path) ? literalRoute(routes.as4.path) : undefined;
  const as4Handle = routes.as4?.handle;

  /** The handler for this request, or undefined when express is to answer it. */
  const route = (req: IncomingMessage, method: string, path: string): Handle | undefined => {
    if (method === "POST") {
      if (as4 !== undefined && as4Handle !== undefined && as4.test(path)) return (rq, rs) => as4Handle(rq, rs);
      if (MESSAGES_OUT.test(path)) {
        if (!locationIsPlain(routes.submissionLocation(req))) return undefined;
        return authenticated((rq, rs, query, caller) => routes.submit(rq, rs, parseQuery(query), caller));
      }
      const id = paramOf(MESSAGE_IN_READ, path);
      if (id !== undefined) return authenticated((rq, rs, _query, caller) => routes.inbox.markRead(rq, rs, id, caller));
      return undefined;
    }
    // method is GET
    if (MESSAGES_IN.test(path)) return authenticated((rq, rs, query, caller) => routes.inbox.list(rq, rs, parseQuery(query), caller));
    const id = paramOf(MESSAGE_IN, path);
    if (id !== undefined) return authenticated((rq, rs, _query, caller) => routes.inbox.download(rq, rs, id, caller));
    const outId = paramOf(OUT_STATUSES, path);
    if (outId !== undefined) return authenticated((rq, rs, _query, caller) => routes.statuses(rq, rs, outId, caller));
    return undefined;
  };

  /** What the /messages guard in front of the routers did: headers first (a 401 carries them too), then the token. */
  const authenticated =
    (handle: (req: IncomingMessage, res: ServerResponse, query: string, caller: Caller) => Promise<void>): Handle =>
    async (req, res, query) => {
      markPrivate(res);
      const caller = await routes.authenticate(req, res);
      await handle(req, res, query, caller);
    };

  return (req, res) => {
    const method = req.method;
    const url = req.url;
    if ((method !== "GET" && method !== "POST") || url === undefined || url.charCodeAt(0) !== 0x2f || NOT_FAST_PARSED.test(url) || isConditional(req)) return next(req, res);
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? "" : url.slice(q + 1);
    let handle: Handle | undefined;
    try {
      handle = route(req, method, path);
    } catch (err) {
      // A parameter that is not valid percent-encoding: express answers it (400 path-invalid).
      if (!(err instanceof URIError)) throw err;
      handle = undefined;
    }
    if (handle === undefined) return next(req, res);
    startRequestLine(routes.log, routes.logAs4Path, routes.newId, req, res, path);
    let pending: Promise<void>;
    try {
      pending = handle(req, res, query);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.catch((err: unknown) => {
      try {
        answerProblem(routes.log, routes.onProblem, err, req, res, path, url);
      } catch (failed) {
        // Where express's finalhandler would have had the last word: never an unhandled rejection.
        routes.log.error({ err: failed, method, path }, "request failed");
        res.destroy();
      }
    });
  };
}

/** The route `path` (literal characters only) as express matched it: case-insensitively, one optional trailing slash. */
function literalRoute(path: string): RegExp {
  const literal = path.replace(/\/+$/, "").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return new RegExp(`^${literal}\\/?$`, "i");
}

/** The route's one parameter, decoded as express decoded it (only when it holds `%`); throws a URIError when it cannot be. */
function paramOf(pattern: RegExp, path: string): string | undefined {
  const m = pattern.exec(path);
  if (m === null) return undefined;
  const raw = m[1]!;
  return raw.includes("%") ? decodeURIComponent(raw) : raw;
}
