import { expect } from "chai";
import { generateKeyPem, makeLeaf } from "../../scripts/lib/cert-factory.js";
import { InvalidPeppolSeatIdError, UntrustedCertificateError } from "../../src/pki/errors.js";
import { CertificateKeyUsageError, createPeppolApTrust } from "../../src/pki/peppol-trust.js";
import type { PeppolApTrustOptions } from "../../src/pki/peppol-trust.js";
import { CertificateRevokedError, createRevocationChecker, RevocationUnknownError } from "../../src/pki/revocation.js";
import type { RevocationCheckerOptions } from "../../src/pki/revocation.js";
import { loadExampleApResponderOptions, startPkiResponder } from "../../src/sim/pki/index.js";
import type { PkiResponder } from "../../src/sim/pki/index.js";
import { fixedClock } from "../../src/clock.js";
import { AT, closedUrl, exampleAp, rewriteTo } from "./revocation-fixtures.js";

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  return expect.fail("expected a rejection");
}

describe("pki/peppol-trust createPeppolApTrust", () => {
  let responder: PkiResponder;
  before(async () => {
    responder = await startPkiResponder({ ...(await loadExampleApResponderOptions()), clock: fixedClock(AT) });
  });
  after(async () => {
    await responder.close();
  });

  function trust(revocation: RevocationCheckerOptions = {}, options: Partial<PeppolApTrustOptions> = {}) {
    const { root, intermediate, rootCrl } = exampleAp();
    return createPeppolApTrust({
      anchors: [root.cert],
      intermediates: [intermediate.cert],
      revocation: createRevocationChecker({
        clock: fixedClock(AT),
        urlRewrite: responder.rewrite,
        staticCrls: [rootCrl],
        ...revocation,
      }),
      clock: fixedClock(AT),
      ...options,
    });
  }

  it("accepts POP000001 and returns its seat id, path and revocation outcome", async () => {
    const result = await trust().validate(exampleAp().pop1);
    expect(result.seatId).to.equal("POP000001");
    expect(result.path.map((c) => c.fingerprint256)).to.deep.equal(
      [exampleAp().pop1, exampleAp().intermediate.cert, exampleAp().root.cert].map((c) => c.fingerprint256),
    );
    expect(result.revocation.status).to.equal("good");
  });

  it("rejects the revoked POP000009", async () => {
    const error = await rejection(trust().validate(exampleAp().pop9, AT));
    expect(error).to.be.instanceOf(CertificateRevokedError);
    expect((error as CertificateRevokedError).code).to.equal("ERR_PKI_CERT_REVOKED");
  });

  it("takes intermediates that came with the message", async () => {
    const t = trust({}, { intermediates: [] });
    expect(await rejection(t.validate(exampleAp().pop1))).to.be.instanceOf(UntrustedCertificateError);
    expect((await t.validate(exampleAp().pop1, AT, [exampleAp().intermediate.cert])).seatId).to.equal("POP000001");
  });

  it("rejects a certificate outside the AP PKI before asking any responder", async () => {
    const before = responder.stats().ocspRequests;
    const lookAlike = makeLeaf({ subject: { CN: "POP000001" }, keyPem: generateKeyPem(), ocspUrl: responder.ocspUrl });
    expect(await rejection(trust().validate(lookAlike.cert))).to.be.instanceOf(UntrustedCertificateError);
    expect(responder.stats().ocspRequests).to.equal(before);
  });

  it("requires a seat id in the CN and the digitalSignature key usage", async () => {
    const { intermediate } = exampleAp();
    const key = generateKeyPem();
    const noSeat = makeLeaf({ subject: { CN: "Some Access Point" }, issuer: intermediate, keyPem: key, ocspUrl: responder.ocspUrl });
    expect(await rejection(trust().validate(noSeat.cert))).to.be.instanceOf(InvalidPeppolSeatIdError);

    const noSigning = makeLeaf({
      subject: { CN: "POP000123" },
      issuer: intermediate,
      keyPem: key,
      keyUsage: ["keyEncipherment"],
      ocspUrl: responder.ocspUrl,
    });
    const error = await rejection(trust().validate(noSigning.cert));
    expect(error).to.be.instanceOf(CertificateKeyUsageError);
    expect((error as CertificateKeyUsageError).code).to.equal("ERR_PKI_KEY_USAGE");

    const fine = makeLeaf({
      subject: { CN: "POP000123" },
      issuer: intermediate,
      keyPem: key,
      keyUsage: ["digitalSignature", "keyEncipherment"],
      ocspUrl: responder.ocspUrl,
    });
    expect((await trust().validate(fine.cert)).seatId).to.equal("POP000123");
  });

  it("follows the checker's mode when revocation cannot be checked", async () => {
    const down = rewriteTo(await closedUrl(""));
    expect(await rejection(trust({ urlRewrite: down }).validate(exampleAp().pop1))).to.be.instanceOf(RevocationUnknownError);
    const soft = await trust({ urlRewrite: down, mode: "soft-fail" }).validate(exampleAp().pop1);
    expect(soft.seatId).to.equal("POP000001");
    expect(soft.revocation.status).to.equal("unknown");
    expect(soft.revocation.warnings).to.have.length(1);
  });
});
