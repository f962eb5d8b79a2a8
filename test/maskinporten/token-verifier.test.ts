import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createPublicKey } from "node:crypto";
import { expect } from "chai";
import { SignJWT } from "jose";
import { createTokenVerifier } from "../../src/maskinporten/token-verifier.js";
import type { TokenVerifierOptions } from "../../src/maskinporten/token-verifier.js";
import {
  TokenAlgorithmNotAllowedError,
  TokenAudienceInvalidError,
  TokenConsumerMissingError,
  TokenError,
  TokenExpiredError,
  TokenInvalidError,
  TokenIssuerInvalidError,
  TokenKeysUnavailableError,
  TokenKeyUnknownError,
  TokenNotYetValidError,
  TokenPartyInvalidError,
  TokenScopeMissingError,
  TokenSignatureInvalidError,
} from "../../src/maskinporten/errors.js";
import type { MaskinportenSim } from "../../src/sim/maskinporten/server.js";
import { b64url, mintingSim, movableClock, NOW, NOW_S, rsaKey, SCOPE } from "./helpers.js";

describe("maskinporten/token-verifier (against the simulator on 127.0.0.1)", () => {
  let sim: MaskinportenSim;
  const simKey = rsaKey();
  before(async () => {
    sim = await mintingSim({ signingKey: simKey });
  });
  after(async () => {
    await sim.close();
  });

  const verifier = (options: Partial<TokenVerifierOptions> = {}) =>
    createTokenVerifier({ issuer: sim.issuer, jwksUrl: sim.jwksUrl, clock: () => NOW, ...options });

  async function rejection(promise: Promise<unknown>): Promise<TokenError> {
    try {
      await promise;
    } catch (error) {
      expect(error).to.be.instanceOf(TokenError);
      return error as TokenError;
    }
    throw new Error("expected the token to be refused");
  }

  it("accepts a simulator token and reads consumer, client and times", async () => {
    const { token } = await sim.issueToken({ consumer: "991825827", scope: SCOPE, clientId: "MOVE_IP_991825827" });
    const result = await verifier().verify(token);
    expect(result.raw).to.equal(token);
    expect(result.consumer).to.equal("0192:991825827");
    expect(result.consumerOrgno).to.equal("991825827");
    expect(result.supplier).to.equal(undefined);
    expect(result.clientId).to.equal("MOVE_IP_991825827");
    expect(result.issuedAt).to.deep.equal(NOW);
    expect(result.expiresAt).to.deep.equal(new Date(NOW.getTime() + 120_000));
    expect(result.claims.client_amr).to.equal("virksomhetssertifikat");
  });

  it("accepts a delegated token and reports the supplier", async () => {
    const { token } = await sim.issueToken({ consumer: "910076787", supplier: "810969342", scope: SCOPE });
    const result = await verifier().verify(token);
    expect(result.consumerOrgno).to.equal("910076787");
    expect(result.supplierOrgno).to.equal("810969342");
    expect(result.delegationSource).to.equal("https://tt02.altinn.no/");
  });

  describe("expiry", () => {
    it("accepts a token expired within the clock skew, refuses one expired beyond it (401 token-expired)", async () => {
      const lateButTolerated = await sim.issueToken({ consumer: "991825827", scope: SCOPE, issuedAt: new Date(NOW.getTime() - 125_000) });
      await verifier({ clockSkewSeconds: 10 }).verify(lateButTolerated.token);
      const expired = await sim.issueToken({ consumer: "991825827", scope: SCOPE, issuedAt: new Date(NOW.getTime() - 131_000) });
      const error = await rejection(verifier({ clockSkewSeconds: 10 }).verify(expired.token));
      expect(error).to.be.instanceOf(TokenExpiredError);
      expect(error.kind).to.equal("unauthenticated");
      expect(error.code).to.equal("token-expired");
    });

    it("requires exp and iat", async () => {
      for (const claim of ["exp", "iat"]) {
        const { token } = await sim.issueToken({ consumer: "991825827", scope: SCOPE, claims: { [claim]: undefined } });
        const error = await rejection(verifier().verify(token));
        expect(error, claim).to.be.instanceOf(TokenInvalidError);
      }
    });
  });

  describe("iat in the future", () => {
    it("accepts iat within the skew, refuses iat beyond it (401 token-not-yet-valid)", async () => {
      const slightlyAhead = await sim.issueToken({ consumer: "991825827", scope: SCOPE, issuedAt: new Date(NOW.getTime() + 9_000) });
      await verifier({ clockSkewSeconds: 10 }).verify(slightlyAhead.token);
      const ahead = await sim.issueToken({ consumer: "991825827", scope: SCOPE, issuedAt: new Date(NOW.getTime() + 11_000) });
      const error = await rejection(verifier({ clockSkewSeconds: 10 }).verify(ahead.token));
      expect(error).to.be.instanceOf(TokenNotYetValidError);
      expect(error.kind).to.equal("unauthenticated");
    });
  });

  describe("issuer", () => {
    it("refuses a token of another issuer signed with the right key (401 token-issuer-invalid)", async () => {
      const { token } = await sim.issueToken({ consumer: "991825827", scope: SCOPE, issuer: "https://maskinporten.no/" });
      await verifier({ issuer: "https://maskinporten.no/" }).verify(token);
      const error = await rejection(verifier().verify(token));
      expect(error).to.be.instanceOf(TokenIssuerInvalidError);
      expect(error.kind).to.equal("unauthenticated");
    });
  });

  describe("audience", () => {
    const audience = "https://c2.example/dpi";

    it("accepts the configured audience, alone or among others", async () => {
      for (const aud of [audience, ["https://other.example/", audience]]) {
        const { token } = await sim.issueToken({ consumer: "991825827", scope: SCOPE, audience: aud });
        const result = await verifier({ audience }).verify(token);
        expect(result.claims.aud).to.deep.equal(aud);
      }
    });

    it("refuses another audience and a missing one when an audience is configured (401)", async () => {
      const other = await sim.issueToken({ consumer: "991825827", scope: SCOPE, audience: "https://other.example/" });
      const none = await sim.issueToken({ consumer: "991825827", scope: SCOPE });
      for (const { token } of [other, none]) {
        const error = await rejection(verifier({ audience }).verify(token));
        expect(error).to.be.instanceOf(TokenAudienceInvalidError);
        expect(error.code).to.equal("token-audience-invalid");
        expect(error.kind).to.equal("unauthenticated");
      }
    });

    it("ignores aud when no audience is configured (real DPI tokens have none)", async () => {
      const { token } = await sim.issueToken({ consumer: "991825827", scope: SCOPE, audience: "https://other.example/" });
      await verifier().verify(token);
    });
  });

  describe("signature and algorithm", () => {
    const claims = () => ({
      scope: SCOPE,
      iss: sim.issuer,
      iat: NOW_S,
      exp: NOW_S + 120,
      consumer: { authority: "iso6523-actorid-upis", ID: "0192:991825827" },
    });
    const simKid = () => sim.jwks().keys[0]!.kid!;

    it("refuses a token signed by a foreign key under the simulator's kid (401 token-signature-invalid)", async () => {
      const foreign = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: simKid() }).sign(rsaKey());
      const error = await rejection(verifier().verify(foreign));
      expect(error).to.be.instanceOf(TokenSignatureInvalidError);
      expect(error.kind).to.equal("unauthenticated");
    });

    it("refuses a token whose kid is not published (401 token-key-unknown)", async () => {
      const { token } = await sim.issueToken({ consumer: "991825827", scope: SCOPE });
      await verifier().verify(token);
      const [, payload, signature] = token.split(".");
      const otherKid = `${b64url({ kid: "not-published", alg: "RS256" })}.${payload}.${signature}`;
      const error = await rejection(verifier().verify(otherKid));
      expect(error).to.be.instanceOf(TokenKeyUnknownError);
    });

    it("accepts RS256 but refuses HS256 keyed with the public key, alg none and PS256 (401 token-algorithm-not-allowed)", async () => {
      const rs256 = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: simKid() }).sign(simKey);
      await verifier().verify(rs256);

      const publicPem = createPublicKey(simKey).export({ type: "spki", format: "pem" }).toString();
      const hs256 = await new SignJWT(claims())
        .setProtectedHeader({ alg: "HS256", kid: simKid() })
        .sign(new TextEncoder().encode(publicPem));
      const none = `${b64url({ alg: "none", kid: simKid() })}.${b64url(claims())}.`;
      // PS256 with the simulator's own key: the signature is valid, only the algorithm is wrong.
      const ps256 = await new SignJWT(claims()).setProtectedHeader({ alg: "PS256", kid: simKid() }).sign(simKey);
      for (const [alg, token] of [["HS256", hs256], ["none", none], ["PS256", ps256]] as const) {
        const error = await rejection(verifier().verify(token));
        expect(error, alg).to.be.instanceOf(TokenAlgorithmNotAllowedError);
        expect(error.kind, alg).to.equal("unauthenticated");
        expect(error.message, alg).to.contain(alg);
      }
    });

    it("refuses what is not a compact JWS (401 token-invalid)", async () => {
      for (const token of ["", "abc", "a.b", "a.b.c.d", `${b64url({ alg: "RS256" })}.@@@.x`]) {
        const error = await rejection(verifier().verify(token));
        expect(error, token).to.be.instanceOf(TokenInvalidError);
        expect(error.kind).to.equal("unauthenticated");
      }
    });
  });

  describe("scope", () => {
    it("accepts the required scope among others; refuses a token without it (403 token-scope-missing)", async () => {
      const ok = await sim.issueToken({ consumer: "991825827", scope: ["krr:global/digitalpost.read", SCOPE] });
      expect((await verifier().verify(ok.token)).scopes).to.include(SCOPE);
      for (const scope of ["krr:global/digitalpost.read", `${SCOPE}x`, "dpi:send"]) {
        const { token } = await sim.issueToken({ consumer: "991825827", scope });
        const error = await rejection(verifier().verify(token));
        expect(error, scope).to.be.instanceOf(TokenScopeMissingError);
        expect(error.kind).to.equal("forbidden");
        expect(error.code).to.equal("token-scope-missing");
      }
    });

    it("honours a per-call required scope", async () => {
      const { token } = await sim.issueToken({ consumer: "991825827", scope: "digitalpostinnbygger:les" });
      await verifier().verify(token, { requiredScope: "digitalpostinnbygger:les" });
      await rejection(verifier().verify(token));
    });
  });

  describe("consumer", () => {
    it("refuses a token without consumer (403 token-consumer-missing) or with a malformed one (403)", async () => {
      const missing = await sim.issueToken({ consumer: "991825827", scope: SCOPE, claims: { consumer: undefined } });
      const error = await rejection(verifier().verify(missing.token));
      expect(error).to.be.instanceOf(TokenConsumerMissingError);
      expect(error.kind).to.equal("forbidden");

      const capitalised = await sim.issueToken({
        consumer: "991825827",
        scope: SCOPE,
        claims: { consumer: { Authority: "iso6523-actorid-upis", ID: "0192:991825827" } },
      });
      const malformed = await rejection(verifier().verify(capitalised.token));
      expect(malformed).to.be.instanceOf(TokenPartyInvalidError);
      expect(malformed.code).to.equal("token-consumer-invalid");
      expect(malformed.kind).to.equal("forbidden");
    });
  });

  describe("keys", () => {
    it("fetches the key set once for several tokens", async () => {
      const fresh = await mintingSim();
      try {
        const v = createTokenVerifier({ issuer: fresh.issuer, jwksUrl: fresh.jwksUrl, clock: () => NOW });
        for (let i = 0; i < 3; i++) await v.verify((await fresh.issueToken({ consumer: "991825827", scope: SCOPE })).token);
        expect(fresh.stats().jwksRequests).to.equal(1);
      } finally {
        await fresh.close();
      }
    });

    it("picks up a rotated key (new kid) once the cooldown allows a refetch, and drops a withdrawn one", async () => {
      const rotating = await mintingSim();
      try {
        const eager = createTokenVerifier({ issuer: rotating.issuer, jwksUrl: rotating.jwksUrl, clock: () => NOW, jwksCooldownMs: 0 });
        const patient = createTokenVerifier({ issuer: rotating.issuer, jwksUrl: rotating.jwksUrl, clock: () => NOW, jwksCooldownMs: 3_600_000 });
        const before = await rotating.issueToken({ consumer: "991825827", scope: SCOPE });
        await eager.verify(before.token);
        await patient.verify(before.token);

        await rotating.rotateSigningKey(rsaKey(), "test-kid-2", { retainPrevious: false });
        const after = await rotating.issueToken({ consumer: "991825827", scope: SCOPE });
        expect(after.kid).to.equal("test-kid-2");
        expect((await eager.verify(after.token)).consumerOrgno).to.equal("991825827");
        // Within the cooldown the cached set is kept, so the new kid is unknown there.
        expect(await rejection(patient.verify(after.token))).to.be.instanceOf(TokenKeyUnknownError);
        // The eager verifier now holds the new set only: the withdrawn key no longer verifies.
        expect(await rejection(eager.verify(before.token))).to.be.instanceOf(TokenKeyUnknownError);
      } finally {
        await rotating.close();
      }
    });

    it("reports an unreachable key set as 503 token-keys-unavailable, not as the client's fault", async () => {
      const broken: Server = createServer((_req, res) => {
        res.writeHead(500).end("down");
      });
      await new Promise<void>((resolve) => broken.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = broken.address() as AddressInfo;
        const { token } = await sim.issueToken({ consumer: "991825827", scope: SCOPE });
        const v = createTokenVerifier({ issuer: sim.issuer, jwksUrl: `http://127.0.0.1:${port}/jwk`, clock: () => NOW });
        const error = await rejection(v.verify(token));
        expect(error).to.be.instanceOf(TokenKeysUnavailableError);
        expect(error.kind).to.equal("unavailable");
      } finally {
        broken.closeAllConnections();
        await new Promise((resolve) => broken.close(resolve));
      }
    });
  });

  describe("tokens verified before", () => {
    it("takes a token presented again without verifying its signature again", async () => {
      const { token } = await sim.issueToken({ consumer: "991825827", scope: SCOPE });
      const v = verifier();
      const first = await v.verify(token);
      const again = await v.verify(token);
      expect(again.consumer).to.equal(first.consumer);
      expect(again.expiresAt).to.deep.equal(first.expiresAt);
      expect(v.stats()).to.deep.equal({ verified: 1, reused: 1 });
    });

    it("refuses a token verified before once it has expired (401 token-expired)", async () => {
      const clock = movableClock();
      const v = createTokenVerifier({ issuer: sim.issuer, jwksUrl: sim.jwksUrl, clock, clockSkewSeconds: 10 });
      const { token } = await sim.issueToken({ consumer: "991825827", scope: SCOPE });
      await v.verify(token);
      clock.set(125);
      await v.verify(token);
      clock.set(131);
      expect(await rejection(v.verify(token))).to.be.instanceOf(TokenExpiredError);
      expect(v.stats()).to.deep.equal({ verified: 1, reused: 1 });
    });

    it("checks the scope on every call", async () => {
      const { token } = await sim.issueToken({ consumer: "991825827", scope: SCOPE });
      const v = verifier();
      await v.verify(token);
      expect(await rejection(v.verify(token, { requiredScope: "digitalpostinnbygger:les" }))).to.be.instanceOf(TokenScopeMissingError);
    });

    it("verifies afresh, and refuses, a token whose key was replaced under the same kid", async () => {
      const replacing = await mintingSim();
      try {
        const v = createTokenVerifier({ issuer: replacing.issuer, jwksUrl: replacing.jwksUrl, clock: () => NOW, jwksCooldownMs: 0, jwksCacheMaxAgeMs: 0 });
        const { token } = await replacing.issueToken({ consumer: "991825827", scope: SCOPE });
        await v.verify(token);
        await replacing.rotateSigningKey(rsaKey(), "test-kid-1", { retainPrevious: false });
        expect(await rejection(v.verify(token))).to.be.instanceOf(TokenSignatureInvalidError);
        expect(v.stats()).to.deep.equal({ verified: 1, reused: 0 });
      } finally {
        await replacing.close();
      }
    });

    it("never keeps a token that was refused", async () => {
      const { token } = await sim.issueToken({ consumer: "991825827", scope: SCOPE });
      const [header, payload, signature] = token.split(".");
      const forged = `${header}.${payload}.${signature!.slice(0, -4)}AAAA`;
      const v = verifier();
      expect(await rejection(v.verify(forged))).to.be.instanceOf(TokenSignatureInvalidError);
      expect(await rejection(v.verify(forged))).to.be.instanceOf(TokenSignatureInvalidError);
      expect(v.stats()).to.deep.equal({ verified: 0, reused: 0 });
    });
  });

  it("refuses an invalid required scope at construction", () => {
    expect(() => createTokenVerifier({ issuer: "x", jwksUrl: "http://127.0.0.1:1/", requiredScope: "a b" })).to.throw(TypeError);
  });
});
