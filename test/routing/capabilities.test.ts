import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { capabilitiesOf, messageTypeOfStandard } from "../../src/routing/service-registry/capabilities.js";
import { parseIdentifierResource } from "../../src/routing/service-registry/records.js";
import { CERTS, VECTORS } from "../helpers/certs.js";

const EF = path.join(VECTORS, "eformidling");
const read = (rel: string) => readFileSync(path.join(EF, rel), "utf8");
const certPem = readFileSync(path.join(CERTS, "business/974761076.pem"), "utf8");

describe("routing/service-registry capabilities: what /api/capabilities answers for the SR's records", () => {
  describe("against the integrasjonspunkt's capabilities.feature (vectors/eformidling)", () => {
    before(function () {
      if (!existsSync(path.join(EF, "api")) || !existsSync(path.join(EF, "sr"))) this.skip();
    });

    for (const id of ["910077473", "09118532322"]) {
      it(`${id}: the same document as the integrasjonspunkt's`, () => {
        const records = parseIdentifierResource(read(`sr/identifier/${id}.json`)).serviceRecords;
        expect(capabilitiesOf(records)).to.deep.equal(JSON.parse(read(`api/capabilities-${id}.json`)));
      });
    }
  });

  it("a print record: the addresses without their null fields, the print provider as supplier, no postbox address", () => {
    const record = {
      organisationNumber: "05068912345",
      pemCertificate: certPem,
      orgnrPostkasse: "974761076",
      postkasseAdresse: null,
      mobilnummer: null,
      kanVarsles: false,
      epostAdresse: null,
      fysiskPost: true,
      postAddress: { name: "Reservert Test Person", street: "Postboks 12 Sentrum", postalCode: "0101", postalArea: "OSLO", country: "NO" },
      returnAddress: { name: "DPI-AP TEST AVSENDER (DIGDIR)", street: "Postboks 1382 Vika", postalCode: "0114", postalArea: null, country: "Norge" },
      spraak: null,
      process: "urn:no:difi:profile:digitalpost:vedtak:ver1.0",
      documentTypes: ["urn:no:difi:digitalpost:xsd:fysisk::print"],
      service: { identifier: "DPI", endpointUrl: "https://x", serviceCode: null, serviceEditionCode: null, securityLevel: null, resource: null },
    };
    const digital = { ...record, orgnrPostkasse: "984661185", postkasseAdresse: "test.testesen#1234", fysiskPost: false, postAddress: null, returnAddress: null, documentTypes: ["urn:no:difi:digitalpost:xsd:digital::digital"] };
    const { serviceRecords } = parseIdentifierResource(JSON.stringify({ serviceRecords: [record, digital] }));
    expect(capabilitiesOf(serviceRecords)).to.deep.equal({
      capabilities: [
        {
          process: "urn:no:difi:profile:digitalpost:vedtak:ver1.0",
          serviceIdentifier: "DPI",
          postAddress: { name: "Reservert Test Person", street: "Postboks 12 Sentrum", postalCode: "0101", postalArea: "OSLO", country: "NO" },
          returnAddress: { name: "DPI-AP TEST AVSENDER (DIGDIR)", street: "Postboks 1382 Vika", postalCode: "0114", country: "Norge" },
          documentTypes: [{ type: "print", standard: "urn:no:difi:digitalpost:xsd:fysisk::print" }],
          digitalPostAddress: { supplier: "974761076" },
        },
        {
          process: "urn:no:difi:profile:digitalpost:vedtak:ver1.0",
          serviceIdentifier: "DPI",
          documentTypes: [{ type: "digital", standard: "urn:no:difi:digitalpost:xsd:digital::digital" }],
          digitalPostAddress: { supplier: "984661185", address: "test.testesen#1234" },
        },
      ],
    });
  });

  it("no addresses for other channels; a standard of no known type has no type", () => {
    const dpv = {
      organisationNumber: "910075946",
      pemCertificate: null,
      process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
      documentTypes: ["urn:no:difi:arkivmelding:xsd::arkivmelding", "urn:example:xsd::unheardof"],
      service: { identifier: "DPV", resource: "eformidling-dpv-administrasjon" },
      postAddress: { name: "ignored" },
    };
    const { serviceRecords } = parseIdentifierResource(JSON.stringify({ serviceRecords: [dpv] }));
    expect(capabilitiesOf(serviceRecords)).to.deep.equal({
      capabilities: [
        {
          process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
          serviceIdentifier: "DPV",
          documentTypes: [{ type: "arkivmelding", standard: "urn:no:difi:arkivmelding:xsd::arkivmelding" }, { standard: "urn:example:xsd::unheardof" }],
        },
      ],
    });
  });

  it("a standard's type is the first of the IP's message types it ends with", () => {
    expect(messageTypeOfStandard("urn:no:difi:arkivmelding:xsd::arkivmelding_kvittering")).to.equal("arkivmelding_kvittering");
    expect(messageTypeOfStandard("urn:no:difi:digitalpost:xsd:digital::digital_dpv")).to.equal("digital_dpv");
    expect(messageTypeOfStandard("urn:no:difi:einnsyn:xsd:innsyn::innsynskrav")).to.equal("innsynskrav");
    expect(messageTypeOfStandard("urn:no:difi:arkivmelding:xsd:arkivmelding")).to.equal(undefined);
    expect(messageTypeOfStandard("")).to.equal(undefined);
  });
});
