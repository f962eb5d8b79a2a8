import { createHash } from "node:crypto";
import { z } from "zod";
import type { Clock } from "../clock.js";
import { sameToken } from "./csrf.js";
import { OidcError } from "./oidc-errors.js";
import { verifyIdToken, type IdTokenClaims } from "./oidc-id-token.js";
import { PendingLogins } from "./oidc-pending.js";
import { OidcProvider, providerCall } from "./oidc-provider.js";
import { roleOf } from "./oidc-roles.js";
import type { ConsoleOidcSettings } from "./oidc-settings.js";
import type { ConsoleRole } from "./users.js";

/**
 * The console as an OpenID Connect client (authorization code flow with PKCE, OpenID Connect Core §3.1):
 * `start` sends the browser to the provider with a fresh state, nonce and S256 code challenge kept server side
 * (oidc-pending.ts); `finish` takes the provider's answer at the callback, checks it belongs to that login,
 * redeems the code at the token endpoint with the client secret, verifies the id_token (oidc-id-token.ts) and
 * maps its role claim (oidc-roles.ts). Who the user is and what role they get; the router makes the session.
 */

export interface OidcIdentity {
  /** The name the console shows and records: preferred_username, else name, else sub. */
  user: string;
  sub: string;
  /** Undefined: the claim gives no role here, and the login is refused. */
  role: ConsoleRole | undefined;
  claims: IdTokenClaims;
}

/** Leeway for the id_token's exp and iat. */
const SKEW_SECONDS = 60;
/** An id_token older than this is not one just issued for this login. */
const MAX_ID_TOKEN_AGE_SECONDS = 10 * 60;
const MAX_USER_LENGTH = 128;

const tokenAnswer = z.object({ id_token: z.string().min(1), token_type: z.string().regex(/^bearer$/i) });
const errorAnswer = z.object({ error: z.string(), error_description: z.string().optional() });

export class ConsoleOidcClient {
  readonly provider: OidcProvider;
  readonly pending: PendingLogins;

  constructor(
    readonly settings: ConsoleOidcSettings,
    private readonly clock: Clock,
  ) {
    this.provider = new OidcProvider(settings.issuer, clock);
    this.pending = new PendingLogins(clock);
  }

  /** A new login that returns to `redirectUri`: the id for the browser's cookie and the provider's URL to send it to. */
  async start(redirectUri: string): Promise<{ id: string; url: string }> {
    const m = await this.provider.metadata();
    const { id, login } = this.pending.start(redirectUri);
    const url = new URL(m.authorizationEndpoint);
    const params = {
      response_type: "code",
      client_id: this.settings.clientId,
      redirect_uri: redirectUri,
      scope: this.settings.scope.join(" "),
      state: login.state,
      nonce: login.nonce,
      code_challenge: createHash("sha256").update(login.codeVerifier, "ascii").digest("base64url"),
      code_challenge_method: "S256",
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return { id, url: url.toString() };
  }

  /** The provider's answer at the callback (its query), for the login whose cookie is `id`. */
  async finish(id: string | undefined, query: Record<string, unknown>): Promise<OidcIdentity> {
    const login = this.pending.take(id);
    if (!login) throw new OidcError("oidc-login-expired", "no login under way in this browser (or it took longer than 10 minutes)");
    if (!sameToken(login.state, query.state)) throw new OidcError("oidc-state-mismatch", "the answer's state is not this login's");
    // RFC 9207: an answer naming another issuer came from another provider (a mix-up), whatever it carries.
    if (query.iss !== undefined && query.iss !== this.settings.issuer) throw new OidcError("oidc-issuer-mismatch", `the answer names issuer ${JSON.stringify(query.iss)}`);
    if (query.error !== undefined) {
      const description = typeof query.error_description === "string" ? `: ${query.error_description.slice(0, 200)}` : "";
      throw new OidcError("oidc-provider-refused", `${String(query.error).slice(0, 64)}${description}`);
    }
    if (typeof query.code !== "string" || query.code === "") throw new OidcError("oidc-provider-refused", "the answer carries no code");
    const idToken = await this.redeem(query.code, login.codeVerifier, login.redirectUri);
    const claims = await verifyIdToken(idToken, this.provider.jwks.key, {
      issuer: this.settings.issuer,
      clientId: this.settings.clientId,
      nonce: login.nonce,
      now: this.clock(),
      skewSeconds: SKEW_SECONDS,
      maxAgeSeconds: MAX_ID_TOKEN_AGE_SECONDS,
    });
    const named = [claims.preferred_username, claims.name].find((v): v is string => typeof v === "string" && v.trim() !== "");
    return { user: (named ?? claims.sub).slice(0, MAX_USER_LENGTH), sub: claims.sub, role: roleOf(claims, this.settings), claims };
  }

  /** The code for an id_token at the token endpoint, the client authenticated as the provider prefers. */
  private async redeem(code: string, codeVerifier: string, redirectUri: string): Promise<string> {
    const m = await this.provider.metadata();
    const form = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: codeVerifier });
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
    if (m.clientAuth === "client_secret_basic") {
      // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
      const credentials = `${formEncode(this.settings.clientId)}:${formEncode(this.settings.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;
    } else {
      form.set("client_id", this.settings.clientId);
      form.set("client_secret", this.settings.clientSecret);
    }
    const r = await providerCall(new URL(m.tokenEndpoint), { method: "POST", headers, body: form.toString() }, "token endpoint");
    if (r.status !== 200) {
      const e = errorAnswer.safeParse(r.body);
      const why = e.success ? `${e.data.error}${e.data.error_description ? `: ${e.data.error_description}` : ""}` : "no OAuth error";
      throw new OidcError("oidc-token-refused", `the token endpoint refused the code (${r.status}, ${why.slice(0, 300)})`);
    }
    const t = tokenAnswer.safeParse(r.body);
    if (!t.success) throw new OidcError("oidc-token-refused", "the token endpoint's answer has no id_token (or a token_type other than Bearer)");
    return t.data.id_token;
  }
}

function formEncode(s: string): string {
  return new URLSearchParams({ v: s }).toString().slice(2);
}
