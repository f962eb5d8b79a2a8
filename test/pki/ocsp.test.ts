import { expect } from "chai";
import { X509Certificate } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { generateKeyPem, makeCa, makeLeaf } from "../../scripts/lib/cert-factory.js";
import { buildOcspRequest, checkOcsp, ocspUrlsOf, OcspResponseError, verifyOcspResponse } from "../../src/pki/ocsp.js";
import type { CheckOcspOptions, OcspAnswer, OcspFailure } from "../../src/pki/ocsp.js";
import { RevocationFetchError, undiciRevocationFetch } from "../../src/pki/revocation-http.js";
import { startPkiResponder } from "../../src/sim/pki/index.js";
import type { PkiResponder, PkiResponderOptions } from "../../src/sim/pki/index.js";
import { fixedClock } from "../../src/clock.js";
import { AT, closedUrl, delegatedResponder, exampleAp } from "./revocation-fixtures.js";

const HOUR = 60 * 60_000;

describe("pki/ocsp", () => {
  const responders: PkiResponder[] = [];
  afterEach(async () => {
    await Promise.all(responders.splice(0).map((r) => r.close()));
  });

  async function responder(options: Partial<PkiResponderOptions> = {}): Promise<PkiResponder> {
    const { intermediate, pop9 } = exampleAp();
    const started = await startPkiResponder({
      issuer: intermediate,
      revoked: [{ serialNumber: pop9.serialNumber, revokedAt: new Date("2025-01-02T00:00:00Z"), reason: 1 }],
      clock: fixedClock(AT),
      ...options,
    });
    responders.push(started);
    return started;
  }

  async function ask(cert: X509Certificate, r: PkiResponder, options: Partial<CheckOcspOptions> = {}): Promise<OcspAnswer> {
    return checkOcsp(cert, exampleAp().intermediate.cert, { url: r.ocspUrl, at: AT, ...options });
  }

  async function expectFailure(promise: Promise<unknown>, reason: OcspFailure): Promise<OcspResponseError> {
    try {
      await promise;
    } catch (error) {
      expect(error).to.be.instanceOf(OcspResponseError);
      expect((error as OcspResponseError).reason, (error as Error).message).to.equal(reason);
      expect((error as OcspResponseError).code).to.equal("ERR_PKI_OCSP_RESPONSE");
      return error as OcspResponseError;
    }
    return expect.fail(`expected OcspResponseError(${reason})`);
  }

  it("reads the responder URL from the AIA extension", () => {
    expect(ocspUrlsOf(exampleAp().pop1)).to.deep.equal(["http://127.0.0.1:8899/ocsp"]);
    expect(ocspUrlsOf(exampleAp().intermediate.cert)).to.deep.equal([]);
  });

  it("answers good for a valid certificate, with thisUpdate and nextUpdate", async () => {
    const r = await responder();
    const answer = await ask(exampleAp().pop1, r);
    expect(answer.status).to.equal("good");
    expect(answer.thisUpdate.toISOString()).to.equal(AT.toISOString());
    expect(answer.nextUpdate?.toISOString()).to.equal(new Date(AT.getTime() + HOUR).toISOString());
    expect(answer.signer.fingerprint256).to.equal(exampleAp().intermediate.cert.fingerprint256);
    expect(r.stats().ocspRequests).to.equal(1);
  });

  it("answers revoked with the revocation time and reason", async () => {
    const answer = await ask(exampleAp().pop9, await responder());
    expect(answer.status).to.equal("revoked");
    expect(answer.revokedAt?.toISOString()).to.equal("2025-01-02T00:00:00.000Z");
    expect(answer.reason).to.equal("keyCompromise");
  });

  it("answers unknown when the responder does not know the serial", async () => {
    const answer = await ask(exampleAp().pop2, await responder({ known: [exampleAp().pop1.serialNumber] }));
    expect(answer.status).to.equal("unknown");
  });

  it("works with a SHA-256 CertID too", async () => {
    const answer = await ask(exampleAp().pop9, await responder(), { hashAlgorithm: "SHA-256" });
    expect(answer.status).to.equal("revoked");
  });

  it("accepts a delegated responder issued by the CA with id-kp-OCSPSigning", async () => {
    const delegate = delegatedResponder({ ocspSigning: true });
    const answer = await ask(exampleAp().pop1, await responder({ responder: delegate }));
    expect(answer.status).to.equal("good");
    expect(answer.signer.fingerprint256).to.equal(delegate.cert.fingerprint256);
  });

  it("rejects a delegated responder without id-kp-OCSPSigning", async () => {
    const delegate = delegatedResponder({ ocspSigning: false });
    expect(delegate.cert.keyUsage).to.not.include("1.3.6.1.5.5.7.3.9");
    const error = await expectFailure(ask(exampleAp().pop9, await responder({ responder: delegate })), "unauthorized-responder");
    expect(error.message).to.contain("OCSPSigning");
  });

  it("rejects a responder with id-kp-OCSPSigning issued by another CA", async () => {
    const otherCa = makeCa({ subject: { C: "NO", O: "dpi-ap test", CN: "Some Other CA" }, keyPem: generateKeyPem() });
    const delegate = delegatedResponder({ ocspSigning: true, issuer: otherCa });
    await expectFailure(ask(exampleAp().pop1, await responder({ responder: delegate })), "unauthorized-responder");
  });

  it("rejects a response whose signature does not verify with the issuer's key", async () => {
    // Same certificate (so the responder id names the issuer), wrong private key.
    const forger = { cert: exampleAp().intermediate.cert, privateKey: delegatedResponder({ ocspSigning: true }).privateKey };
    await expectFailure(ask(exampleAp().pop9, await responder({ responder: forger })), "bad-signature");
  });

  it("rejects a stale response (nextUpdate passed)", async () => {
    const r = await responder({ clock: fixedClock(new Date(AT.getTime() - 2 * HOUR)) });
    const error = await expectFailure(ask(exampleAp().pop1, r), "stale");
    expect(error.message).to.contain("nextUpdate");
  });

  it("tolerates small clock skew but rejects thisUpdate in the future", async () => {
    const slightlyAhead = await responder({ clock: fixedClock(new Date(AT.getTime() + 60_000)) });
    expect((await ask(exampleAp().pop1, slightlyAhead)).status).to.equal("good");
    const farAhead = await responder({ clock: fixedClock(new Date(AT.getTime() + HOUR)) });
    await expectFailure(ask(exampleAp().pop1, farAhead), "not-yet-valid");
  });

  it("accepts an answer without nextUpdate only while it is young", async () => {
    const r = await responder({ ocspValidityMs: null });
    expect((await ask(exampleAp().pop1, r)).nextUpdate).to.equal(undefined);
    await expectFailure(ask(exampleAp().pop1, r, { at: new Date(AT.getTime() + 3 * HOUR) }), "stale");
  });

  it("rejects a response whose nonce differs from the request's", async () => {
    await expectFailure(ask(exampleAp().pop1, await responder({ faults: { nonce: "wrong" } })), "nonce-mismatch");
  });

  it("accepts a response without a nonce (pre-signed responses)", async () => {
    const answer = await ask(exampleAp().pop1, await responder({ faults: { nonce: "omit" } }));
    expect(answer.status).to.equal("good");
  });

  it("rejects an answer about another certificate", async () => {
    const r = await responder();
    const request = await buildOcspRequest(exampleAp().pop1, exampleAp().intermediate.cert);
    const { body: der } = await undiciRevocationFetch({
      url: r.ocspUrl,
      method: "POST",
      headers: { "content-type": "application/ocsp-request" },
      body: request.der,
      timeoutMs: 2_000,
      maxBytes: 65_536,
    });
    await expectFailure(
      verifyOcspResponse(der, { cert: exampleAp().pop2, issuer: exampleAp().intermediate.cert, at: AT }),
      "no-matching-response",
    );
    // …and the same bytes are fine for the certificate asked about.
    const answer = await verifyOcspResponse(der, { cert: exampleAp().pop1, issuer: exampleAp().intermediate.cert, at: AT, nonce: request.nonce! });
    expect(answer.status).to.equal("good");
  });

  it("reports the responder's error status (a CA that is not authoritative answers unauthorized)", async () => {
    const stranger = makeCa({ subject: { C: "NO", O: "dpi-ap test", CN: "Stranger CA" }, keyPem: generateKeyPem() });
    const leaf = makeLeaf({ subject: { CN: "POP000777" }, issuer: stranger, keyPem: generateKeyPem() });
    const error = await expectFailure(
      checkOcsp(leaf.cert, stranger.cert, { url: (await responder()).ocspUrl, at: AT }),
      "responder-status",
    );
    expect(error.message).to.contain("unauthorized");
  });

  it("rejects garbage as malformed", async () => {
    await expectFailure(
      verifyOcspResponse(new Uint8Array([0x30, 0x03, 0x0a, 0x01]), { cert: exampleAp().pop1, issuer: exampleAp().intermediate.cert, at: AT }),
      "malformed",
    );
  });

  it("fails with RevocationFetchError when the responder is down, answers HTTP errors, or hangs", async () => {
    const { pop1, intermediate } = exampleAp();
    const down = checkOcsp(pop1, intermediate.cert, { url: await closedUrl(), at: AT });
    await down.then(
      () => expect.fail("expected failure"),
      (error: unknown) => {
        expect(error).to.be.instanceOf(RevocationFetchError);
        expect((error as RevocationFetchError).code).to.equal("ERR_PKI_REVOCATION_FETCH");
      },
    );

    const r = await responder();
    const notFound = checkOcsp(pop1, intermediate.cert, { url: `${r.url}/nothing-here`, at: AT });
    await notFound.then(
      () => expect.fail("expected failure"),
      (error: unknown) => expect((error as Error).message).to.contain("HTTP 404"),
    );

    const hanging = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/ocsp`;
      await checkOcsp(pop1, intermediate.cert, { url, at: AT, timeoutMs: 200 }).then(
        () => expect.fail("expected failure"),
        (error: unknown) => expect(error).to.be.instanceOf(RevocationFetchError),
      );
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });
});
