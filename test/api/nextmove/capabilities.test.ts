import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect } from "chai";
import express from "express";
import { capabilitiesRouter } from "../../../src/api/nextmove/capabilities.js";
import { notFound, problemHandler } from "../../../src/api/problem-middleware.js";
import { silentLogger } from "../../../src/log.js";
import { NotFoundInServiceRegistryError } from "../../../src/routing/service-registry/errors.js";
import type { LookupParameters } from "../../../src/routing/service-registry/parameters.js";
import { identifierResourceOf, parseIdentifierResource, type IdentifierResource } from "../../../src/routing/service-registry/records.js";
import { CERTS, VECTORS } from "../../helpers/certs.js";
import { expectProblem } from "../../helpers/problem.js";
import { callerFromHeader, closeServer } from "./harness.js";

// GET /api/capabilities/{receiverIdentifier} over real HTTP, with a stand-in for the Service Registry client that
// answers from fixed records and remembers what it was asked.

const ADMIN = "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0";
const RESPONSE = "urn:no:difi:profile:arkivmelding:response:ver1.0";
const certPem = readFileSync(path.join(CERTS, "business/910076787.pem"), "utf8");
const EF = path.join(VECTORS, "eformidling");

function resource(): IdentifierResource {
  return identifierResourceOf({
    infoRecord: { identifier: "910076787" },
    serviceRecords: [
      { organisationNumber: "910076787", pemCertificate: certPem, process: ADMIN, documentTypes: ["urn:no:difi:arkivmelding:xsd::arkivmelding"], service: { identifier: "DPO", endpointUrl: "" } },
      {
        organisationNumber: "910076787",
        pemCertificate: certPem,
        process: RESPONSE,
        documentTypes: ["urn:no:difi:arkivmelding:xsd::arkivmelding_kvittering", "urn:no:difi:eformidling:xsd::status", "urn:example:no-type"],
        service: { identifier: "DPO", endpointUrl: "" },
      },
    ],
  });
}

interface Call {
  method: "identifier" | "identifierProcess";
  identifier: string;
  process?: string;
  parameters: LookupParameters | undefined;
}

describe("NextMove API: /api/capabilities/{receiverIdentifier}", () => {
  let server: Server;
  let url: string;
  let calls: Call[];
  let askedBy: string[];
  let answer: (identifier: string) => IdentifierResource;

  beforeEach(async () => {
    calls = [];
    askedBy = [];
    answer = () => resource();
    const registry = {
      identifier: async (identifier: string, parameters?: LookupParameters) => {
        calls.push({ method: "identifier", identifier, parameters });
        return answer(identifier);
      },
      identifierProcess: async (identifier: string, process: string, parameters?: LookupParameters) => {
        calls.push({ method: "identifierProcess", identifier, process, parameters });
        return answer(identifier);
      },
    };
    const app = express();
    app.use("/api", callerFromHeader);
    app.use("/api", capabilitiesRouter({ registryFor: (org) => (askedBy.push(org), registry), orgs: ["991825827", "910076787"] }));
    app.use(notFound);
    app.use(problemHandler(silentLogger));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterEach(() => closeServer(server));

  const get = async (p: string, orgs?: string) => {
    const res = await fetch(url + p, { headers: orgs !== undefined ? { "x-test-orgs": orgs } : {} });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get("content-type"), body: text === "" ? undefined : (JSON.parse(text) as any) };
  };

  const EXPECTED = {
    capabilities: [
      { process: ADMIN, serviceIdentifier: "DPO", documentTypes: [{ type: "arkivmelding", standard: "urn:no:difi:arkivmelding:xsd::arkivmelding" }] },
      {
        process: RESPONSE,
        serviceIdentifier: "DPO",
        documentTypes: [
          { type: "arkivmelding_kvittering", standard: "urn:no:difi:arkivmelding:xsd::arkivmelding_kvittering" },
          { type: "status", standard: "urn:no:difi:eformidling:xsd::status" },
          { standard: "urn:example:no-type" },
        ],
      },
    ],
  };

  it("without process: every record of the receiver (identifier lookup), one capability each", async () => {
    const r = await get("/capabilities/910076787");
    expect(r.status).to.equal(200);
    expect(r.contentType).to.equal("application/json; charset=utf-8");
    expect(r.body).to.deep.equal(EXPECTED);
    expect(calls).to.deep.equal([{ method: "identifier", identifier: "910076787", parameters: {} }]);
  });

  it("asks the registry as the caller's first organisation (its own token), and not at all for a caller with none here", async () => {
    expect((await get("/capabilities/910076787")).status).to.equal(200);
    expect((await get("/capabilities/910076787", "910076787")).status).to.equal(200);
    expect(askedBy).to.deep.equal(["991825827", "910076787"]);
    const r = await get("/capabilities/910076787", "111111111");
    expect([r.status, r.body.code]).to.deep.equal([403, "nextmove-organisation-forbidden"]);
    expect(askedBy).to.have.length(2);
  });

  it("with process: asks for the receiver in that process (identifierProcess lookup)", async () => {
    const r = await get(`/capabilities/910076787?process=${encodeURIComponent(RESPONSE)}`);
    expect(r.status).to.equal(200);
    expect(calls).to.deep.equal([{ method: "identifierProcess", identifier: "910076787", process: RESPONSE, parameters: {} }]);
  });

  it("passes the security level on, with or without process", async () => {
    expect((await get("/capabilities/910076787?securityLevel=4")).status).to.equal(200);
    expect((await get(`/capabilities/910076787?securityLevel=3&process=${encodeURIComponent(ADMIN)}`)).status).to.equal(200);
    expect(calls).to.deep.equal([
      { method: "identifier", identifier: "910076787", parameters: { securityLevel: 4 } },
      { method: "identifierProcess", identifier: "910076787", process: ADMIN, parameters: { securityLevel: 3 } },
    ]);
  });

  it("refuses a security level that is not a number: 400 nextmove-query-invalid, the registry not asked", async () => {
    expectProblem(await get("/capabilities/910076787?securityLevel=high"), 400, "nextmove-query-invalid");
    expectProblem(await get("/capabilities/910076787?securityLevel=3&securityLevel=4"), 400, "nextmove-query-invalid");
    expect(calls).to.deep.equal([]);
  });

  it("answers 404 service-registry-not-found for a receiver the registry does not know", async () => {
    answer = () => {
      throw new NotFoundInServiceRegistryError("SRParameter(identifier=123456789)");
    };
    const r = await get("/capabilities/123456789");
    expectProblem(r, 404, "service-registry-not-found");
    expect(r.body.detail).to.equal("Service record not found for parameters: SRParameter(identifier=123456789)");
  });

  it("answers an empty list for a receiver without records", async () => {
    answer = () => identifierResourceOf({ infoRecord: { identifier: "910076787" }, serviceRecords: [] });
    expect((await get("/capabilities/910076787")).body).to.deep.equal({ capabilities: [] });
  });

  for (const id of ["910077473", "09118532322"]) {
    it(`${id}: the integrasjonspunkt's capabilities.feature answer for its Service Registry mock (vectors)`, async function () {
      if (!existsSync(path.join(EF, "api", `capabilities-${id}.json`)) || !existsSync(path.join(EF, "sr", "identifier", `${id}.json`))) this.skip();
      answer = () => parseIdentifierResource(readFileSync(path.join(EF, "sr", "identifier", `${id}.json`), "utf8"));
      const r = await get(`/capabilities/${id}`);
      expect(r.status).to.equal(200);
      expect(r.body).to.deep.equal(JSON.parse(readFileSync(path.join(EF, "api", `capabilities-${id}.json`), "utf8")));
    });
  }
});
