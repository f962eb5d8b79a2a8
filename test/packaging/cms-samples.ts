/**
 * CMS envelopes for decryptCms from every producer the packaging and dokumentpakke tests meet, each with the key
 * that opens it: our DER writer (encryptCms), pkijs' BER (encryptDokumentpakke), openssl in the forms it makes
 * (OAEP with each parameter choice and a label, PKCS#1 v1.5, AES-128/192/256-CBC, AES-GCM in
 * AuthEnvelopedData, a subject key identifier, streamed BER, several recipients of several kinds) when openssl is
 * installed, BouncyCastle's streamed EnvelopedData as the integrasjonspunkt writes it when java and Debian's
 * bcprov/bcpkix are, and Digdir's dokumentpakker with the key of eksempel.jks when ../shared/vectors and keytool
 * are there; and an AuthEnvelopedData with authenticated attributes, made here. For the decryption's differential
 * test and timing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createCipheriv, randomBytes, type KeyObject, type X509Certificate } from "node:crypto";
import { encryptDokumentpakke } from "../../src/dpi/dokumentpakke.js";
import { encryptCms } from "../../src/packaging/index.js";
import { OID } from "../../src/packaging/cms-algorithms.js";
import { issuerAndSerialNumber } from "../../src/packaging/certificates.js";
import { algorithm, explicit, integer, octetString, oid, sequence, setOf, tlv } from "../../src/packaging/der.js";
import { wrapContentKey } from "../../src/packaging/rsa-key-transport.js";
import { readJks } from "../dpi/keys.js";
import { vectorPath } from "../dpi/vectors.js";
import { certPath, RECEIVER } from "./fixtures.js";

export interface Holder {
  readonly privateKey: KeyObject;
  readonly certificate: X509Certificate;
}

export interface DecryptSample {
  readonly name: string;
  readonly cms: Uint8Array;
  /** Whose key opens it */
  readonly holder: Holder;
}

const HERE = fileURLToPath(new URL(".", import.meta.url));
const BC_JARS = ["bcprov", "bcpkix", "bcutil"].map((j) => `/usr/share/java/${j}.jar`);
const RECEIVER_ORG = "984661185";
const OTHER_ORG = "922020175";

export async function decryptSamples(plain: Uint8Array): Promise<DecryptSample[]> {
  const samples: DecryptSample[] = [
    { name: "encryptCms rsaes-oaep", cms: encryptCms(plain, RECEIVER.certificate, "rsaes-oaep"), holder: RECEIVER },
    { name: "encryptCms rsa-pkcs1v15", cms: encryptCms(plain, RECEIVER.certificate, "rsa-pkcs1v15"), holder: RECEIVER },
    { name: "pkijs (encryptDokumentpakke)", cms: await encryptDokumentpakke(plain, RECEIVER.certificate), holder: RECEIVER },
    { name: "AuthEnvelopedData with authAttrs and a 12-byte tag", cms: authEnvelopedWithAttributes(plain, RECEIVER.certificate), holder: RECEIVER },
  ];
  if (run("openssl", ["version"])) samples.push(...opensslSamples(plain));
  if (BC_JARS.every(existsSync) && run("javac", ["-version"]) && run("java", ["-version"])) samples.push(...bouncyCastleSamples(plain));
  samples.push(...digdirSamples());
  return samples;
}

/**
 * AuthEnvelopedData (RFC 5083) as no producer here writes it: authenticated attributes (a content-type), which GCM
 * authenticates as their SET encoding, and the tag length left at its default of 12 bytes. DER, RSAES-OAEP.
 */
export function authEnvelopedWithAttributes(plain: Uint8Array, recipient: X509Certificate): Uint8Array {
  const cek = randomBytes(32);
  const nonce = randomBytes(12);
  // Attribute ::= SEQUENCE { attrType, attrValues SET OF }: content-type = data
  const attributes = setOf([sequence(oid(OID.contentTypeAttr), setOf([oid(OID.data)]))]);
  const cipher = createCipheriv("aes-256-gcm", cek, nonce, { authTagLength: 12 });
  cipher.setAAD(attributes);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  const wrapped = wrapContentKey(cek, recipient.publicKey, "rsaes-oaep");
  const recipientInfo = sequence(integer(0), issuerAndSerialNumber(recipient), wrapped.algorithm, octetString(wrapped.encryptedKey));
  const encryptedContentInfo = sequence(oid(OID.data), algorithm(OID.aes256Gcm, sequence(octetString(nonce))), tlv(0x80, ciphertext));
  const authAttrs = Uint8Array.from(attributes);
  authAttrs[0] = 0xa1; // [1] IMPLICIT
  const authEnveloped = sequence(integer(0), setOf([recipientInfo]), encryptedContentInfo, authAttrs, octetString(cipher.getAuthTag()));
  return sequence(oid(OID.authEnvelopedData), explicit(0, authEnveloped));
}

function run(cmd: string, args: string[], cwd?: string): boolean {
  const r = spawnSync(cmd, args, { cwd, stdio: "ignore", timeout: 120_000 });
  return r.error === undefined && r.status === 0;
}

function inScratch<T>(prefix: string, work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl cms -encrypt` of `plain` with these arguments as DER, or undefined without openssl. */
export function opensslEncrypt(plain: Uint8Array, args: string[]): Uint8Array | undefined {
  if (!run("openssl", ["version"])) return undefined;
  return inScratch("efm-cms-openssl-", (dir) => {
    writeFileSync(join(dir, "plain.bin"), plain);
    if (!run("openssl", ["cms", "-encrypt", "-binary", "-in", "plain.bin", "-outform", "DER", "-out", "out.der", ...args], dir)) {
      throw new Error(`openssl cms -encrypt ${args.join(" ")} failed`);
    }
    return new Uint8Array(readFileSync(join(dir, "out.der")));
  });
}

function opensslSamples(plain: Uint8Array): DecryptSample[] {
  const oaep = ["-keyopt", "rsa_padding_mode:oaep"];
  const forms: Record<string, string[]> = {
    "OAEP SHA-256/MGF1-SHA-256, AES-256-CBC": ["-aes-256-cbc", "-recip", certPath(RECEIVER_ORG), ...oaep, "-keyopt", "rsa_oaep_md:sha256", "-keyopt", "rsa_mgf1_md:sha256"],
    "OAEP defaults, AES-128-CBC": ["-aes-128-cbc", "-recip", certPath(RECEIVER_ORG), ...oaep],
    "OAEP SHA-512/MGF1-SHA-512, AES-192-CBC": ["-aes-192-cbc", "-recip", certPath(RECEIVER_ORG), ...oaep, "-keyopt", "rsa_oaep_md:sha512", "-keyopt", "rsa_mgf1_md:sha512"],
    "OAEP SHA-256/MGF1-SHA-1": ["-aes-256-cbc", "-recip", certPath(RECEIVER_ORG), ...oaep, "-keyopt", "rsa_oaep_md:sha256", "-keyopt", "rsa_mgf1_md:sha1"],
    "OAEP with a label": ["-aes-256-cbc", "-recip", certPath(RECEIVER_ORG), ...oaep, "-keyopt", "rsa_oaep_label:0102"],
    "PKCS#1 v1.5, AES-256-CBC": ["-aes-256-cbc", "-recip", certPath(RECEIVER_ORG)],
    "AES-256-GCM in AuthEnvelopedData": ["-aes-256-gcm", "-recip", certPath(RECEIVER_ORG)],
    "AES-128-GCM in AuthEnvelopedData, OAEP": ["-aes-128-gcm", "-recip", certPath(RECEIVER_ORG), ...oaep],
    "subject key identifier": ["-aes-256-cbc", "-recip", certPath(RECEIVER_ORG), "-keyid"],
    "streamed BER": ["-aes-256-cbc", "-stream", "-recip", certPath(RECEIVER_ORG)],
    "another recipient first": ["-aes-256-cbc", "-recip", certPath(OTHER_ORG), "-recip", certPath(RECEIVER_ORG)],
    "a KEK recipient besides": ["-aes-256-cbc", "-recip", certPath(RECEIVER_ORG), "-secretkey", "000102030405060708090a0b0c0d0e0f", "-secretkeyid", "0a0b"],
    "triple DES": ["-des3", "-recip", certPath(RECEIVER_ORG)],
    "for another organisation only": ["-aes-256-cbc", "-recip", certPath(OTHER_ORG)],
  };
  return Object.entries(forms).map(([name, args]) => ({ name: `openssl ${name}`, cms: opensslEncrypt(plain, args)!, holder: RECEIVER }));
}

/* BcInterop.java encrypts as efm-common's CreateCMSDocument: streamed BER, AES-256-CBC. */
function bouncyCastleSamples(plain: Uint8Array): DecryptSample[] {
  return inScratch("efm-cms-bc-", (dir) => {
    const classes = join(dir, "classes");
    if (!run("javac", ["-nowarn", "-cp", BC_JARS.join(":"), "-d", classes, join(HERE, "BcInterop.java")])) throw new Error("javac BcInterop.java failed");
    writeFileSync(join(dir, "plain.bin"), plain);
    return (["oaep", "pkcs1"] as const).map((scheme) => {
      const out = join(dir, `${scheme}.der`);
      if (!run("java", ["-cp", [classes, ...BC_JARS].join(":"), "BcInterop", "encrypt", certPath(RECEIVER_ORG), join(dir, "plain.bin"), out, scheme])) {
        throw new Error(`BcInterop encrypt ${scheme} failed`);
      }
      return { name: `BouncyCastle ${scheme}`, cms: new Uint8Array(readFileSync(out)), holder: RECEIVER };
    });
  });
}

/* Digdir's example dokumentpakker, encrypted by their Java tooling to the key in eksempel.jks. */
function digdirSamples(): DecryptSample[] {
  const jksPath = vectorPath("eksempel.jks");
  if (!existsSync(jksPath)) return [];
  const jks = readJks(jksPath, "changeit");
  if (!jks) return [];
  return ["digital", "digital-pa-vegne-av"].flatMap((set) => {
    const path = vectorPath(`${set}-dokumentpakke.cms`);
    return existsSync(path) ? [{ name: `Digdir ${set}`, cms: new Uint8Array(readFileSync(path)), holder: { privateKey: jks.key, certificate: jks.cert } }] : [];
  });
}

