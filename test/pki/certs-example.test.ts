/** certs-example/ is committed output of scripts/make-certs.ts; these checks keep it coherent. */
import { expect } from "chai";
import * as pkijs from "pkijs";
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { validateChain } from "../../src/pki/chain.js";
import { organisationNumberOf } from "../../src/pki/business-certificate.js";
import { UntrustedCertificateError } from "../../src/pki/errors.js";
import { loadKeyStore } from "../../src/pki/keystore.js";
import { peppolSeatIdOf } from "../../src/pki/peppol-certificate.js";
import { AT, certsExample, exampleText } from "./helpers.js";

const cert = async (relative: string) => new X509Certificate(await exampleText(relative));
const p12 = (relative: string) => loadKeyStore({ type: "pkcs12", file: join(certsExample, relative), password: "changeit" });

describe("certs-example", () => {
  for (const [area, leaves] of [
    ["ap", ["POP000001", "POP000002", "POP000009"]],
    ["smp", ["SMP000001"]],
    ["business", ["991825827", "810969342", "910076787", "984661185", "922020175", "974761076"]],
  ] as const) {
    it(`${area}: every leaf chains to its own root and its PKCS#12 holds key, certificate and chain`, async () => {
      const root = await cert(`${area}/root-ca.pem`);
      const intermediate = await cert(`${area}/intermediate-ca.pem`);
      for (const name of leaves) {
        const leaf = await cert(`${area}/${name}.pem`);
        expect(validateChain(leaf, [intermediate], [root], AT)).to.have.length(3);
        const store = await p12(`${area}/${name}.p12`);
        expect(store.certificate.fingerprint256).to.equal(leaf.fingerprint256);
        expect(store.chain.map((c) => c.fingerprint256)).to.deep.equal([intermediate.fingerprint256, root.fingerprint256]);
        expect(leaf.checkPrivateKey(createPrivateKey(await exampleText(`${area}/${name}.key.pem`)))).to.equal(true);
      }
    });
  }

  it("keeps the three PKIs apart", async () => {
    const apLeaf = await cert("ap/POP000001.pem");
    const smpRoot = await cert("smp/root-ca.pem");
    const businessIntermediate = await cert("business/intermediate-ca.pem");
    expect(() => validateChain(apLeaf, [businessIntermediate], [smpRoot], AT)).to.throw(UntrustedCertificateError);
  });

  it("names access points by seat id and businesses by organisation number", async () => {
    for (const seat of ["POP000001", "POP000002", "POP000009"]) expect(peppolSeatIdOf(await cert(`ap/${seat}.pem`))).to.equal(seat);
    for (const orgNo of ["991825827", "810969342", "910076787", "984661185", "922020175", "974761076"]) {
      expect(organisationNumberOf(await cert(`business/${orgNo}.pem`))).to.equal(orgNo);
    }
  });

  it("gives access point leaves the OCSP URL and clientAuth", async () => {
    const leaf = await cert("ap/POP000001.pem");
    expect(leaf.infoAccess).to.include("OCSP - URI:http://127.0.0.1:8899/ocsp");
    expect(leaf.keyUsage).to.deep.equal(["1.3.6.1.5.5.7.3.2"]);
  });

  it("has an intermediate CRL revoking exactly POP000009 and an empty root CRL, both signed by their CA", async () => {
    const crlOf = async (relative: string) => {
      const pem = await exampleText(relative);
      const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");
      return pkijs.CertificateRevocationList.fromBER(der);
    };
    const intermediate = await cert("ap/intermediate-ca.pem");
    const root = await cert("ap/root-ca.pem");
    const revoked = await cert("ap/POP000009.pem");
    const interCrl = await crlOf("ap/intermediate-ca.crl.pem");
    const serials = (interCrl.revokedCertificates ?? []).map((r) =>
      Buffer.from(r.userCertificate.valueBlock.valueHexView).toString("hex").toUpperCase(),
    );
    expect(serials).to.deep.equal([revoked.serialNumber.toUpperCase()]);
    expect(interCrl.nextUpdate?.value.toISOString()).to.equal("2045-01-01T00:00:00.000Z");
    expect(await interCrl.verify({ issuerCertificate: pkijs.Certificate.fromBER(intermediate.raw) })).to.equal(true);
    expect(await interCrl.verify({ issuerCertificate: pkijs.Certificate.fromBER(root.raw) })).to.equal(false);
    const rootCrl = await crlOf("ap/root-ca.crl.pem");
    expect(rootCrl.revokedCertificates ?? []).to.have.length(0);
    expect(await rootCrl.verify({ issuerCertificate: pkijs.Certificate.fromBER(root.raw) })).to.equal(true);
  });

  it("publishes the Maskinporten signing key's public half as JWKS", async () => {
    const jwks = JSON.parse(await readFile(join(certsExample, "maskinporten/jwks.json"), "utf8")) as { keys: Array<Record<string, string>> };
    expect(jwks.keys).to.have.length(1);
    const jwk = jwks.keys[0]!;
    expect(jwk).to.include({ kid: "dpi-ap-test-mp-1", alg: "RS256", use: "sig", kty: "RSA" });
    expect(jwk).to.not.have.property("d");
    const fromKey = createPublicKey(createPrivateKey(await exampleText("maskinporten/signing-key.pem"))).export({ format: "jwk" });
    expect(jwk.n).to.equal(fromKey.n);
  });
});
