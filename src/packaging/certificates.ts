import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import * as asn1js from "asn1js";
import { sequence, type Der } from "./der.js";
import { OID } from "./cms-algorithms.js";
import { PackagingKeyError } from "./errors.js";
import { childrenOf } from "./asn1-read.js";

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
  const asn = asn1js.fromBER(cert.raw);
  const tbs = asn.offset === -1 ? undefined : childrenOf(childrenOf(asn.result)[0]);
  // TBSCertificate: [0] version (absent for v1), serialNumber, signature, issuer, validity, subject, spki, ...
  const offset = tbs?.[0]?.idBlock.tagClass === 3 && tbs[0].idBlock.tagNumber === 0 ? 1 : 0;
  const serial = tbs?.[offset];
  const issuer = tbs?.[offset + 2];
  if (!(serial instanceof asn1js.Integer) || !(issuer instanceof asn1js.Sequence)) {
    throw new PackagingKeyError("the certificate's TBSCertificate has no serial number or issuer");
  }
  const ski = tbs === undefined ? undefined : subjectKeyIdentifierOf(tbs);
  const result: CertificateParts = {
    issuer: new Uint8Array(issuer.valueBeforeDecodeView),
    serialNumber: new Uint8Array(serial.valueBeforeDecodeView),
    ...(ski ? { subjectKeyIdentifier: ski } : {}),
  };
  parts.set(cert, result);
  return result;
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
  const value = (der: Uint8Array) => {
    const asn = asn1js.fromBER(der);
    if (!(asn.result instanceof asn1js.Integer)) return "";
    return Buffer.from(asn.result.valueBlock.valueHexView).toString("hex").replace(/^(00)+(?=.)/, "");
  };
  const va = value(a);
  return va !== "" && va === value(b);
}

function subjectKeyIdentifierOf(tbs: asn1js.AsnType[]): Uint8Array | undefined {
  const extensions = tbs.find((el) => el.idBlock.tagClass === 3 && el.idBlock.tagNumber === 3);
  for (const ext of childrenOf(childrenOf(extensions)[0])) {
    const [id, ...rest] = childrenOf(ext);
    const value = rest[rest.length - 1];
    if (!(id instanceof asn1js.ObjectIdentifier) || id.valueBlock.toString() !== OID.subjectKeyIdentifier) continue;
    if (!(value instanceof asn1js.OctetString)) return undefined;
    const inner = asn1js.fromBER(value.valueBlock.valueHexView);
    return inner.result instanceof asn1js.OctetString ? new Uint8Array(inner.result.valueBlock.valueHexView) : undefined;
  }
  return undefined;
}
