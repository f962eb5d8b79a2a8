import { randomBytes } from "node:crypto";
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import type { Clock } from "../clock.js";
import type { ConsoleConfig } from "../config.js";
import type { Logger } from "../log.js";
import type { Direction } from "../store/conversations-repo.js";
import { normaliseMessageId } from "../store/message-id.js";
import type { Db } from "../store/prisma.js";
import { ConsoleActionRefused, ConsoleActions, offeredActions, type OutboxPort } from "./actions.js";
import { CONSOLE_CSS, CONSOLE_JS } from "./assets.js";
import { buildEvidenceBundle } from "./evidence.js";
import { CSRF_FIELD, sameOrigin, sameToken } from "./csrf.js";
import type { Html } from "./html.js";
import { parseListQuery } from "./list-query.js";
import { LoginThrottle } from "./login-throttle.js";
import { ConsoleOidcClient } from "./oidc-client.js";
import { OidcError, type OidcErrorCode } from "./oidc-errors.js";
import { PENDING_LOGIN_MS } from "./oidc-pending.js";
import { claimValues } from "./oidc-roles.js";
import { requestLogger } from "../api/request-log.js";
import { conversationHref, conversationPage, errorPage, listPage, loggedInPage, loginPage, overviewPage } from "./pages.js";
import { DEFAULT_COST, verifyPassword } from "./password.js";
import { ConsoleQueries } from "./queries.js";
import { SessionStore, type Session } from "./sessions.js";

/**
 * The operator console, mounted at /console (README, "Console"): login (password, OIDC, or both) and logout,
 * the conversation list, one conversation, the overview, and the operators' actions. Sessions live in this
 * process's memory (sessions.ts); every POST is checked for its origin and CSRF token before anything else.
 */

export interface ConsoleDeps {
  config: ConsoleConfig;
  /** DPI_AP_PUBLIC_URL, for the origin check behind a proxy. */
  publicUrl: string | undefined;
  db: Db;
  outbox: OutboxPort;
  clock: Clock;
  log: Logger;
}

const SESSION_COOKIE = "dpi_ap_console";
/** Sent by the live-refresh script (assets.ts). */
const REFRESH_HEADER = "x-console-refresh";
const LOGIN_COOKIE = "dpi_ap_console_login";
/** The OIDC login under way (oidc-pending.ts). */
const OIDC_COOKIE = "dpi_ap_console_oidc";
const OIDC_CALLBACK = "/console/oidc/callback";
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";


type SessionRequest = Request & { consoleSession?: Session };

function cookies(req: Request): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

const headers: RequestHandler = (_req, res, next) => {
  res.set({
    "Cache-Control": "no-store",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
  });
  next();
};

function send(res: Response, status: number, page: Html): void {
  res.status(status).type("html").send(page.markup);
}

export function consoleRouter(d: ConsoleDeps): Router {
  const router = express.Router();
  const sessions = new SessionStore({ idleMs: d.config.idleMs, maxAgeMs: d.config.maxAgeMs }, d.clock);
  const throttle = new LoginThrottle(d.clock);
  const queries = new ConsoleQueries(d.db);
  const actions = new ConsoleActions({ db: d.db, outbox: d.outbox, clock: d.clock });
  const users = new Map(d.config.users.map((u) => [u.name, u]));
  // Checked for an unknown user name, at the cost of a configured hash, so a login takes as long for one: a
  // random hash no password matches in practice.
  const dummyHash = { ...(d.config.users[0]?.password ?? DEFAULT_COST), salt: randomBytes(16), hash: randomBytes(32) };
  const log = d.log.child({ worker: "console" });
  const secure = d.config.secureCookie ? "; Secure" : "";
  const sessionCookie = (value: string, maxAgeSeconds: number) => `${SESSION_COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Strict${secure}; Max-Age=${maxAgeSeconds}`;
  const loginCookie = (value: string, maxAgeSeconds: number) => `${LOGIN_COOKIE}=${value}; Path=/console/login; HttpOnly; SameSite=Strict${secure}; Max-Age=${maxAgeSeconds}`;
  // Lax, not Strict: the provider sends the browser back with a cross-site top-level GET, which must carry it.
  const oidcCookie = (value: string, maxAgeSeconds: number) => `${OIDC_COOKIE}=${value}; Path=/console/oidc; HttpOnly; SameSite=Lax${secure}; Max-Age=${maxAgeSeconds}`;
  const passwordLogin = d.config.users.length > 0;
  const oidc = d.config.oidc ? new ConsoleOidcClient(d.config.oidc, d.clock) : undefined;
  // DPI_AP_PUBLIC_URL (required for OIDC outside the sandbox); without it the address the browser used.
  const redirectUri = (req: Request) => `${d.publicUrl ?? `${req.protocol}://${req.get("host") ?? "localhost"}`}${OIDC_CALLBACK}`;
  const form = express.urlencoded({ extended: false, limit: "32kb", parameterLimit: 20 });

  router.use(headers);

  router.get("/assets/console.css", (_req, res) => void res.type("text/css").send(CONSOLE_CSS));
  router.get("/assets/console.js", (_req, res) => void res.type("text/javascript").send(CONSOLE_JS));

  // Before login there is no session: the login form's CSRF token is bound to a cookie of its own (double submit).
  const showLogin = (res: Response, status: number, opts: { error?: string; user?: string } = {}) => {
    const token = passwordLogin ? randomBytes(24).toString("base64url") : undefined;
    if (token) res.append("Set-Cookie", loginCookie(token, 1800));
    send(res, status, loginPage({ passwordToken: token, oidcName: oidc?.settings.name, ...opts }));
  };

  /** A new session for a user who has just logged in, replacing any the browser had. */
  const startSession = (req: Request, res: Response, user: string, role: Session["role"]) => {
    // A new id at every login: a session id planted before login is worth nothing.
    sessions.destroy(cookies(req).get(SESSION_COOKIE));
    const { id } = sessions.create(user, role);
    res.append("Set-Cookie", sessionCookie(id, Math.floor(d.config.maxAgeMs / 1000)));
  };

  router.get("/login", (req, res) => {
    if (sessions.touch(cookies(req).get(SESSION_COOKIE))) return void res.redirect(303, "/console");
    showLogin(res, 200);
  });

  router.post("/login", form, async (req, res) => {
    if (!passwordLogin) return void send(res, 404, errorPage(null, "Not found", "Password login is not offered here."));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const expected = cookies(req).get(LOGIN_COOKIE);
    if (!sameOrigin(req, d.publicUrl) || !expected || !sameToken(expected, body[CSRF_FIELD])) {
      return void send(res, 403, errorPage(null, "Forbidden", "The login form had expired or did not come from this site. Open the login page again."));
    }
    const name = typeof body.user === "string" ? body.user.slice(0, 64) : "";
    const password = typeof body.password === "string" ? body.password.slice(0, 1024) : "";
    const ip = req.socket.remoteAddress ?? "";
    const wait = throttle.retryAfterMs(name, ip);
    if (wait > 0) {
      requestLogger(log, res).warn({ user: name, ip }, "console login refused: too many failed attempts");
      res.set("Retry-After", String(Math.ceil(wait / 1000)));
      return void showLogin(res, 429, { error: `Too many failed attempts. Try again in ${Math.ceil(wait / 60_000)} minutes.`, user: name });
    }
    const user = users.get(name);
    // An unknown user costs the same scrypt work as a known one: the answer's timing does not tell which it was.
    const ok = await verifyPassword(password, user?.password ?? dummyHash);
    if (!user || !ok) {
      throttle.failed(name, ip);
      requestLogger(log, res).warn({ user: name, ip }, "console login failed");
      return void showLogin(res, 401, { error: "Wrong user or password.", user: name });
    }
    throttle.succeeded(name, ip);
    startSession(req, res, user.name, user.role);
    res.append("Set-Cookie", loginCookie("", 0));
    requestLogger(log, res).info({ user: user.name, role: user.role, ip, login: "password" }, "console login");
    res.redirect(303, "/console");
  });

  if (oidc) {
    const provider = oidc.settings.name;
    router.get("/oidc/login", async (req, res) => {
      if (sessions.touch(cookies(req).get(SESSION_COOKIE))) return void res.redirect(303, "/console");
      try {
        const { id, url } = await oidc.start(redirectUri(req));
        res.append("Set-Cookie", oidcCookie(id, Math.floor(PENDING_LOGIN_MS / 1000)));
        res.redirect(303, url);
      } catch (err) {
        if (!(err instanceof OidcError)) throw err;
        requestLogger(log, res).warn({ ip: req.socket.remoteAddress ?? "", login: "oidc", code: err.code, reason: err.message }, "console login failed");
        showLogin(res, 502, { error: `${provider} could not be reached to log in; the error is in the log.` });
      }
    });

    router.get("/oidc/callback", async (req, res) => {
      const ip = req.socket.remoteAddress ?? "";
      // The login under way is over, whatever its outcome.
      res.append("Set-Cookie", oidcCookie("", 0));
      try {
        const who = await oidc.finish(cookies(req).get(OIDC_COOKIE), req.query as Record<string, unknown>);
        if (!who.role) {
          requestLogger(log, res).warn({ user: who.user, sub: who.sub, ip, login: "oidc", claim: oidc.settings.roleClaim, values: claimValues(who.claims, oidc.settings.roleClaim).slice(0, 20) }, "console login refused: no role");
          return void showLogin(res, 403, { error: `You (${who.user}) logged in at ${provider}, but have no role in this console. Ask for the group that makes you an operator or a viewer.` });
        }
        startSession(req, res, who.user, who.role);
        requestLogger(log, res).info({ user: who.user, role: who.role, ip, login: "oidc", sub: who.sub }, "console login");
        send(res, 200, loggedInPage());
      } catch (err) {
        if (!(err instanceof OidcError)) throw err;
        requestLogger(log, res).warn({ ip, login: "oidc", code: err.code, reason: err.message }, "console login failed");
        const [status, text] = oidcFailure(err.code, provider, err.message);
        showLogin(res, status, { error: text });
      }
    });
  }

  // Everything below needs a session.
  router.use((req: SessionRequest, res, next) => {
    // The live-refresh script says so on its requests: they keep a page current, not a session alive.
    const session = sessions.touch(cookies(req).get(SESSION_COOKIE), req.get(REFRESH_HEADER) === "1");
    if (!session) {
      if (req.method === "GET" || req.method === "HEAD") return void res.redirect(303, "/console/login");
      return void send(res, 403, errorPage(null, "Forbidden", "You are not logged in (or your session ended)."));
    }
    req.consoleSession = session;
    next();
  });

  // Every POST from here on: this site's form, with this session's token.
  const csrf: RequestHandler[] = [
    form,
    (req: SessionRequest, res, next) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (!sameOrigin(req, d.publicUrl) || !sameToken(req.consoleSession!.csrfToken, body[CSRF_FIELD])) {
        requestLogger(log, res).warn({ user: req.consoleSession!.user, path: req.path }, "console POST refused: CSRF check failed");
        return void send(res, 403, errorPage(req.consoleSession!, "Forbidden", "The form did not come from this session. Reload the page and try again."));
      }
      next();
    },
  ];

  router.post("/logout", ...csrf, (req: SessionRequest, res) => {
    sessions.destroy(cookies(req).get(SESSION_COOKIE));
    res.append("Set-Cookie", sessionCookie("", 0));
    requestLogger(log, res).info({ user: req.consoleSession!.user }, "console logout");
    res.redirect(303, "/console/login");
  });

  const list = async (req: SessionRequest, res: Response) => {
    const parsed = parseListQuery(req.query as Record<string, unknown>);
    const [result, statusNames] = await Promise.all([queries.list(parsed.filter, { page: parsed.page, size: parsed.size }), queries.statusNames()]);
    send(res, 200, listPage(req.consoleSession!, { query: parsed.query, rows: result.rows, total: result.total, page: parsed.page, size: parsed.size, statusNames, refresh: d.config.refreshSeconds, problems: parsed.problems }));
  };
  router.get("/", list);
  router.get("/conversations", list);

  router.get("/overview", async (req: SessionRequest, res) => {
    send(res, 200, overviewPage(req.consoleSession!, await queries.overview(d.clock()), d.config.refreshSeconds));
  });

  const direction = (v: string | undefined): Direction | undefined => (v === "OUT" || v === "IN" ? v : undefined);

  const showConversation = async (req: SessionRequest, res: Response, status: number, notice?: { ok: boolean; text: string }) => {
    const dir = direction(req.params.direction as string | undefined);
    const view = dir ? await queries.conversation(dir, String(req.params.messageId)) : null;
    if (!view) return void send(res, 404, errorPage(req.consoleSession!, "Not found", "There is no such conversation."));
    const handled = view.actions.some((a) => a.action === "mark-handled");
    const offered = offeredActions(view.conversation, view.statuses.map((s) => s.status), handled, d.clock());
    send(res, status, conversationPage(req.consoleSession!, { view, offered, notice }));
  };

  const DONE: Record<string, string> = { retry: "The message is due now; the outbox has been woken.", cancel: "Sending was cancelled.", "mark-handled": "Marked as manually handled." };
  router.get("/conversations/:direction/:messageId", async (req: SessionRequest, res) => {
    const done = typeof req.query.done === "string" ? DONE[req.query.done] : undefined;
    await showConversation(req, res, 200, done ? { ok: true, text: done } : undefined);
  });

  router.get("/conversations/:direction/:messageId/evidence.zip", async (req: SessionRequest, res) => {
    const dir = direction(req.params.direction as string | undefined);
    const bundle = dir ? await buildEvidenceBundle(d.db, dir, String(req.params.messageId), { user: req.consoleSession!.user, now: d.clock() }) : null;
    if (!bundle) return void send(res, 404, errorPage(req.consoleSession!, "Not found", "There is no such conversation."));
    requestLogger(log, res).info({ user: req.consoleSession!.user, direction: dir, messageId: bundle.manifest.conversation.messageId, files: bundle.manifest.files.length }, "console evidence bundle");
    res.set({ "Content-Type": "application/zip", "Content-Disposition": `attachment; filename="${bundle.fileName}"` });
    res.send(Buffer.from(bundle.bytes));
  });

  for (const name of ["retry", "cancel", "mark-handled"] as const) {
    router.post(`/conversations/:direction/:messageId/${name}`, ...csrf, async (req: SessionRequest, res) => {
      const session = req.consoleSession!;
      if (session.role !== "operator") {
        requestLogger(log, res).warn({ user: session.user, action: name }, "console action refused: viewer");
        return void send(res, 403, errorPage(session, "Forbidden", "Viewers cannot act on conversations."));
      }
      const dir = direction(req.params.direction as string | undefined);
      const messageId = String(req.params.messageId);
      const note = typeof (req.body as Record<string, unknown>).note === "string" ? ((req.body as Record<string, unknown>).note as string) : "";
      if (!dir) return void send(res, 404, errorPage(session, "Not found", "There is no such conversation."));
      try {
        const r =
          name === "retry" ? await actions.retry(session.user, dir, messageId) : name === "cancel" ? await actions.cancel(session.user, dir, messageId, note) : await actions.markHandled(session.user, dir, messageId, note);
        requestLogger(log, res).info({ user: session.user, action: name, direction: dir, messageId, status: r.status }, "console action");
        res.redirect(303, `${conversationHref(dir, normaliseMessageId(messageId))}?done=${name}`);
      } catch (err) {
        if (!(err instanceof ConsoleActionRefused)) throw err;
        requestLogger(log, res).info({ user: session.user, action: name, direction: dir, messageId, refused: err.code }, "console action refused");
        if (err.code === "not-found") return void send(res, 404, errorPage(session, "Not found", "There is no such conversation."));
        await showConversation(req, res, err.code === "bad-note" ? 400 : 409, { ok: false, text: `Not done: ${err.message}` });
      }
    });
  }

  router.use((req: SessionRequest, res) => send(res, 404, errorPage(req.consoleSession ?? null, "Not found", "There is no such page in the console.")));
  router.use((err: unknown, req: SessionRequest, res: Response, _next: NextFunction) => {
    requestLogger(log, res).error({ err, path: req.path }, "console page failed");
    send(res, 500, errorPage(req.consoleSession ?? null, "Something went wrong", "The page could not be made; the error is in the log."));
  });
  return router;
}

/** The status and the message of the login page for a failed OIDC login (the details go to the log only). */
function oidcFailure(code: OidcErrorCode, provider: string, message: string): [number, string] {
  switch (code) {
    case "oidc-provider-unavailable":
    case "oidc-discovery-invalid":
    case "oidc-token-refused":
      return [502, `${provider} could not complete the login; the error is in the log.`];
    case "oidc-login-expired":
    case "oidc-state-mismatch":
      return [400, "The login took too long, or was started in another window. Log in again."];
    case "oidc-provider-refused":
      return [401, `${provider} did not log you in (${message}).`];
    default:
      return [401, `The answer from ${provider} could not be verified; the error is in the log.`];
  }
}
