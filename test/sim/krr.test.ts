import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { createGrantClient } from "../../src/maskinporten/grant-client.js";
import { loadDefaultSimOptions, loadExampleSigner } from "../../src/sim/maskinporten/defaults.js";
import { startMaskinportenSim, type MaskinportenSim } from "../../src/sim/maskinporten/server.js";
import { KRR_SANDBOX, KRR_SCOPES, KrrState, seedKrrSandbox, startKrrSim, type KrrSim } from "../../src/sim/krr/index.js";
import { ServiceRegistryState, seedSandboxDefaults } from "../../src/sim/service-registry/index.js";
import { CERTS } from "../helpers/certs.js";

const P = KRR_SANDBOX.persons;
const der = (orgno: string) => new X509Certificate(readFileSync(path.join(CERTS, "business", `${orgno}.pem`))).raw.toString("base64");
const BOTH = [KRR_SCOPES.kontaktinformasjon, KRR_SCOPES.digitalpost];

describe("sim/krr (the oppslagstjeneste REST API on 127.0.0.1, Maskinporten tokens from the simulator)", () => {
  let mp: MaskinportenSim;
  let krr: KrrSim;
  /** 991825827 with both KRR scopes, by a real JWT grant. */
  let token: string;

  const lookup = async (ids: unknown, bearer: string | null = token, path = "/rest/v1/personer") => {
    const res = await fetch(`${krr.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(bearer !== null ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ personidentifikatorer: ids }),
    });
    return { status: res.status, wwwAuthenticate: res.headers.get("www-authenticate"), contentType: res.headers.get("content-type"), body: await res.json() };
  };

  before(async () => {
    mp = await startMaskinportenSim(await loadDefaultSimOptions());
    krr = await startKrrSim({ maskinporten: { issuer: mp.issuer, jwksUrl: mp.jwksUrl }, state: await seedKrrSandbox() });
    const grant = createGrantClient({ ...(await loadExampleSigner("991825827")), audience: mp.issuer, tokenEndpoint: mp.tokenUrl });
    token = (await grant.getToken({ scope: BOTH })).access_token;
  });
  after(async () => {
    await krr?.close();
    await mp?.close();
  });

  it("gives a person with a postbox: the provider, the postbox address and the certificate to encrypt to", async () => {
    const r = await lookup([P.digipost]);
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.equal({
      personer: [
        {
          personidentifikator: P.digipost,
          reservasjon: "NEI",
          status: "AKTIV",
          varslingsstatus: "KAN_VARSLES",
          kontaktinformasjon: { epostadresse: "digipost-mottaker@example.com", mobiltelefonnummer: "+4799999999" },
          digital_post: { postkasseadresse: "test.testesen#1234", postkasseleverandoeradresse: "984661185" },
          sertifikat: der("984661185"),
          spraak: "nb",
        },
      ],
    });
  });

  it("gives a reserved person, a person without a postbox and an unknown person (IKKE_REGISTRERT), in the order asked", async () => {
    const r = await lookup([P.reserved, P.noPostbox, "01010112345"], token, "/rest/v2/personer");
    expect(r.status).to.equal(200);
    expect(r.body.personer).to.deep.equal([
      { personidentifikator: P.reserved, reservasjon: "JA", status: "AKTIV", varslingsstatus: "KAN_IKKE_VARSLES" },
      {
        personidentifikator: P.noPostbox,
        reservasjon: "NEI",
        status: "AKTIV",
        varslingsstatus: "KAN_VARSLES",
        kontaktinformasjon: { epostadresse: "uten-postkasse@example.com", mobiltelefonnummer: "+4798888888" },
        spraak: "nb",
      },
      { personidentifikator: "01010112345", reservasjon: "NEI", status: "IKKE_REGISTRERT", varslingsstatus: "KAN_IKKE_VARSLES" },
    ]);
  });

  it("opens only what the token's scopes allow: digitalpost.read alone gives the postbox, no contact details", async () => {
    const grant = createGrantClient({ ...(await loadExampleSigner("910076787")), audience: mp.issuer, tokenEndpoint: mp.tokenUrl });
    const digitalOnly = (await grant.getToken({ scope: KRR_SCOPES.digitalpost })).access_token;
    const r = await lookup([P.eboks], digitalOnly);
    expect(r.body.personer).to.deep.equal([
      {
        personidentifikator: P.eboks,
        reservasjon: "NEI",
        status: "AKTIV",
        digital_post: { postkasseadresse: "0201809057301", postkasseleverandoeradresse: "922020175" },
        sertifikat: der("922020175"),
      },
    ]);
    const contactOnly = (await grant.getToken({ scope: KRR_SCOPES.kontaktinformasjon })).access_token;
    expect((await lookup([P.eboks], contactOnly)).body.personer).to.deep.equal([
      {
        personidentifikator: P.eboks,
        reservasjon: "NEI",
        status: "AKTIV",
        varslingsstatus: "KAN_VARSLES",
        kontaktinformasjon: { epostadresse: "eboks-mottaker@example.com" },
        spraak: "nn",
      },
    ]);
  });

  it("refuses a token without a KRR scope (403 insufficient_scope)", async () => {
    const other = (await mp.issueToken({ consumer: "991825827", scope: "digitalpostinnbygger:send" })).token;
    const r = await lookup([P.digipost], other);
    expect([r.status, r.contentType, r.body.status]).to.deep.equal([403, "application/problem+json", 403]);
    expect(r.wwwAuthenticate).to.equal(`Bearer error="insufficient_scope", scope="${BOTH.join(" ")}"`);
  });

  it("refuses a request without a token, and a token Maskinporten did not issue (401)", async () => {
    const none = await lookup([P.digipost], null);
    expect([none.status, none.wwwAuthenticate]).to.deep.equal([401, "Bearer"]);
    const forged = (await mp.issueToken({ consumer: "991825827", scope: BOTH, issuer: "https://evil.example/" })).token;
    const bad = await lookup([P.digipost], forged);
    expect(bad.status).to.equal(401);
    expect(bad.wwwAuthenticate).to.match(/^Bearer error="invalid_token", error_description="The token is not valid: /);
    expect(krr.stats().refused).to.equal(2 + 1); // and the insufficient scope above
  });

  it("refuses a malformed lookup (400): no identifiers, more than 1000, or one that is not 11 digits", async () => {
    expect((await lookup([])).status).to.equal(400);
    expect((await lookup(Array.from({ length: 1001 }, (_, i) => String(10_000_000_000 + i)))).status).to.equal(400);
    const r = await lookup(["0911853232X"]);
    expect([r.status, r.body.detail]).to.deep.equal([400, 'Not a person identifier (11 digits): "0911853232X"']);
  });

  it("gives the print provider and its certificate (printSertifikat)", async () => {
    const res = await fetch(`${krr.url}/rest/v2/printSertifikat`, { headers: { authorization: `Bearer ${token}` } });
    expect([res.status, await res.json()]).to.deep.equal([200, { postkasseleverandoerAdresse: "974761076", x509Sertifikat: der("974761076") }]);
  });

  it("has the same persons as the Service Registry simulator's KRR entries", async () => {
    const sr = await seedSandboxDefaults(new ServiceRegistryState());
    const own = await seedKrrSandbox(new KrrState());
    for (const fnr of Object.values(P)) {
      const k = own.person(fnr)!;
      const s = sr.person(fnr)!.krr;
      expect({ ...s, digitalPost: undefined }, fnr).to.deep.equal({
        reservasjon: k.reservasjon,
        status: k.status,
        varslingsstatus: k.varslingsstatus,
        ...(k.kontaktinformasjon ? { kontaktinformasjon: k.kontaktinformasjon } : {}),
        ...(k.sertifikat ? { sertifikat: k.sertifikat } : {}),
        ...(k.spraak ? { spraak: k.spraak } : {}),
        digitalPost: undefined,
      });
      expect(s.digitalPost, fnr).to.deep.equal(k.digital_post);
    }
    expect(sr.printProvider()).to.deep.equal(own.printProvider());
  });
});
