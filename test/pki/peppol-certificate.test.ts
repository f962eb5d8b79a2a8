import { expect } from "chai";
import { X509Certificate } from "node:crypto";
import { makeLeaf } from "../../scripts/lib/cert-factory.js";
import { InvalidPeppolSeatIdError } from "../../src/pki/errors.js";
import { peppolSeatIdOf } from "../../src/pki/peppol-certificate.js";
import { exampleText, testPki } from "./helpers.js";

const withCn = (CN: string, extra: Array<{ oid: string; value: string }> = []) =>
  makeLeaf({ subject: { C: "NO", O: "x", OU: "PEPPOL TEST AP", CN, extra }, keyPem: testPki().leafKey }).cert;

describe("pki/peppol-certificate", () => {
  it("reads the seat id of certs-example's access points", async () => {
    for (const seat of ["POP000001", "POP000002", "POP000009"]) {
      expect(peppolSeatIdOf(new X509Certificate(await exampleText(`ap/${seat}.pem`)))).to.equal(seat);
    }
  });

  it("reads a production-style seat id", () => {
    expect(peppolSeatIdOf(withCn("PNO000123"))).to.equal("PNO000123");
  });

  for (const cn of ["POP00001", "POP0000011", "pop000001", "XOP000001", "P0P000001", " POP000001", "DPI-AP TEST AVSENDER"]) {
    it(`rejects CN "${cn}" with InvalidPeppolSeatIdError`, () => {
      expect(() => peppolSeatIdOf(withCn(cn))).to.throw(InvalidPeppolSeatIdError).with.property("code", "ERR_PKI_NO_PEPPOL_SEAT_ID");
    });
  }

  it("rejects a subject with two CNs", () => {
    expect(() => peppolSeatIdOf(withCn("POP000001", [{ oid: "2.5.4.3", value: "POP000002" }]))).to.throw(InvalidPeppolSeatIdError);
  });

  it("rejects a virksomhetssertifikat", async () => {
    const cert = new X509Certificate(await exampleText("business/991825827.pem"));
    expect(() => peppolSeatIdOf(cert)).to.throw(InvalidPeppolSeatIdError);
  });
});
