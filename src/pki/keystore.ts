/**
 * Our own key and certificate, from PEM (files or strings) or a PKCS#12 keystore.
 *
 * node-forge reads PKCS#12 because it handles the legacy PBE schemes (3DES, RC2) that older Java and
 * OpenSSL keystores still use; the key and certificates leave it as DER for node:crypto.
 */
import forge from "node-forge";
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  KeyCertificateMismatchError,
  KeystoreAliasError,
  KeystoreFormatError,
  KeystoreNoCertificateError,
  KeystoreNoKeyError,
  KeystorePasswordError,
  PemFormatError,
} from "./errors.js";
import { parseCertificates, uniqueCertificates } from "./pem.js";

export interface KeyStore {
  readonly privateKey: KeyObject;
  /** The certificate of `privateKey`. */
  readonly certificate: X509Certificate;
  /** Other certificates that came with it: its issuers upward first (as far as they link), then the rest. */
  readonly chain: readonly X509Certificate[];
}

export interface PemKeyStoreInput {
  /** PEM private key (PKCS#8, PKCS#1 or SEC1; encrypted if `passphrase` is given). */
  key: string | Uint8Array;
  /** PEM certificate, or a bundle holding the certificate of `key` and any chain certificates. */
  certificate: string | Uint8Array;
  /** Optional further chain certificates (PEM bundle). */
  chain?: string | Uint8Array;
  passphrase?: string;
}

export type KeyStoreSource =
  | { type: "pem"; keyFile: string; certificateFile: string; chainFile?: string; passphrase?: string }
  | { type: "pkcs12"; file: string; password: string; alias?: string };

/** Loads a keystore described by configuration. */
export async function loadKeyStore(source: KeyStoreSource): Promise<KeyStore> {
  if (source.type === "pkcs12") {
    return keyStoreFromPkcs12(await readFile(source.file), source.password, source.alias === undefined ? {} : { alias: source.alias });
  }
  return keyStoreFromPem({
    key: await readFile(source.keyFile),
    certificate: await readFile(source.certificateFile),
    ...(source.chainFile === undefined ? {} : { chain: await readFile(source.chainFile) }),
    ...(source.passphrase === undefined ? {} : { passphrase: source.passphrase }),
  });
}

/** A keystore from PEM texts; the certificate is whichever one in `certificate` matches the key. */
export function keyStoreFromPem(input: PemKeyStoreInput): KeyStore {
  const keyText = Buffer.from(input.key).toString("utf8");
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyText)) throw new KeystoreNoKeyError("no PEM private key found");
  const privateKey = readPrivateKey(keyText, input.passphrase);

  const certificates = [...pemCertificates(input.certificate), ...(input.chain ? pemCertificates(input.chain) : [])];
  return assemble(privateKey, uniqueCertificates(certificates));
}

/**
 * A keystore from PKCS#12 bytes. With one key entry it is taken; with several, `alias` (friendly name,
 * compared case-insensitively as keytool does) picks one.
 */
export function keyStoreFromPkcs12(data: Uint8Array, password: string, options: { alias?: string } = {}): KeyStore {
  const p12 = decodePkcs12(data, password);
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? []),
  ];
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];

  const keyBag = chooseKeyBag(keyBags, options.alias);
  const privateKey = bagKey(keyBag);
  const certificates = certBags.map(bagCertificate);

  // Prefer the certificate the keystore itself links to the key (localKeyId), then any that matches.
  const keyId = keyBag.attributes.localKeyId?.[0];
  const linked = keyId === undefined ? -1 : certBags.findIndex((b) => b.attributes.localKeyId?.[0] === keyId);
  if (linked > 0) certificates.unshift(...certificates.splice(linked, 1));
  return assemble(privateKey, uniqueCertificates(certificates));
}

// ---------------------------------------------------------------------------------------------------------

type Bag = forge.pkcs12.Bag & { asn1?: forge.asn1.Asn1 };

function decodePkcs12(data: Uint8Array, password: string): forge.pkcs12.Pkcs12Pfx {
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(Buffer.from(data).toString("binary"), false);
  } catch (cause) {
    throw new KeystoreFormatError("not a PKCS#12 keystore", { cause });
  }
  try {
    return forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    if (/password/i.test(message)) throw new KeystorePasswordError("wrong PKCS#12 password", { cause });
    throw new KeystoreFormatError(`unreadable PKCS#12 keystore: ${message}`, { cause });
  }
}

function chooseKeyBag(bags: Bag[], alias: string | undefined): Bag {
  if (bags.length === 0) throw new KeystoreNoKeyError("the PKCS#12 keystore holds no private key");
  if (alias !== undefined) {
    const wanted = alias.toLowerCase();
    const match = bags.find((b) => b.attributes.friendlyName?.some((n: string) => n.toLowerCase() === wanted));
    if (!match) throw new KeystoreAliasError(`no key entry with alias "${alias}"`);
    return match;
  }
  if (bags.length > 1) {
    const names = bags.map((b) => b.attributes.friendlyName?.[0] ?? "(unnamed)").join(", ");
    throw new KeystoreAliasError(`the PKCS#12 keystore holds several keys (${names}); name one by alias`);
  }
  return bags[0]!;
}

function bagKey(bag: Bag): KeyObject {
  // forge decodes RSA keys; other key types come back as the raw PrivateKeyInfo.
  const info = bag.key
    ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key as forge.pki.rsa.PrivateKey))
    : bag.asn1;
  if (!info) throw new KeystoreNoKeyError("the PKCS#12 key entry is empty");
  try {
    return createPrivateKey({ key: derOf(info), format: "der", type: "pkcs8" });
  } catch (cause) {
    throw new KeystoreFormatError("the PKCS#12 private key cannot be read", { cause });
  }
}

function bagCertificate(bag: Bag): X509Certificate {
  // forge keeps the parsed TBSCertificate, so re-encoding reproduces the original DER.
  const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
  if (!asn1) throw new KeystoreFormatError("empty PKCS#12 certificate entry");
  try {
    return new X509Certificate(derOf(asn1));
  } catch (cause) {
    throw new KeystoreFormatError("a PKCS#12 certificate cannot be read", { cause });
  }
}

function derOf(asn1: forge.asn1.Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}

function readPrivateKey(pem: string, passphrase: string | undefined): KeyObject {
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem);
  if (encrypted && passphrase === undefined) throw new KeystorePasswordError("the private key is encrypted and no passphrase was given");
  try {
    return createPrivateKey(passphrase === undefined ? { key: pem } : { key: pem, passphrase });
  } catch (cause) {
    // A wrong passphrase usually fails the padding check ("bad decrypt"), but now and then it decrypts to
    // garbage that fails to decode instead; for an encrypted key both mean the passphrase.
    if (encrypted) throw new KeystorePasswordError("wrong passphrase for the private key", { cause });
    throw new KeystoreFormatError("the private key cannot be read", { cause });
  }
}

function pemCertificates(input: string | Uint8Array): X509Certificate[] {
  try {
    return parseCertificates(input);
  } catch (error) {
    if (error instanceof PemFormatError && error.message === "no certificate found") {
      throw new KeystoreNoCertificateError("no certificate found", { cause: error });
    }
    throw error;
  }
}

function assemble(privateKey: KeyObject, certificates: X509Certificate[]): KeyStore {
  if (certificates.length === 0) throw new KeystoreNoCertificateError("the keystore holds no certificate");
  const certificate = certificates.find((c) => c.checkPrivateKey(privateKey));
  if (!certificate) {
    throw new KeyCertificateMismatchError("no certificate in the keystore matches the private key");
  }
  return { privateKey, certificate, chain: orderChain(certificate, certificates.filter((c) => c !== certificate)) };
}

/** Issuers of `leaf` upward as far as they link, then the unrelated rest in their original order. */
function orderChain(leaf: X509Certificate, others: X509Certificate[]): X509Certificate[] {
  const rest = [...others];
  const ordered: X509Certificate[] = [];
  let current = leaf;
  while (!current.checkIssued(current)) {
    const i = rest.findIndex((c) => current.checkIssued(c) && current.verify(c.publicKey));
    if (i < 0) break;
    current = rest.splice(i, 1)[0]!;
    ordered.push(current);
  }
  return [...ordered, ...rest];
}
