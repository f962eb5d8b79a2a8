import { X509Certificate } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from "jose";
import type { JSONWebKeySet } from "jose";
import { createGrantClient } from "../../src/maskinporten/grant-client.js";
import { DPI_SEND_SCOPE } from "../../src/maskinporten/token.js";
import { loadDefaultSimOptions, loadExampleSigner, simClientId } from "../../src/sim/maskinporten/defaults.js";
import { startMaskinportenSim } from "../../src/sim/maskinporten/server.js";
import type { MaskinportenSim } from "../../src/sim/maskinporten/server.js";
import {
  DOCUMENT_TYPES,
  PROCESSES,
  SR_SANDBOX,
  ServiceRegistryState,
  arkivmeldingProcess,
  loadDefaultServiceRegistryOptions,
  startServiceRegistrySim,
} from "../../src/sim/service-registry/index.js";
import type { EntityJson, ServiceRegistrySim } from "../../src/sim/service-registry/index.js";
import { CERTS, VECTORS } from "../helpers/certs.js";

const SR_VECTORS = path.join(VECTORS, "eformidling/sr");
const ALL_SCOPES = ["eformidling:dpo", "eformidling:dpe", "eformidling:dpv", "eformidling:dpf", "eformidling:dpi"];
const pem = (orgno: string) => readFileSync(path.join(CERTS, "business", `${orgno}.pem`), "utf8");
const fingerprint = (text: string) => new X509Certificate(text).fingerprint256;
const S = SR_SANDBOX;
const P = PROCESSES;

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

describe("sim/service-registry (HTTP on 127.0.0.1, Maskinporten tokens from the simulator)", () => {
  let mp: MaskinportenSim;
  let sr: ServiceRegistrySim;
  /** 991825827 (the sandbox's own organisation) with every eFormidling scope, by a real JWT grant. */
  let token: string;
  /** 810969342 with only eformidling:dpo. */
  let dpoOnly: string;

  before(async () => {
    mp = await startMaskinportenSim({
      ...(await loadDefaultSimOptions()),
      clients: [
        { clientId: simClientId(S.ownOrg), orgno: S.ownOrg, scopes: [...ALL_SCOPES, DPI_SEND_SCOPE] },
        { clientId: simClientId(S.dpe), orgno: S.dpe, scopes: ["eformidling:dpo"] },
      ],
    });
    sr = await startServiceRegistrySim(await loadDefaultServiceRegistryOptions({ issuer: mp.issuer, jwksUrl: mp.jwksUrl }));
    const grant = async (orgno: string, scope: string[]) =>
      (await createGrantClient({ ...(await loadExampleSigner(orgno)), audience: mp.issuer, tokenEndpoint: mp.tokenUrl }).getToken({ scope })).access_token;
    token = await grant(S.ownOrg, ALL_SCOPES);
    dpoOnly = await grant(S.dpe, ["eformidling:dpo"]);
  });
  after(async () => {
    await sr?.close();
    await mp?.close();
  });

  async function get(pathAndQuery: string, o: { token?: string | null; accept?: string; base?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { accept: o.accept ?? "application/json" };
    const bearer = o.token === undefined ? token : o.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    const response = await fetch(`${o.base ?? sr.url}${pathAndQuery}`, { headers });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  async function entity(pathAndQuery: string, o: { token?: string; base?: string } = {}): Promise<EntityJson> {
    const reply = await get(pathAndQuery, o);
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.headers.get("content-type")).to.equal("application/json");
    return JSON.parse(reply.text) as EntityJson;
  }

  const processPath = (id: string, process: string, query = "") => `/identifier/${id}/process/${process}${query}`;
  const summary = (e: EntityJson) => e.serviceRecords.map((r) => `${r.process} ${r.service.identifier}`);

  function expectError(reply: Reply, status: number, description: string): void {
    expect(reply.status, reply.text).to.equal(status);
    expect(reply.headers.get("content-type")).to.equal("application/json");
    expect(JSON.parse(reply.text)).to.deep.equal({ error_code: "", error_description: description });
  }

  describe("routing rules over HTTP", () => {
    it("DPO: the process is registered in SMP, at any security level", async () => {
      for (const query of ["", "?securityLevel=3", "?securityLevel=4&conversationId=c-1"]) {
        const reply = await get(processPath(S.dpo, P.arkivmeldingAdministrasjon, query));
        expect(reply.status).to.equal(200);
        expect(reply.headers.get("content-disposition")).to.equal("inline;filename=f.txt");
        const e = JSON.parse(reply.text) as EntityJson;
        expect(e.infoRecord).to.deep.equal({
          identifier: S.dpo,
          organizationName: "DPI-AP TEST BEHANDLINGSANSVARLIG",
          postadresse: { adresse: "Testgata 2", postnummer: "0150", poststed: "OSLO", land: "Norge" },
          entityType: { name: "ORGL" },
        });
        expect(e.serviceRecords).to.have.length(1);
        const { pemCertificate, ...rest } = e.serviceRecords[0]!;
        expect(rest).to.deep.equal({
          organisationNumber: S.dpo,
          process: P.arkivmeldingAdministrasjon,
          documentTypes: [DOCUMENT_TYPES.arkivmelding],
          service: {
            identifier: "DPO",
            endpointUrl: "https://tt02.altinn.no",
            serviceCode: "4192",
            serviceEditionCode: "270815",
            securityLevel: null,
            resource: "eformidling-dpo-meldingsutveksling",
          },
        });
        expect(fingerprint(pemCertificate!)).to.equal(fingerprint(pem(S.dpo)));
      }
    });

    it("DPV when SMP has the document type for another process only; nothing (404) at level 4", async () => {
      const plan = arkivmeldingProcess("planByggOgGeodata");
      const e = await entity(processPath(S.dpo, plan));
      expect(summary(e)).to.deep.equal([`${plan} DPV`]);
      expectError(await get(processPath(S.dpo, plan, "?securityLevel=4")), 404, `Process ${plan} not found for receiver ${S.dpo}`);
    });

    it("DPF when SvarUt has a mottakersystem: the highest level, or the requested one; SvarUt's certificate", async () => {
      const highest = await entity(processPath(S.dpf, P.arkivmeldingAdministrasjon));
      expect(highest.serviceRecords[0]!.service).to.deep.equal({
        identifier: "DPF",
        endpointUrl: "https://test.svarut.ks.no/tjenester/forsendelseservice/ForsendelsesServiceV6",
        serviceCode: null,
        serviceEditionCode: null,
        securityLevel: 4,
        resource: null,
      });
      expect(highest.serviceRecords[0]!.pemCertificate).to.equal(pem(S.svarUtStandIn));
      const level3 = await entity(processPath(S.dpf, P.arkivmeldingAdministrasjon, "?securityLevel=3"));
      expect(level3.serviceRecords[0]!.service.securityLevel).to.equal(3);
    });

    it("security level 4 that SvarUt cannot meet, and DPV at level 4: 400 with the SR's message", async () => {
      expectError(
        await get(processPath(S.dpfLevel3, P.arkivmeldingAdministrasjon, "?securityLevel=4")),
        400,
        `Organization 'OrganizationInfo(identifier=${S.dpfLevel3}, organizationName=DPI-AP TEST DPF-MOTTAKER NIVÅ 3, organizationType=OrganizationType(name=KOMM), ` +
          `postadresse=Postadresse(adresse=Rådhuset, postnummer=7004, poststed=TRONDHEIM, land=Norge))' can not receive messages with security level '4'`,
      );
      const dpv4 = await get(processPath(S.dpv, P.arkivmeldingAdministrasjon, "?securityLevel=4"));
      expect(dpv4.status).to.equal(400);
      expect(JSON.parse(dpv4.text).error_description).to.match(/^Organization 'OrganizationInfo\(identifier=910075946, .*' can not receive messages with security level '4'$/);
      // /identifier/{id} builds every arkivmelding record, so one refusal refuses the whole answer
      expect((await get(`/identifier/${S.dpv}?securityLevel=4`)).status).to.equal(400);
    });

    it("DPV fallback: neither SMP nor SvarUt; the process's Altinn resource", async () => {
      const admin = await entity(processPath(S.dpv, P.arkivmeldingAdministrasjon, "?securityLevel=3"));
      expect(admin.serviceRecords).to.deep.equal([
        {
          organisationNumber: S.dpv,
          pemCertificate: null,
          process: P.arkivmeldingAdministrasjon,
          documentTypes: [DOCUMENT_TYPES.arkivmelding],
          service: {
            identifier: "DPV",
            endpointUrl: "https://tt02.altinn.no/ServiceEngineExternal/CorrespondenceAgencyExternal.svc",
            serviceCode: "4255",
            serviceEditionCode: "10",
            securityLevel: null,
            resource: "eformidling-dpv-administrasjon",
          },
        },
      ]);
      const secret = await entity(processPath(S.dpv, P.arkivmeldingTaushetsbelagt));
      expect(secret.serviceRecords[0]!.service.resource).to.equal("eformidling-dpv-taushetsbelagt");
    });

    it("DPE only for registered einnsyn processes, with the queue suffix as endpointUrl", async () => {
      const krav = await entity(processPath(S.dpe, P.innsynskrav));
      expect(krav.serviceRecords[0]!.service).to.deep.equal({
        identifier: "DPE",
        endpointUrl: "innsyn",
        serviceCode: null,
        serviceEditionCode: null,
        securityLevel: null,
        resource: null,
      });
      expect(fingerprint(krav.serviceRecords[0]!.pemCertificate!)).to.equal(fingerprint(pem(S.dpe)));
      expect((await entity(processPath(S.dpe, P.journalpost))).serviceRecords[0]!.service.endpointUrl).to.equal("data");
      expectError(await get(processPath(S.dpe, P.meeting)), 404, `Process ${P.meeting} not found for receiver ${S.dpe}`);
      expectError(await get(processPath(S.dpv, P.innsynskrav)), 404, `Process ${P.innsynskrav} not found for receiver ${S.dpv}`);
    });

    it("avtalt → DPO only when registered", async () => {
      expect(summary(await entity(processPath(S.dpo, P.avtalt)))).to.deep.equal([`${P.avtalt} DPO`]);
      expectError(await get(processPath(S.dpf, P.avtalt)), 404, `Process ${P.avtalt} not found for receiver ${S.dpf}`);
    });

    it("GET /identifier/{orgnr} lists every record the organisation can receive", async () => {
      const own = await entity(`/identifier/${S.ownOrg}`);
      const others = [
        "planByggOgGeodata", "helseSosialOgOmsorg", "oppvekstOgUtdanning", "kulturIdrettOgFritid", "trafikkReiserOgSamferdsel",
        "naturOgMiljoe", "naeringsutvikling", "skatterOgAvgifter", "tekniskeTjenester", "taushetsbelagt",
      ] as const;
      expect(summary(own)).to.deep.equal([
        `${P.arkivmeldingAdministrasjon} DPO`,
        ...others.map((area) => `${arkivmeldingProcess(area)} DPV`),
        `${P.arkivmeldingResponse} DPO`,
        `${P.einnsynResponse} DPE`,
        `${P.avtaltResponse} DPO`,
      ]);
      expect(own.serviceRecords.find((r) => r.process === P.einnsynResponse)!.service.endpointUrl).to.equal("");
      expect(new Set(summary(await entity(`/identifier/${S.dpf}?securityLevel=3`)).map((s) => s.split(" ")[1]))).to.deep.equal(new Set(["DPF"]));
    });

    it("follows changes to its registers at once (admin API), and needs a VirkSert certificate for DPO", async () => {
      sr.state.registerSmp(S.dpv, [P.arkivmeldingAdministrasjon]);
      try {
        expectError(await get(processPath(S.dpv, P.arkivmeldingAdministrasjon)), 404, `Unable to find DPO certificate for: ${S.dpv}`);
        sr.state.addOrganisation({ ...sr.state.organisation(S.dpv)!, certificate: pem(S.dpo), smpProcesses: [P.arkivmeldingAdministrasjon] });
        expect(summary(await entity(processPath(S.dpv, P.arkivmeldingAdministrasjon)))).to.deep.equal([`${P.arkivmeldingAdministrasjon} DPO`]);
      } finally {
        sr.state.addOrganisation({ orgnr: S.dpv, name: "DPI-AP TEST DPV-MOTTAKER", postadresse: { adresse: "Testgata 6", postnummer: "0150", poststed: "OSLO", land: "Norge" } });
      }
      expect(summary(await entity(processPath(S.dpv, P.arkivmeldingAdministrasjon)))).to.deep.equal([`${P.arkivmeldingAdministrasjon} DPV`]);
    });
  });

  describe("signed answers", () => {
    it("answers application/jose with a compact RS256 JWS (x5c, kid) that verifies against /jwk", async () => {
      const jwksReply = await get("/jwk", { token: null });
      expect(jwksReply.status).to.equal(200);
      const jwks = JSON.parse(jwksReply.text) as JSONWebKeySet;
      expect(jwks.keys).to.have.length(1);
      expect(jwks.keys[0]).to.include({ kty: "RSA", use: "sig", alg: "RS256", kid: sr.kid });
      const signerCert = pem(S.signer);
      expect(jwks.keys[0]!.x5c).to.deep.equal([new X509Certificate(signerCert).raw.toString("base64")]);

      for (const p of [processPath(S.dpo, P.arkivmeldingAdministrasjon), `/identifier/${S.persons.digipost}`, `/info/${S.dpo}`]) {
        const signed = await get(p, { accept: "application/jose, application/json" });
        expect(signed.status, signed.text).to.equal(200);
        expect(signed.headers.get("content-type")).to.equal("application/jose");
        const header = decodeProtectedHeader(signed.text);
        expect(header).to.deep.equal({ x5c: jwks.keys[0]!.x5c, kid: sr.kid, alg: "RS256" });
        const { payload } = await compactVerify(signed.text, createLocalJWKSet(jwks));
        const plain = await get(p);
        expect(JSON.parse(new TextDecoder().decode(payload))).to.deep.equal(JSON.parse(plain.text));
      }
    });

    it("signs /virksert and /sastoken; errors stay unsigned JSON", async () => {
      const jwks = JSON.parse((await get("/jwk", { token: null })).text) as JSONWebKeySet;
      const cert = await get(`/virksert/${S.dpo}`, { accept: "application/jose, application/json" });
      expect(new TextDecoder().decode((await compactVerify(cert.text, createLocalJWKSet(jwks))).payload)).to.equal(new X509Certificate(pem(S.dpo)).toString());
      const sas = await get("/sastoken", { accept: "application/jose, application/json" });
      expect(sas.status).to.equal(200);
      expect(new TextDecoder().decode((await compactVerify(sas.text, createLocalJWKSet(jwks))).payload)).to.equal("sandbox-dpe-sas-key");
      expectError(await get("/identifier/999999999", { accept: "application/jose, application/json" }), 404, "Entity with identifier '999999999' not found.");
    });
  });

  describe("authentication and authorisation", () => {
    it("401 without a token (every path but /jwk)", async () => {
      for (const p of [`/identifier/${S.dpo}`, `/info/${S.dpo}`, `/virksert/${S.dpo}`, "/sastoken", "/nothing-here"]) {
        const reply = await get(p, { token: null });
        expect(reply.status, p).to.equal(401);
        expect(reply.headers.get("www-authenticate")).to.equal('Basic realm="Realm"');
        expect(reply.text).to.equal("");
      }
    });

    it("401 invalid_token for a token of another issuer, an expired token, a token signed by another key", async () => {
      const foreign = await mp.issueToken({ consumer: S.ownOrg, scope: ALL_SCOPES, issuer: "https://maskinporten.example/" });
      const expired = await mp.issueToken({ consumer: S.ownOrg, scope: ALL_SCOPES, issuedAt: new Date(Date.now() - 3600_000), lifetimeSeconds: 120 });
      const [h, p] = token.split(".");
      const tampered = `${h}.${p}.${Buffer.from("not the signature").toString("base64url")}`;
      for (const [bad, description] of [
        [foreign.token, "Invalid issuer"],
        [expired.token, "Jwt expired"],
        [tampered, "Invalid signature"],
      ] as const) {
        const reply = await get(`/identifier/${S.dpo}`, { token: bad });
        expect(reply.status).to.equal(401);
        expect(reply.headers.get("www-authenticate")).to.match(/^Bearer error="invalid_token", error_description="[^"]*", error_uri="https:\/\/tools\.ietf\.org\/html\/rfc6750#section-3\.1"$/);
        expect(reply.headers.get("www-authenticate")).to.include(description);
      }
    });

    it("organisation records need any valid token; person records need eformidling:dpi or move/dpi.read (else 401 Access Denied, as the real SR)", async () => {
      expect((await get(processPath(S.dpo, P.arkivmeldingAdministrasjon), { token: dpoOnly })).status).to.equal(200);
      for (const p of [`/identifier/${S.persons.digipost}`, processPath(S.persons.digipost, P.digitalpostInfo)]) {
        const reply = await get(p, { token: dpoOnly });
        // GlobalControllerExceptionHandler maps AccessDeniedException to 401, not 403
        expectError(reply, 401, "Access Denied");
      }
      const legacy = await mp.issueToken({ consumer: S.dpe, scope: "move/dpi.read" });
      expect((await get(`/identifier/${S.persons.digipost}`, { token: legacy.token })).status).to.equal(200);
    });

    it("/sastoken needs move/dpe.read or eformidling:dpe", async () => {
      expectError(await get("/sastoken", { token: dpoOnly, accept: "application/jose" }), 401, "Access Denied");
      const legacy = await mp.issueToken({ consumer: S.dpe, scope: "move/dpe.read" });
      expect((await get("/sastoken", { token: legacy.token, accept: "application/jose" })).status).to.equal(200);
    });

    it("identifier lookups need a consumer that is an ISO 6523 identifier", async () => {
      const noConsumer = await mp.issueToken({ consumer: S.ownOrg, scope: ALL_SCOPES, claims: { consumer: { authority: "iso6523-actorid-upis", ID: "991825827" } } });
      expectError(
        await get(`/identifier/${S.dpo}`, { token: noConsumer.token }),
        401,
        "Unauthorized lookup from 127.0.0.1 - consumer.ID claim in token not present, or does not match ISO6523",
      );
      // /info has no such check
      expect((await get(`/info/${S.dpo}`, { token: noConsumer.token })).status).to.equal(200);
    });
  });

  describe("not found and bad requests", () => {
    it("404 for an unknown organisation or process, with the SR's bodies", async () => {
      expectError(await get("/identifier/999999999"), 404, "Entity with identifier '999999999' not found.");
      expectError(await get(processPath("999999999", P.arkivmeldingAdministrasjon)), 404, "Entity with identifier '999999999' not found.");
      expectError(await get(processPath(S.dpo, "urn:no:difi:profile:unknown:ver1.0")), 404, `Process urn:no:difi:profile:unknown:ver1.0 not found for receiver ${S.dpo}`);
      const info = await get("/info/999999999");
      expect(info.status).to.equal(404);
      expect(info.text).to.equal("");
      expectError(await get("/virksert/999999999", { accept: "text/plain" }), 404, "Unable to find DPO certificate for: 999999999");
    });

    it("400 for an identifier that is neither organisation nor person, or a non-numeric security level", async () => {
      for (const p of ["/identifier/abc", `/identifier/${S.dpo}?securityLevel=high`, `/identifier/${S.dpo}?print=maybe`]) {
        const reply = await get(p);
        expect(reply.status, p).to.equal(400);
        expect(JSON.parse(reply.text)).to.include({ status: 400, error: "Bad Request" });
      }
    });

    it("answers only under its context path, and 406 when the client accepts nothing it produces", async () => {
      expect(sr.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/adressetjeneste$/);
      expect((await get(`/identifier/${S.dpo}`, { base: sr.url.replace(/\/adressetjeneste$/, "") })).status).to.equal(404);
      expect((await get(`/identifier/${S.dpo}`, { accept: "text/html" })).status).to.equal(406);
      // VirkSert produces text/plain or JWS; an absent or */* Accept negotiates application/json, as in the SR
      expect((await get(`/virksert/${S.dpo}`, { accept: "*/*" })).status).to.equal(406);
      expect((await get("/sastoken", { accept: "application/json" })).status).to.equal(406);
    });
  });

  describe("info and virksert", () => {
    it("GET /info/{id}: the info record and an empty record list", async () => {
      expect(await entity(`/info/${S.dpv}`)).to.deep.equal({
        infoRecord: {
          identifier: S.dpv,
          organizationName: "DPI-AP TEST DPV-MOTTAKER",
          postadresse: { adresse: "Testgata 6", postnummer: "0150", poststed: "OSLO", land: "Norge" },
          entityType: { name: "ORGL" },
        },
        serviceRecords: [],
      });
      expect(await entity(`/info/${S.persons.noPostbox}`)).to.deep.equal({
        infoRecord: { identifier: S.persons.noPostbox, entityType: { name: "citizen" } },
        serviceRecords: [],
      });
    });

    it("GET /virksert/{id}: the DPO certificate, the DPE one for DPE-only scopes, 400 when a DPO+DPE caller finds them different", async () => {
      const plain = await get(`/virksert/${S.dpo}`, { accept: "text/plain" });
      expect(plain.status).to.equal(200);
      expect(plain.headers.get("content-type")).to.equal("text/plain;charset=UTF-8");
      expect(plain.text).to.equal(new X509Certificate(pem(S.dpo)).toString());
      sr.state.addOrganisation({ orgnr: "910000009", name: "TWO CERTIFICATES", certificate: pem(S.dpo), dpeCertificate: pem(S.dpe) });
      try {
        expectError(await get("/virksert/910000009", { accept: "text/plain" }), 400, "DPO and DPE certificates from Virksert do not match for identifier 910000009");
        const dpeOnly = await mp.issueToken({ consumer: S.ownOrg, scope: "eformidling:dpe" });
        expect(fingerprint((await get("/virksert/910000009", { accept: "text/plain", token: dpeOnly.token })).text)).to.equal(fingerprint(pem(S.dpe)));
        expect(fingerprint((await get("/virksert/910000009", { accept: "text/plain", token: dpoOnly })).text)).to.equal(fingerprint(pem(S.dpo)));
      } finally {
        sr.state.removeOrganisation("910000009");
      }
    });
  });

  describe("person records (KRR → DPI, print, DPV)", () => {
    it("a person with an active postbox gets a DPI record: provider orgnr, postbox address, the provider's certificate", async () => {
      const e = await entity(processPath(S.persons.digipost, P.digitalpostInfo));
      expect(e.infoRecord).to.deep.equal({ identifier: S.persons.digipost, entityType: { name: "citizen" } });
      expect(e.serviceRecords).to.have.length(1);
      const { pemCertificate, ...record } = e.serviceRecords[0]! as unknown as Record<string, unknown>;
      expect(record).to.deep.equal({
        organisationNumber: S.persons.digipost,
        process: P.digitalpostInfo,
        documentTypes: [DOCUMENT_TYPES.digital],
        service: {
          identifier: "DPI",
          endpointUrl: "https://qaoffentlig.meldingsformidler.digipost.no/api/ebms",
          serviceCode: null,
          serviceEditionCode: null,
          securityLevel: null,
          resource: null,
        },
        orgnrPostkasse: S.postboxProviders.digipost,
        postkasseAdresse: "test.testesen#1234",
        mobilnummer: "+4799999999",
        kanVarsles: true,
        epostAdresse: "digipost-mottaker@example.com",
        fysiskPost: false,
        postAddress: null,
        returnAddress: null,
        spraak: "nb",
      });
      // KRR gives the certificate as bare base64; the SR wraps it in one PEM line
      expect(pemCertificate).to.match(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=]+\n-----END CERTIFICATE-----\n$/);
      expect(fingerprint(pemCertificate as string)).to.equal(fingerprint(pem(S.postboxProviders.digipost)));
      expect(summary(await entity(`/identifier/${S.persons.eboks}`))).to.deep.equal([`${P.digitalpostInfo} DPI`, `${P.digitalpostVedtak} DPI`]);
    });

    it("print=true (the default): a person without a postbox gets a print record before the DPV record", async () => {
      const e = await entity(processPath(S.persons.noPostbox, P.digitalpostInfo));
      expect(e.serviceRecords.map((r) => [r.service.identifier, r.documentTypes])).to.deep.equal([
        ["DPI", [DOCUMENT_TYPES.print]],
        ["DPV", [DOCUMENT_TYPES.digitalDpv]],
      ]);
      const { pemCertificate, ...print } = e.serviceRecords[0]! as unknown as Record<string, unknown>;
      expect(print).to.deep.include({
        organisationNumber: S.persons.noPostbox,
        orgnrPostkasse: S.printProvider,
        postkasseAdresse: null,
        mobilnummer: "+4798888888",
        kanVarsles: true,
        epostAdresse: "uten-postkasse@example.com",
        fysiskPost: true,
        postAddress: { name: "Test Testesen", street: "Testveien 1", postalCode: "0150", postalArea: "OSLO", country: "NO" },
        returnAddress: { name: "DPI-AP TEST AVSENDER (DIGDIR)", street: "Postboks 1382 Vika", postalCode: "0114", postalArea: "OSLO", country: "Norge" },
        spraak: "nb",
      });
      expect(fingerprint(pemCertificate as string)).to.equal(fingerprint(pem(S.printProvider)));
      expect(e.serviceRecords[1]!.service).to.include({ identifier: "DPV", serviceCode: "4255", serviceEditionCode: "10", resource: "eformidling-dpv-administrasjon" });

      const noPrint = await entity(processPath(S.persons.noPostbox, P.digitalpostInfo, "?print=false"));
      expect(summary(noPrint)).to.deep.equal([`${P.digitalpostInfo} DPV`]);
    });

    it("a reserved person: vedtak → print record only; info → print + DPV; a secret address gets no print record", async () => {
      const vedtak = await entity(processPath(S.persons.reserved, P.digitalpostVedtak));
      expect(vedtak.serviceRecords.map((r) => r.service.identifier)).to.deep.equal(["DPI"]);
      expect(vedtak.serviceRecords[0]).to.deep.include({
        fysiskPost: true,
        kanVarsles: false,
        postAddress: { name: "Reservert Test Person", street: "Postboks 12 Sentrum", postalCode: "0101", postalArea: "OSLO", country: "NO" },
      });
      expect(summary(await entity(processPath(S.persons.reserved, P.digitalpostInfo)))).to.deep.equal([`${P.digitalpostInfo} DPI`, `${P.digitalpostInfo} DPV`]);
      expectError(
        await get(processPath(S.persons.reservedSecretAddress, P.digitalpostVedtak)),
        404,
        `Process ${P.digitalpostVedtak} not found for receiver ${S.persons.reservedSecretAddress}`,
      );
      expect(summary(await entity(`/identifier/${S.persons.reservedSecretAddress}`))).to.deep.equal([`${P.digitalpostInfo} DPV`]);
    });

    it("print records need the sender (token consumer) in Enhetsregisteret and the person in Folkeregisteret", async () => {
      const stranger = await mp.issueToken({ consumer: S.svarUtStandIn, scope: "eformidling:dpi" });
      expectError(await get(processPath(S.persons.noPostbox, P.digitalpostInfo), { token: stranger.token }), 404, `Sender with identifier=0192:${S.svarUtStandIn} not found in BRREG`);
      expect((await get(processPath(S.persons.noPostbox, P.digitalpostInfo, "?print=false"), { token: stranger.token })).status).to.equal(200);
      // KRR lists an unknown person as IKKE_REGISTRERT; with print the FREG lookup fails
      const unknown = await get("/identifier/01010112345");
      expect(unknown.status).to.equal(404);
      expect(unknown.text).to.equal('{"message": "No service record found for citizen: 01010112345"}');
      expect(summary(await entity("/identifier/01010112345?print=false"))).to.deep.equal([`${P.digitalpostInfo} DPV`]);
      expect((await get(processPath("01010112345", P.digitalpostInfo))).status).to.equal(500);
    });
  });

  describe("record shapes against the real records in vectors/eformidling/sr", () => {
    let vectorSr: ServiceRegistrySim;
    const vector = (rel: string) => JSON.parse(readFileSync(path.join(SR_VECTORS, rel), "utf8")) as EntityJson;

    before(async function () {
      try {
        readdirSync(SR_VECTORS);
      } catch {
        this.skip();
      }
      const options = await loadDefaultServiceRegistryOptions({ issuer: mp.issuer, jwksUrl: mp.jwksUrl });
      vectorSr = await startServiceRegistrySim({
        ...options,
        state: new ServiceRegistryState(),
        records: { dpoEndpointUrl: "http://localhost:9800" },
      });
      seedFromVectors(vectorSr.state, vector);
      vectorSr.state.addOrganisation({ orgnr: S.ownOrg, name: "DPI-AP TEST AVSENDER (DIGDIR)", postadresse: { adresse: "Postboks 1382 Vika", postnummer: "0114", poststed: "OSLO", land: "Norge" } });
    });
    after(async () => {
      await vectorSr?.close();
    });

    /**
     * The vectors are the integrasjonspunkt's hand-written SR mocks. Where the real SR's classes write more, or
     * write null, the difference is one of these rules; every difference must be one of them.
     */
    const RULES: Record<string, { pattern: RegExp; why: string }> = {
      "whole-service": {
        pattern: /^\$\.serviceRecords\[\d+\]\.service\.(endpointUrl|securityLevel|resource): only from the simulator$/,
        why: "SRService is serialised whole, nulls included (Jackson defaults; restdocs show securityLevel: null); the mocks leave keys out",
      },
      "unset-codes": {
        pattern: /^\$\.serviceRecords\[\d+\]\.service\.(serviceCode|serviceEditionCode): string in the vector, null from the simulator$/,
        why: "the DPF, DPE and DPI factories set no service code (null in restdocs); the mocks write strings",
      },
      "dpv-no-certificate": {
        pattern: /^\$\.serviceRecords\[\d+\]\.pemCertificate: string in the vector, null from the simulator$/,
        why: "createDpvServiceRecord and createDigitalDpvServiceRecord set no certificate",
      },
      "dpi-fields": {
        pattern: /^\$\.serviceRecords\[\d+\]\.(mobilnummer|kanVarsles|epostAdresse|fysiskPost|postAddress|returnAddress|spraak): only from the simulator$/,
        why: "SikkerDigitalPostServiceRecord writes all its fields",
      },
      "citizen-info": {
        pattern: /^\$\.infoRecord\.(organizationName|postadresse): only in the vector$/,
        why: "a person's infoRecord is a CitizenInfo: identifier and entityType only",
      },
      "one-document-type": {
        pattern: /^\$\.serviceRecords\[\d+\]\.documentTypes: 2 items in the vector, 1 from the simulator$/,
        why: "the digital record lists digital only, the person DPV record digital_dpv only (print comes as its own record)",
      },
      "info-record-list": {
        pattern: /^\$\.serviceRecords: only from the simulator$/,
        why: "/info answers an Entity, whose serviceRecords list is always written",
      },
    };
    const cases: Record<string, string[]> = {
      "identifier/910077473.json": ["whole-service", "unset-codes"],
      "identifier/910075924.json": ["whole-service", "unset-codes"],
      "identifier/910075935.json": ["whole-service", "unset-codes"],
      "identifier/910075946.json": ["whole-service", "dpv-no-certificate"],
      "identifier/09118532322.json": ["whole-service", "unset-codes", "dpi-fields", "citizen-info", "one-document-type"],
      "identifier/17912099997.json": ["whole-service", "dpv-no-certificate", "citizen-info", "one-document-type"],
      "info/910077473.json": ["info-record-list"],
    };

    for (const [file, rules] of Object.entries(cases)) {
      it(`${file}: same keys and JSON types, but for the rules ${rules.join(", ")}; same values where both are set`, async () => {
        const expected = vector(file);
        const id = path.basename(file, ".json");
        const query = file.startsWith("identifier/") && id.length === 11 ? "?print=false" : "";
        const actual = pickRecords(expected, await entity(`/${path.dirname(file)}/${id}${query}`, { base: vectorSr.url }));
        const fired = new Set<string>();
        for (const diff of shapeDiff(expected, actual)) {
          const rule = Object.entries(RULES).find(([, r]) => r.pattern.test(diff));
          expect(rule, `unexplained difference ${diff}`).to.not.equal(undefined);
          fired.add(rule![0]);
        }
        expect([...fired].sort()).to.deep.equal([...rules].sort());
        expectSameValues(expected, actual);
      });
    }
  });
});

/**
 * Values both sides set must agree. Skipped: the DPF certificate (the SR writes SvarUt's, the mock the
 * receiver's) and the DPI vedtak certificate (the mock gives the same person two; KRR has one per person).
 */
function expectSameValues(expected: EntityJson, actual: EntityJson): void {
  expect(actual.infoRecord.identifier).to.equal(expected.infoRecord.identifier);
  if ("organizationName" in actual.infoRecord) expect(actual.infoRecord).to.deep.equal(expected.infoRecord);
  (expected.serviceRecords ?? []).forEach((e, i) => {
    const a = actual.serviceRecords[i]!;
    const at = `serviceRecords[${i}]`;
    expect(a.organisationNumber, at).to.equal(e.organisationNumber);
    expect(a.process, at).to.equal(e.process);
    expect(a.documentTypes[0], at).to.equal(e.documentTypes[0]);
    expect(a.service.identifier, at).to.equal(e.service.identifier);
    for (const key of ["endpointUrl", "serviceCode", "serviceEditionCode", "resource"] as const) {
      if (e.service[key] !== undefined && a.service[key] !== null) expect(a.service[key], `${at}.service.${key}`).to.equal(e.service[key]);
    }
    if (e.service.identifier === "DPO" || e.service.identifier === "DPE" || (e.service.identifier === "DPI" && i === 0)) {
      // the same certificate; KRR's (DPI) comes as one base64 line, VirkSert's in 64-character lines
      expect(fingerprint(a.pemCertificate!), `${at}.pemCertificate`).to.equal(fingerprint(e.pemCertificate!));
    }
    for (const key of ["orgnrPostkasse", "postkasseAdresse"]) {
      if (key in e) expect((a as unknown as Record<string, unknown>)[key], `${at}.${key}`).to.equal((e as unknown as Record<string, unknown>)[key]);
    }
  });
}

/** The simulator's records in the vector's order, matched by process (the vector lists a subset). */
function pickRecords(expected: EntityJson, actual: EntityJson): EntityJson {
  if (!("serviceRecords" in expected)) return actual;
  const records = expected.serviceRecords.map((r) => actual.serviceRecords.find((a) => a.process === r.process) ?? { missing: r.process });
  return { ...actual, serviceRecords: records as EntityJson["serviceRecords"] };
}

function kind(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** Key-set and JSON-type differences, as "path: what". */
function shapeDiff(expected: unknown, actual: unknown, at = "$"): string[] {
  if (kind(expected) !== kind(actual)) return [`${at}: ${kind(expected)} in the vector, ${kind(actual)} from the simulator`];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const diffs = expected.length === actual.length ? [] : [`${at}: ${expected.length} items in the vector, ${actual.length} from the simulator`];
    for (let i = 0; i < Math.min(expected.length, actual.length); i++) diffs.push(...shapeDiff(expected[i], actual[i], `${at}[${i}]`));
    return diffs;
  }
  if (kind(expected) !== "object") return [];
  const e = expected as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  const diffs: string[] = [];
  for (const key of Object.keys(e)) {
    if (!(key in a)) diffs.push(`${at}.${key}: only in the vector`);
    else diffs.push(...shapeDiff(e[key], a[key], `${at}.${key}`));
  }
  for (const key of Object.keys(a)) if (!(key in e)) diffs.push(`${at}.${key}: only from the simulator`);
  return diffs;
}

/** An equivalent of each vector's party in the simulator's registers. */
function seedFromVectors(state: ServiceRegistryState, vector: (rel: string) => EntityJson): void {
  const own = vector("identifier/910077473.json");
  state.addOrganisation({
    orgnr: "910077473",
    name: "TEST - C4",
    certificate: own.serviceRecords[0]!.pemCertificate!,
    smpProcesses: own.serviceRecords.map((r) => r.process),
  });
  state.addOrganisation({ orgnr: "910075924", name: "TEST - C4", svarUt: [{ niva: 4 }] });
  const dpe = vector("identifier/910075935.json").serviceRecords[0]!;
  state.addProcess({ identifier: dpe.process, category: "EINNSYN", documentTypes: dpe.documentTypes, serviceCode: "innsyn", serviceEditionCode: null, resource: null });
  state.addOrganisation({ orgnr: "910075935", name: "TEST - C4", certificate: dpe.pemCertificate!, smpProcesses: [dpe.process] });
  state.addOrganisation({ orgnr: "910075946", name: "TEST - C4" });
  const dpi = vector("identifier/09118532322.json").serviceRecords[0]! as unknown as { orgnrPostkasse: string; postkasseAdresse: string; pemCertificate: string };
  state.addPerson({ fnr: "09118532322", postbox: { provider: dpi.orgnrPostkasse, address: dpi.postkasseAdresse, certificate: dpi.pemCertificate } });
  state.addPerson({ fnr: "17912099997" });
}
