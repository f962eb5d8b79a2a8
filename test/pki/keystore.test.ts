import { expect } from "chai";
import forge from "node-forge";
import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { toPkcs12 } from "../../scripts/lib/cert-factory.js";
import {
  KeyCertificateMismatchError,
  KeystoreAliasError,
  KeystoreFormatError,
  KeystoreNoCertificateError,
  KeystoreNoKeyError,
  KeystorePasswordError,
} from "../../src/pki/errors.js";
import { keyStoreFromPem, keyStoreFromPkcs12, loadKeyStore } from "../../src/pki/keystore.js";
import type { KeyStore } from "../../src/pki/keystore.js";
import { readCertificates } from "../../src/pki/pem.js";
import { certsExample, exampleText, hasPeppolVectors, peppolVectors, testPki } from "./helpers.js";

const spki = (key: KeyObject) => createPublicKey(key).export({ format: "der", type: "spki" }).toString("hex");

function expectThrows<E extends Error>(fn: () => unknown, type: new (...args: never[]) => E): E {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return error as E;
  }
  expect.fail(`expected ${type.name}`);
}

/** A PKCS#12 made directly with node-forge, for shapes our factory does not produce. */
function forgeP12(keyPem: string | null, certPems: string[], password = "pw"): Buffer {
  const key = keyPem ? forge.pki.privateKeyFromPem(keyPem) : null;
  const certs = certPems.map((p) => forge.pki.certificateFromPem(p));
  // Without certificates forge cannot derive a localKeyId from one, so do not ask it to.
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, password, { algorithm: "aes256", generateLocalKeyId: certs.length > 0 });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("pki/keystore", () => {
  describe("PKCS#12", () => {
    let p12: Buffer;
    let expected: { leaf: X509Certificate; intermediate: X509Certificate; root: X509Certificate; keyPem: string };

    before(async () => {
      p12 = await readFile(join(certsExample, "ap/POP000001.p12"));
      expected = {
        leaf: new X509Certificate(await exampleText("ap/POP000001.pem")),
        intermediate: new X509Certificate(await exampleText("ap/intermediate-ca.pem")),
        root: new X509Certificate(await exampleText("ap/root-ca.pem")),
        keyPem: await exampleText("ap/POP000001.key.pem"),
      };
    });

    it("opens certs-example's POP000001.p12 with its key, certificate and ordered chain", () => {
      const store = keyStoreFromPkcs12(p12, "changeit");
      expect(store.certificate.fingerprint256).to.equal(expected.leaf.fingerprint256);
      expect(store.chain.map((c) => c.fingerprint256)).to.deep.equal([
        expected.intermediate.fingerprint256,
        expected.root.fingerprint256,
      ]);
      expect(spki(store.privateKey)).to.equal(spki(createPrivateKey(expected.keyPem)));
    });

    it("rejects a wrong password with KeystorePasswordError", () => {
      const error = expectThrows(() => keyStoreFromPkcs12(p12, "changeme"), KeystorePasswordError);
      expect(error.code).to.equal("ERR_PKI_KEYSTORE_PASSWORD");
    });

    it("selects by alias case-insensitively and rejects an unknown alias", () => {
      expect(keyStoreFromPkcs12(p12, "changeit", { alias: "pop000001" }).certificate.fingerprint256).to.equal(
        expected.leaf.fingerprint256,
      );
      const error = expectThrows(() => keyStoreFromPkcs12(p12, "changeit", { alias: "POP000002" }), KeystoreAliasError);
      expect(error.code).to.equal("ERR_PKI_KEYSTORE_ALIAS");
    });

    it("rejects bytes that are not PKCS#12 with KeystoreFormatError", () => {
      expectThrows(() => keyStoreFromPkcs12(Buffer.from("not a keystore"), "changeit"), KeystoreFormatError);
      expectThrows(() => keyStoreFromPkcs12(readFileSync(join(certsExample, "ap/POP000001.pem")), "x"), KeystoreFormatError);
    });

    it("rejects a keystore without a key with KeystoreNoKeyError", () => {
      const { leaf, leafKey } = testPki();
      expectThrows(() => keyStoreFromPkcs12(forgeP12(null, [leaf.certPem]), "pw"), KeystoreNoKeyError);
      expect(keyStoreFromPkcs12(forgeP12(leafKey, [leaf.certPem]), "pw").certificate.fingerprint256).to.equal(
        leaf.cert.fingerprint256,
      );
    });

    it("rejects a keystore without a certificate with KeystoreNoCertificateError", () => {
      const { leafKey } = testPki();
      const error = expectThrows(() => keyStoreFromPkcs12(forgeP12(leafKey, []), "pw"), KeystoreNoCertificateError);
      expect(error.code).to.equal("ERR_PKI_KEYSTORE_NO_CERTIFICATE");
    });

    it("rejects a key that matches none of the certificates with KeyCertificateMismatchError", () => {
      const { leaf, caKey, intermediate } = testPki();
      // The key of the intermediate with only the leaf's certificate.
      expectThrows(() => keyStoreFromPkcs12(forgeP12(caKey, [leaf.certPem]), "pw"), KeyCertificateMismatchError);
      // With the intermediate's certificate present too, it is found even though it comes second.
      const store = keyStoreFromPkcs12(forgeP12(caKey, [leaf.certPem, intermediate.certPem]), "pw");
      expect(store.certificate.fingerprint256).to.equal(intermediate.cert.fingerprint256);
    });

    it("round-trips the factory's toPkcs12 with another password and alias", () => {
      const { leaf, intermediate, root } = testPki();
      const store = keyStoreFromPkcs12(toPkcs12(leaf, { password: "s3cret æøå", friendlyName: "mine" }), "s3cret æøå", {
        alias: "mine",
      });
      expect(store.certificate.fingerprint256).to.equal(leaf.cert.fingerprint256);
      expect(store.chain.map((c) => c.fingerprint256)).to.deep.equal([intermediate.cert.fingerprint256, root.cert.fingerprint256]);
      expect(spki(store.privateKey)).to.equal(spki(leaf.privateKey));
    });

    it("returns third-party certificates byte for byte (real Peppol CA certificates)", async function () {
      if (!hasPeppolVectors) this.skip();
      const { leaf, leafKey } = testPki();
      const peppol = [
        ...(await readCertificates(join(peppolVectors, "G2-Peppol_Test_AccessPoint_CA.cer"))),
        ...(await readCertificates(join(peppolVectors, "PEPPOL_ACCESS_POINT_TEST_CA-G3.pem"))),
      ];
      const store = keyStoreFromPkcs12(forgeP12(leafKey, [leaf.certPem, ...peppol.map((c) => c.toString())]), "pw");
      expect(store.chain.map((c) => c.raw.toString("hex"))).to.deep.equal(peppol.map((c) => c.raw.toString("hex")));
    });

    for (const [label, pbe] of [
      ["PBES2/AES-256, SHA-256 MAC", []],
      ["legacy 3DES, SHA-1 MAC", ["-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"]],
    ] as const) {
      it(`reads an OpenSSL-made keystore with an EC key (${label})`, function () {
        if (!hasOpenssl()) this.skip();
        const dir = mkdtempSync(join(tmpdir(), "pki-p12-"));
        try {
          const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
          const [key, cert, ks] = ["key.pem", "cert.pem", "ks.p12"].map((n) => join(dir, n)) as [string, string, string];
          writeFileSync(key, privateKey.export({ format: "pem", type: "pkcs8" }));
          execFileSync("openssl", ["req", "-x509", "-new", "-key", key, "-subj", "/CN=ec test", "-days", "3", "-out", cert], { stdio: "ignore" });
          execFileSync("openssl", ["pkcs12", "-export", "-inkey", key, "-in", cert, "-name", "ec", "-passout", "pass:pw", ...pbe, "-out", ks], { stdio: "ignore" });
          const store = keyStoreFromPkcs12(readFileSync(ks), "pw", { alias: "ec" });
          expect(store.privateKey.asymmetricKeyType).to.equal("ec");
          expect(spki(store.privateKey)).to.equal(spki(privateKey));
          expect(store.certificate.subject).to.equal("CN=ec test");
          expectThrows(() => keyStoreFromPkcs12(readFileSync(ks), "wrong"), KeystorePasswordError);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });

  describe("PEM", () => {
    it("finds the key's certificate in a bundle in any order and orders the chain", () => {
      const { leaf, intermediate, root } = testPki();
      const store = keyStoreFromPem({ key: leaf.keyPem, certificate: root.certPem + leaf.certPem + intermediate.certPem });
      expect(store.certificate.fingerprint256).to.equal(leaf.cert.fingerprint256);
      expect(store.chain.map((c) => c.fingerprint256)).to.deep.equal([intermediate.cert.fingerprint256, root.cert.fingerprint256]);
    });

    it("adds a separate chain", () => {
      const { leaf, intermediate, root } = testPki();
      const store = keyStoreFromPem({ key: leaf.keyPem, certificate: leaf.certPem, chain: root.certPem + intermediate.certPem });
      expect(store.chain).to.have.length(2);
    });

    it("opens an encrypted key with its passphrase and rejects a wrong or missing one", () => {
      const { leaf } = testPki();
      const encrypted = leaf.privateKey
        .export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: "open sesame" })
        .toString();
      const store = keyStoreFromPem({ key: encrypted, certificate: leaf.certPem, passphrase: "open sesame" });
      expect(spki(store.privateKey)).to.equal(spki(leaf.privateKey));
      expectThrows(() => keyStoreFromPem({ key: encrypted, certificate: leaf.certPem, passphrase: "open barley" }), KeystorePasswordError);
      expectThrows(() => keyStoreFromPem({ key: encrypted, certificate: leaf.certPem }), KeystorePasswordError);
    });

    it("rejects a text without a private key with KeystoreNoKeyError", () => {
      const { leaf } = testPki();
      const error = expectThrows(() => keyStoreFromPem({ key: leaf.certPem, certificate: leaf.certPem }), KeystoreNoKeyError);
      expect(error.code).to.equal("ERR_PKI_KEYSTORE_NO_KEY");
    });

    it("rejects a corrupt private key with KeystoreFormatError", () => {
      const { leaf } = testPki();
      const corrupt = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
      expectThrows(() => keyStoreFromPem({ key: corrupt, certificate: leaf.certPem }), KeystoreFormatError);
    });

    it("rejects a missing certificate with KeystoreNoCertificateError", () => {
      const { leaf } = testPki();
      expectThrows(() => keyStoreFromPem({ key: leaf.keyPem, certificate: leaf.keyPem }), KeystoreNoCertificateError);
    });

    it("rejects a key that matches no certificate with KeyCertificateMismatchError", () => {
      const { leaf, intermediate } = testPki();
      const error = expectThrows(
        () => keyStoreFromPem({ key: intermediate.keyPem, certificate: leaf.certPem }),
        KeyCertificateMismatchError,
      );
      expect(error.code).to.equal("ERR_PKI_KEYSTORE_KEY_MISMATCH");
    });
  });

  describe("loadKeyStore", () => {
    const sameStore = (a: KeyStore, b: KeyStore) => {
      expect(a.certificate.fingerprint256).to.equal(b.certificate.fingerprint256);
      expect(spki(a.privateKey)).to.equal(spki(b.privateKey));
    };

    it("loads the same identity from PEM files and from the PKCS#12 file", async () => {
      const fromPem = await loadKeyStore({
        type: "pem",
        keyFile: join(certsExample, "business/991825827.key.pem"),
        certificateFile: join(certsExample, "business/991825827.pem"),
        chainFile: join(certsExample, "business/intermediate-ca.pem"),
      });
      const fromP12 = await loadKeyStore({ type: "pkcs12", file: join(certsExample, "business/991825827.p12"), password: "changeit" });
      sameStore(fromPem, fromP12);
      expect(fromPem.chain).to.have.length(1);
      expect(fromP12.chain).to.have.length(2);
    });

    it("passes on a wrong password from configuration", async () => {
      let caught: unknown;
      try {
        await loadKeyStore({ type: "pkcs12", file: join(certsExample, "business/991825827.p12"), password: "nope" });
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(KeystorePasswordError);
    });
  });
});
