import { expect } from "chai";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { makeLeaf } from "../../scripts/lib/cert-factory.js";
import type { SubjectSpec } from "../../scripts/lib/cert-factory.js";
import { assertSigningKeyUsage, organisationNumberOf, readOrganisationNumber } from "../../src/pki/business-certificate.js";
import type { KeyUsageFlag } from "../../scripts/lib/cert-factory.js";
import { CertificateKeyUsageError } from "../../src/pki/peppol-trust.js";
import { AmbiguousOrganisationNumberError, MissingOrganisationNumberError } from "../../src/pki/errors.js";
import { certsExample, exampleText, testPki } from "./helpers.js";

const readExample = (relative: string) => readFileSync(certsExample + relative, "utf8");

const certWith = (subject: SubjectSpec) => makeLeaf({ subject, keyPem: testPki().leafKey }).cert;

describe("pki/business-certificate", () => {
  it("reads organizationIdentifier NTRNO-<9 digits> (certs-example 991825827)", async () => {
    const cert = new X509Certificate(await exampleText("business/991825827.pem"));
    expect(readOrganisationNumber(cert)).to.deep.equal({ organisationNumber: "991825827", source: "organizationIdentifier" });
  });

  it("reads a 9-digit serialNumber, the older Buypass form (certs-example 810969342)", async () => {
    const cert = new X509Certificate(await exampleText("business/810969342.pem"));
    expect(readOrganisationNumber(cert)).to.deep.equal({ organisationNumber: "810969342", source: "serialNumber" });
  });

  it("prefers organizationIdentifier over serialNumber", () => {
    const cert = certWith({ C: "NO", O: "Both", organizationIdentifier: "NTRNO-910076787", serialNumber: "810969342", CN: "Both" });
    expect(organisationNumberOf(cert)).to.equal("910076787");
  });

  it("falls back to serialNumber when organizationIdentifier is not NTRNO", () => {
    const cert = certWith({ C: "NO", O: "VAT", organizationIdentifier: "VATNO-910076787MVA", serialNumber: "810969342", CN: "VAT" });
    expect(readOrganisationNumber(cert)).to.deep.equal({ organisationNumber: "810969342", source: "serialNumber" });
  });

  it("rejects a certificate without an organisation number with MissingOrganisationNumberError", () => {
    const error = (() => {
      try {
        organisationNumberOf(certWith({ C: "NO", O: "Nobody", CN: "Nobody" }));
      } catch (e) {
        return e;
      }
    })();
    expect(error).to.be.instanceOf(MissingOrganisationNumberError);
    expect((error as MissingOrganisationNumberError).code).to.equal("ERR_PKI_NO_ORGANISATION_NUMBER");
  });

  for (const [label, subject] of [
    ["an 8-digit serialNumber", { CN: "x", serialNumber: "81096934" }],
    ["a 10-digit serialNumber", { CN: "x", serialNumber: "8109693421" }],
    ["a person's serialNumber", { CN: "x", serialNumber: "UN:NO-9578-4050-127091783" }],
    ["NTRNO with 8 digits", { CN: "x", organizationIdentifier: "NTRNO-99182582" }],
    ["lower-case ntrno", { CN: "x", organizationIdentifier: "ntrno-991825827" }],
    ["NTRNO with trailing text", { CN: "x", organizationIdentifier: "NTRNO-991825827 " }],
  ] as const) {
    it(`rejects ${label}`, () => {
      expect(() => organisationNumberOf(certWith(subject))).to.throw(MissingOrganisationNumberError);
    });
  }

  it("is not fooled by look-alike text in other attributes", () => {
    const cert = certWith({
      C: "NO",
      O: "Evil\norganizationIdentifier=NTRNO-111111111",
      OU: "serialNumber=222222222",
      CN: "x, 2.5.4.97=NTRNO-333333333",
    });
    expect(cert.subject).to.include("NTRNO-111111111"); // the display string does carry the bait
    expect(() => organisationNumberOf(cert)).to.throw(MissingOrganisationNumberError);
  });

  it("rejects two different NTRNO numbers with AmbiguousOrganisationNumberError and accepts a repeated one", () => {
    const two = certWith({ CN: "x", organizationIdentifier: "NTRNO-991825827", extra: [{ oid: "2.5.4.97", value: "NTRNO-910076787" }] });
    expect(() => organisationNumberOf(two)).to.throw(AmbiguousOrganisationNumberError);
    const same = certWith({ CN: "x", organizationIdentifier: "NTRNO-991825827", extra: [{ oid: "2.5.4.97", value: "NTRNO-991825827" }] });
    expect(organisationNumberOf(same)).to.equal("991825827");
  });

  describe("assertSigningKeyUsage", () => {
    const withUsage = (keyUsage: KeyUsageFlag[]) => makeLeaf({ subject: { CN: "usage", organizationIdentifier: "NTRNO-991825827" }, keyPem: testPki().leafKey, keyUsage }).cert;

    it("accepts digitalSignature, nonRepudiation, either alone, and the certs-example form", () => {
      for (const usage of [["digitalSignature"], ["nonRepudiation"], ["digitalSignature", "keyEncipherment"]] as KeyUsageFlag[][]) {
        expect(() => assertSigningKeyUsage(withUsage(usage)), usage.join()).not.to.throw();
      }
      expect(() => assertSigningKeyUsage(new X509Certificate(readExample("business/991825827.pem")))).not.to.throw();
    });

    it("accepts a certificate without the keyUsage extension (RFC 5280: no restriction)", () => {
      expect(() => assertSigningKeyUsage(withUsage([]))).not.to.throw();
    });

    it("refuses encryption-only certificates with CertificateKeyUsageError ERR_PKI_KEY_USAGE", () => {
      for (const usage of [["keyEncipherment"], ["keyEncipherment", "dataEncipherment"], ["keyAgreement"]] as KeyUsageFlag[][]) {
        let error: unknown;
        try {
          assertSigningKeyUsage(withUsage(usage));
        } catch (e) {
          error = e;
        }
        expect(error, usage.join()).to.be.instanceOf(CertificateKeyUsageError);
        expect((error as CertificateKeyUsageError).code).to.equal("ERR_PKI_KEY_USAGE");
        expect((error as Error).message).to.equal(`the certificate may not sign: its key usage is ${usage.join(", ")}, signing needs digitalSignature or nonRepudiation`);
      }
    });
  });
});
