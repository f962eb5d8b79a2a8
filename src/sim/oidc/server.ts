/**
 * An honest local OpenID Connect provider (authorization code flow), on node:http:
 *   GET  /.well-known/openid-configuration   discovery (OpenID Connect Discovery 1.0 §3)
 *   GET  /jwks                                the signing keys (RFC 7517)
 *   GET|POST /authorize                       the authorization request (RFC 6749 §4.1.1, PKCE S256 required,
 *                                             RFC 7636); shows a login form for the configured users, which posts
 *                                             back here; success (or cancel) redirects to the client with `code`
 *                                             (or `error`), `state` and `iss` (RFC 9207)
 *   POST /token                               the code for an access token and an RS256 id_token (RFC 6749 §4.1.3),
 *                                             client_secret_basic or client_secret_post
 * Codes are single-use, short-lived and bound to the client, redirect URI and code challenge (state.ts); what a
 * real provider refuses is refused with RFC 6749's error JSON. There is no SSO session (every authorization asks
 * for the password; `prompt=none` gets login_required) and no userinfo endpoint: the id_token carries the claims.
 */
import { generateKeyPair, randomBytes, type KeyObject } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { promisify } from "node:util";
import type { JSONWebKeySet } from "jose";
import { systemClock, type Clock } from "../../clock.js";
import { serve } from "../listen.js";
import { createSigningKeys } from "../maskinporten/signing-keys.js";
import { signIdToken } from "./id-token.js";
import { errorPage, loginForm } from "./login-page.js";
import { AuthorizeError, TokenError } from "./oauth-error.js";
import { OidcProviderState, s256, sameSecret, type ClientAuthMethod, type OidcClient, type OidcUser, type PendingAuthorization } from "./state.js";

export interface OidcSimOptions {
  /** 0 or absent: an ephemeral port. */
  port?: number;
  host?: string;
  /** Issuer identifier; default the base URL (no trailing slash). */
  issuer?: string;
  users: readonly OidcUser[];
  clients: readonly OidcClient[];
  /** RSA private key for id_tokens; absent: a new 2048-bit key. */
  signingKey?: KeyObject | string;
  kid?: string;
  /** Default 60 s (RFC 6749 §4.1.2 recommends at most 10 minutes). */
  codeLifetimeSeconds?: number;
  /** Default 300 s. */
  idTokenLifetimeSeconds?: number;
  /** The id_token claim that carries the user's groups; default `groups`. */
  groupsClaim?: string;
  /** Shown on the login form. */
  providerName?: string;
  clock?: Clock;
}

export interface OidcSimStats {
  discoveryRequests: number;
  jwksRequests: number;
  authorizationRequests: number;
  logins: number;
  failedLogins: number;
  tokenRequests: number;
  tokensIssued: number;
}

export interface OidcSim {
  /** Base URL, no trailing slash. */
  readonly url: string;
  readonly issuer: string;
  readonly discoveryUrl: string;
  readonly jwksUrl: string;
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  readonly state: OidcProviderState;
  /** Starts signing with a new key; the old one stays published unless `retainPrevious` is false. */
  rotateSigningKey(signingKey: KeyObject | string, kid: string, options?: { retainPrevious?: boolean }): Promise<void>;
  /** An id_token for a user as /token would issue it, with any claim overridden (tests of the client's checks). */
  mintIdToken(o: { clientId: string; username: string; nonce?: string; overrides?: Record<string, unknown> }): Promise<string>;
  jwks(): JSONWebKeySet;
  stats(): OidcSimStats;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const AUTHORIZE_PARAMS = ["client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "prompt", "response_mode"];
const TOKEN_PARAMS = ["grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret"];
const ALL_AUTH_METHODS: readonly ClientAuthMethod[] = ["client_secret_basic", "client_secret_post"];

class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export async function startOidcSim(options: OidcSimOptions): Promise<OidcSim> {
  const clock = options.clock ?? systemClock;
  const state = new OidcProviderState(options.users, options.clients, clock, (options.codeLifetimeSeconds ?? 60) * 1000);
  const keys = await createSigningKeys(options.signingKey ?? (await newRsaKey()), options.kid ?? `oidc-sim-${randomBytes(6).toString("hex")}`);
  const idTokenLifetime = options.idTokenLifetimeSeconds ?? 300;
  const groupsClaim = options.groupsClaim ?? "groups";
  const providerName = options.providerName ?? "OIDC provider simulator";
  const stats: OidcSimStats = { discoveryRequests: 0, jwksRequests: 0, authorizationRequests: 0, logins: 0, failedLogins: 0, tokenRequests: 0, tokensIssued: 0 };
  // Known after listen; the handlers run only after that.
  let base = "";
  let issuer = "";

  const idTokenFor = (clientId: string, user: OidcUser, nonce: string | undefined, authTime: number, overrides?: Record<string, unknown>) => {
    const now = Math.floor(state.now() / 1000);
    return signIdToken(keys, {
      issuer,
      clientId,
      sub: state.subjectOf(user),
      nonce,
      issuedAt: now,
      authTime: Math.floor(authTime / 1000),
      lifetimeSeconds: idTokenLifetime,
      name: user.name,
      preferredUsername: user.username,
      groups: user.groups,
      groupsClaim,
      ...(overrides ? { overrides } : {}),
    });
  };

  /** Where the user goes back to the client: its redirect URI with `params`, the request's state and our issuer. */
  const redirectBack = (res: ServerResponse, redirectUri: string, params: Record<string, string>, st: string | undefined) => {
    const to = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) to.searchParams.set(k, v);
    if (st !== undefined) to.searchParams.set("state", st);
    to.searchParams.set("iss", issuer);
    res.writeHead(303, { location: to.toString(), "cache-control": "no-store" });
    res.end();
  };

  const showForm = (res: ServerResponse, status: number, requestId: string, p: PendingAuthorization, extra: { error?: string; username?: string } = {}) =>
    sendHtml(res, status, loginForm({ requestId, clientId: p.clientId, providerName, ...extra }));

  /** RFC 6749 §4.1.1 and §4.1.2.1: errors before the redirect URI is trusted are shown here, later ones redirected. */
  const authorizationRequest = (params: URLSearchParams, res: ServerResponse) => {
    stats.authorizationRequests++;
    const clientId = single(params, "client_id");
    const client = clientId === undefined ? undefined : state.client(clientId);
    if (!client) throw new PageError(400, "Unknown client", "The request names no client registered here (client_id).");
    const redirectUri = single(params, "redirect_uri");
    if (redirectUri === undefined || !client.redirectUris.includes(redirectUri)) {
      throw new PageError(400, "Wrong redirect URI", "The redirect_uri is missing or not registered for this client; the request is not sent back.");
    }
    const st = params.get("state") ?? undefined;
    try {
      const twice = AUTHORIZE_PARAMS.find((n) => params.getAll(n).length > 1);
      if (twice) throw new AuthorizeError("invalid_request", `${twice} given more than once`);
      const responseType = params.get("response_type");
      if (responseType === null) throw new AuthorizeError("invalid_request", "response_type missing");
      if (responseType !== "code") throw new AuthorizeError("unsupported_response_type", "only the authorization code flow (response_type=code) is offered");
      const responseMode = params.get("response_mode");
      if (responseMode !== null && responseMode !== "query") throw new AuthorizeError("invalid_request", "response_mode must be query");
      const scope = (params.get("scope") ?? "").split(" ").filter(Boolean);
      if (!scope.includes("openid")) throw new AuthorizeError("invalid_scope", "scope must include openid");
      const method = params.get("code_challenge_method");
      const challenge = params.get("code_challenge");
      if (challenge === null) throw new AuthorizeError("invalid_request", "code_challenge required (PKCE)");
      if (method !== "S256") throw new AuthorizeError("invalid_request", "code_challenge_method must be S256");
      if (!CODE_CHALLENGE.test(challenge)) throw new AuthorizeError("invalid_request", "code_challenge is not a base64url SHA-256 digest");
      if (params.get("prompt")?.split(" ").includes("none")) throw new AuthorizeError("login_required", "no session here: the user must log in");
      const pending = { clientId: client.clientId, redirectUri, scope, state: st, nonce: params.get("nonce") ?? undefined, codeChallenge: challenge };
      const id = state.addPending(pending);
      showForm(res, 200, id, state.getPending(id)!);
    } catch (e) {
      if (!(e instanceof AuthorizeError)) throw e;
      redirectBack(res, redirectUri, { error: e.error, error_description: e.description }, st);
    }
  };

  /** The login form's post: log in (a code for the client) or cancel (access_denied). */
  const loginSubmission = (form: URLSearchParams, res: ServerResponse) => {
    const requestId = form.get("request") ?? "";
    const pending = state.getPending(requestId);
    if (!pending) throw new PageError(400, "Login expired", "This login request is unknown or has expired. Go back to the application and start again.");
    if (form.get("action") === "cancel") {
      state.removePending(requestId);
      return redirectBack(res, pending.redirectUri, { error: "access_denied", error_description: "the user cancelled the login" }, pending.state);
    }
    const username = (form.get("username") ?? "").slice(0, 128);
    const user = state.authenticate(username, form.get("password") ?? "");
    if (!user) {
      stats.failedLogins++;
      return showForm(res, 401, requestId, pending, { error: "Wrong user name or password.", username });
    }
    stats.logins++;
    state.removePending(requestId);
    redirectBack(res, pending.redirectUri, { code: state.issueCode(pending, user.username) }, pending.state);
  };

  const tokenRequest = async (req: IncomingMessage, res: ServerResponse) => {
    stats.tokenRequests++;
    const form = await readForm(req);
    const client = authenticateClient(req, form, state);
    const twice = TOKEN_PARAMS.find((n) => form.getAll(n).length > 1);
    if (twice) throw new TokenError("invalid_request", `${twice} given more than once`);
    const grantType = form.get("grant_type");
    if (grantType === null) throw new TokenError("invalid_request", "grant_type missing");
    if (grantType !== "authorization_code") throw new TokenError("unsupported_grant_type", `grant_type ${JSON.stringify(grantType)} is not supported`);
    const code = form.get("code");
    if (!code) throw new TokenError("invalid_request", "code missing");
    const redirectUri = form.get("redirect_uri");
    if (redirectUri === null) throw new TokenError("invalid_request", "redirect_uri missing (it was in the authorization request)");
    const issued = state.code(code);
    if (!issued) throw new TokenError("invalid_grant", "unknown authorization code");
    if (issued.clientId !== client.clientId) throw new TokenError("invalid_grant", "the code was issued to another client");
    // The first attempt uses the code up, whatever comes of it: a verifier cannot be guessed over many tries.
    const usedBefore = issued.usedAt !== undefined;
    issued.usedAt ??= state.now();
    if (usedBefore) throw new TokenError("invalid_grant", "the authorization code has already been used");
    if (issued.expiresAt <= state.now()) throw new TokenError("invalid_grant", "the authorization code has expired");
    if (redirectUri !== issued.redirectUri) throw new TokenError("invalid_grant", "redirect_uri differs from the authorization request's");
    const verifier = form.get("code_verifier");
    if (verifier === null) throw new TokenError("invalid_grant", "code_verifier required: the authorization request had a code_challenge");
    if (!CODE_VERIFIER.test(verifier) || !sameSecret(s256(verifier), issued.codeChallenge)) throw new TokenError("invalid_grant", "code_verifier does not match the code_challenge");
    const user = state.user(issued.username)!;
    const idToken = await idTokenFor(client.clientId, user, issued.nonce, issued.authTime);
    stats.tokensIssued++;
    sendJson(
      res,
      200,
      { access_token: randomBytes(32).toString("base64url"), token_type: "Bearer", expires_in: idTokenLifetime, id_token: idToken, scope: issued.scope.join(" ") },
      { "cache-control": "no-store", pragma: "no-cache" },
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://oidc-sim");
    switch (url.pathname) {
      case "/.well-known/openid-configuration":
        if (!allowMethods(req, res, ["GET", "HEAD"])) return;
        stats.discoveryRequests++;
        return sendJson(res, 200, {
          issuer,
          authorization_endpoint: `${base}/authorize`,
          token_endpoint: `${base}/token`,
          jwks_uri: `${base}/jwks`,
          response_types_supported: ["code"],
          response_modes_supported: ["query"],
          grant_types_supported: ["authorization_code"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
          scopes_supported: ["openid", "profile"],
          token_endpoint_auth_methods_supported: ALL_AUTH_METHODS,
          code_challenge_methods_supported: ["S256"],
          claims_supported: ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "name", "preferred_username", groupsClaim],
          authorization_response_iss_parameter_supported: true,
        });
      case "/jwks":
        if (!allowMethods(req, res, ["GET", "HEAD"])) return;
        stats.jwksRequests++;
        return sendJson(res, 200, keys.jwks());
      case "/authorize":
        if (!allowMethods(req, res, ["GET", "POST"])) return;
        if (req.method === "GET") return authorizationRequest(url.searchParams, res);
        {
          const form = await readForm(req).catch((e: unknown) => {
            throw e instanceof TokenError ? new PageError(400, "Bad request", e.description) : e;
          });
          // The login form carries its request's id; any other POST is an authorization request itself (OIDC Core §3.1.2.1).
          return form.has("request") ? loginSubmission(form, res) : authorizationRequest(form, res);
        }
      case "/token":
        if (!allowMethods(req, res, ["POST"])) return;
        return tokenRequest(req, res);
      default:
        req.resume();
        return sendJson(res, 404, { error: "not_found" });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      req.resume();
      if (res.headersSent) return void res.destroy();
      if (error instanceof TokenError) return sendJson(res, error.status, error.toJSON(), { "cache-control": "no-store", pragma: "no-cache", ...error.headers });
      if (error instanceof PageError) return sendHtml(res, error.status, errorPage(error.title, error.detail));
      sendJson(res, 500, { error: "server_error", error_description: String(error) });
    });
  });
  const served = await serve(server, options.port ?? 0, options.host ?? "127.0.0.1");
  base = served.url;
  issuer = options.issuer ?? served.url;

  return {
    url: base,
    issuer,
    discoveryUrl: `${base}/.well-known/openid-configuration`,
    jwksUrl: `${base}/jwks`,
    authorizationUrl: `${base}/authorize`,
    tokenUrl: `${base}/token`,
    state,
    rotateSigningKey: (key, kid, o) => keys.rotate(key, kid, o),
    async mintIdToken(o) {
      const user = state.user(o.username);
      if (!user) throw new Error(`no user ${o.username}`);
      return idTokenFor(o.clientId, user, o.nonce, state.now(), o.overrides);
    },
    jwks: () => keys.jwks(),
    stats: () => ({ ...stats }),
    close: served.close,
  };
}

/**
 * The client of a token request, authenticated by exactly one method (RFC 6749 §2.3.1): HTTP Basic with the
 * form-encoded id and secret, or both in the body. No method, two methods, or a wrong secret: refused.
 */
function authenticateClient(req: IncomingMessage, form: URLSearchParams, state: OidcProviderState): OidcClient {
  const header = req.headers.authorization;
  const basic = header !== undefined && /^basic /i.test(header);
  const bodySecret = form.get("client_secret");
  if (header !== undefined && !basic) throw new TokenError("invalid_client", "only HTTP Basic client authentication is accepted in the Authorization header", true);
  if (basic && bodySecret !== null) throw new TokenError("invalid_request", "more than one client authentication method");
  let clientId: string;
  let secret: string;
  let method: ClientAuthMethod;
  if (basic) {
    const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
    const i = decoded.indexOf(":");
    if (i < 0) throw new TokenError("invalid_client", "malformed HTTP Basic credentials", true);
    try {
      [clientId, secret] = [formDecode(decoded.slice(0, i)), formDecode(decoded.slice(i + 1))];
    } catch {
      throw new TokenError("invalid_client", "malformed HTTP Basic credentials", true);
    }
    const named = form.get("client_id");
    if (named !== null && named !== clientId) throw new TokenError("invalid_request", "client_id differs from the authenticated client");
    method = "client_secret_basic";
  } else if (bodySecret !== null) {
    const named = form.get("client_id");
    if (named === null) throw new TokenError("invalid_request", "client_id missing");
    [clientId, secret, method] = [named, bodySecret, "client_secret_post"];
  } else {
    throw new TokenError("invalid_client", "client authentication required (client_secret_basic or client_secret_post)", true);
  }
  const client = state.client(clientId);
  if (!client || !sameSecret(client.clientSecret, secret)) throw new TokenError("invalid_client", "client authentication failed", basic);
  if (!(client.authMethods ?? ALL_AUTH_METHODS).includes(method)) throw new TokenError("invalid_client", `the client is not registered for ${method}`, basic);
  return client;
}

/** application/x-www-form-urlencoded decoding of one Basic credential part (RFC 6749 §2.3.1). */
function formDecode(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, " "));
}

function single(params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name);
  return all.length === 1 ? all[0] : undefined;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw new TokenError("invalid_request", "Content-Type must be application/x-www-form-urlencoded");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new TokenError("invalid_request", `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function allowMethods(req: IncomingMessage, res: ServerResponse, methods: readonly string[]): boolean {
  if (methods.includes(req.method ?? "")) return true;
  req.resume();
  sendJson(res, 405, { error: "method_not_allowed" }, { allow: methods.join(", ") });
  return false;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(res.req.method === "HEAD" ? undefined : text);
}

function sendHtml(res: ServerResponse, status: number, markup: string): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(markup),
    "cache-control": "no-store",
    // No form-action: the login form's answer redirects to the client, and form-action would cover that redirect.
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
  });
  res.end(markup);
}

async function newRsaKey(): Promise<KeyObject> {
  const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
  return privateKey;
}
