/**
 * Test certificate factory: CAs, leaves, PKCS#12 keystores and CRLs for the example PKI, the demo and
 * tests that need ad-hoc certificates (expired, untrusted, wrong organisation number, broken chains).
 *
 * Keys come from node:crypto (fast, native); node-forge builds and signs the certificates and PKCS#12
 * files; pkijs signs CRLs because node-forge cannot. Nothing here is fit for production keys.
 */
import forge from "node-forge";
import * as pkijs from "pkijs";
import * as asn1js from "asn1js";
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, webcrypto, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Validity of the example PKI, fixed so the committed files stay usable for two decades. */
export const DEFAULT_NOT_BEFORE = new Date("2025-01-01T00:00:00Z");
export const DEFAULT_NOT_AFTER = new Date("2045-01-01T00:00:00Z");
export const DEFAULT_P12_PASSWORD = "changeit";

const OID = {
  organizationIdentifier: "2.5.4.97",
  serialNumber: "2.5.4.5",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  ocsp: "1.3.6.1.5.5.7.48.1",
  caIssuers: "1.3.6.1.5.5.7.48.2",
  cRLNumber: "2.5.29.20",
  authorityKeyIdentifier: "2.5.29.35",
  cRLReason: "2.5.29.21",
} as const;

/** Subject fields, written to the DN in this order: C, L, O, OU, organizationIdentifier, serialNumber, CN, extra. */
export interface SubjectSpec {
  C?: string;
  L?: string;
  O?: string;
  OU?: string;
  /** OID 2.5.4.97, e.g. "NTRNO-991825827" (current virksomhetssertifikat form). */
  organizationIdentifier?: string;
  /** OID 2.5.4.5, e.g. "810969342" (older Buypass virksomhetssertifikat form). */
  serialNumber?: string;
  CN: string;
  /** Further attributes by OID, appended after CN (UTF8String). */
  extra?: ReadonlyArray<{ oid: string; value: string }>;
}

export type KeyUsageFlag =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign";

/** Well-known EKU names, or any dotted OID. */
export type ExtKeyUsage = "serverAuth" | "clientAuth" | "codeSigning" | "emailProtection" | "timeStamping" | "OCSPSigning" | (string & {});

export interface CertOptions {
  subject: SubjectSpec;
  /** Short name: PKCS#12 friendly name and file stem. Defaults to the CN. */
  name?: string;
  /** Signing CA; absent means self-signed. */
  issuer?: Issued;
  notBefore?: Date;
  notAfter?: Date;
  /** Hex serial number; random 16 bytes when absent. */
  serialNumber?: string;
  /** Reuse an existing key (PKCS#8 or PKCS#1 PEM) instead of generating one. */
  keyPem?: string;
  /** Key usage bits; an empty list omits the extension. Defaults differ for CAs and leaves. */
  keyUsage?: readonly KeyUsageFlag[];
  /** Extended key usage; omitted when absent or empty. */
  extKeyUsage?: readonly ExtKeyUsage[];
  /** AIA OCSP responder URL. */
  ocspUrl?: string;
  /** CRL distribution point URL. */
  crlUrl?: string;
  /** Write the authorityKeyIdentifier extension (default true). Tests turn it off to forge look-alike issuers. */
  authorityKeyIdentifier?: boolean;
}

export interface CaOptions extends CertOptions {
  /** basicConstraints pathLenConstraint; absent means unlimited. */
  pathLength?: number;
}

export type LeafOptions = CertOptions;

/** A certificate with its key, as made by this factory or loaded with {@link loadIssued}. */
export interface Issued {
  readonly name: string;
  readonly cert: X509Certificate;
  readonly certPem: string;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
  readonly privateKey: KeyObject;
  /** The CA that signed it; undefined for self-signed certificates and loaded ones without a known issuer. */
  readonly issuer?: Issued;
}

/** Makes a CA certificate (basicConstraints cA=true, keyCertSign + cRLSign unless told otherwise). */
export function makeCa(options: CaOptions): Issued {
  return build(options, {
    ca: true,
    pathLength: options.pathLength,
    keyUsage: options.keyUsage ?? ["keyCertSign", "cRLSign"],
  });
}

/** Makes an end-entity certificate (basicConstraints cA=false, digitalSignature + keyEncipherment unless told otherwise). */
export function makeLeaf(options: LeafOptions): Issued {
  return build(options, {
    ca: false,
    pathLength: undefined,
    keyUsage: options.keyUsage ?? ["digitalSignature", "keyEncipherment"],
  });
}

/** The issuing chain above a certificate: its issuer, that issuer's issuer, and so on up to the root. */
export function chainOf(issued: Issued): Issued[] {
  const chain: Issued[] = [];
  for (let at = issued.issuer; at; at = at.issuer) chain.push(at);
  return chain;
}

/** Rebuilds an {@link Issued} from PEM text, e.g. a CA from certs-example that should sign ad-hoc leaves. */
export function loadIssued(input: { certPem: string; keyPem: string; name?: string; issuer?: Issued }): Issued {
  const cert = new X509Certificate(input.certPem);
  const privateKey = createPrivateKey(input.keyPem);
  if (!cert.checkPrivateKey(privateKey)) throw new Error("key does not match certificate");
  return {
    name: input.name ?? commonName(input.certPem),
    cert,
    certPem: cert.toString(),
    keyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    privateKey,
    ...(input.issuer ? { issuer: input.issuer } : {}),
  };
}

/** A new RSA-2048 key as PKCS#8 PEM (handy when several certificates should share one key). */
export function generateKeyPem(): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return privateKey.export({ format: "pem", type: "pkcs8" }).toString();
}

export interface Pkcs12Options {
  password?: string;
  /** Friendly name (alias) of the key entry; defaults to the certificate's short name. */
  friendlyName?: string;
  /** Include the issuing chain (default true). */
  includeChain?: boolean;
}

/** PKCS#12 (PBES2/AES-256-CBC key bag, HMAC-SHA1 MAC as node-forge writes it; OpenSSL 3 and keytool read it) with the key, the certificate and, by default, its chain. */
export function toPkcs12(issued: Issued, options: Pkcs12Options = {}): Buffer {
  const key = forge.pki.privateKeyFromPem(issued.keyPem);
  const certs = [issued, ...(options.includeChain === false ? [] : chainOf(issued))].map((i) =>
    forge.pki.certificateFromPem(i.certPem),
  );
  const p12 = forge.pkcs12.toPkcs12Asn1(key, certs, options.password ?? DEFAULT_P12_PASSWORD, {
    algorithm: "aes256",
    friendlyName: options.friendlyName ?? issued.name,
    generateLocalKeyId: true,
    count: 10000,
  });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), "binary");
}

export interface WriteOptions extends Pkcs12Options {
  /** File stem; defaults to the short name. */
  stem?: string;
  /** Also write `<stem>.p12` (default false). */
  pkcs12?: boolean;
}

/** Writes `<stem>.pem`, `<stem>.key.pem` and optionally `<stem>.p12` into `dir`; returns the paths written. */
export async function writeIssued(dir: string, issued: Issued, options: WriteOptions = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const stem = options.stem ?? issued.name;
  const written: Array<[string, string | Buffer]> = [
    [join(dir, `${stem}.pem`), issued.certPem],
    [join(dir, `${stem}.key.pem`), issued.keyPem],
  ];
  if (options.pkcs12) written.push([join(dir, `${stem}.p12`), toPkcs12(issued, options)]);
  for (const [path, data] of written) await writeFile(path, data);
  return written.map(([path]) => path);
}

export interface CrlEntry {
  /** Hex serial number, as in `X509Certificate.serialNumber`. */
  serialNumber: string;
  revocationDate: Date;
  /** RFC 5280 CRLReason code (1 = keyCompromise, ...); omitted when absent. */
  reason?: number;
}

export interface CrlOptions {
  issuer: Issued;
  revoked?: readonly CrlEntry[];
  thisUpdate?: Date;
  nextUpdate?: Date;
  crlNumber?: number;
}

/** A v2 CRL signed (SHA-256 with RSA) by `issuer`, with CRL number and authority key identifier. */
export async function makeCrl(options: CrlOptions): Promise<{ der: Buffer; pem: string }> {
  const issuerCert = pkijs.Certificate.fromBER(options.issuer.cert.raw);
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = issuerCert.subject;
  crl.thisUpdate = new pkijs.Time({ type: 0, value: options.thisUpdate ?? DEFAULT_NOT_BEFORE });
  crl.nextUpdate = new pkijs.Time({ type: 0, value: options.nextUpdate ?? DEFAULT_NOT_AFTER });
  const revoked = options.revoked ?? [];
  if (revoked.length > 0) {
    crl.revokedCertificates = revoked.map(
      (entry) =>
        new pkijs.RevokedCertificate({
          userCertificate: new asn1js.Integer({ valueHex: hexToArrayBuffer(entry.serialNumber) }),
          revocationDate: new pkijs.Time({ type: 0, value: entry.revocationDate }),
          ...(entry.reason === undefined
            ? {}
            : {
                crlEntryExtensions: new pkijs.Extensions({
                  extensions: [
                    new pkijs.Extension({
                      extnID: OID.cRLReason,
                      critical: false,
                      extnValue: new asn1js.Enumerated({ value: entry.reason }).toBER(false),
                    }),
                  ],
                }),
              }),
        }),
    );
  }
  const extensions: pkijs.Extension[] = [
    new pkijs.Extension({
      extnID: OID.cRLNumber,
      critical: false,
      extnValue: new asn1js.Integer({ value: options.crlNumber ?? 1 }).toBER(false),
    }),
  ];
  const ski = subjectKeyIdentifierOf(issuerCert);
  if (ski) {
    extensions.push(
      new pkijs.Extension({
        extnID: OID.authorityKeyIdentifier,
        critical: false,
        extnValue: new pkijs.AuthorityKeyIdentifier({
          keyIdentifier: new asn1js.OctetString({ valueHex: ski }),
        })
          .toSchema()
          .toBER(false),
      }),
    );
  }
  crl.crlExtensions = new pkijs.Extensions({ extensions });

  const signingKey = await webcrypto.subtle.importKey(
    "pkcs8",
    options.issuer.privateKey.export({ format: "der", type: "pkcs8" }),
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["sign"],
  );
  await crl.sign(signingKey as CryptoKey, "SHA-256");
  const der = Buffer.from(crl.toSchema(true).toBER(false));
  return { der, pem: toPem("X509 CRL", der) };
}

// ---------------------------------------------------------------------------------------------------------

interface Profile {
  ca: boolean;
  pathLength: number | undefined;
  keyUsage: readonly KeyUsageFlag[];
}

function build(options: CertOptions, profile: Profile): Issued {
  const keyPem = options.keyPem ?? generateKeyPem();
  const privateKey = createPrivateKey(keyPem);
  const publicPem = createPublicPem(privateKey);
  const forgePublic = forge.pki.publicKeyFromPem(publicPem);

  const signer = options.issuer;
  const signerKey = forge.pki.privateKeyFromPem(signer ? signer.keyPem : keyPem);
  const signerCert = signer ? forge.pki.certificateFromPem(signer.certPem) : undefined;

  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePublic;
  cert.serialNumber = options.serialNumber ?? randomSerial();
  cert.validity.notBefore = options.notBefore ?? DEFAULT_NOT_BEFORE;
  cert.validity.notAfter = options.notAfter ?? DEFAULT_NOT_AFTER;
  const subject = subjectAttributes(options.subject);
  cert.setSubject(subject);
  cert.setIssuer(signerCert ? reencodable(signerCert.subject.attributes) : subject);

  const extensions: object[] = [
    profile.pathLength === undefined
      ? { name: "basicConstraints", critical: true, cA: profile.ca }
      : { name: "basicConstraints", critical: true, cA: profile.ca, pathLenConstraint: profile.pathLength },
  ];
  if (profile.keyUsage.length > 0) {
    extensions.push({ name: "keyUsage", critical: true, ...Object.fromEntries(profile.keyUsage.map((k) => [k, true])) });
  }
  if (options.extKeyUsage && options.extKeyUsage.length > 0) {
    extensions.push({ name: "extKeyUsage", ...Object.fromEntries(options.extKeyUsage.map((k) => [k, true])) });
  }
  extensions.push({ name: "subjectKeyIdentifier" });
  if (options.authorityKeyIdentifier !== false) {
    const issuerPublic = signerCert ? signerCert.publicKey : forgePublic;
    extensions.push({ name: "authorityKeyIdentifier", keyIdentifier: keyIdentifierOf(issuerPublic) });
  }
  if (options.ocspUrl) extensions.push(authorityInfoAccess(options.ocspUrl));
  if (options.crlUrl) {
    extensions.push({ name: "cRLDistributionPoints", altNames: [{ type: 6, value: options.crlUrl }] });
  }
  cert.setExtensions(extensions);
  cert.sign(signerKey, forge.md.sha256.create());

  const certPem = forge.pki.certificateToPem(cert);
  return {
    name: options.name ?? options.subject.CN,
    cert: new X509Certificate(certPem),
    certPem,
    keyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    privateKey,
    ...(signer ? { issuer: signer } : {}),
  };
}

function subjectAttributes(subject: SubjectSpec): forge.pki.CertificateField[] {
  const utf8 = forge.asn1.Type.UTF8 as unknown as forge.asn1.Class;
  const printable = forge.asn1.Type.PRINTABLESTRING as unknown as forge.asn1.Class;
  const out: forge.pki.CertificateField[] = [];
  const add = (type: string, value: string | undefined, tag: forge.asn1.Class) => {
    if (value !== undefined) out.push({ type, value, valueTagClass: tag });
  };
  add("2.5.4.6", subject.C, printable);
  add("2.5.4.7", subject.L, utf8);
  add("2.5.4.10", subject.O, utf8);
  add("2.5.4.11", subject.OU, utf8);
  add(OID.organizationIdentifier, subject.organizationIdentifier, utf8);
  add(OID.serialNumber, subject.serialNumber, printable);
  add("2.5.4.3", subject.CN, utf8);
  for (const { oid, value } of subject.extra ?? []) add(oid, value, utf8);
  return out;
}

/**
 * node-forge keeps parsed UTF8String values as raw UTF-8 bytes but encodes them again when writing a DN,
 * so an issuer name with non-ASCII letters would come out double-encoded and no longer match its CA.
 */
function reencodable(attributes: forge.pki.CertificateField[]): forge.pki.CertificateField[] {
  const utf8 = forge.asn1.Type.UTF8 as unknown as forge.asn1.Class;
  return attributes.map((a) =>
    a.valueTagClass === utf8 && typeof a.value === "string" ? { ...a, value: forge.util.decodeUtf8(a.value) } : a,
  );
}

/** AuthorityInfoAccess with one OCSP access description; node-forge has no builder for it. */
function authorityInfoAccess(ocspUrl: string): object {
  const { asn1 } = forge;
  const value = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(OID.ocsp).getBytes()),
      asn1.create(asn1.Class.CONTEXT_SPECIFIC, 6, false, ocspUrl),
    ]),
  ]);
  return { id: OID.authorityInfoAccess, critical: false, value };
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits (what forge writes as subjectKeyIdentifier). */
function keyIdentifierOf(publicKey: forge.pki.PublicKey): string {
  return forge.pki
    .getPublicKeyFingerprint(publicKey as forge.pki.rsa.PublicKey, { type: "RSAPublicKey", md: forge.md.sha1.create() })
    .getBytes();
}

function subjectKeyIdentifierOf(cert: pkijs.Certificate): ArrayBuffer | undefined {
  const ext = cert.extensions?.find((e) => e.extnID === "2.5.29.14");
  if (!ext) return undefined;
  const parsed = asn1js.fromBER(ext.extnValue.getValue());
  if (!(parsed.result instanceof asn1js.OctetString)) return undefined;
  return parsed.result.getValue();
}

function createPublicPem(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ format: "pem", type: "spki" }).toString();
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10; // positive and exactly 16 octets in DER
  return bytes.toString("hex");
}

function hexToArrayBuffer(hex: string): ArrayBuffer {
  const clean = hex.replace(/[^0-9a-f]/gi, "");
  const bytes = Buffer.from(clean.length % 2 ? `0${clean}` : clean, "hex");
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function commonName(certPem: string): string {
  const subject = pkijs.Certificate.fromBER(new X509Certificate(certPem).raw).subject;
  const cn = subject.typesAndValues.find((tv) => tv.type === "2.5.4.3");
  const value: unknown = cn?.value.valueBlock.value;
  return typeof value === "string" ? value : "certificate";
}

function toPem(label: string, der: Buffer): string {
  const body = der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
