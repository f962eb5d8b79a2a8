import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { BerError, BerReader, isContext, isUniversal, TAG, type Element } from "../asn1/ber.js";
import { sequence, type Der } from "./der.js";
import { OID } from "./cms-algorithms.js";
import { PackagingKeyError } from "./errors.js";

/**
 * Certificates and keys as the packaging functions take them (PEM text, DER bytes or node:crypto objects), and
 * the two ways CMS names a certificate: issuer and serial number, or subject key identifier.
 */

/** A certificate as PEM text, PEM or DER bytes, or parsed. */
export type CertificateInput = string | Uint8Array | X509Certificate;
/** A private key as PEM text, PKCS#8 DER or PEM bytes, or a KeyObject. */
export type PrivateKeyInput = string | Uint8Array | KeyObject;

export function toCertificate(input: CertificateInput): X509Certificate {
  if (input instanceof X509Certificate) return input;
  try {
    return new X509Certificate(typeof input === "string" ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  } catch (cause) {
    throw new PackagingKeyError("the certificate is neither PEM nor DER X.509", { cause });
  }
}

export function toPrivateKey(input: PrivateKeyInput): KeyObject {
  if (typeof input !== "string" && !(input instanceof Uint8Array)) return input;
  try {
    if (typeof input === "string") return createPrivateKey(input);
    const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    return bytes.subarray(0, 11).toString("latin1") === "-----BEGIN "
      ? createPrivateKey(bytes)
      : createPrivateKey({ key: bytes, format: "der", type: "pkcs8" });
  } catch (cause) {
    throw new PackagingKeyError("the private key is neither PEM nor PKCS#8 DER", { cause });
  }
}

export function assertRsa(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== "rsa") throw new PackagingKeyError(`${what} must be an RSA key, not ${key.asymmetricKeyType ?? "unknown"}`);
}

interface CertificateParts {
  /** DER of the issuer Name, as the certificate holds it */
  readonly issuer: Uint8Array;
  /** DER of the serialNumber INTEGER */
  readonly serialNumber: Uint8Array;
  /** The subjectKeyIdentifier extension's key identifier, if the certificate has one */
  readonly subjectKeyIdentifier?: Uint8Array;
}

const parts = new WeakMap<X509Certificate, CertificateParts>();

/** Issuer, serial number and SKI of a certificate, taken from its DER without re-encoding anything. */
export function certificateParts(cert: X509Certificate): CertificateParts {
  const cached = parts.get(cert);
  if (cached) return cached;
  let result: CertificateParts;
  try {
    result = readCertificateParts(new BerReader(cert.raw));
  } catch (cause) {
    if (cause instanceof BerError) throw new PackagingKeyError("the certificate's TBSCertificate cannot be read", { cause });
    throw cause;
  }
  parts.set(cert, result);
  return result;
}

function readCertificateParts(r: BerReader): CertificateParts {
  const children = (e: Element | undefined) => (e === undefined ? [] : r.children(e, "certificate"));
  const tbs = children(children(r.element(0, r.bytes.byteLength, 0, "certificate"))[0]);
  // TBSCertificate: [0] version (absent for v1), serialNumber, signature, issuer, validity, subject, spki, ...
  const offset = tbs[0] !== undefined && isContext(tbs[0], 0) ? 1 : 0;
  const serial = tbs[offset];
  const issuer = tbs[offset + 2];
  if (serial === undefined || !isUniversal(serial, TAG.integer) || issuer === undefined || !isUniversal(issuer, TAG.sequence)) {
    throw new PackagingKeyError("the certificate's TBSCertificate has no serial number or issuer");
  }
  const ski = subjectKeyIdentifierOf(r, tbs);
  return {
    issuer: Uint8Array.from(r.encoding(issuer)),
    serialNumber: Uint8Array.from(r.encoding(serial)),
    ...(ski ? { subjectKeyIdentifier: ski } : {}),
  };
}

/** IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber CertificateSerialNumber } */
export function issuerAndSerialNumber(cert: X509Certificate): Der {
  const { issuer, serialNumber } = certificateParts(cert);
  return sequence(issuer, serialNumber);
}

/**
 * Whether a recipient or signer identifier names this certificate: an IssuerAndSerialNumber SEQUENCE, or a
 * subjectKeyIdentifier (the bare key identifier octets).
 */
export type CertificateId = { issuer: Uint8Array; serialNumber: Uint8Array } | { subjectKeyIdentifier: Uint8Array };

export function identifies(id: CertificateId, cert: X509Certificate): boolean {
  const mine = certificateParts(cert);
  if ("subjectKeyIdentifier" in id) {
    return mine.subjectKeyIdentifier !== undefined && Buffer.from(mine.subjectKeyIdentifier).equals(id.subjectKeyIdentifier);
  }
  return Buffer.from(mine.issuer).equals(id.issuer) && sameInteger(mine.serialNumber, id.serialNumber);
}

/** INTEGER encodings compared by value: a producer may have re-encoded the serial (BER allows it). */
function sameInteger(a: Uint8Array, b: Uint8Array): boolean {
  const va = integerHex(a);
  return va !== "" && va === integerHex(b);
}

/* The content of an INTEGER's encoding in hex without leading zero octets; "" when it is no INTEGER. */
function integerHex(encoding: Uint8Array): string {
  let e: Element;
  try {
    e = new BerReader(encoding).element(0, encoding.byteLength, 0, "serialNumber");
  } catch (err) {
    if (err instanceof BerError) return "";
    throw err;
  }
  if (!isUniversal(e, TAG.integer)) return "";
  return Buffer.from(encoding.subarray(e.contentStart, e.contentEnd)).toString("hex").replace(/^(00)+(?=.)/, "");
}

/* The extension's value is an OCTET STRING holding the encoding of the key identifier, itself an OCTET STRING. */
function subjectKeyIdentifierOf(r: BerReader, tbs: readonly Element[]): Uint8Array | undefined {
  const extensions = tbs.find((el) => isContext(el, 3));
  const list = extensions === undefined ? undefined : r.children(extensions, "extensions")[0];
  for (const ext of list === undefined ? [] : r.children(list, "extensions")) {
    const [id, ...rest] = r.children(ext, "extension");
    const value = rest[rest.length - 1];
    if (id === undefined || !isUniversal(id, TAG.oid) || r.oid(id, "extnID") !== OID.subjectKeyIdentifier) continue;
    if (value === undefined || !isUniversal(value, TAG.octetString)) return undefined;
    return keyIdentifier(r.octets(value, "extnValue"));
  }
  return undefined;
}

/* An extension's value that is no OCTET STRING leaves the certificate without a key identifier, not unreadable. */
function keyIdentifier(extnValue: Uint8Array): Uint8Array | undefined {
  let inner: Element;
  try {
    inner = new BerReader(extnValue).element(0, extnValue.byteLength, 0, "subjectKeyIdentifier");
  } catch (err) {
    if (err instanceof BerError) return undefined;
    throw err;
  }
  return isUniversal(inner, TAG.octetString) && !inner.constructed ? Uint8Array.from(extnValue.subarray(inner.contentStart, inner.contentEnd)) : undefined;
}
