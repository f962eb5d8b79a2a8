import { expect } from "chai";
import { createGrantClient, GrantRequestError } from "../../src/maskinporten/grant-client.js";
import { loadDefaultSimOptions, loadExampleSigner } from "../../src/sim/maskinporten/defaults.js";
import { startMaskinportenSim, type MaskinportenSim } from "../../src/sim/maskinporten/server.js";
import {
  DELEGATIONS_ADMIN_SCOPE,
  DELEGATION_WRITE_SCOPE,
  SANDBOX_DELEGATION_SCHEMES,
  SANDBOX_DPI_RESOURCE,
  grantDelegation,
  revokeDelegation,
  startAltinnAuthorizationSim,
  type AltinnAuthorizationSim,
} from "../../src/sim/altinn-authorization/index.js";

const CONSUMER = "991825827";
const SUPPLIER = "810969342";
const NOW = new Date("2026-03-01T12:00:00Z");

describe("sim/altinn-authorization (API delegations over HTTP, Maskinporten tokens from the simulator)", () => {
  let mp: MaskinportenSim;
  let altinn: AltinnAuthorizationSim;
  const token = async (consumer: string, scope: string, extra: { supplier?: string } = {}) => (await mp.issueToken({ consumer, scope, ...extra })).token;
  const call = (consumer: string, tokenText: string, resourceId = SANDBOX_DPI_RESOURCE, supplier = SUPPLIER) =>
    grantDelegation({ url: altinn.url, token: tokenText, consumerOrg: consumer, supplierOrg: supplier, resourceId });
  const lookup = async (query: string, scope = DELEGATIONS_ADMIN_SCOPE) => {
    const res = await fetch(`${altinn.url}/accessmanagement/api/v1/maskinporten/delegations?${query}`, { headers: { authorization: `Bearer ${await token("991825827", scope)}` } });
    return { status: res.status, body: await res.json() };
  };

  before(async () => {
    mp = await startMaskinportenSim({ ...(await loadDefaultSimOptions()), clock: () => new Date() });
    altinn = await startAltinnAuthorizationSim({ maskinporten: { issuer: mp.issuer, jwksUrl: mp.jwksUrl }, schemes: SANDBOX_DELEGATION_SCHEMES, clock: () => NOW });
  });
  after(async () => {
    await altinn?.close();
    await mp?.close();
  });

  it("grants a delegation for the consumer itself, which Maskinporten's lookup then finds; revoking removes it", async () => {
    const own = await token(CONSUMER, DELEGATION_WRITE_SCOPE);
    const granted = await call(CONSUMER, own);
    expect(granted).to.deep.equal({
      status: 201,
      body: {
        from: [{ id: "urn:altinn:organizationnumber", value: CONSUMER }],
        to: [{ id: "urn:altinn:organizationnumber", value: SUPPLIER }],
        rightDelegationResults: [{ resource: [{ id: "urn:altinn:resource", value: SANDBOX_DPI_RESOURCE }], action: "ScopeAccess", status: "Delegated" }],
      },
    });
    const found = await lookup(`supplierOrg=${SUPPLIER}&consumerOrg=${CONSUMER}&scope=digitalpostinnbygger:send`);
    expect(found).to.deep.equal({
      status: 200,
      body: [
        {
          consumer_org: CONSUMER,
          supplier_org: SUPPLIER,
          delegation_scheme_Id: SANDBOX_DELEGATION_SCHEMES[0]!.schemeId,
          scopes: ["digitalpostinnbygger:send"],
          created: NOW.toISOString(),
          resourceid: SANDBOX_DPI_RESOURCE,
        },
      ],
    });
    expect((await lookup(`supplierOrg=${SUPPLIER}&consumerOrg=${CONSUMER}&scope=krr:global/digitalpost.read`)).body).to.deep.equal([]);
    expect((await revokeDelegation({ url: altinn.url, token: own, consumerOrg: CONSUMER, supplierOrg: SUPPLIER, resourceId: SANDBOX_DPI_RESOURCE })).status).to.equal(204);
    expect((await lookup(`supplierOrg=${SUPPLIER}&consumerOrg=${CONSUMER}&scope=digitalpostinnbygger:send`)).body).to.deep.equal([]);
  });

  it("lets only the consumer manage its delegations: another organisation's token, a delegated token, or no write scope is refused (403)", async () => {
    const refusals = [
      await call(CONSUMER, await token(SUPPLIER, DELEGATION_WRITE_SCOPE)),
      await call(CONSUMER, await token(CONSUMER, DELEGATION_WRITE_SCOPE, { supplier: SUPPLIER })),
      await call(CONSUMER, await token(CONSUMER, "digitalpostinnbygger:send")),
    ];
    expect(refusals.map((r) => [r.status, (r.body as { title: string }).title])).to.deep.equal([
      [403, `Only ${CONSUMER} itself may manage the delegations it offers`],
      [403, `Only ${CONSUMER} itself may manage the delegations it offers`],
      [403, `The token lacks the scope ${DELEGATION_WRITE_SCOPE}`],
    ]);
    expect(altinn.state.delegations({ consumerOrg: CONSUMER })).to.deep.equal([]);
    const noToken = await fetch(`${altinn.url}/accessmanagement/api/v1/organization/maskinportenschema/offered`, { method: "POST", headers: { "content-type": "application/json", "altinn-party-organizationnumber": CONSUMER }, body: "{}" });
    expect([noToken.status, noToken.headers.get("www-authenticate")]).to.deep.equal([401, "Bearer"]);
  });

  it("refuses the lookup without Maskinporten's admin scope (403) and a delegation of an unknown resource or to oneself (400)", async () => {
    expect((await lookup(`scope=digitalpostinnbygger:send`, DELEGATION_WRITE_SCOPE)).status).to.equal(403);
    const own = await token(CONSUMER, DELEGATION_WRITE_SCOPE);
    const unknown = await call(CONSUMER, own, "no-such-resource");
    expect([unknown.status, (unknown.body as { errors: unknown }).errors]).to.deep.equal([400, { Rights: ["The resource no-such-resource is not a delegable maskinportenschema"] }]);
    const self = await call(CONSUMER, own, SANDBOX_DPI_RESOURCE, CONSUMER);
    expect([self.status, (self.body as { errors: unknown }).errors]).to.deep.equal([400, { To: ["An organization cannot delegate to itself"] }]);
  });

  it("Maskinporten asks Altinn at token time, and answers server_error (500) when Altinn cannot be reached", async () => {
    mp.useAltinnAuthorization(altinn.url);
    try {
      const own = await token(CONSUMER, DELEGATION_WRITE_SCOPE);
      expect((await call(CONSUMER, own)).status).to.equal(201);
      const supplier = createGrantClient({ ...(await loadExampleSigner(SUPPLIER)), audience: mp.issuer, tokenEndpoint: mp.tokenUrl });
      const before = altinn.stats().lookups;
      expect((await supplier.requestToken({ scope: "digitalpostinnbygger:send", consumerOrg: CONSUMER })).token_type).to.equal("Bearer");
      expect(altinn.stats().lookups).to.equal(before + 1);
      mp.useAltinnAuthorization("http://127.0.0.1:9"); // nothing listens there
      const error = await supplier.requestToken({ scope: "digitalpostinnbygger:send", consumerOrg: CONSUMER }).then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(GrantRequestError);
      expect([(error as GrantRequestError).status, (error as GrantRequestError).oauthError]).to.deep.equal([500, "server_error"]);
    } finally {
      mp.useAltinnAuthorization(undefined);
    }
  });
});
