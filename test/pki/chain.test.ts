import { expect } from "chai";
import { join } from "node:path";
import type { X509Certificate } from "node:crypto";
import { generateKeyPem, makeCa, makeLeaf } from "../../scripts/lib/cert-factory.js";
import { validateChain } from "../../src/pki/chain.js";
import {
  BrokenChainError,
  CertificateExpiredError,
  CertificateNotYetValidError,
  UntrustedCertificateError,
} from "../../src/pki/errors.js";
import { readCertificates } from "../../src/pki/pem.js";
import { AT, hasPeppolVectors, peppolVectors, testPki } from "./helpers.js";

const names = (path: X509Certificate[]) => path.map((c) => c.subject.split("\n").find((l) => l.startsWith("CN="))!);

function expectThrows<E extends Error>(fn: () => unknown, type: new (...args: never[]) => E): E {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return error as E;
  }
  expect.fail(`expected ${type.name}`);
}

describe("pki/chain validateChain", () => {
  it("builds leaf → intermediate → root", () => {
    const { root, intermediate, leaf } = testPki();
    const path = validateChain(leaf.cert, [intermediate.cert], [root.cert], AT);
    expect(names(path)).to.deep.equal(["CN=PKI TEST Leaf", "CN=PKI TEST Issuing CA", "CN=PKI TEST Root"]);
  });

  it("ignores unrelated intermediates and their order", () => {
    const { root, intermediate, leaf } = testPki();
    const stranger = makeCa({ subject: { CN: "Stranger CA" }, keyPem: testPki().rootKey });
    const path = validateChain(leaf.cert, [stranger.cert, root.cert, intermediate.cert], [root.cert], AT);
    expect(path.map((c) => c.fingerprint256)).to.deep.equal(
      [leaf, intermediate, root].map((i) => i.cert.fingerprint256),
    );
  });

  it("accepts an issuing CA pinned directly as anchor", () => {
    const { intermediate, leaf } = testPki();
    const path = validateChain(leaf.cert, [], [intermediate.cert], AT);
    expect(names(path)).to.deep.equal(["CN=PKI TEST Leaf", "CN=PKI TEST Issuing CA"]);
  });

  it("returns just the leaf when the leaf itself is an anchor", () => {
    const { leaf } = testPki();
    expect(validateChain(leaf.cert, [], [leaf.cert], AT)).to.have.length(1);
  });

  describe("validity", () => {
    it("rejects an expired leaf with CertificateExpiredError and accepts it before expiry", () => {
      const { root, intermediate, leafKey } = testPki();
      const leaf = makeLeaf({
        subject: { CN: "expired leaf" },
        issuer: intermediate,
        keyPem: leafKey,
        notAfter: new Date("2026-01-01T00:00:00Z"),
      });
      const error = expectThrows(() => validateChain(leaf.cert, [intermediate.cert], [root.cert], AT), CertificateExpiredError);
      expect(error.code).to.equal("ERR_PKI_CERT_EXPIRED");
      expect(error.certificate?.fingerprint256).to.equal(leaf.cert.fingerprint256);
      expect(validateChain(leaf.cert, [intermediate.cert], [root.cert], new Date("2025-12-31T23:59:59Z"))).to.have.length(3);
    });

    it("rejects a path through an expired intermediate and names the intermediate", () => {
      const { root, caKey, leafKey } = testPki();
      const oldCa = makeCa({ subject: { CN: "short CA" }, issuer: root, keyPem: caKey, notAfter: new Date("2027-01-01T00:00:00Z") });
      const leaf = makeLeaf({ subject: { CN: "leaf of short CA" }, issuer: oldCa, keyPem: leafKey });
      const error = expectThrows(() => validateChain(leaf.cert, [oldCa.cert], [root.cert], AT), CertificateExpiredError);
      expect(error.certificate?.fingerprint256).to.equal(oldCa.cert.fingerprint256);
      expect(validateChain(leaf.cert, [oldCa.cert], [root.cert], new Date("2026-06-01T00:00:00Z"))).to.have.length(3);
    });

    it("rejects an expired anchor", () => {
      const { rootKey } = testPki();
      const root = makeCa({ subject: { CN: "expiring root" }, keyPem: rootKey, notAfter: new Date("2028-01-01T00:00:00Z") });
      const leaf = makeLeaf({ subject: { CN: "leaf" }, issuer: root, keyPem: testPki().leafKey });
      expectThrows(() => validateChain(leaf.cert, [], [root.cert], AT), CertificateExpiredError);
      expect(validateChain(leaf.cert, [], [root.cert], new Date("2027-01-01T00:00:00Z"))).to.have.length(2);
    });

    it("rejects a not yet valid leaf with CertificateNotYetValidError and accepts it later", () => {
      const { root, intermediate, leafKey } = testPki();
      const leaf = makeLeaf({
        subject: { CN: "future leaf" },
        issuer: intermediate,
        keyPem: leafKey,
        notBefore: new Date("2031-01-01T00:00:00Z"),
      });
      const error = expectThrows(() => validateChain(leaf.cert, [intermediate.cert], [root.cert], AT), CertificateNotYetValidError);
      expect(error.code).to.equal("ERR_PKI_CERT_NOT_YET_VALID");
      expect(validateChain(leaf.cert, [intermediate.cert], [root.cert], new Date("2031-01-01T00:00:01Z"))).to.have.length(3);
    });

    it("prefers a currently valid issuer over an expired one with the same name and key", () => {
      const { root, caKey, leafKey } = testPki();
      const subject = { CN: "renewed CA" };
      const expired = makeCa({ subject, issuer: root, keyPem: caKey, notAfter: new Date("2027-01-01T00:00:00Z") });
      const renewed = makeCa({ subject, issuer: root, keyPem: caKey });
      const leaf = makeLeaf({ subject: { CN: "leaf" }, issuer: renewed, keyPem: leafKey });
      const path = validateChain(leaf.cert, [expired.cert, renewed.cert], [root.cert], AT);
      expect(path[1]?.fingerprint256).to.equal(renewed.cert.fingerprint256);
      expectThrows(() => validateChain(leaf.cert, [expired.cert], [root.cert], AT), CertificateExpiredError);
    });
  });

  describe("trust", () => {
    it("rejects a leaf from another PKI with UntrustedCertificateError", () => {
      const { root, intermediate, leafKey } = testPki();
      const otherRoot = makeCa({ subject: { CN: "Other Root" }, keyPem: generateKeyPem() });
      const foreign = makeLeaf({ subject: { CN: "foreign" }, issuer: otherRoot, keyPem: leafKey });
      const error = expectThrows(
        () => validateChain(foreign.cert, [intermediate.cert, otherRoot.cert], [root.cert], AT),
        UntrustedCertificateError,
      );
      expect(error.code).to.equal("ERR_PKI_CERT_UNTRUSTED");
      expect(error.certificate?.subject).to.equal("CN=Other Root");
      expect(validateChain(foreign.cert, [], [otherRoot.cert], AT)).to.have.length(2);
    });

    it("rejects a leaf whose intermediate is missing", () => {
      const { root, intermediate, leaf } = testPki();
      expectThrows(() => validateChain(leaf.cert, [], [root.cert], AT), UntrustedCertificateError);
      expect(validateChain(leaf.cert, [intermediate.cert], [root.cert], AT)).to.have.length(3);
    });

    it("rejects a self-signed certificate that is not an anchor", () => {
      const { root } = testPki();
      const selfSigned = makeCa({ subject: { CN: "self" }, keyPem: testPki().caKey });
      expectThrows(() => validateChain(selfSigned.cert, [selfSigned.cert], [root.cert], AT), UntrustedCertificateError);
    });

    it("terminates on cross-signed loops", () => {
      const { root, rootKey, caKey, leafKey } = testPki();
      const a = makeCa({ subject: { CN: "Loop A" }, keyPem: rootKey });
      const b = makeCa({ subject: { CN: "Loop B" }, keyPem: caKey });
      const aByB = makeCa({ subject: { CN: "Loop A" }, keyPem: rootKey, issuer: b });
      const bByA = makeCa({ subject: { CN: "Loop B" }, keyPem: caKey, issuer: a });
      const leaf = makeLeaf({ subject: { CN: "looped" }, issuer: a, keyPem: leafKey });
      expectThrows(() => validateChain(leaf.cert, [aByB.cert, bByA.cert], [root.cert], AT), UntrustedCertificateError);
      // The same pool does reach an anchor once B is trusted.
      expect(names(validateChain(leaf.cert, [aByB.cert, bByA.cert], [b.cert], AT))).to.deep.equal([
        "CN=looped",
        "CN=Loop A",
        "CN=Loop B",
      ]);
    });
  });

  describe("broken links", () => {
    it("rejects a signature made by a look-alike issuer with BrokenChainError", () => {
      const { root, intermediate, rootKey, leafKey } = testPki();
      // Same name as the real issuing CA, different key, and no key identifiers to tell them apart.
      const impostor = makeCa({ subject: { C: "NO", O: "pki test", CN: "PKI TEST Issuing CA" }, keyPem: rootKey });
      const forged = makeLeaf({ subject: { CN: "forged" }, issuer: impostor, keyPem: leafKey, authorityKeyIdentifier: false });
      const error = expectThrows(() => validateChain(forged.cert, [intermediate.cert], [root.cert], AT), BrokenChainError);
      expect(error.code).to.equal("ERR_PKI_CHAIN_BROKEN");
      expect(error.message).to.match(/signature/);
      const genuine = makeLeaf({ subject: { CN: "genuine" }, issuer: intermediate, keyPem: leafKey, authorityKeyIdentifier: false });
      expect(validateChain(genuine.cert, [intermediate.cert], [root.cert], AT)).to.have.length(3);
    });

    it("remembers a link's signature check only for the same two certificates: asked again, the forgery fails again and the genuine chain holds", () => {
      const { root, intermediate, rootKey, leafKey } = testPki();
      const genuine = makeLeaf({ subject: { CN: "genuine" }, issuer: intermediate, keyPem: leafKey, authorityKeyIdentifier: false });
      const impostor = makeCa({ subject: { C: "NO", O: "pki test", CN: "PKI TEST Issuing CA" }, keyPem: rootKey });
      const forged = makeLeaf({ subject: { CN: "genuine" }, issuer: impostor, keyPem: leafKey, authorityKeyIdentifier: false });
      for (let round = 0; round < 2; round++) {
        expect(validateChain(genuine.cert, [intermediate.cert], [root.cert], AT)).to.have.length(3);
        expect(expectThrows(() => validateChain(forged.cert, [intermediate.cert], [root.cert], AT), BrokenChainError).message).to.match(/signature/);
        // The impostor offered as well: the forged leaf names it as issuer, but the impostor leads to no anchor.
        expectThrows(() => validateChain(forged.cert, [impostor.cert, intermediate.cert], [root.cert], AT), Error);
      }
    });

    it("rejects an issuer that is not a CA", () => {
      const { root, caKey, leafKey } = testPki();
      const notCa = makeLeaf({ subject: { CN: "not a CA" }, issuer: root, keyPem: caKey, keyUsage: [] });
      const leaf = makeLeaf({ subject: { CN: "issued by a leaf" }, issuer: notCa, keyPem: leafKey });
      const error = expectThrows(() => validateChain(leaf.cert, [notCa.cert], [root.cert], AT), BrokenChainError);
      expect(error.message).to.match(/not a CA/);
    });

    it("enforces pathLenConstraint", () => {
      const { rootKey, caKey, leafKey } = testPki();
      const root = makeCa({ subject: { CN: "pathlen root" }, keyPem: rootKey });
      const ca0 = makeCa({ subject: { CN: "pathlen 0 CA" }, issuer: root, keyPem: caKey, pathLength: 0 });
      const sub = makeCa({ subject: { CN: "sub CA" }, issuer: ca0, keyPem: leafKey });
      const leaf = makeLeaf({ subject: { CN: "deep leaf" }, issuer: sub, keyPem: leafKey });
      const error = expectThrows(() => validateChain(leaf.cert, [ca0.cert, sub.cert], [root.cert], AT), BrokenChainError);
      expect(error.message).to.match(/allows 0 intermediate/);
      const direct = makeLeaf({ subject: { CN: "direct leaf" }, issuer: ca0, keyPem: leafKey });
      expect(validateChain(direct.cert, [ca0.cert], [root.cert], AT)).to.have.length(3);
    });

    it("rejects paths longer than maxPathLength", () => {
      const { root, intermediate, leaf } = testPki();
      expectThrows(() => validateChain(leaf.cert, [intermediate.cert], [root.cert], AT, { maxPathLength: 2 }), BrokenChainError);
      expect(validateChain(leaf.cert, [intermediate.cert], [root.cert], AT, { maxPathLength: 3 })).to.have.length(3);
    });
  });

  describe("real Peppol CA certificates", function () {
    before(function () {
      if (!hasPeppolVectors) this.skip();
    });
    const load = async (name: string) => (await readCertificates(join(peppolVectors, name)))[0]!;
    const during = new Date("2027-06-01T00:00:00Z");

    it("chains the G2 test AP CA to the G2 test root", async () => {
      const ca = await load("G2-Peppol_Test_AccessPoint_CA.cer");
      const root = await load("G2-Peppol_Test_Root_CA.cer");
      expect(validateChain(ca, [], [root], during)).to.have.length(2);
      expectThrows(() => validateChain(ca, [], [root], new Date("2029-01-01T00:00:00Z")), CertificateExpiredError);
    });

    it("chains the G3 test AP CA to the G3 test root and not to the G2 one", async () => {
      const ca = await load("PEPPOL_ACCESS_POINT_TEST_CA-G3.pem");
      const root = await load("PEPPOL_Root_TEST_CA-G3.pem");
      const g2Root = await load("G2-Peppol_Test_Root_CA.cer");
      expect(validateChain(ca, [], [root], during)).to.have.length(2);
      expectThrows(() => validateChain(ca, [root], [g2Root], during), UntrustedCertificateError);
    });

    it("keeps production and test hierarchies apart", async () => {
      const prodCa = await load("PEPPOL_ACCESS_POINT_CA-G3.pem");
      const prodRoot = await load("PEPPOL_Root_CA-G3.pem");
      const testRoot = await load("PEPPOL_Root_TEST_CA-G3.pem");
      expect(validateChain(prodCa, [], [prodRoot], during)).to.have.length(2);
      expectThrows(() => validateChain(prodCa, [], [testRoot], during), UntrustedCertificateError);
    });
  });
});
