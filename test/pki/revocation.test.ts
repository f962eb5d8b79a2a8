import { expect } from "chai";
import type { X509Certificate } from "node:crypto";
import { generateKeyPem, makeCa, makeCrl, makeLeaf } from "../../scripts/lib/cert-factory.js";
import { validateChain } from "../../src/pki/chain.js";
import { parseCrl } from "../../src/pki/crl.js";
import { BrokenChainError } from "../../src/pki/errors.js";
import { CertificateRevokedError, createRevocationChecker, RevocationUnknownError } from "../../src/pki/revocation.js";
import type { RevocationCheckerOptions, RevocationResult } from "../../src/pki/revocation.js";
import { createRevocationCache } from "../../src/pki/revocation-cache.js";
import { startPkiResponder } from "../../src/sim/pki/index.js";
import type { PkiResponder, PkiResponderOptions } from "../../src/sim/pki/index.js";
import { fixedClock } from "../../src/clock.js";
import { createHash } from "node:crypto";
import { evidenceUses, type RevocationEvidence } from "../../src/pki/revocation-evidence.js";
import { verifyOcspResponse } from "../../src/pki/ocsp.js";
import { AT, closedUrl, exampleAp, manualClock, rewriteTo } from "./revocation-fixtures.js";

const MINUTE = 60_000;

/** leaf → AP intermediate → root, as validateChain returns it. */
function pathOf(leaf: X509Certificate): X509Certificate[] {
  const { intermediate, root } = exampleAp();
  return validateChain(leaf, [intermediate.cert], [root.cert], AT);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  return expect.fail("expected a rejection");
}

describe("pki/revocation createRevocationChecker", () => {
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

  /** A checker pointed at `r` instead of the 127.0.0.1:8899 the certificates name; the root CRL covers the intermediate. */
  function checker(r: { url: string } | undefined, options: RevocationCheckerOptions = {}) {
    return createRevocationChecker({
      clock: fixedClock(AT),
      staticCrls: [exampleAp().rootCrl],
      ...(r ? { urlRewrite: rewriteTo(r.url) } : {}),
      fetchTimeoutMs: 2_000,
      ...options,
    });
  }

  it("checks the leaf by OCSP and the intermediate by the root's static CRL", async () => {
    const r = await responder();
    const result = await checker(r).check(pathOf(exampleAp().pop1), AT);
    expect(result.status).to.equal("good");
    expect(result.warnings).to.deep.equal([]);
    expect(result.certificates.map((c) => [c.status, c.source])).to.deep.equal([
      ["good", "ocsp"],
      ["good", "crl"],
    ]);
    expect(result.certificates[0]!.location).to.equal(`${r.url}/ocsp`);
    expect(result.certificates[1]!.location).to.equal("root-ca.crl.pem");
    expect(r.stats()).to.deep.equal({ ocspRequests: 1, crlRequests: 0 });
  });

  it("uses the clock when no time is given, and checks nothing for a lone anchor", async () => {
    const r = await responder();
    expect((await checker(r).check(pathOf(exampleAp().pop1))).status).to.equal("good");
    const anchorOnly = await checker(undefined).check([exampleAp().root.cert]);
    expect(anchorOnly).to.deep.equal({ status: "good", certificates: [], warnings: [] });
  });

  it("checks only the leaf when the intermediate is the anchor", async () => {
    const { pop1, intermediate } = exampleAp();
    const r = await responder();
    const path = validateChain(pop1, [], [intermediate.cert], AT);
    const result = await checker(r, { staticCrls: [] }).check(path, AT);
    expect(result.certificates).to.have.length(1);
  });

  it("throws CertificateRevokedError for a certificate revoked by OCSP", async () => {
    const error = await rejection(checker(await responder()).check(pathOf(exampleAp().pop9), AT));
    expect(error).to.be.instanceOf(CertificateRevokedError);
    const revoked = error as CertificateRevokedError;
    expect(revoked.code).to.equal("ERR_PKI_CERT_REVOKED");
    expect(revoked).to.include({ source: "ocsp", reason: "keyCompromise" });
    expect(revoked.revokedAt.toISOString()).to.equal("2025-01-02T00:00:00.000Z");
    expect(revoked.subject).to.contain("CN=POP000009");
  });

  it("throws CertificateRevokedError for a certificate revoked by CRL, in soft-fail mode too", async () => {
    const r = await responder();
    for (const mode of ["hard-fail", "soft-fail"] as const) {
      const error = await rejection(checker(r, { mode, preferOcsp: false }).check(pathOf(exampleAp().pop9), AT));
      expect(error).to.be.instanceOf(CertificateRevokedError);
      expect((error as CertificateRevokedError).source).to.equal("crl");
    }
    expect(r.stats().ocspRequests).to.equal(0);
  });

  it("uses a static CRL of the issuer without touching the network", async () => {
    const { intermediateCrl, rootCrl, pop9, pop1 } = exampleAp();
    const down = await closedUrl("");
    const offline = checker({ url: down }, { staticCrls: [rootCrl, intermediateCrl], preferOcsp: false });
    expect((await offline.check(pathOf(pop1), AT)).status).to.equal("good");
    expect(await rejection(offline.check(pathOf(pop9), AT))).to.be.instanceOf(CertificateRevokedError);
  });

  it("falls back to the CRL distribution point when the OCSP answer is unknown", async () => {
    const r = await responder({ known: [] });
    const result = await checker(r).check(pathOf(exampleAp().pop1), AT);
    expect(result.certificates[0]).to.include({ status: "good", source: "crl", location: `${r.url}/ap.crl` });
    expect(result.certificates[0]!.problems.join()).to.contain("status unknown");
    expect(r.stats()).to.deep.equal({ ocspRequests: 1, crlRequests: 1 });
    // …and the CRL catches what the responder did not know.
    expect(await rejection(checker(r).check(pathOf(exampleAp().pop9), AT))).to.be.instanceOf(CertificateRevokedError);
  });

  it("falls back to the CRL when the OCSP response is invalid", async () => {
    const r = await responder({ faults: { nonce: "wrong" } });
    const result = await checker(r).check(pathOf(exampleAp().pop1), AT);
    expect(result.certificates[0]).to.include({ status: "good", source: "crl" });
    expect(result.certificates[0]!.problems.join()).to.contain("nonce-mismatch");
  });

  describe("when no source answers", () => {
    it("hard-fail (the default) throws RevocationUnknownError naming every problem", async () => {
      const down = await closedUrl("");
      const error = await rejection(checker({ url: down }).check(pathOf(exampleAp().pop1), AT));
      expect(error).to.be.instanceOf(RevocationUnknownError);
      const unknown = error as RevocationUnknownError;
      expect(unknown.code).to.equal("ERR_PKI_REVOCATION_UNKNOWN");
      expect(unknown.subject).to.contain("CN=POP000001");
      expect(unknown.problems).to.have.length(2);
      expect(unknown.problems[0]).to.match(/^OCSP http:\/\/127\.0\.0\.1:\d+\/ocsp: /);
      expect(unknown.problems[1]).to.match(/^CRL http:\/\/127\.0\.0\.1:\d+\/ap\.crl: /);
    });

    it("soft-fail returns the unknown status with a warning", async () => {
      const down = await closedUrl("");
      const result: RevocationResult = await checker({ url: down }, { mode: "soft-fail" }).check(pathOf(exampleAp().pop1), AT);
      expect(result.status).to.equal("unknown");
      expect(result.warnings).to.have.length(1);
      expect(result.warnings[0]).to.contain("POP000001");
      expect(result.certificates.map((c) => c.status)).to.deep.equal(["unknown", "good"]);
    });

    it("hard-fail throws when the responder answers unknown and there is no CRL", async () => {
      const r = await responder({ known: [] });
      const options: RevocationCheckerOptions = { urlRewrite: (url) => (url.endsWith(".crl") ? `${r.url}/missing` : rewriteTo(r.url)(url)) };
      const error = await rejection(checker(r, options).check(pathOf(exampleAp().pop1), AT));
      expect(error).to.be.instanceOf(RevocationUnknownError);
      const soft = await checker(r, { ...options, mode: "soft-fail" }).check(pathOf(exampleAp().pop1), AT);
      expect(soft.status).to.equal("unknown");
    });

    it("treats a certificate without any revocation pointer as unknown", async () => {
      const r = await responder();
      const error = await rejection(checker(r, { staticCrls: [] }).check(pathOf(exampleAp().pop1), AT));
      expect(error).to.be.instanceOf(RevocationUnknownError);
      expect((error as RevocationUnknownError).subject).to.contain("ACCESS POINT CA");
      expect((error as RevocationUnknownError).problems[0]).to.contain("no OCSP responder");
    });

    it("reports a revoked leaf even when its intermediate's status is unknown", async () => {
      const r = await responder();
      expect(await rejection(checker(r, { staticCrls: [] }).check(pathOf(exampleAp().pop9), AT))).to.be.instanceOf(CertificateRevokedError);
    });
  });

  it("rejects a CRL signed by another key and an expired CRL", async () => {
    const { intermediate, pop1 } = exampleAp();
    const impostor = makeCa({ subject: { C: "NO", O: "dpi-ap test", CN: "DPI-AP TEST ACCESS POINT CA" }, keyPem: generateKeyPem() });
    const forged = parseCrl((await makeCrl({ issuer: impostor, thisUpdate: AT })).der, "forged.crl");
    const expired = parseCrl(
      (await makeCrl({ issuer: intermediate, thisUpdate: new Date("2030-01-01T00:00:00Z"), nextUpdate: new Date("2030-02-01T00:00:00Z") })).der,
      "expired.crl",
    );
    const down = await closedUrl("");
    const error = await rejection(
      checker({ url: down }, { preferOcsp: false, staticCrls: [exampleAp().rootCrl, forged, expired] }).check(pathOf(pop1), AT),
    );
    expect(error).to.be.instanceOf(RevocationUnknownError);
    const problems = (error as RevocationUnknownError).problems.join("\n");
    expect(problems).to.contain("CRL forged.crl: bad-signature");
    expect(problems).to.contain("CRL expired.crl: expired");
  });

  it("serves repeated checks from the cache until nextUpdate, then asks again", async () => {
    const clock = manualClock();
    const r = await responder({ clock: clock.now, ocspValidityMs: 10 * MINUTE });
    const cache = createRevocationCache({ clock: clock.now, maxAgeMs: 60 * MINUTE });
    const check = checker(r, { cache, clock: clock.now });
    const path = pathOf(exampleAp().pop1);

    await check.check(path);
    clock.advance(5 * MINUTE);
    await check.check(path);
    expect(r.stats().ocspRequests).to.equal(1);

    clock.advance(6 * MINUTE); // past nextUpdate
    await check.check(path);
    expect(r.stats().ocspRequests).to.equal(2);
  });

  it("caches a fetched CRL by URL until its nextUpdate", async () => {
    const clock = manualClock();
    const r = await responder({ clock: clock.now, crlNextUpdate: 30 * MINUTE });
    const check = checker(r, { clock: clock.now, preferOcsp: false, cache: createRevocationCache({ clock: clock.now }) });
    await check.check(pathOf(exampleAp().pop1));
    await check.check(pathOf(exampleAp().pop2)); // same distribution point
    expect(r.stats().crlRequests).to.equal(1);
    clock.advance(31 * MINUTE);
    await check.check(pathOf(exampleAp().pop1));
    expect(r.stats()).to.deep.equal({ ocspRequests: 0, crlRequests: 2 });
  });

  it("shares one OCSP request among concurrent checks of the same certificate", async () => {
    const r = await responder();
    const check = checker(r);
    const path = pathOf(exampleAp().pop1);
    const results = await Promise.all(Array.from({ length: 5 }, () => check.check(path, AT)));
    expect(results.every((x) => x.status === "good")).to.equal(true);
    expect(r.stats().ocspRequests).to.equal(1);
  });

  it("does not cache a failed lookup", async () => {
    const r = await responder({ faults: { nonce: "wrong" } });
    const check = checker(r, { staticCrls: [exampleAp().rootCrl, exampleAp().intermediateCrl] });
    await check.check(pathOf(exampleAp().pop1), AT);
    await check.check(pathOf(exampleAp().pop1), AT);
    expect(r.stats().ocspRequests).to.equal(2);
  });

  it("refuses a path that is not leaf-first", async () => {
    const path = pathOf(exampleAp().pop1).reverse();
    expect(await rejection(checker(undefined).check(path, AT))).to.be.instanceOf(BrokenChainError);
  });

  it("checks an intermediate by OCSP too when it names a responder", async () => {
    // A three-level PKI in which the issuing CA itself carries an AIA pointing at the root's responder.
    const root = makeCa({ subject: { CN: "Rev Root" }, keyPem: generateKeyPem() });
    const rootResponder = await startPkiResponder({ issuer: root, clock: fixedClock(AT) });
    responders.push(rootResponder);
    const ca = makeCa({ subject: { CN: "Rev Issuing CA" }, issuer: root, keyPem: generateKeyPem(), ocspUrl: `${rootResponder.url}/ocsp` });
    const caResponder = await startPkiResponder({ issuer: ca, clock: fixedClock(AT) });
    responders.push(caResponder);
    const leaf = makeLeaf({ subject: { CN: "POP000321" }, issuer: ca, keyPem: generateKeyPem(), ocspUrl: `${caResponder.url}/ocsp` });
    const path = validateChain(leaf.cert, [ca.cert], [root.cert], AT);
    const result = await createRevocationChecker({ clock: fixedClock(AT) }).check(path, AT);
    expect(result.certificates.map((c) => c.source)).to.deep.equal(["ocsp", "ocsp"]);
    expect([rootResponder.stats().ocspRequests, caResponder.stats().ocspRequests]).to.deep.equal([1, 1]);

    rootResponder.revoke(ca.cert.serialNumber);
    const fresh = createRevocationChecker({ clock: fixedClock(AT) });
    const error = await rejection(fresh.check(path, AT));
    expect(error).to.be.instanceOf(CertificateRevokedError);
    expect((error as CertificateRevokedError).subject).to.contain("Rev Issuing CA");
  });

  describe("the answers a good verdict rests on", () => {
    const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

    it("names the OCSP response and the CRL as received, with where and when they were fetched, and their issuer", async () => {
      const r = await responder();
      const { pop1, intermediate, root, rootCrl } = exampleAp();
      const result = await checker(r).check(pathOf(pop1), AT);
      const [ocsp, crl] = result.certificates.map((c) => c.answer!);
      expect({ ...ocsp!, der: undefined, issuer: ocsp!.issuer.fingerprint256 }).to.deep.equal({
        kind: "ocsp",
        der: undefined,
        sha256: sha256(ocsp!.der),
        url: `${r.url}/ocsp`,
        fetchedAt: AT,
        thisUpdate: AT,
        nextUpdate: new Date(AT.getTime() + 60 * MINUTE),
        issuer: intermediate.cert.fingerprint256,
        serial: pop1.serialNumber.replace(/^0+/, "").toUpperCase(),
      });
      // The bytes are the responder's answer itself: they verify again, offline, for the same certificate.
      expect((await verifyOcspResponse(ocsp!.der, { cert: pop1, issuer: intermediate.cert, at: AT })).status).to.equal("good");
      expect(Buffer.from(crl!.der).equals(Buffer.from(rootCrl.der))).to.equal(true);
      expect(crl).to.include({ kind: "crl", sha256: sha256(rootCrl.der), url: "root-ca.crl.pem" });
      expect(crl!.issuer.fingerprint256).to.equal(root.cert.fingerprint256);
      const uses = evidenceUses(result, AT);
      expect(uses.map((u) => [u.answer.kind, u.serial, u.ca, u.checkedAt])).to.deep.equal([
        ["ocsp", pop1.serialNumber.replace(/^0+/, "").toUpperCase(), false, AT],
        ["crl", intermediate.cert.serialNumber.replace(/^0+/, "").toUpperCase(), true, AT],
      ]);
      expect(uses[0]!.subject).to.match(/CN=POP000001$/);
    });

    it("keeps each answer once, however many checks rely on it, and a cached answer is the same bytes", async () => {
      const r = await responder();
      const kept: RevocationEvidence[] = [];
      const check = checker(r, { keep: async (a) => void kept.push(a) });
      const first = await check.check(pathOf(exampleAp().pop1), AT);
      await Promise.all([check.check(pathOf(exampleAp().pop1), AT), check.check(pathOf(exampleAp().pop1), AT)]);
      const again = await check.check(pathOf(exampleAp().pop1), AT);
      // The leaf and the intermediate are checked side by side: either may be kept first.
      expect(kept.map((a) => a.kind).sort()).to.deep.equal(["crl", "ocsp"]);
      expect(again.certificates[0]!.answer!.sha256).to.equal(first.certificates[0]!.answer!.sha256);
      expect(r.stats().ocspRequests).to.equal(1);
      // A CRL fetched from a distribution point is kept too, by its content.
      const byCrl = checker(r, { preferOcsp: false, staticCrls: [], keep: async (a) => void kept.push(a) });
      const viaCrl = await byCrl.check(validateChain(exampleAp().pop2, [], [exampleAp().intermediate.cert], AT), AT);
      expect(viaCrl.certificates[0]!.answer).to.include({ kind: "crl", url: `${r.url}/ap.crl`, crlNumber: "1" });
      expect(kept.map((a) => a.kind).sort()).to.deep.equal(["crl", "crl", "ocsp"]);
    });

    it("does not rely on an answer it cannot keep: unknown (hard-fail refuses), and tried again next time", async () => {
      const r = await responder();
      let failing = true;
      const keep = async () => {
        if (failing) throw new Error("database is down");
      };
      const path = validateChain(exampleAp().pop1, [], [exampleAp().intermediate.cert], AT);
      const hard = checker(r, { keep, staticCrls: [] });
      const error = await rejection(hard.check(path, AT));
      expect(error).to.be.instanceOf(RevocationUnknownError);
      expect((error as RevocationUnknownError).problems).to.deep.equal([`OCSP ${r.url}/ocsp: the answer could not be kept: database is down`]);
      failing = false;
      expect((await hard.check(path, AT)).status).to.equal("good");
      failing = true;
      const soft = await checker(r, { keep, staticCrls: [], mode: "soft-fail" }).check(path, AT);
      expect([soft.status, soft.certificates[0]!.answer]).to.deep.equal(["unknown", undefined]);
    });
  });
});
