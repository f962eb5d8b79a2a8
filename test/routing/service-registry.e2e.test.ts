import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { CompactSign, decodeProtectedHeader } from "jose";
import type { Clock } from "../../src/clock.js";
import { createGrantClient } from "../../src/maskinporten/grant-client.js";
import { ReceiverDoesNotAcceptProcessError, createEformidlingRouter } from "../../src/routing/eformidling.js";
import { createServiceRegistryClient } from "../../src/routing/service-registry/client.js";
import type { ServiceRegistryClient, ServiceRegistryClientOptions } from "../../src/routing/service-registry/client.js";
import {
  NotFoundInServiceRegistryError,
  ServiceRegistryBadSignatureError,
  ServiceRegistryHttpError,
  ServiceRegistryIdentifierMismatchError,
  ServiceRegistryKeyUnknownError,
  ServiceRegistryTokenError,
  ServiceRegistryUnsignedResponseError,
} from "../../src/routing/service-registry/errors.js";
import type { DpeRecord, DpiRecord } from "../../src/routing/service-registry/records.js";
import { loadDefaultSimOptions, loadExampleSigner, simClientId } from "../../src/sim/maskinporten/defaults.js";
import { startMaskinportenSim } from "../../src/sim/maskinporten/server.js";
import type { MaskinportenSim } from "../../src/sim/maskinporten/server.js";
import { DOCUMENT_TYPES, PROCESSES, SR_SANDBOX, loadDefaultServiceRegistryOptions, startServiceRegistrySim } from "../../src/sim/service-registry/index.js";
import type { ServiceRegistrySim } from "../../src/sim/service-registry/index.js";
import { CERTS, businessSigner } from "../helpers/certs.js";
import { startProxy, startRotatingRegistry, startSilentServer } from "./sr-test-servers.js";
import type { ProxyTransform, TestServer } from "./sr-test-servers.js";

const S = SR_SANDBOX;
const P = PROCESSES;
const D = DOCUMENT_TYPES;
const SCOPES = ["eformidling:dpo", "eformidling:dpe", "eformidling:dpv", "eformidling:dpf", "eformidling:dpi"];
const fingerprint = (orgno: string) => new X509Certificate(readFileSync(path.join(CERTS, "business", `${orgno}.pem`))).fingerprint256;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

/** A clock the test moves. */
function manualClock(start = Date.parse("2026-03-01T10:00:00Z")): Clock & { advance(ms: number): void } {
  let now = start;
  return Object.assign(() => new Date(now), { advance: (ms: number) => void (now += ms) });
}

describe("routing/service-registry client and eFormidling routing (SR and Maskinporten simulators on 127.0.0.1)", () => {
  let mp: MaskinportenSim;
  let sr: ServiceRegistrySim;
  let token: () => Promise<string>;
  const servers: TestServer[] = [];

  before(async () => {
    mp = await startMaskinportenSim({
      ...(await loadDefaultSimOptions()),
      clients: [{ clientId: simClientId(S.ownOrg), orgno: S.ownOrg, scopes: SCOPES }],
    });
    sr = await startServiceRegistrySim(await loadDefaultServiceRegistryOptions({ issuer: mp.issuer, jwksUrl: mp.jwksUrl }));
    const grants = createGrantClient({ ...(await loadExampleSigner(S.ownOrg)), audience: mp.issuer, tokenEndpoint: mp.tokenUrl });
    token = async () => (await grants.getToken({ scope: SCOPES })).access_token;
  });
  after(async () => {
    for (const s of servers) await s.close();
    await sr?.close();
    await mp?.close();
  });
  beforeEach(() => sr.resetStats());

  const client = (o: Partial<ServiceRegistryClientOptions> = {}): ServiceRegistryClient => createServiceRegistryClient({ baseUrl: sr.url, token, ...o });

  describe("signed answers", () => {
    it("asks for JOSE, verifies the JWS against the registry's /jwk and reads the records", async () => {
      const c = client();
      const r = await c.identifierProcess(S.dpo, P.arkivmeldingAdministrasjon, { securityLevel: 3, conversationId: "c-1" });
      expect(sr.stats()).to.include({ processRequests: 1, signedAnswers: 1, jwkRequests: 1, unauthorized: 0 });
      expect(r.infoRecord!.organizationName).to.equal("DPI-AP TEST BEHANDLINGSANSVARLIG");
      expect(r.serviceRecords).to.have.length(1);
      const dpo = r.serviceRecords[0]!;
      expect(dpo.serviceIdentifier).to.equal("DPO");
      expect(dpo.certificate!.fingerprint256).to.equal(fingerprint(S.dpo));
      expect((await c.jwks()).keys.map((k) => k.kid)).to.deep.equal([sr.kid]);
      expect(c.stats()).to.deep.include({ requests: 2, jwksFetches: 1 });
    });

    it("keeps the answer as it arrived (the compact JWS) with its hash, under the URL without the conversation id; a route carries it", async () => {
      const clock = manualClock();
      const c = client({ clock });
      const r = await c.identifierProcess(S.dpo, P.arkivmeldingAdministrasjon, { securityLevel: 3, conversationId: "c-1" });
      const a = r.answer!;
      const jws = Buffer.from(a.body).toString("utf8");
      expect([a.url, a.mediaType, a.fetchedAt.toISOString(), a.sha256]).to.deep.equal([
        `${sr.url}/identifier/${S.dpo}/process/${P.arkivmeldingAdministrasjon}?securityLevel=3`,
        "application/jose",
        "2026-03-01T10:00:00.000Z",
        createHash("sha256").update(a.body).digest("hex"),
      ]);
      expect(jws).to.match(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const payload = JSON.parse(Buffer.from(jws.split(".")[1]!, "base64url").toString("utf8")) as { serviceRecords: { service: { identifier: string } }[] };
      expect(payload.serviceRecords.map((x) => x.service.identifier)).to.deep.equal(["DPO"]);
      // A later lookup from the cache is the same answer; the router hands it on as the route's record.
      const route = await createEformidlingRouter({ registry: c }).route({ receiver: `0192:${S.dpo}`, process: P.arkivmeldingAdministrasjon, documentType: "arkivmelding", standard: r.serviceRecords[0]!.documentTypes[0], securityLevel: 3, conversationId: "c-2" });
      expect(sr.stats().processRequests).to.equal(1);
      expect(route.record).to.deep.equal({ kind: "service-registry", sourceUrl: a.url, fetchedAt: a.fetchedAt, mediaType: "application/jose", body: a.body, sha256: a.sha256 });
      // Unsigned, the JSON as it came.
      const plain = (await client({ requireSignature: false }).identifierProcess(S.dpo, P.arkivmeldingAdministrasjon)).answer!;
      expect(plain.mediaType).to.equal("application/json");
      expect((JSON.parse(Buffer.from(plain.body).toString("utf8")) as { serviceRecords: unknown[] }).serviceRecords).to.have.length(1);
    });

    it("info, VirkSert certificate and SAS key come signed too; the key set is fetched once", async () => {
      const c = client();
      expect((await c.info(S.dpf)).entityType).to.deep.equal({ name: "KOMM", acronym: null });
      expect((await c.virksert(S.dpo)).certificate.fingerprint256).to.equal(fingerprint(S.dpo));
      expect(await c.sasToken()).to.equal("sandbox-dpe-sas-key");
      expect(await c.sasToken()).to.equal("sandbox-dpe-sas-key");
      expect(sr.stats()).to.include({ infoRequests: 1, virksertRequests: 1, sasTokenRequests: 1, signedAnswers: 3, jwkRequests: 1 });
    });

    it("without signing (IP sign.enable=false) reads plain JSON and text", async () => {
      const c = client({ requireSignature: false });
      const r = await c.identifier(S.dpe);
      // Twelve arkivmelding processes over DPV (no SMP registration for them, no SvarUt), then its einnsyn ones.
      expect(r.serviceRecords).to.have.length(15);
      expect(r.serviceRecords.filter((x) => x.serviceIdentifier === "DPV")).to.have.length(12);
      expect(r.serviceRecords.slice(12).map((x) => `${x.process} ${x.serviceIdentifier}`)).to.deep.equal([
        `${P.innsynskrav} DPE`,
        `${P.journalpost} DPE`,
        `${P.einnsynResponse} DPE`,
      ]);
      expect((await c.virksert(S.dpe)).certificate.fingerprint256).to.equal(fingerprint(S.dpe));
      expect(sr.stats()).to.include({ signedAnswers: 0, jwkRequests: 0 });
    });
  });

  describe("caching", () => {
    it("a second lookup with the same parameters sends no request, whatever its conversation id; the TTL ends it", async () => {
      const clock = manualClock();
      const c = client({ clock, cacheTtlMs: 60_000 });
      const first = await c.identifierProcess(S.dpv, P.arkivmeldingAdministrasjon, { securityLevel: 3, conversationId: "c-1" });
      const second = await c.identifierProcess(S.dpv, P.arkivmeldingAdministrasjon, { securityLevel: 3, conversationId: "c-2" });
      expect(second).to.equal(first);
      expect(sr.stats().processRequests).to.equal(1);
      expect(c.stats().lookups).to.include({ hits: 1, misses: 1, size: 1 });

      await c.identifierProcess(S.dpv, P.arkivmeldingAdministrasjon, { securityLevel: 4 }).catch(() => undefined);
      await c.identifierProcess(S.dpv, P.arkivmeldingAdministrasjon, { securityLevel: 3, print: false });
      expect(sr.stats().processRequests).to.equal(3);

      clock.advance(59_999);
      await c.identifierProcess(S.dpv, P.arkivmeldingAdministrasjon, { securityLevel: 3 });
      expect(sr.stats().processRequests).to.equal(3);
      clock.advance(1);
      await c.identifierProcess(S.dpv, P.arkivmeldingAdministrasjon, { securityLevel: 3 });
      expect(sr.stats().processRequests).to.equal(4);
      c.invalidate();
      await c.identifierProcess(S.dpv, P.arkivmeldingAdministrasjon, { securityLevel: 3 });
      expect(sr.stats().processRequests).to.equal(5);
    });

    it("concurrent lookups share one request; failures are not cached", async () => {
      const c = client();
      await Promise.all([c.identifier(S.dpo), c.identifier(S.dpo), c.identifier(S.dpo)]);
      expect(sr.stats().identifierRequests).to.equal(1);
      expect(c.stats().lookups).to.include({ misses: 1, shared: 2 });
      await rejection(c.identifier("999999999"));
      await rejection(c.identifier("999999999"));
      expect(sr.stats().identifierRequests).to.equal(3);
    });
  });

  describe("failures", () => {
    it("404: NotFoundInServiceRegistry with the IP's message and the registry's description", async () => {
      const e = (await rejection(client().identifierProcess("999999999", P.arkivmeldingAdministrasjon, { conversationId: "c-9" }))) as NotFoundInServiceRegistryError;
      expect(e).to.be.instanceOf(NotFoundInServiceRegistryError);
      expect(e.code).to.equal("service-registry-not-found");
      expect(e.kind).to.equal("not-found");
      expect(e.message).to.equal(
        `Service record not found for parameters: SRParameter(identifier=999999999, process=${P.arkivmeldingAdministrasjon}, securityLevel=null, print=null, infoOnly=false, conversationId=c-9)`,
      );
      expect(e.srDescription).to.equal("Entity with identifier '999999999' not found.");
      const info = (await rejection(client().info("999999999"))) as NotFoundInServiceRegistryError;
      expect(info.code).to.equal("service-registry-not-found");
      expect(info.srDescription).to.equal(undefined);
    });

    it("a token the registry refuses: an HTTP failure (401, upstream); a failing token provider: service-registry-token-unavailable", async () => {
      const refused = (await rejection(client({ token: async () => "not.a.token" }).identifier(S.dpo))) as ServiceRegistryHttpError;
      expect(refused).to.be.instanceOf(ServiceRegistryHttpError);
      expect(refused).to.include({ code: "service-registry-http-failure", kind: "upstream", failure: "status", httpStatus: 401 });
      const none = (await rejection(
        client({
          token: async () => {
            throw new Error("Maskinporten is down");
          },
        }).identifier(S.dpo),
      )) as ServiceRegistryTokenError;
      expect(none).to.be.instanceOf(ServiceRegistryTokenError);
      expect(none).to.include({ code: "service-registry-token-unavailable", kind: "unavailable", message: "No access token for the Service Registry: Maskinporten is down" });
    });

    it("a registry that does not answer in time: a timeout (unavailable)", async () => {
      const silent = await startSilentServer();
      servers.push(silent);
      const e = (await rejection(createServiceRegistryClient({ baseUrl: silent.url, token, timeoutMs: 300 }).identifier(S.dpo))) as ServiceRegistryHttpError;
      expect(e).to.include({ code: "service-registry-http-failure", kind: "unavailable", failure: "timeout" });
      expect(e.message).to.equal(`GET ${silent.url}/identifier/${S.dpo} timed out after 300 ms`);
    });

    it("a registry that cannot be reached: a network failure (unavailable)", async () => {
      const silent = await startSilentServer();
      const url = silent.url;
      await silent.close();
      const e = (await rejection(createServiceRegistryClient({ baseUrl: url, token }).identifier(S.dpo))) as ServiceRegistryHttpError;
      expect(e).to.include({ code: "service-registry-http-failure", kind: "unavailable", failure: "network" });
    });
  });

  describe("answers that must not be trusted (a proxy between client and registry)", () => {
    let mode: ProxyTransform;
    let proxy: TestServer;
    before(async () => {
      proxy = await startProxy(sr.url, () => mode);
      servers.push(proxy);
    });
    const through = () => createServiceRegistryClient({ baseUrl: proxy.url, token });
    const passThrough: ProxyTransform = (_req, upstream) => upstream();

    it("passes an untouched answer (the proxy itself is honest)", async () => {
      mode = passThrough;
      expect((await through().identifierProcess(S.dpo, P.arkivmeldingAdministrasjon)).serviceRecords[0]!.serviceIdentifier).to.equal("DPO");
    });

    it("a changed payload under the registry's signature: bad signature", async () => {
      mode = async (req, upstream) => {
        const answer = await upstream();
        if (!req.path.includes("/identifier/")) return answer;
        const [header, payload, signature] = answer.body.split(".");
        const json = Buffer.from(payload!, "base64url").toString("utf8").replace("https://tt02.altinn.no", "https://evil.example");
        return { ...answer, body: `${header}.${Buffer.from(json).toString("base64url")}.${signature}` };
      };
      const e = await rejection(through().identifierProcess(S.dpo, P.arkivmeldingAdministrasjon));
      expect(e).to.be.instanceOf(ServiceRegistryBadSignatureError);
      expect(e).to.include({ code: "service-registry-bad-signature", kind: "upstream", message: "The JWS signature does not verify with the Service Registry's key" });
    });

    it("a payload signed by another key under the registry's kid: bad signature", async () => {
      const forger = businessSigner(S.dpo);
      mode = async (req, upstream) => {
        const answer = await upstream();
        if (!req.path.includes("/identifier/")) return answer;
        const payload = Buffer.from(answer.body.split(".")[1]!, "base64url");
        const forged = await new CompactSign(payload).setProtectedHeader({ alg: "RS256", kid: sr.kid }).sign(forger.privateKey);
        expect(decodeProtectedHeader(forged).kid).to.equal(sr.kid);
        return { ...answer, body: forged };
      };
      expect(await rejection(through().identifierProcess(S.dpo, P.arkivmeldingAdministrasjon))).to.be.instanceOf(ServiceRegistryBadSignatureError);
    });

    it("a downgrade to plain JSON (Accept rewritten): refused as unsigned", async () => {
      mode = async (req, upstream) => (req.path.includes("/identifier/") ? upstream({ accept: "application/json" }) : upstream());
      const e = await rejection(through().identifierProcess(S.dpo, P.arkivmeldingAdministrasjon));
      expect(e).to.be.instanceOf(ServiceRegistryUnsignedResponseError);
      expect(e).to.include({ code: "service-registry-response-unsigned", kind: "upstream" });
      expect(e.message).to.equal(`GET ${proxy.url}/identifier/${S.dpo}/process/${P.arkivmeldingAdministrasjon} answered application/json, not a signed application/jose answer`);
    });

    it("JSON labelled as JOSE: refused as unsigned", async () => {
      mode = async (req, upstream) => {
        const answer = await upstream({ accept: "application/json" });
        return req.path.includes("/identifier/") ? { ...answer, contentType: "application/jose" } : answer;
      };
      const e = await rejection(through().identifierProcess(S.dpo, P.arkivmeldingAdministrasjon));
      expect(e).to.be.instanceOf(ServiceRegistryUnsignedResponseError);
      expect(e.message).to.equal("The Service Registry's answer is not a compact JWS");
    });

    it("an unsigned JWS (alg none): bad signature", async () => {
      mode = async (req, upstream) => {
        const answer = await upstream();
        if (!req.path.includes("/identifier/")) return answer;
        const header = Buffer.from(JSON.stringify({ alg: "none", kid: sr.kid })).toString("base64url");
        return { ...answer, body: `${header}.${answer.body.split(".")[1]}.AAAA` };
      };
      const e = await rejection(through().identifierProcess(S.dpo, P.arkivmeldingAdministrasjon));
      expect(e).to.be.instanceOf(ServiceRegistryBadSignatureError);
      expect(e.message).to.equal('The JWS is signed with "none"; only RS256 is accepted');
    });

    it("a genuine signed answer about another organisation (replayed): identifier mismatch", async () => {
      mode = async (req, upstream) => {
        if (!req.path.includes(`/identifier/${S.dpv}/`)) return upstream();
        const other = await fetch(`${new URL(sr.url).origin}${req.path.replace(`/identifier/${S.dpv}/`, `/identifier/${S.dpo}/`)}`, {
          headers: { accept: req.accept, authorization: `Bearer ${await token()}` },
        });
        return { status: other.status, contentType: other.headers.get("content-type") ?? "", body: await other.text() };
      };
      const e = await rejection(through().identifierProcess(S.dpv, P.arkivmeldingAdministrasjon));
      expect(e).to.be.instanceOf(ServiceRegistryIdentifierMismatchError);
      expect(e).to.include({ code: "service-registry-identifier-mismatch", message: `Asked the Service Registry about ${S.dpv}; a record is about "${S.dpo}"` });
    });

    it("a 500 from the registry: an HTTP failure worth retrying", async () => {
      mode = async () => ({ status: 503, contentType: "application/json", body: '{"error_code":"","error_description":"down for maintenance"}' });
      const e = (await rejection(through().identifier(S.dpo))) as ServiceRegistryHttpError;
      expect(e).to.include({ code: "service-registry-http-failure", kind: "unavailable", httpStatus: 503, srDescription: "down for maintenance" });
    });
  });

  describe("key rotation", () => {
    it("an unknown kid fetches the key set once more (not more often than the cooldown)", async () => {
      const registry = await startRotatingRegistry(S.ownOrg);
      servers.push(registry);
      const clock = manualClock();
      const c = createServiceRegistryClient({ baseUrl: registry.url, token, clock, jwksRefetchCooldownMs: 10_000 });

      expect((await c.info("910000001")).organizationName).to.equal("Org 910000001");
      expect(registry.jwkRequests()).to.equal(1);

      await registry.rotate(S.dpo);
      clock.advance(10_000);
      expect((await c.info("910000002")).organizationName).to.equal("Org 910000002");
      expect(registry.jwkRequests()).to.equal(2);

      await registry.rotate(S.dpe);
      const e = (await rejection(c.info("910000003"))) as ServiceRegistryKeyUnknownError;
      expect(e).to.be.instanceOf(ServiceRegistryKeyUnknownError);
      expect(e).to.include({ code: "service-registry-signing-key-unknown", kind: "upstream" });
      expect(e.kid).to.equal(decodeProtectedHeader((await fetchJws(registry.url, "910000003"))).kid);
      expect(registry.jwkRequests()).to.equal(2);

      clock.advance(9_999);
      await rejection(c.info("910000003"));
      expect(registry.jwkRequests()).to.equal(2);
      clock.advance(1);
      expect((await c.info("910000003")).organizationName).to.equal("Org 910000003");
      expect(registry.jwkRequests()).to.equal(3);
    });

    it("a kid still unknown after the refetch is refused", async () => {
      const registry = await startRotatingRegistry(S.ownOrg);
      servers.push(registry);
      const clock = manualClock();
      const c = createServiceRegistryClient({ baseUrl: registry.url, token, clock, jwksRefetchCooldownMs: 0 });
      await c.info("910000001");
      await registry.rotate(S.dpo, [S.ownOrg]);
      expect(await rejection(c.info("910000002"))).to.be.instanceOf(ServiceRegistryKeyUnknownError);
      expect(registry.jwkRequests()).to.equal(2);
    });
  });

  describe("eFormidling routing of the sandbox parties", () => {
    const router = () => createEformidlingRouter({ registry: client() });
    const route = (receiver: string, process: string, standard: string, securityLevel?: number) =>
      router().route({ receiver, process, documentType: standard.slice(standard.lastIndexOf("::") + 2), standard, securityLevel, conversationId: "c-route" });

    it(`DPO: ${S.dpo} with its VirkSert certificate`, async () => {
      const r = await route(`0192:${S.dpo}`, P.arkivmeldingAdministrasjon, D.arkivmelding, 3);
      expect(r.channel).to.equal("DPO");
      expect(r.endpoint.certificate!.fingerprint256).to.equal(fingerprint(S.dpo));
      expect(r.endpoint.service.resource).to.equal("eformidling-dpo-meldingsutveksling");
      const avtalt = await route(S.dpo, P.avtalt, D.avtalt);
      expect(avtalt.channel).to.equal("DPO");
    });

    it(`DPE: ${S.dpe} with the queue suffix of each einnsyn process`, async () => {
      const innsyn = await route(S.dpe, P.innsynskrav, D.innsynskrav);
      expect(innsyn.channel).to.equal("DPE");
      expect((innsyn.endpoint as DpeRecord).queueSuffix).to.equal("innsyn");
      expect(innsyn.endpoint.certificate!.fingerprint256).to.equal(fingerprint(S.dpe));
      expect(((await route(S.dpe, P.journalpost, D.publisering)).endpoint as DpeRecord).queueSuffix).to.equal("data");
    });

    it(`DPF: ${S.dpf} at the level asked or its highest, with SvarUt's certificate`, async () => {
      const highest = await route(S.dpf, P.arkivmeldingAdministrasjon, D.arkivmelding);
      expect(highest.channel).to.equal("DPF");
      expect(highest.endpoint.service.securityLevel).to.equal(4);
      expect(highest.endpoint.certificate!.fingerprint256).to.equal(fingerprint(S.svarUtStandIn));
      expect((await route(S.dpf, P.arkivmeldingAdministrasjon, D.arkivmelding, 3)).endpoint.service.securityLevel).to.equal(3);
      const level3 = await route(S.dpfLevel3, P.arkivmeldingAdministrasjon, D.arkivmelding, 3);
      expect(level3.channel).to.equal("DPF");
      expect(level3.endpoint.service.securityLevel).to.equal(3);
    });

    it(`DPF refused at level 4 (${S.dpfLevel3}): ReceiverDoesNotAcceptProcess carrying the registry's reason`, async () => {
      const e = (await rejection(route(S.dpfLevel3, P.arkivmeldingAdministrasjon, D.arkivmelding, 4))) as ReceiverDoesNotAcceptProcessError;
      expect(e).to.be.instanceOf(ReceiverDoesNotAcceptProcessError);
      expect(e.message).to.equal(`Receiver do not accept the document process ${P.arkivmeldingAdministrasjon}`);
      expect(e.description).to.equal(
        `Caught exception when looking up service record with parameter SRParameter(identifier=${S.dpfLevel3}, process=${P.arkivmeldingAdministrasjon}, ` +
          `securityLevel=4, print=null, infoOnly=false, conversationId=c-route), http status 400 BAD_REQUEST (Bad Request): ` +
          `Organization 'OrganizationInfo(identifier=${S.dpfLevel3}, organizationName=DPI-AP TEST DPF-MOTTAKER NIVÅ 3, organizationType=OrganizationType(name=KOMM), ` +
          `postadresse=Postadresse(adresse=Rådhuset, postnummer=7004, poststed=TRONDHEIM, land=Norge))' can not receive messages with security level '4'`,
      );
    });

    it(`DPV: ${S.dpv} with the process's Altinn resource; a process it has no record for is not accepted`, async () => {
      const r = await route(S.dpv, P.arkivmeldingTaushetsbelagt, D.arkivmelding);
      expect(r.channel).to.equal("DPV");
      expect(r.endpoint.service.resource).to.equal("eformidling-dpv-taushetsbelagt");
      const e = (await rejection(route(S.dpv, P.avtalt, D.avtalt))) as ReceiverDoesNotAcceptProcessError;
      expect(e).to.be.instanceOf(ReceiverDoesNotAcceptProcessError);
      expect(e.description).to.equal(
        `Service record not found for parameters: SRParameter(identifier=${S.dpv}, process=${P.avtalt}, securityLevel=null, print=null, infoOnly=false, conversationId=c-route)`,
      );
    });

    it("DPI: a person with a Digipost postbox gets the postbox, its provider's certificate and the notification data", async () => {
      const r = await route(S.persons.digipost, P.digitalpostInfo, D.digital);
      expect(r.channel).to.equal("DPI");
      const dpi = r.endpoint as DpiRecord;
      expect(dpi).to.deep.include({
        organisationNumber: S.persons.digipost,
        orgnrPostkasse: S.postboxProviders.digipost,
        postkasseAdresse: "test.testesen#1234",
        epostAdresse: "digipost-mottaker@example.com",
        mobilnummer: "+4799999999",
        kanVarsles: true,
        fysiskPost: false,
        postAddress: null,
        returnAddress: null,
        spraak: "nb",
      });
      expect(dpi.certificate.fingerprint256).to.equal(fingerprint(S.postboxProviders.digipost));
    });

    it("a person without a postbox: print through the print provider with both addresses, digital_dpv over DPV, no digital", async () => {
      const print = await route(S.persons.noPostbox, P.digitalpostVedtak, D.print);
      expect(print.channel).to.equal("DPI");
      const p = print.endpoint as DpiRecord;
      expect(p).to.deep.include({
        orgnrPostkasse: S.printProvider,
        postkasseAdresse: null,
        fysiskPost: true,
        postAddress: { name: "Test Testesen", street: "Testveien 1", postalCode: "0150", postalArea: "OSLO", country: "NO" },
        returnAddress: { name: "DPI-AP TEST AVSENDER (DIGDIR)", street: "Postboks 1382 Vika", postalCode: "0114", postalArea: "OSLO", country: "Norge" },
      });
      expect(p.certificate.fingerprint256).to.equal(fingerprint(S.printProvider));
      expect((await route(S.persons.noPostbox, P.digitalpostInfo, D.digitalDpv)).channel).to.equal("DPV");
      const e = (await rejection(route(S.persons.noPostbox, P.digitalpostInfo, D.digital))) as ReceiverDoesNotAcceptProcessError;
      expect(e.description).to.equal(
        `Error looking up service record with document type '${D.digital}' and parameters: SRParameter(identifier=${S.persons.noPostbox}, ` +
          `process=${P.digitalpostInfo}, securityLevel=null, print=null, infoOnly=false, conversationId=c-route)`,
      );
    });
  });
});

async function fetchJws(base: string, id: string): Promise<string> {
  return (await fetch(`${base}/identifier/${id}`)).text();
}
