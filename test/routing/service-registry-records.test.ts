import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { ServiceRegistryMalformedResponseError } from "../../src/routing/service-registry/errors.js";
import { parseIdentifierResource, pemCertificate } from "../../src/routing/service-registry/records.js";
import type { DpeRecord, DpiRecord, DpvRecord, ServiceRecord } from "../../src/routing/service-registry/records.js";
import { CERTS, VECTORS } from "../helpers/certs.js";

const SR = path.join(VECTORS, "eformidling/sr");
const vector = (rel: string) => readFileSync(path.join(SR, rel), "utf8");
const certPem = readFileSync(path.join(CERTS, "business/910076787.pem"), "utf8");
const bareBase64 = certPem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");

const summary = (records: readonly ServiceRecord[]) => records.map((r) => `${r.process} ${r.serviceIdentifier}`);

function expectMalformed(json: string, detail: string | RegExp): void {
  let caught: unknown;
  try {
    parseIdentifierResource(json);
  } catch (e) {
    caught = e;
  }
  expect(caught).to.be.instanceOf(ServiceRegistryMalformedResponseError);
  const error = caught as ServiceRegistryMalformedResponseError;
  expect(error.code).to.equal("service-registry-malformed-response");
  expect(error.kind).to.equal("upstream");
  if (typeof detail === "string") expect(error.message).to.equal(detail);
  else expect(error.message).to.match(detail);
}

function record(overrides: Record<string, unknown> = {}, service: Record<string, unknown> = {}) {
  return {
    organisationNumber: "910076787",
    pemCertificate: certPem,
    process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
    documentTypes: ["urn:no:difi:arkivmelding:xsd::arkivmelding"],
    service: { identifier: "DPO", endpointUrl: "https://tt02.altinn.no", serviceCode: "4192", serviceEditionCode: "270815", securityLevel: null, resource: null, ...service },
    ...overrides,
  };
}

describe("routing/service-registry records: the integrasjonspunkt's test records (vectors/eformidling/sr)", () => {
  before(function () {
    if (!existsSync(SR)) this.skip();
  });

  it("910077473: the info record and DPO, DPO, DPE records with their certificates", () => {
    const r = parseIdentifierResource(vector("identifier/910077473.json"));
    expect(r.infoRecord).to.deep.equal({
      identifier: "910077473",
      organizationName: "TEST - C4",
      organizationNumber: null,
      herId: null,
      parentHerId: null,
      parentOrganizationName: null,
      entityType: { name: "ORGL", acronym: null },
      postadresse: null,
    });
    expect(summary(r.serviceRecords)).to.deep.equal([
      "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0 DPO",
      "urn:no:difi:profile:arkivmelding:response:ver1.0 DPO",
      "urn:no:difi:profile:einnsyn:response:ver1.0 DPE",
    ]);
    const dpe = r.serviceRecords[2] as DpeRecord;
    expect(dpe.queueSuffix).to.equal("");
    expect(dpe.certificate.subject).to.equal("CN=DIFI test 910075918");
    expect(dpe.service).to.deep.equal({ identifier: "DPE", endpointUrl: "", serviceCode: "", serviceEditionCode: "", securityLevel: null, resource: null });
  });

  it("910075935: a DPE record whose endpointUrl is the queue suffix", () => {
    const [dpe] = parseIdentifierResource(vector("identifier/910075935.json")).serviceRecords;
    expect(dpe!.serviceIdentifier).to.equal("DPE");
    expect((dpe as DpeRecord).queueSuffix).to.equal("innsyn");
    expect(dpe!.documentTypes).to.deep.equal(["urn:no:difi:einnsyn:xsd:innsyn::innsynskrav"]);
  });

  it("910075924: a DPF record without endpointUrl reads as the IP reads it (endpointUrl \"\", no level)", () => {
    const [dpf] = parseIdentifierResource(vector("identifier/910075924.json")).serviceRecords;
    expect(dpf!.serviceIdentifier).to.equal("DPF");
    expect(dpf!.service).to.deep.equal({ identifier: "DPF", endpointUrl: "", serviceCode: "4192", serviceEditionCode: "270815", securityLevel: null, resource: null });
    expect(dpf!.certificate!.subject).to.equal("CN=DIFI test 910075924");
  });

  it("910075946: a DPV record carries the Altinn resource", () => {
    const [dpv] = parseIdentifierResource(vector("identifier/910075946.json")).serviceRecords;
    expect(dpv!.serviceIdentifier).to.equal("DPV");
    expect(dpv!.service.resource).to.equal("eformidling-dpv-administrasjon");
  });

  it("09118532322: DPI records with the postbox; absent digital post fields take the IP's defaults", () => {
    const r = parseIdentifierResource(vector("identifier/09118532322.json"));
    expect(summary(r.serviceRecords)).to.deep.equal(["urn:no:difi:profile:digitalpost:info:ver1.0 DPI", "urn:no:difi:profile:digitalpost:vedtak:ver1.0 DPI"]);
    const dpi = r.serviceRecords[0] as DpiRecord;
    const { certificate, pemCertificate: pem, service, documentTypes, ...rest } = dpi;
    expect(rest).to.deep.equal({
      organisationNumber: "09118532322",
      process: "urn:no:difi:profile:digitalpost:info:ver1.0",
      serviceIdentifier: "DPI",
      orgnrPostkasse: "987464291",
      postkasseAdresse: "dummy",
      epostAdresse: "",
      mobilnummer: "",
      kanVarsles: false,
      fysiskPost: false,
      postAddress: { name: "", street: "", postalCode: "", postalArea: "", country: "" },
      returnAddress: { name: "", street: "", postalCode: "", postalArea: "", country: "" },
      spraak: null,
    });
    expect(documentTypes).to.deep.equal(["urn:no:difi:digitalpost:xsd:digital::digital", "urn:no:difi:digitalpost:xsd:fysisk::print"]);
    expect(certificate.subject).to.equal("CN=DIFI test 987464291");
    expect(pem.startsWith("-----BEGIN CERTIFICATE-----\n")).to.equal(true);
    expect(service.endpointUrl).to.equal("");
  });

  it("17912099997: a person's DPV records with an empty pemCertificate have no certificate", () => {
    const r = parseIdentifierResource(vector("identifier/17912099997.json"));
    const dpv = r.serviceRecords[1] as DpvRecord;
    expect(dpv.serviceIdentifier).to.equal("DPV");
    expect(dpv.pemCertificate).to.equal(null);
    expect(dpv.certificate).to.equal(null);
    expect(dpv.documentTypes).to.deep.equal(["urn:no:difi:digitalpost:xsd:digital::digital_dpv", "urn:no:difi:digitalpost:xsd:fysisk::print"]);
  });

  it("/info/910077473: an info record and no service records", () => {
    const r = parseIdentifierResource(vector("info/910077473.json"));
    expect(r.infoRecord!.identifier).to.equal("910077473");
    expect(r.serviceRecords).to.deep.equal([]);
  });
});

describe("routing/service-registry records: tolerance and refusal", () => {
  it("ignores unknown keys, reads an unknown service identifier as UNKNOWN and a numeric-string level as a number", () => {
    const r = parseIdentifierResource(
      JSON.stringify({
        infoRecord: { identifier: "910076787", entityType: { name: "ORGL" }, somethingNew: 1 },
        serviceRecords: [record({ extra: { a: 1 } }, { identifier: "DPX", securityLevel: "4", futureField: true }), record({ herId: "8143" }, { identifier: "DPH" })],
        moreToCome: [],
      }),
    );
    expect(r.serviceRecords.map((x) => x.serviceIdentifier)).to.deep.equal(["UNKNOWN", "DPH"]);
    expect(r.serviceRecords[0]!.service.securityLevel).to.equal(4);
    expect((r.serviceRecords[1] as { herId: string | null }).herId).to.equal("8143");
    expect(r.infoRecord!.entityType).to.deep.equal({ name: "ORGL", acronym: null });
  });

  it("explicit nulls stay null where absent keys take the constructor's value", () => {
    const dpi = record(
      { organisationNumber: "09118532322", postAddress: null, returnAddress: { name: "Avsender" }, kanVarsles: null, epostAdresse: null },
      { identifier: "DPI", endpointUrl: null },
    );
    const r = parseIdentifierResource(JSON.stringify({ infoRecord: null, serviceRecords: [dpi] }));
    const x = r.serviceRecords[0] as DpiRecord;
    expect(x.postAddress).to.equal(null);
    expect(x.returnAddress).to.deep.equal({ name: "Avsender", street: "", postalCode: "", postalArea: "", country: "" });
    expect(x.kanVarsles).to.equal(false);
    expect(x.epostAdresse).to.equal(null);
    expect(x.service.endpointUrl).to.equal(null);
  });

  it("a certificate given as bare base64 (as KRR gives it) gets the PEM armour", () => {
    expect(pemCertificate(bareBase64)).to.equal(`-----BEGIN CERTIFICATE-----\n${bareBase64}\n-----END CERTIFICATE-----\n`);
    expect(pemCertificate("")).to.equal(null);
    expect(pemCertificate(null)).to.equal(null);
    const r = parseIdentifierResource(JSON.stringify({ serviceRecords: [record({ pemCertificate: bareBase64 })] }));
    expect(r.serviceRecords[0]!.certificate!.subject).to.contain("910076787");
  });

  it("refuses what is not JSON", () => {
    expectMalformed("<html>", /^The Service Registry's answer is not JSON: /);
  });

  it("refuses a record without process, or without a service identifier", () => {
    expectMalformed(JSON.stringify({ serviceRecords: [record({ process: undefined })] }), /^The Service Registry's answer is not an IdentifierResource \(serviceRecords\.0\.process: /);
    expectMalformed(JSON.stringify({ serviceRecords: [record({}, { identifier: null })] }), /serviceRecords\.0\.service\.identifier: /);
  });

  it("refuses wrong types (documentTypes not a list, a fractional security level)", () => {
    expectMalformed(JSON.stringify({ serviceRecords: [record({ documentTypes: "urn:x" })] }), /serviceRecords\.0\.documentTypes: /);
    expectMalformed(JSON.stringify({ serviceRecords: [record({}, { securityLevel: 3.5 })] }), /serviceRecords\.0\.service\.securityLevel: /);
  });

  it("refuses a certificate that does not parse, and a DPO, DPE, DPF or DPI record without one", () => {
    expectMalformed(JSON.stringify({ serviceRecords: [record({ pemCertificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" })] }), "serviceRecords[0].pemCertificate is not an X.509 certificate");
    for (const identifier of ["DPO", "DPE", "DPF", "DPI"]) {
      expectMalformed(
        JSON.stringify({ serviceRecords: [record({ pemCertificate: "" }, { identifier })] }),
        `serviceRecords[0] (${identifier}, urn:no:difi:profile:arkivmelding:administrasjon:ver1.0) has no pemCertificate`,
      );
    }
    const dpv = parseIdentifierResource(JSON.stringify({ serviceRecords: [record({ pemCertificate: null }, { identifier: "DPV" })] }));
    expect(dpv.serviceRecords[0]!.certificate).to.equal(null);
  });
});
