import { generateKeyPairSync } from "node:crypto";
import { expect } from "chai";
import { exportJWK, SignJWT, type JWK } from "jose";
import { ConsoleOidcClient } from "../../src/console/oidc-client.js";
import { OidcError } from "../../src/console/oidc-errors.js";
import { verifyIdToken, type IdTokenExpectations } from "../../src/console/oidc-id-token.js";
import { JwksCache } from "../../src/console/oidc-jwks.js";
import { PendingLogins } from "../../src/console/oidc-pending.js";
import { claimValues, roleOf } from "../../src/console/oidc-roles.js";
import { parseConsoleOidc, type ConsoleOidcSettings } from "../../src/console/oidc-settings.js";
import { loadConfig } from "../../src/config.js";
import { startOidcSim, type OidcSim } from "../../src/sim/oidc/index.js";

/** A clock the test moves by hand. */
function manualClock(start = Date.parse("2031-05-01T10:00:00Z")) {
  let t = start;
  return Object.assign(() => new Date(t), { advance: (ms: number) => void (t += ms) });
}

/** The OidcError code a promise rejects with. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OidcError) return err.code;
    throw err;
  }
  return "accepted";
}

function rsaKey(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, privateKey, jwk: async (): Promise<JWK> => ({ ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }) };
}
type Key = ReturnType<typeof rsaKey>;

describe("console: OIDC login (id_token checks, JWKS, roles, settings, and the client against the simulator)", () => {
  describe("id_token checks", () => {
    const clock = manualClock();
    const ISS = "https://idp.example";
    const [A, B, C] = [rsaKey("key-a"), rsaKey("key-b"), rsaKey("key-c")];
    let published: Key[] = [A];
    let cache: JwksCache;
    const now = () => Math.floor(clock().getTime() / 1000);
    const expect_ = (): IdTokenExpectations => ({ issuer: ISS, clientId: "console", nonce: "nonce-1", now: clock(), skewSeconds: 60, maxAgeSeconds: 600 });

    beforeEach(() => {
      published = [A];
      cache = new JwksCache(async () => ({ keys: await Promise.all(published.map((k) => k.jwk())) }), clock);
    });

    const sign = (claims: Record<string, unknown>, o: { key?: Key; kid?: string; alg?: string } = {}) =>
      new SignJWT({ iss: ISS, aud: "console", sub: "u-1", iat: now(), exp: now() + 300, nonce: "nonce-1", ...claims })
        .setProtectedHeader({ alg: o.alg ?? "RS256", kid: o.kid ?? (o.key ?? A).kid })
        .sign((o.key ?? A).privateKey);
    const verify = async (token: string | Promise<string>) => verifyIdToken(await token, cache.key, expect_());

    it("accepts a token signed by a published key, for this client, fresh, with this login's nonce", async () => {
      const claims = await verify(sign({ preferred_username: "oda" }));
      expect([claims.sub, claims.preferred_username, cache.fetches()]).to.deep.equal(["u-1", "oda", 1]);
    });

    it("refuses a bad signature: another key under a published kid", async () => {
      expect(await codeOf(verify(sign({}, { key: B, kid: A.kid })))).to.equal("oidc-id-token-signature");
    });

    it("refuses another audience, and several audiences without azp naming this client", async () => {
      expect(await codeOf(verify(sign({ aud: "someone-else" })))).to.equal("oidc-id-token-audience");
      expect(await codeOf(verify(sign({ aud: ["console", "api"] })))).to.equal("oidc-id-token-audience");
      expect(await codeOf(verify(sign({ aud: ["console", "api"], azp: "api" })))).to.equal("oidc-id-token-audience");
      expect(await codeOf(verify(sign({ aud: ["console", "api"], azp: "console" })))).to.equal("accepted");
    });

    it("refuses an expired token, with 60 s of leeway", async () => {
      expect(await codeOf(verify(sign({ iat: now() - 400, exp: now() - 61 })))).to.equal("oidc-id-token-expired");
      expect(await codeOf(verify(sign({ iat: now() - 400, exp: now() - 59 })))).to.equal("accepted");
    });

    it("refuses a token issued in the future or long ago", async () => {
      expect(await codeOf(verify(sign({ iat: now() + 61 })))).to.equal("oidc-id-token-issued-at");
      expect(await codeOf(verify(sign({ iat: now() - 661, exp: now() + 100 })))).to.equal("oidc-id-token-issued-at");
      expect(await codeOf(verify(sign({ iat: now() + 59 })))).to.equal("accepted");
    });

    it("refuses a wrong nonce, or none", async () => {
      expect(await codeOf(verify(sign({ nonce: "nonce-2" })))).to.equal("oidc-id-token-nonce");
      expect(await codeOf(verify(sign({ nonce: undefined })))).to.equal("oidc-id-token-nonce");
    });

    it("refuses another issuer, an algorithm other than RS256, and a token without sub", async () => {
      expect(await codeOf(verify(sign({ iss: "https://idp.example/" })))).to.equal("oidc-id-token-issuer");
      expect(await codeOf(verify(new SignJWT({ iss: ISS, aud: "console", sub: "u", iat: now(), exp: now() + 60, nonce: "nonce-1" }).setProtectedHeader({ alg: "HS256" }).sign(new Uint8Array(32))))).to.equal("oidc-id-token-algorithm");
      expect(await codeOf(verify(sign({ sub: undefined })))).to.equal("oidc-id-token-invalid");
    });

    it("fetches the JWKS again once for an unknown kid (a rotated key), and refuses a kid still unknown then", async () => {
      await verify(sign({}));
      expect(cache.fetches()).to.equal(1);
      published = [B, A];
      expect(await codeOf(verify(sign({}, { key: B })))).to.equal("accepted");
      expect(cache.fetches()).to.equal(2);
      // Known now: no fetch.
      await verify(sign({}, { key: B }));
      expect(cache.fetches()).to.equal(2);
      expect(await codeOf(verify(sign({}, { key: C })))).to.equal("oidc-id-token-key-unknown");
      expect(cache.fetches()).to.equal(3);
    });

    it("does not fetch twice for one token when the first fetch was for it", async () => {
      expect(await codeOf(verify(sign({}, { key: C })))).to.equal("oidc-id-token-key-unknown");
      expect(cache.fetches()).to.equal(1);
    });

    it("fetches the set again once it is an hour old", async () => {
      await verify(sign({}));
      clock.advance(3_600_000);
      await verify(sign({}));
      expect(cache.fetches()).to.equal(2);
    });
  });

  describe("roles from the claim", () => {
    const s = { roleClaim: "groups", operatorValues: ["ops"], viewerValues: ["view", "audit"] };
    it("makes an operator before a viewer, and gives no role without a mapped value", () => {
      expect(roleOf({ groups: ["staff", "view", "ops"] }, s)).to.equal("operator");
      expect(roleOf({ groups: ["audit"] }, s)).to.equal("viewer");
      expect(roleOf({ groups: ["staff"] }, s)).to.equal(undefined);
      expect(roleOf({}, s)).to.equal(undefined);
      expect(roleOf({ groups: "staff ops" }, s)).to.equal("operator");
      expect(roleOf({ groups: { ops: true } }, s)).to.equal(undefined);
    });
    it("follows a dotted path into objects, and takes a claim whose name has dots as it is", () => {
      expect(claimValues({ realm_access: { roles: ["a", "b", 3] } }, "realm_access.roles")).to.deep.equal(["a", "b"]);
      expect(claimValues({ "https://example/roles": ["x"] }, "https://example/roles")).to.deep.equal(["x"]);
      expect(claimValues({ groups: ["x"] }, "constructor")).to.deep.equal([]);
      expect(claimValues({ a: ["x"] }, "a.__proto__")).to.deep.equal([]);
    });
  });

  describe("pending logins", () => {
    it("gives a login out once, and not after 10 minutes", () => {
      const clock = manualClock();
      const p = new PendingLogins(clock);
      const a = p.start("https://ap/console/oidc/callback");
      expect(a.login.codeVerifier).to.match(/^[A-Za-z0-9_-]{86}$/);
      expect(p.take(a.id)).to.deep.equal(a.login);
      expect(p.take(a.id)).to.equal(undefined);
      const b = p.start("https://ap/console/oidc/callback");
      clock.advance(10 * 60_000);
      expect(p.take(b.id)).to.equal(undefined);
      expect(p.take(undefined)).to.equal(undefined);
    });
  });

  describe("DPI_AP_CONSOLE_OIDC_*", () => {
    const full = { DPI_AP_CONSOLE_OIDC_ISSUER: "https://idp.example", DPI_AP_CONSOLE_OIDC_CLIENT_ID: "console", DPI_AP_CONSOLE_OIDC_CLIENT_SECRET: "s3cret", DPI_AP_CONSOLE_OIDC_OPERATOR_VALUES: ["ops"] };

    it("reads the settings, with the defaults", () => {
      const problems: string[] = [];
      expect(parseConsoleOidc(full, { sandbox: false, publicUrl: "https://ap.example" }, problems)).to.deep.equal({
        issuer: "https://idp.example",
        clientId: "console",
        clientSecret: "s3cret",
        name: "idp.example",
        scope: ["openid", "profile"],
        roleClaim: "groups",
        operatorValues: ["ops"],
        viewerValues: [],
      });
      expect(problems).to.deep.equal([]);
    });

    it("names what is missing or wrong", () => {
      const problems: string[] = [];
      parseConsoleOidc({ DPI_AP_CONSOLE_OIDC_ISSUER: "http://idp.example", DPI_AP_CONSOLE_OIDC_SCOPE: ["profile"], DPI_AP_CONSOLE_OIDC_OPERATOR_VALUES: ["a"], DPI_AP_CONSOLE_OIDC_VIEWER_VALUES: ["a"] }, { sandbox: false, publicUrl: undefined }, problems);
      expect(problems).to.deep.equal([
        "DPI_AP_CONSOLE_OIDC_ISSUER: must be https:// outside sandbox mode",
        "DPI_AP_PUBLIC_URL: required for DPI_AP_CONSOLE_OIDC_ISSUER outside sandbox mode (the redirect URI is <DPI_AP_PUBLIC_URL>/console/oidc/callback)",
        "DPI_AP_CONSOLE_OIDC_CLIENT_ID: required with DPI_AP_CONSOLE_OIDC_ISSUER",
        "DPI_AP_CONSOLE_OIDC_CLIENT_SECRET: required with DPI_AP_CONSOLE_OIDC_ISSUER",
        'DPI_AP_CONSOLE_OIDC_VIEWER_VALUES: "a" also in DPI_AP_CONSOLE_OIDC_OPERATOR_VALUES',
        "DPI_AP_CONSOLE_OIDC_SCOPE: must include openid",
      ]);
      const without: string[] = [];
      // The whole environment, as src/config.ts passes it: only the OIDC variables count.
      const env = { DPI_AP_HOST: "127.0.0.1", DPI_AP_CONSOLE_USERS: ["x"], DPI_AP_CONSOLE_OIDC_CLIENT_ID: "x", DPI_AP_CONSOLE_OIDC_VIEWER_VALUES: ["v"] };
      expect(parseConsoleOidc(env, { sandbox: true, publicUrl: undefined }, without)).to.equal(undefined);
      expect(without).to.deep.equal(["DPI_AP_CONSOLE_OIDC_ISSUER: required when DPI_AP_CONSOLE_OIDC_CLIENT_ID, DPI_AP_CONSOLE_OIDC_VIEWER_VALUES are set"]);
      const none: string[] = [];
      expect(parseConsoleOidc({ DPI_AP_HOST: "127.0.0.1" } as object, { sandbox: false, publicUrl: undefined }, none)).to.equal(undefined);
      expect(none).to.deep.equal([]);
    });

    it("switches the console on with OIDC alone (no password users)", () => {
      const c = loadConfig({
        DPI_AP_MASKINPORTEN_ISSUER: "x",
        DPI_AP_MASKINPORTEN_JWKS_URL: "http://127.0.0.1:9/jwk",
        DPI_AP_CONSOLE_OIDC_ISSUER: "http://127.0.0.1:9",
        DPI_AP_CONSOLE_OIDC_CLIENT_ID: "console",
        DPI_AP_CONSOLE_OIDC_CLIENT_SECRET: "s",
        DPI_AP_CONSOLE_OIDC_SCOPE: "openid profile,groups",
        DPI_AP_CONSOLE_OIDC_OPERATOR_VALUES: "ops,admins",
      }).console!;
      expect([c.users.length, c.oidc?.scope, c.oidc?.operatorValues]).to.deep.equal([0, ["openid", "profile", "groups"], ["ops", "admins"]]);
    });
  });

  describe("the client against the OIDC simulator, over HTTP", () => {
    const clock = manualClock();
    const REDIRECT = "https://ap.example/console/oidc/callback";
    let sim: OidcSim;
    let settings: ConsoleOidcSettings;

    before(async () => {
      sim = await startOidcSim({
        users: [
          { username: "oda", password: "pw-oda", name: "Oda", groups: ["ops"] },
          { username: "vera", password: "pw-vera", name: "Vera", groups: ["view"] },
          { username: "nils", password: "pw-nils", name: "Nils", groups: ["staff"] },
        ],
        clients: [{ clientId: "console", clientSecret: "console-secret", redirectUris: [REDIRECT] }],
        clock,
      });
      settings = { issuer: sim.issuer, clientId: "console", clientSecret: "console-secret", name: "Sim", scope: ["openid", "profile"], roleClaim: "groups", operatorValues: ["ops"], viewerValues: ["view"] };
    });
    after(async () => sim?.close());

    /** The user's part at the provider: the form posted; returns the callback's query. */
    async function atProvider(url: string, username: string, password: string, action = "login"): Promise<Record<string, string>> {
      const html = await (await fetch(url)).text();
      const request = /name="request" value="([^"]+)"/.exec(html)![1]!;
      const res = await fetch(sim.authorizationUrl, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ request, username, password, action }).toString() });
      const back = new URL(res.headers.get("location")!);
      expect(back.origin + back.pathname).to.equal(REDIRECT);
      return Object.fromEntries(back.searchParams);
    }

    it("sends the browser to the provider with state, nonce and an S256 challenge", async () => {
      const client = new ConsoleOidcClient(settings, clock);
      const { url } = await client.start(REDIRECT);
      const u = new URL(url);
      expect(u.origin + u.pathname).to.equal(sim.authorizationUrl);
      expect(Object.keys(Object.fromEntries(u.searchParams)).sort()).to.deep.equal(["client_id", "code_challenge", "code_challenge_method", "nonce", "redirect_uri", "response_type", "scope", "state"]);
      expect([u.searchParams.get("response_type"), u.searchParams.get("client_id"), u.searchParams.get("redirect_uri"), u.searchParams.get("scope"), u.searchParams.get("code_challenge_method")]).to.deep.equal(["code", "console", REDIRECT, "openid profile", "S256"]);
    });

    it("logs an operator and a viewer in, and gives a user without a mapped group no role", async () => {
      const client = new ConsoleOidcClient(settings, clock);
      const out: unknown[] = [];
      for (const [user, pw] of [["oda", "pw-oda"], ["vera", "pw-vera"], ["nils", "pw-nils"]] as const) {
        const { id, url } = await client.start(REDIRECT);
        const who = await client.finish(id, await atProvider(url, user, pw));
        out.push([who.user, who.role]);
      }
      expect(out).to.deep.equal([["oda", "operator"], ["vera", "viewer"], ["nils", undefined]]);
      expect(client.provider.jwks.fetches()).to.equal(1);
    });

    it("refuses an answer whose state is not the login's, without redeeming its code", async () => {
      const client = new ConsoleOidcClient(settings, clock);
      const { id, url } = await client.start(REDIRECT);
      const answer = await atProvider(url, "oda", "pw-oda");
      const before = sim.stats().tokenRequests;
      expect(await codeOf(client.finish(id, { ...answer, state: "forged" }))).to.equal("oidc-state-mismatch");
      // The login is used up: the genuine answer finds nothing either.
      expect(await codeOf(client.finish(id, answer))).to.equal("oidc-login-expired");
      expect(sim.stats().tokenRequests).to.equal(before);
    });

    it("refuses an answer naming another issuer, a cancelled login, and a login older than 10 minutes", async () => {
      const client = new ConsoleOidcClient(settings, clock);
      let s = await client.start(REDIRECT);
      expect(await codeOf(client.finish(s.id, { ...(await atProvider(s.url, "oda", "pw-oda")), iss: "https://evil.example" }))).to.equal("oidc-issuer-mismatch");
      s = await client.start(REDIRECT);
      expect(await codeOf(client.finish(s.id, await atProvider(s.url, "oda", "pw-oda", "cancel")))).to.equal("oidc-provider-refused");
      s = await client.start(REDIRECT);
      const answer = await atProvider(s.url, "oda", "pw-oda");
      clock.advance(10 * 60_000);
      expect(await codeOf(client.finish(s.id, answer))).to.equal("oidc-login-expired");
    });

    it("reports the provider's refusal of a code it no longer honours", async () => {
      const client = new ConsoleOidcClient(settings, clock);
      const { id, url } = await client.start(REDIRECT);
      const answer = await atProvider(url, "oda", "pw-oda");
      clock.advance(61_000);
      try {
        await client.finish(id, answer);
        expect.fail("accepted");
      } catch (err) {
        expect([(err as OidcError).code, (err as OidcError).message]).to.deep.equal(["oidc-token-refused", "the token endpoint refused the code (400, invalid_grant: the authorization code has expired)"]);
      }
    });

    it("follows the provider's key rotation: the new kid makes it fetch the JWKS again", async () => {
      const client = new ConsoleOidcClient(settings, clock);
      let s = await client.start(REDIRECT);
      await client.finish(s.id, await atProvider(s.url, "oda", "pw-oda"));
      await sim.rotateSigningKey(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey, "rotated-1", { retainPrevious: false });
      s = await client.start(REDIRECT);
      expect((await client.finish(s.id, await atProvider(s.url, "oda", "pw-oda"))).role).to.equal("operator");
      expect(client.provider.jwks.fetches()).to.equal(2);
    });

    it("refuses a provider whose discovery document names another issuer", async () => {
      const client = new ConsoleOidcClient({ ...settings, issuer: `${sim.issuer}/` }, clock);
      expect(await codeOf(client.start(REDIRECT))).to.equal("oidc-discovery-invalid");
    });
  });
});
