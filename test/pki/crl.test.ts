import { expect } from "chai";
import { generateKeyPem, makeCa, makeCrl, makeLeaf } from "../../scripts/lib/cert-factory.js";
import { checkCrl, crlDistributionPointsOf, CrlError, crlNamesIssuer, fetchCrl, parseCrl, verifyCrl } from "../../src/pki/crl.js";
import type { CrlFailure } from "../../src/pki/crl.js";
import { RevocationFetchError } from "../../src/pki/revocation-http.js";
import { startPkiResponder } from "../../src/sim/pki/index.js";
import { fixedClock } from "../../src/clock.js";
import { AT, closedUrl, exampleAp } from "./revocation-fixtures.js";

async function expectCrlFailure(promise: Promise<unknown>, reason: CrlFailure): Promise<CrlError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(CrlError);
    expect((error as CrlError).reason, (error as Error).message).to.equal(reason);
    expect((error as CrlError).code).to.equal("ERR_PKI_CRL");
    return error as CrlError;
  }
  return expect.fail(`expected CrlError(${reason})`);
}

describe("pki/crl", () => {
  it("parses the committed PEM CRL with its dates", () => {
    const crl = exampleAp().intermediateCrl;
    expect(crl.thisUpdate.toISOString()).to.equal("2025-01-02T00:00:00.000Z");
    expect(crl.nextUpdate?.toISOString()).to.equal("2045-01-01T00:00:00.000Z");
    expect(crl.issuerName).to.contain("CN=DPI-AP TEST ACCESS POINT CA");
    expect(crlNamesIssuer(crl, exampleAp().intermediate.cert)).to.equal(true);
    expect(crlNamesIssuer(crl, exampleAp().root.cert)).to.equal(false);
  });

  it("parses DER as well as PEM", () => {
    const der = exampleAp().intermediateCrl.der;
    expect(parseCrl(der).thisUpdate.getTime()).to.equal(exampleAp().intermediateCrl.thisUpdate.getTime());
    expect(() => parseCrl("not a crl")).to.throw(CrlError);
  });

  it("says good for POP000001 and revoked (keyCompromise) for POP000009", async () => {
    const { intermediateCrl, pop1, pop9, intermediate } = exampleAp();
    expect((await checkCrl(intermediateCrl, pop1, intermediate.cert, AT)).status).to.equal("good");
    const revoked = await checkCrl(intermediateCrl, pop9, intermediate.cert, AT);
    expect(revoked).to.include({ status: "revoked", reason: "keyCompromise" });
    expect(revoked.status === "revoked" && revoked.revokedAt.toISOString()).to.equal("2025-01-02T00:00:00.000Z");
  });

  it("rejects a CRL that names the issuer but is signed by another key", async () => {
    const { intermediate, pop9 } = exampleAp();
    const impostor = makeCa({
      subject: { C: "NO", O: "dpi-ap test", CN: "DPI-AP TEST ACCESS POINT CA" },
      keyPem: generateKeyPem(),
    });
    const forged = parseCrl((await makeCrl({ issuer: impostor, thisUpdate: AT })).der);
    expect(crlNamesIssuer(forged, intermediate.cert)).to.equal(true);
    await expectCrlFailure(checkCrl(forged, pop9, intermediate.cert, AT), "bad-signature");
  });

  it("rejects another CA's CRL", async () => {
    const { rootCrl, pop1, intermediate } = exampleAp();
    await expectCrlFailure(checkCrl(rootCrl, pop1, intermediate.cert, AT), "issuer-mismatch");
  });

  it("rejects an expired CRL and one not yet valid", async () => {
    const { intermediate, pop1 } = exampleAp();
    const expired = parseCrl(
      (await makeCrl({ issuer: intermediate, thisUpdate: new Date("2030-01-01T00:00:00Z"), nextUpdate: new Date("2030-02-01T00:00:00Z") })).der,
    );
    const error = await expectCrlFailure(checkCrl(expired, pop1, intermediate.cert, AT), "expired");
    expect(error.message).to.contain("2030-02-01");
    // The same CRL is fine while current.
    expect((await checkCrl(expired, pop1, intermediate.cert, new Date("2030-01-15T00:00:00Z"))).status).to.equal("good");

    const future = parseCrl((await makeCrl({ issuer: intermediate, thisUpdate: new Date("2031-01-01T00:00:00Z") })).der);
    await expectCrlFailure(verifyCrl(future, intermediate.cert, AT), "not-yet-valid");
  });

  it("refuses a CRL from a CA whose key usage lacks cRLSign", async () => {
    const key = generateKeyPem();
    const ca = makeCa({ subject: { CN: "No CRL Signing CA" }, keyPem: key, keyUsage: ["keyCertSign"] });
    const leaf = makeLeaf({ subject: { CN: "POP000555" }, issuer: ca, keyPem: key });
    const crl = parseCrl((await makeCrl({ issuer: ca, thisUpdate: AT })).der);
    await expectCrlFailure(checkCrl(crl, leaf.cert, ca.cert, AT), "issuer-not-crl-signer");
  });

  it("reads the distribution point and fetches a fresh CRL over HTTP", async () => {
    const { intermediate, pop1, pop9 } = exampleAp();
    expect(crlDistributionPointsOf(pop1)).to.deep.equal(["http://127.0.0.1:8899/ap.crl"]);
    expect(crlDistributionPointsOf(intermediate.cert)).to.deep.equal([]);
    const server = await startPkiResponder({ issuer: intermediate, revoked: [pop9.serialNumber], clock: fixedClock(AT) });
    try {
      const crl = await fetchCrl(server.crlUrl());
      expect(crl.source).to.equal(server.crlUrl());
      expect(crl.thisUpdate.toISOString()).to.equal(AT.toISOString());
      expect((await checkCrl(crl, pop9, intermediate.cert, AT)).status).to.equal("revoked");
      expect((await checkCrl(crl, pop1, intermediate.cert, AT)).status).to.equal("good");
      expect(server.stats().crlRequests).to.equal(1);
    } finally {
      await server.close();
    }
  });

  it("fails with RevocationFetchError when the CRL server is down", async () => {
    await fetchCrl(await closedUrl("/ap.crl")).then(
      () => expect.fail("expected failure"),
      (error: unknown) => expect(error).to.be.instanceOf(RevocationFetchError),
    );
  });
});
