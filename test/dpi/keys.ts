/**
 * Keys and certificates for the dokumentpakke tests: fresh RSA recipients, and the key in Digdir's
 * eksempel.jks (read through `keytool -importkeystore` into a temporary PKCS#12).
 */
import { spawnSync } from "node:child_process";
import { X509Certificate, createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import forge from "node-forge";

export interface Recipient {
  key: KeyObject;
  keyPem: string;
  cert: X509Certificate;
  certPem: string;
}

/** A self-signed certificate for a new RSA key. */
export function makeRecipient(commonName: string, serialHex: string): Recipient {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString());
  cert.serialNumber = serialHex;
  cert.validity.notBefore = new Date("2024-01-01T00:00:00Z");
  cert.validity.notAfter = new Date("2034-01-01T00:00:00Z");
  const name = [{ name: "commonName", value: commonName }, { name: "organizationName", value: "DPI test" }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: "pkcs1", format: "pem" }).toString()), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  return {
    key: privateKey,
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    cert: new X509Certificate(certPem),
    certPem,
  };
}

export function hasCommand(command: string, versionArg: string): boolean {
  const result = spawnSync(command, [versionArg], { stdio: "ignore" });
  return result.error === undefined && result.status === 0;
}

/** The first key entry of a JKS, or undefined when keytool is not installed. */
export function readJks(path: string, password: string): { key: KeyObject; cert: X509Certificate } | undefined {
  if (!hasCommand("keytool", "-help")) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "dpi-jks-"));
  try {
    const p12 = join(dir, "store.p12");
    const result = spawnSync(
      "keytool",
      ["-importkeystore", "-noprompt", "-srckeystore", path, "-srcstoretype", "JKS", "-srcstorepass", password,
        "-destkeystore", p12, "-deststoretype", "PKCS12", "-deststorepass", password],
      { encoding: "utf8" },
    );
    if (result.status !== 0) throw new Error(`keytool failed: ${result.stderr}`);
    const store = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(readFileSync(p12).toString("binary")), password);
    const keyBagType = forge.pki.oids["pkcs8ShroudedKeyBag"] as string;
    const certBagType = forge.pki.oids["certBag"] as string;
    const keyBag = store.getBags({ bagType: keyBagType })[keyBagType]?.[0];
    const certBag = store.getBags({ bagType: certBagType })[certBagType]?.[0];
    if (!keyBag?.key || !certBag?.cert) throw new Error("no key entry in the keystore");
    return {
      key: createPrivateKey(forge.pki.privateKeyToPem(keyBag.key)),
      cert: new X509Certificate(forge.pki.certificateToPem(certBag.cert)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
