import { expect } from "chai";
import { decodeJwt } from "jose";
import { createGrantClient, GrantRequestError } from "../../src/maskinporten/grant-client.js";
import { buildGrantAssertion } from "../../src/maskinporten/grant-assertion.js";
import { loadDefaultSimOptions, loadExampleSigner } from "../../src/sim/maskinporten/defaults.js";
import { startMaskinportenSim } from "../../src/sim/maskinporten/server.js";
import type { MaskinportenSim } from "../../src/sim/maskinporten/server.js";
import { movableClock, NOW_S, SCOPE } from "./helpers.js";

describe("maskinporten/grant-client", () => {
  const clock = movableClock();
  let sim: MaskinportenSim;
  before(async () => {
    sim = await startMaskinportenSim({ ...(await loadDefaultSimOptions()), clock });
  });
  after(async () => {
    await sim.close();
  });
  afterEach(() => clock.set(0));

  async function client(orgno: string, extra: { refreshMarginSeconds?: number } = {}) {
    return createGrantClient({ ...(await loadExampleSigner(orgno)), audience: sim.issuer, tokenEndpoint: sim.tokenUrl, clock, ...extra });
  }

  it("reuses a token until shortly before it expires, then requests a new one", async () => {
    const c = await client("991825827", { refreshMarginSeconds: 10 });
    const start = sim.stats().tokensIssued;
    const first = await c.getToken({ scope: SCOPE });
    clock.set(100);
    const cached = await c.getToken({ scope: SCOPE });
    expect(cached.access_token).to.equal(first.access_token);
    expect(cached.expires_in).to.equal(20);
    expect(sim.stats().tokensIssued - start).to.equal(1);

    clock.set(111); // 9 s left: inside the refresh margin
    const renewed = await c.getToken({ scope: SCOPE });
    expect(renewed.access_token).to.not.equal(first.access_token);
    expect(decodeJwt(renewed.access_token).iat).to.equal(NOW_S + 111);
    expect(sim.stats().tokensIssued - start).to.equal(2);
  });

  it("keeps separate tokens per scope, consumer_org and resource", async () => {
    const c = await client("810969342");
    const start = sim.stats().tokensIssued;
    const own = await c.getToken({ scope: SCOPE });
    const forOther = await c.getToken({ scope: SCOPE, consumerOrg: "910076787" });
    const restricted = await c.getToken({ scope: SCOPE, resource: "https://c2.example/" });
    expect(new Set([own.access_token, forOther.access_token, restricted.access_token]).size).to.equal(3);
    expect(sim.stats().tokensIssued - start).to.equal(3);
    expect((await c.getToken({ scope: [SCOPE], consumerOrg: "910076787" })).access_token).to.equal(forOther.access_token);
    expect(sim.stats().tokensIssued - start).to.equal(3);
  });

  it("shares one request among concurrent callers", async () => {
    const c = await client("922020175");
    const start = sim.stats().tokenRequests;
    const tokens = await Promise.all([1, 2, 3].map(() => c.getToken({ scope: SCOPE })));
    expect(new Set(tokens.map((t) => t.access_token)).size).to.equal(1);
    expect(sim.stats().tokenRequests - start).to.equal(1);
  });

  it("reports a refusal as GrantRequestError with the OAuth error and does not cache it", async () => {
    const c = await client("974761076");
    const error = await c.getToken({ scope: "not:registered" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(GrantRequestError);
    expect(error).to.include({ status: 400, oauthError: "invalid_scope", code: "maskinporten-grant-failed" });
    expect((await c.getToken({ scope: SCOPE })).scope).to.equal(SCOPE);
  });

  it("reports an unreachable token endpoint as GrantRequestError with status 0", async () => {
    const closed = await startMaskinportenSim({ ...(await loadDefaultSimOptions()), clock });
    await closed.close();
    const c = createGrantClient({ ...(await loadExampleSigner("991825827")), audience: closed.issuer, tokenEndpoint: closed.tokenUrl, clock });
    const error = await c.getToken({ scope: SCOPE }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(GrantRequestError);
    expect((error as GrantRequestError).status).to.equal(0);
  });

  it("builds grants within Maskinporten's limits", async () => {
    const signer = { ...(await loadExampleSigner("991825827")), audience: "https://test.maskinporten.no/" };
    const assertion = await buildGrantAssertion(signer, { scope: [SCOPE, "x:y"], consumerOrg: "910076787", resource: ["https://a/"] }, {
      clock,
      newJti: () => "fixed-jti",
    });
    expect(decodeJwt(assertion)).to.deep.equal({
      scope: `${SCOPE} x:y`,
      consumer_org: "910076787",
      resource: ["https://a/"],
      iss: "dpi-ap-test-991825827",
      aud: "https://test.maskinporten.no/",
      iat: NOW_S,
      exp: NOW_S + 120,
      jti: "fixed-jti",
    });
    for (const lifetimeSeconds of [0, 121]) {
      await buildGrantAssertion(signer, { scope: SCOPE }, { lifetimeSeconds }).then(
        () => expect.fail(`lifetime ${lifetimeSeconds} accepted`),
        (e: unknown) => expect(e).to.be.instanceOf(RangeError),
      );
    }
  });
});
