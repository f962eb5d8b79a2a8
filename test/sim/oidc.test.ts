import { createHash, randomBytes } from "node:crypto";
import { expect } from "chai";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { startOidcSim, type OidcSim } from "../../src/sim/oidc/index.js";

/**
 * The OpenID Connect provider simulator over HTTP on 127.0.0.1, as a client (and a user's browser) meets it:
 * discovery, the login form, the redirect with a code, and the token endpoint, which refuses what a real
 * provider refuses with RFC 6749's error JSON.
 */

const REDIRECT = "https://console.example/console/oidc/callback";
const CLIENT = { clientId: "console", clientSecret: "console secret: with ü+%" };
const OTHER = { clientId: "other", clientSecret: "other-secret" };

function manualClock(start = Date.parse("2031-05-01T10:00:00Z")) {
  let t = start;
  return Object.assign(() => new Date(t), { advance: (ms: number) => void (t += ms) });
}

const newVerifier = () => randomBytes(32).toString("base64url");
const challengeOf = (v: string) => createHash("sha256").update(v).digest("base64url");
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const FORM = { "content-type": "application/x-www-form-urlencoded" };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

describe("sim/oidc (an OpenID Connect provider: authorization code flow with PKCE)", () => {
  const clock = manualClock();
  let sim: OidcSim;

  before(async () => {
    sim = await startOidcSim({
      users: [
        { username: "oda", password: "oda's password", name: "Oda Operatør", groups: ["ops", "staff"], sub: "sub-oda" },
        { username: "nils", password: "nils password", name: "Nils", groups: [] },
      ],
      clients: [
        { ...CLIENT, redirectUris: [REDIRECT] },
        { ...OTHER, redirectUris: ["https://other.example/cb"], authMethods: ["client_secret_post"] },
      ],
      kid: "sim-key-1",
      clock,
    });
  });
  after(async () => sim?.close());

  const authorizeUrl = (params: Record<string, string>) => `${sim.authorizationUrl}?${new URLSearchParams(params)}`;
  const request = (over: Record<string, string | undefined> = {}) => {
    const p: Record<string, string> = {};
    const all = { response_type: "code", client_id: CLIENT.clientId, redirect_uri: REDIRECT, scope: "openid profile", state: "st-1", nonce: "n-1", code_challenge: challengeOf("x".repeat(43)), code_challenge_method: "S256", ...over };
    for (const [k, v] of Object.entries(all)) if (v !== undefined) p[k] = v;
    return p;
  };

  /** GET /authorize, then the login form posted as a browser posts it; returns the redirect back. */
  async function login(o: { verifier: string; user?: string; password?: string; params?: Record<string, string | undefined>; action?: string }) {
    const page = await fetch(authorizeUrl(request({ code_challenge: challengeOf(o.verifier), ...o.params })), { redirect: "manual" });
    expect(page.status).to.equal(200);
    const html = await page.text();
    const requestId = /name="request" value="([^"]+)"/.exec(html)![1]!;
    const res = await fetch(sim.authorizationUrl, {
      method: "POST",
      headers: FORM,
      redirect: "manual",
      body: form({ request: requestId, username: o.user ?? "oda", password: o.password ?? "oda's password", action: o.action ?? "login" }),
    });
    return { status: res.status, location: res.headers.get("location") ? new URL(res.headers.get("location")!) : undefined, text: await res.text(), requestId };
  }

  async function code(verifier: string, params: Record<string, string | undefined> = {}): Promise<string> {
    const r = await login({ verifier, params });
    expect(r.status).to.equal(303);
    return r.location!.searchParams.get("code")!;
  }

  async function token(body: Record<string, string>, headers: Record<string, string> = { authorization: basic(CLIENT.clientId, CLIENT.clientSecret) }) {
    const res = await fetch(sim.tokenUrl, { method: "POST", headers: { ...FORM, ...headers }, body: form(body) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  const redeem = (c: string, verifier: string, over: Record<string, string> = {}) => token({ grant_type: "authorization_code", code: c, redirect_uri: REDIRECT, code_verifier: verifier, ...over });

  it("publishes its discovery document and keys", async () => {
    const d = (await (await fetch(sim.discoveryUrl)).json()) as Record<string, unknown>;
    expect(d).to.deep.equal({
      issuer: sim.url,
      authorization_endpoint: `${sim.url}/authorize`,
      token_endpoint: `${sim.url}/token`,
      jwks_uri: `${sim.url}/jwks`,
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: ["openid", "profile"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      code_challenge_methods_supported: ["S256"],
      claims_supported: ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "name", "preferred_username", "groups"],
      authorization_response_iss_parameter_supported: true,
    });
    const jwks = (await (await fetch(sim.jwksUrl)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.map((k) => [k.kid, k.kty, k.alg, k.use])).to.deep.equal([["sim-key-1", "RSA", "RS256", "sig"]]);
  });

  it("logs a user in with the form, redirects back with a code, state and iss, and gives an RS256 id_token for the code", async () => {
    const verifier = newVerifier();
    const r = await login({ verifier });
    expect(r.status).to.equal(303);
    expect([r.location!.origin + r.location!.pathname, r.location!.searchParams.get("state"), r.location!.searchParams.get("iss")]).to.deep.equal([REDIRECT, "st-1", sim.issuer]);
    const t = await redeem(r.location!.searchParams.get("code")!, verifier);
    expect(t.status).to.equal(200);
    expect([t.headers.get("cache-control"), t.body.token_type, t.body.expires_in, t.body.scope]).to.deep.equal(["no-store", "Bearer", 300, "openid profile"]);
    const { payload, protectedHeader } = await jwtVerify(t.body.id_token as string, createRemoteJWKSet(new URL(sim.jwksUrl)), { currentDate: clock() });
    const now = clock().getTime() / 1000;
    expect(protectedHeader).to.deep.equal({ alg: "RS256", kid: "sim-key-1", typ: "JWT" });
    expect(payload).to.deep.equal({ iss: sim.issuer, sub: "sub-oda", aud: CLIENT.clientId, exp: now + 300, iat: now, auth_time: now, nonce: "n-1", name: "Oda Operatør", preferred_username: "oda", groups: ["ops", "staff"] });
  });

  it("accepts client_secret_post for a client registered for it, and refuses Basic for that client", async () => {
    const verifier = newVerifier();
    const r = await login({ verifier, params: { client_id: OTHER.clientId, redirect_uri: "https://other.example/cb" } });
    const c = r.location!.searchParams.get("code")!;
    const refused = await token({ grant_type: "authorization_code", code: c, redirect_uri: "https://other.example/cb", code_verifier: verifier }, { authorization: basic(OTHER.clientId, OTHER.clientSecret) });
    expect([refused.status, refused.body]).to.deep.equal([401, { error: "invalid_client", error_description: "the client is not registered for client_secret_basic" }]);
    const r2 = await login({ verifier, params: { client_id: OTHER.clientId, redirect_uri: "https://other.example/cb" } });
    const ok = await token({ grant_type: "authorization_code", code: r2.location!.searchParams.get("code")!, redirect_uri: "https://other.example/cb", code_verifier: verifier, ...{ client_id: OTHER.clientId, client_secret: OTHER.clientSecret } }, {});
    expect(ok.status).to.equal(200);
  });

  it("refuses a code used before, even after a first redemption that failed", async () => {
    const verifier = newVerifier();
    const c = await code(verifier);
    expect((await redeem(c, verifier)).status).to.equal(200);
    const again = await redeem(c, verifier);
    expect([again.status, again.body]).to.deep.equal([400, { error: "invalid_grant", error_description: "the authorization code has already been used" }]);
    const c2 = await code(verifier);
    expect((await redeem(c2, newVerifier())).body.error).to.equal("invalid_grant");
    expect((await redeem(c2, verifier)).body).to.deep.equal({ error: "invalid_grant", error_description: "the authorization code has already been used" });
  });

  it("refuses a wrong code_verifier, or none", async () => {
    const verifier = newVerifier();
    const wrong = await redeem(await code(verifier), newVerifier());
    expect([wrong.status, wrong.body]).to.deep.equal([400, { error: "invalid_grant", error_description: "code_verifier does not match the code_challenge" }]);
    const none = await token({ grant_type: "authorization_code", code: await code(verifier), redirect_uri: REDIRECT });
    expect(none.body).to.deep.equal({ error: "invalid_grant", error_description: "code_verifier required: the authorization request had a code_challenge" });
  });

  it("refuses a redirect_uri other than the authorization request's, or none", async () => {
    const verifier = newVerifier();
    const other = await redeem(await code(verifier), verifier, { redirect_uri: "https://console.example/console/oidc/callback2" });
    expect([other.status, other.body]).to.deep.equal([400, { error: "invalid_grant", error_description: "redirect_uri differs from the authorization request's" }]);
    const none = await token({ grant_type: "authorization_code", code: await code(verifier), code_verifier: verifier });
    expect([none.status, none.body]).to.deep.equal([400, { error: "invalid_request", error_description: "redirect_uri missing (it was in the authorization request)" }]);
  });

  it("refuses an expired code, and one issued to another client", async () => {
    const verifier = newVerifier();
    const late = await code(verifier);
    clock.advance(60_001);
    expect((await redeem(late, verifier)).body).to.deep.equal({ error: "invalid_grant", error_description: "the authorization code has expired" });
    const theirs = await code(verifier);
    const r = await token({ grant_type: "authorization_code", code: theirs, redirect_uri: REDIRECT, code_verifier: verifier, client_id: OTHER.clientId, client_secret: OTHER.clientSecret }, {});
    expect(r.body).to.deep.equal({ error: "invalid_grant", error_description: "the code was issued to another client" });
    // Another client's attempt does not use the code up.
    expect((await redeem(theirs, verifier)).status).to.equal(200);
  });

  it("authenticates the client exactly once and refuses a wrong secret with 401 and WWW-Authenticate", async () => {
    const verifier = newVerifier();
    const c = await code(verifier);
    const body = { grant_type: "authorization_code", code: c, redirect_uri: REDIRECT, code_verifier: verifier };
    const wrong = await token(body, { authorization: basic(CLIENT.clientId, "not the secret") });
    expect([wrong.status, wrong.headers.get("www-authenticate"), wrong.body]).to.deep.equal([401, 'Basic realm="oidc-sim", charset="UTF-8"', { error: "invalid_client", error_description: "client authentication failed" }]);
    const twice = await token({ ...body, client_secret: CLIENT.clientSecret });
    expect([twice.status, twice.body]).to.deep.equal([400, { error: "invalid_request", error_description: "more than one client authentication method" }]);
    const none = await token({ ...body, client_id: CLIENT.clientId }, {});
    expect([none.status, none.body.error]).to.deep.equal([401, "invalid_client"]);
    const grant = await token({ ...body, grant_type: "password" });
    expect([grant.status, grant.body]).to.deep.equal([400, { error: "unsupported_grant_type", error_description: 'grant_type "password" is not supported' }]);
    // None of these used the code: the client never got as far as it.
    expect((await redeem(c, verifier)).status).to.equal(200);
  });

  it("shows an error page, and redirects nowhere, for an unknown client or an unregistered redirect URI", async () => {
    for (const over of [{ client_id: "nobody" }, { redirect_uri: "https://evil.example/cb" }, { redirect_uri: undefined }]) {
      const res = await fetch(authorizeUrl(request(over)), { redirect: "manual" });
      expect([res.status, res.headers.get("location"), res.headers.get("content-type")], JSON.stringify(over)).to.deep.equal([400, null, "text/html; charset=utf-8"]);
    }
  });

  it("sends other faults of the authorization request back to the client as errors, with its state", async () => {
    const cases: [Record<string, string | undefined>, string, string][] = [
      [{ code_challenge: undefined }, "invalid_request", "code_challenge required (PKCE)"],
      [{ code_challenge_method: "plain" }, "invalid_request", "code_challenge_method must be S256"],
      [{ code_challenge_method: undefined }, "invalid_request", "code_challenge_method must be S256"],
      [{ response_type: "token" }, "unsupported_response_type", "only the authorization code flow (response_type=code) is offered"],
      [{ scope: "profile" }, "invalid_scope", "scope must include openid"],
      [{ prompt: "none" }, "login_required", "no session here: the user must log in"],
    ];
    for (const [over, error, description] of cases) {
      const res = await fetch(authorizeUrl(request(over)), { redirect: "manual" });
      const to = new URL(res.headers.get("location")!);
      expect([res.status, to.origin + to.pathname, Object.fromEntries(to.searchParams)], JSON.stringify(over)).to.deep.equal([303, REDIRECT, { error, error_description: description, state: "st-1", iss: sim.issuer }]);
    }
  });

  it("shows the form again for a wrong password, and sends access_denied when the user cancels", async () => {
    const verifier = newVerifier();
    const wrong = await login({ verifier, password: "guess" });
    expect([wrong.status, wrong.location]).to.deep.equal([401, undefined]);
    expect(wrong.text).to.include("Wrong user name or password.");
    const cancelled = await login({ verifier, action: "cancel" });
    expect(Object.fromEntries(cancelled.location!.searchParams)).to.deep.equal({ error: "access_denied", error_description: "the user cancelled the login", state: "st-1", iss: sim.issuer });
    // The cancelled request is gone: its form cannot be posted again.
    const res = await fetch(sim.authorizationUrl, { method: "POST", headers: FORM, redirect: "manual", body: form({ request: cancelled.requestId, username: "oda", password: "oda's password", action: "login" }) });
    expect([res.status, res.headers.get("location")]).to.deep.equal([400, null]);
  });
});
