import { randomUUID } from "node:crypto";
import type { KeyObject, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { loadIssued, makeCa, makeLeaf } from "../../scripts/lib/cert-factory.js";
import type { Issued } from "../../scripts/lib/cert-factory.js";
import { createGrantClient, GrantRequestError } from "../../src/maskinporten/grant-client.js";
import { buildGrantAssertion, JWT_BEARER_GRANT_TYPE } from "../../src/maskinporten/grant-assertion.js";
import { createTokenVerifier } from "../../src/maskinporten/token-verifier.js";
import {
  DEFAULT_CERTS_DIR,
  loadDefaultSimOptions,
  loadExampleSigner,
  simClientId,
} from "../../src/sim/maskinporten/defaults.js";
import { startMaskinportenSim } from "../../src/sim/maskinporten/server.js";
import type { MaskinportenSim } from "../../src/sim/maskinporten/server.js";
import { movableClock, NOW, NOW_S, rsaKey, SCOPE } from "../maskinporten/helpers.js";

const vectors = path.resolve(import.meta.dirname, "../../../shared/vectors/dpi");

interface TokenReply {
  status: number;
  body: Record<string, unknown>;
}

describe("sim/maskinporten (JWT-bearer grant flow on 127.0.0.1)", () => {
  const clock = movableClock();
  let sim: MaskinportenSim;
  let trustedCa: Issued;

  before(async () => {
    sim = await startMaskinportenSim({ ...(await loadDefaultSimOptions()), clock });
    const business = path.join(DEFAULT_CERTS_DIR, "business");
    trustedCa = loadIssued({
      certPem: await readFile(path.join(business, "intermediate-ca.pem"), "utf8"),
      keyPem: await readFile(path.join(business, "intermediate-ca.key.pem"), "utf8"),
    });
  });
  after(async () => {
    await sim.close();
  });
  afterEach(() => clock.set(0));

  const verifier = () => createTokenVerifier({ issuer: sim.issuer, jwksUrl: sim.jwksUrl, clock });

  async function clientFor(orgno: string) {
    return createGrantClient({ ...(await loadExampleSigner(orgno)), audience: sim.issuer, tokenEndpoint: sim.tokenUrl, clock });
  }

  async function postToken(body: Record<string, string>, contentType = "application/x-www-form-urlencoded"): Promise<TokenReply> {
    const response = await fetch(sim.tokenUrl, {
      method: "POST",
      headers: { "content-type": contentType },
      body: new URLSearchParams(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const postGrant = (assertion: string) => postToken({ grant_type: JWT_BEARER_GRANT_TYPE, assertion });

  /** A grant with every field under the test's control; `undefined` in `claims` removes a claim. */
  async function grant(options: {
    orgno?: string;
    clientId?: string;
    key?: KeyObject;
    chain?: readonly X509Certificate[];
    alg?: string;
    claims?: Record<string, unknown>;
  } = {}): Promise<string> {
    const orgno = options.orgno ?? "991825827";
    const signer = await loadExampleSigner(orgno);
    const chain = (options.chain ?? (signer.certificateChain as X509Certificate[])).map((c) => c.raw.toString("base64"));
    const claims: Record<string, unknown> = {
      aud: sim.issuer,
      iss: options.clientId ?? simClientId(orgno),
      iat: NOW_S,
      exp: NOW_S + 120,
      jti: randomUUID(),
      scope: SCOPE,
    };
    for (const [name, value] of Object.entries(options.claims ?? {})) {
      if (value === undefined) delete claims[name];
      else claims[name] = value;
    }
    return new SignJWT(claims)
      .setProtectedHeader({ alg: options.alg ?? "RS256", x5c: chain })
      .sign(options.key ?? (signer.privateKey as KeyObject));
  }

  function expectOAuthError(reply: TokenReply, status: number, error: string, description?: RegExp): void {
    expect(reply.status, JSON.stringify(reply.body)).to.equal(status);
    expect(reply.body.error).to.equal(error);
    if (description) expect(reply.body.error_description).to.match(description);
  }

  describe("metadata and keys", () => {
    it("publishes issuer, token endpoint and JWKS like Maskinporten's well-known document", async () => {
      const metadata = (await (await fetch(sim.metadataUrl)).json()) as Record<string, unknown>;
      expect(metadata.issuer).to.equal(sim.issuer);
      expect(metadata.token_endpoint).to.equal(sim.tokenUrl);
      expect(metadata.jwks_uri).to.equal(sim.jwksUrl);
      expect(sim.issuer).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const jwks = (await (await fetch(sim.jwksUrl)).json()) as { keys: Array<Record<string, unknown>> };
      const published = JSON.parse(await readFile(path.join(DEFAULT_CERTS_DIR, "maskinporten/jwks.json"), "utf8")) as typeof jwks;
      expect(jwks).to.deep.equal(published);
    });

    it("answers unknown paths with 404 and wrong methods with 405", async () => {
      expect((await fetch(`${sim.url}/nope`)).status).to.equal(404);
      expect((await fetch(sim.tokenUrl)).status).to.equal(405);
      expect((await fetch(sim.jwksUrl, { method: "POST" })).status).to.equal(405);
    });
  });

  describe("token shape", () => {
    it("issues tokens with exactly the claims of the real samples (direct and delegated)", async function () {
      const direct = decodeJwt((await (await clientFor("991825827")).getToken({ scope: SCOPE })).access_token);
      const delegatedToken = (await (await clientFor("810969342")).getToken({ scope: SCOPE, consumerOrg: "910076787" })).access_token;
      const delegated = decodeJwt(delegatedToken);
      expect(decodeProtectedHeader(delegatedToken)).to.deep.equal({ kid: "dpi-ap-test-mp-1", alg: "RS256" });
      expect(direct.exp! - direct.iat!).to.equal(120);
      expect(direct.client_amr).to.equal("virksomhetssertifikat");
      expect(direct.token_type).to.equal("Bearer");
      expect(direct.consumer).to.deep.equal({ authority: "iso6523-actorid-upis", ID: "0192:991825827" });
      expect(delegated.supplier).to.deep.equal({ authority: "iso6523-actorid-upis", ID: "0192:810969342" });
      expect(delegated.consumer).to.deep.equal({ authority: "iso6523-actorid-upis", ID: "0192:910076787" });

      let samples: [Record<string, unknown>, Record<string, unknown>];
      try {
        samples = [
          JSON.parse(await readFile(path.join(vectors, "digital-forretningsmelding-autorisasjonsbevis.json"), "utf8")),
          JSON.parse(await readFile(path.join(vectors, "digital-pa-vegne-av-forretningsmelding-autorisasjonsbevis.json"), "utf8")),
        ];
      } catch {
        this.skip();
      }
      expect(Object.keys(direct)).to.deep.equal(Object.keys(samples[0]).filter((k) => k in direct));
      expect(Object.keys(direct).sort()).to.deep.equal(Object.keys(samples[0]).sort());
      expect(Object.keys(delegated).sort()).to.deep.equal(Object.keys(samples[1]).sort());
      expect(Object.keys(delegated)).to.deep.equal(Object.keys(samples[1]));
    });

    it("restricts the audience when the grant asks for a resource", async () => {
      const client = await clientFor("991825827");
      const restricted = await client.getToken({ scope: SCOPE, resource: "https://c2.example/dpi" });
      const plain = await client.getToken({ scope: SCOPE });
      expect(decodeJwt(restricted.access_token).aud).to.equal("https://c2.example/dpi");
      expect(decodeJwt(plain.access_token)).to.not.have.property("aud");
      const v = createTokenVerifier({ issuer: sim.issuer, jwksUrl: sim.jwksUrl, clock, audience: "https://c2.example/dpi" });
      await v.verify(restricted.access_token);
      await v.verify(plain.access_token).then(
        () => expect.fail("a token without aud passed an audience-restricted verifier"),
        (error: { code?: string }) => expect(error.code).to.equal("token-audience-invalid"),
      );
    });
  });

  describe("grant client → simulator → verifier", () => {
    it("gives a direct token: consumer = the client's organisation, no supplier", async () => {
      const token = await (await clientFor("991825827")).getToken({ scope: SCOPE });
      expect(token.expires_in).to.equal(120);
      expect(token.scope).to.equal(SCOPE);
      const verified = await verifier().verify(token.access_token);
      expect(verified.consumer).to.equal("0192:991825827");
      expect(verified.supplier).to.equal(undefined);
      expect(verified.clientId).to.equal("dpi-ap-test-991825827");
    });

    it("gives a delegated token when the consumer has delegated the scope (consumer_org)", async () => {
      const token = await (await clientFor("810969342")).getToken({ scope: SCOPE, consumerOrg: "910076787" });
      const verified = await verifier().verify(token.access_token);
      expect(verified.consumer).to.equal("0192:910076787");
      expect(verified.supplier).to.equal("0192:810969342");
      expect(verified.delegationSource).to.equal("https://tt02.altinn.no/");
    });

    it("carries the organisation's own Altinn system user (authorization_details) into the token, and refuses another's", async () => {
      const own = { type: "urn:altinn:systemuser", systemuser_org: { authority: "iso6523-actorid-upis", ID: "0192:991825827" }, externalRef: "991825827_integrasjonspunkt_systembruker_991825827" };
      const token = decodeJwt((await (await clientFor("991825827")).getToken({ scope: SCOPE, authorizationDetails: [own] })).access_token);
      expect(token.authorization_details).to.deep.equal([own]);
      const other = { ...own, systemuser_org: { authority: "iso6523-actorid-upis", ID: "0192:910076787" } };
      const error = await (await clientFor("991825827")).getToken({ scope: SCOPE, authorizationDetails: [other] }).then(
        () => undefined,
        (e: unknown) => e as GrantRequestError,
      );
      expect([error?.status, error?.oauthError]).to.deep.equal([400, "invalid_authorization_details"]);
      const malformed = await (await clientFor("991825827")).getToken({ scope: SCOPE, authorizationDetails: [{ type: "urn:altinn:systemuser" }] }).then(
        () => undefined,
        (e: unknown) => e as GrantRequestError,
      );
      expect([malformed?.status, malformed?.oauthError]).to.deep.equal([400, "invalid_authorization_details"]);
    });

    it("refuses consumer_org without a delegation (invalid_scope)", async () => {
      for (const [orgno, consumerOrg] of [
        ["810969342", "991825827"], // no delegation from 991825827
        ["991825827", "910076787"], // 910076787 delegated to 810969342, not to 991825827
      ] as const) {
        const error = await (await clientFor(orgno)).getToken({ scope: SCOPE, consumerOrg }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${orgno} for ${consumerOrg}`).to.be.instanceOf(GrantRequestError);
        expect((error as GrantRequestError).status).to.equal(400);
        expect((error as GrantRequestError).oauthError).to.equal("invalid_scope");
        expect((error as GrantRequestError).description).to.contain(`Consumer ${consumerOrg} has not delegated`);
      }
    });
  });

  describe("grant checks (each with an accepted counterpart)", () => {
    it("accepts a grant once and refuses its replay (same jti)", async () => {
      const assertion = await grant({ claims: { jti: "once-only" } });
      expect((await postGrant(assertion)).status).to.equal(200);
      expectOAuthError(await postGrant(assertion), 400, "invalid_grant", /jti has already been used/);
      expect((await postGrant(await grant({ claims: { jti: "once-only-2" } }))).status).to.equal(200);
    });

    it("refuses a grant signed by a key that does not match the x5c certificate", async () => {
      expect((await postGrant(await grant())).status).to.equal(200);
      expectOAuthError(await postGrant(await grant({ key: rsaKey() })), 400, "invalid_grant", /signature/);
    });

    it("accepts a certificate from the trusted business CA, refuses one from an unknown CA", async () => {
      const subject = { C: "NO", O: "AD HOC AVSENDER", organizationIdentifier: "NTRNO-991825827", CN: "AD HOC AVSENDER" };
      const trustedLeaf = makeLeaf({ subject, issuer: trustedCa, keyUsage: ["digitalSignature"] });
      const trusted = await grant({ key: trustedLeaf.privateKey, chain: [trustedLeaf.cert, trustedCa.cert] });
      expect((await postGrant(trusted)).status).to.equal(200);

      const rogueRoot = makeCa({ subject: { C: "NO", O: "rogue", CN: "ROGUE Root" } });
      const rogueCa = makeCa({ subject: { C: "NO", O: "dpi-ap test", CN: "DPI-AP TEST Business CA" }, issuer: rogueRoot });
      const rogueLeaf = makeLeaf({ subject, issuer: rogueCa, keyUsage: ["digitalSignature"] });
      const untrusted = await grant({ key: rogueLeaf.privateKey, chain: [rogueLeaf.cert, rogueCa.cert, rogueRoot.cert] });
      expectOAuthError(await postGrant(untrusted), 400, "invalid_grant", /invalid certificate/);
    });

    it("refuses an expired business certificate and one without an organisation number", async () => {
      const expired = makeLeaf({
        subject: { C: "NO", O: "OLD", organizationIdentifier: "NTRNO-991825827", CN: "OLD" },
        issuer: trustedCa,
        notAfter: new Date("2026-01-01T00:00:00Z"),
      });
      expectOAuthError(await postGrant(await grant({ key: expired.privateKey, chain: [expired.cert] })), 400, "invalid_grant", /expired/);
      const anonymous = makeLeaf({ subject: { C: "NO", O: "NO NUMBER", CN: "NO NUMBER" }, issuer: trustedCa });
      expectOAuthError(
        await postGrant(await grant({ key: anonymous.privateKey, chain: [anonymous.cert] })),
        400,
        "invalid_grant",
        /organisation number/,
      );
    });

    it("refuses an expired grant", async () => {
      expect((await postGrant(await grant({ claims: { iat: NOW_S - 5, exp: NOW_S + 115 } }))).status).to.equal(200);
      expectOAuthError(await postGrant(await grant({ claims: { iat: NOW_S - 200, exp: NOW_S - 80 } })), 400, "invalid_grant", /expired/);
      clock.set(200);
      expectOAuthError(await postGrant(await grant()), 400, "invalid_grant", /expired/);
    });

    it("refuses a grant living longer than 120 s or issued more than 10 s away from the clock", async () => {
      expect((await postGrant(await grant({ claims: { exp: NOW_S + 120 } }))).status).to.equal(200);
      expectOAuthError(await postGrant(await grant({ claims: { exp: NOW_S + 121 } })), 400, "invalid_grant", /at most 120/);
      expect((await postGrant(await grant({ claims: { iat: NOW_S + 10, exp: NOW_S + 100 } }))).status).to.equal(200);
      expectOAuthError(await postGrant(await grant({ claims: { iat: NOW_S + 11, exp: NOW_S + 100 } })), 400, "invalid_grant", /iat/);
      expectOAuthError(await postGrant(await grant({ claims: { iat: NOW_S - 11, exp: NOW_S + 100 } })), 400, "invalid_grant", /iat/);
    });

    it("requires aud to be the simulator's issuer, as a single value", async () => {
      expect((await postGrant(await grant({ claims: { aud: [sim.issuer] } }))).status).to.equal(200);
      for (const aud of [sim.tokenUrl, "https://maskinporten.no/", [sim.issuer, "https://other/"]]) {
        expectOAuthError(await postGrant(await grant({ claims: { aud } })), 400, "invalid_grant", /aud/);
      }
    });

    it("refuses undocumented claims and algorithms Maskinporten does not support", async () => {
      expect((await postGrant(await grant({ alg: "RS512" }))).status).to.equal(200);
      expectOAuthError(await postGrant(await grant({ claims: { sub: "x", extra: 1 } })), 400, "invalid_grant", /unknown claims: sub, extra/);
      expectOAuthError(await postGrant(await grant({ alg: "PS256" })), 400, "invalid_grant", /alg/);
    });

    it("refuses unknown clients and clients of another organisation (invalid_client, 401)", async () => {
      expectOAuthError(await postGrant(await grant({ clientId: "nobody" })), 401, "invalid_client", /Unknown client/);
      expectOAuthError(
        await postGrant(await grant({ clientId: simClientId("922020175") })),
        401,
        "invalid_client",
        /belongs to 991825827/,
      );
    });

    it("refuses scopes the client is not registered for (invalid_scope)", async () => {
      expectOAuthError(await postGrant(await grant({ claims: { scope: `${SCOPE} skatteetaten:inntekt.read` } })), 400, "invalid_scope");
      expectOAuthError(await postGrant(await grant({ claims: { scope: undefined } })), 400, "invalid_scope");
    });
  });

  describe("token endpoint protocol", () => {
    it("answers RFC 6749 errors for wrong grant types, content types and missing assertions", async () => {
      const assertion = await grant();
      expectOAuthError(await postToken({ grant_type: "client_credentials", assertion }), 400, "unsupported_grant_type");
      expectOAuthError(await postToken({ grant_type: JWT_BEARER_GRANT_TYPE }), 400, "invalid_request");
      expectOAuthError(await postToken({ assertion }), 400, "invalid_request");
      expectOAuthError(await postToken({ grant_type: JWT_BEARER_GRANT_TYPE, assertion }, "text/plain"), 400, "invalid_request");
      expectOAuthError(await postToken({ grant_type: JWT_BEARER_GRANT_TYPE, assertion: "not.a.jwt" }), 400, "invalid_grant");
      const ok = await postToken({ grant_type: JWT_BEARER_GRANT_TYPE, assertion });
      expect(ok.status).to.equal(200);
      expect(ok.body.token_type).to.equal("Bearer");
    });

    it("builds grants the simulator accepts with the grant client's own builder", async () => {
      const signer = await loadExampleSigner("984661185");
      const assertion = await buildGrantAssertion({ ...signer, audience: sim.issuer }, { scope: SCOPE }, { clock });
      const header = decodeProtectedHeader(assertion);
      expect(header.alg).to.equal("RS256");
      expect(header.x5c).to.have.length(2);
      const claims = decodeJwt(assertion);
      expect(claims.exp! - claims.iat!).to.equal(120);
      expect(claims.iat).to.equal(NOW_S);
      expect((await postGrant(assertion)).status).to.equal(200);
    });
  });

  it("mints tokens directly with an adjustable lifetime and the registered client id", async () => {
    const { token, claims } = await sim.issueToken({ consumer: "0192:991825827", scope: SCOPE, lifetimeSeconds: 30 });
    expect(claims.client_id).to.equal("dpi-ap-test-991825827");
    expect((claims.exp as number) - (claims.iat as number)).to.equal(30);
    expect(claims.iat).to.equal(NOW.getTime() / 1000);
    await verifier().verify(token);
  });
});
