/**
 * Fields node:crypto's X509Certificate does not expose in a usable form, read from the DER with pkijs:
 * exact validity dates, subject attributes by OID (no string parsing of escaped, multi-line names) and
 * basicConstraints' path length.
 */
import * as pkijs from "pkijs";
import type { X509Certificate } from "node:crypto";
import { MalformedCertificateError } from "./errors.js";

export const OID_COMMON_NAME = "2.5.4.3";
export const OID_SERIAL_NUMBER = "2.5.4.5";
export const OID_ORGANIZATION_IDENTIFIER = "2.5.4.97";
const OID_BASIC_CONSTRAINTS = "2.5.29.19";

export interface NameAttribute {
  /** Attribute type OID, e.g. "2.5.4.3" for CN. */
  readonly oid: string;
  /** The decoded string value (any DirectoryString form). */
  readonly value: string;
}

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * Decoded certificates by content: the same AP or SMP certificate arrives as a new X509Certificate object with
 * every message, and decoding its ASN.1 again each time was a measurable share of an access point's CPU.
 */
const parsed = new Map<string, pkijs.Certificate>();
const MAX_PARSED = 1000;

/** The certificate decoded with pkijs (cached by fingerprint; treat the result as read-only). */
export function asn1Of(cert: X509Certificate): pkijs.Certificate {
  try {
    return decodeCertificate(cert);
  } catch (cause) {
    throw new MalformedCertificateError("certificate cannot be decoded", cert, { cause });
  }
}

/**
 * @internal The same cached decoding, throwing what pkijs throws: src/pki/crl.ts and ocsp.ts read the
 * certificate of every message's signer (OCSP URLs, CRL distribution points), each time a new object.
 */
export function decodeCertificate(cert: X509Certificate): pkijs.Certificate {
  const key = cert.fingerprint256;
  let result = parsed.get(key);
  if (result) {
    parsed.delete(key);
  } else {
    result = pkijs.Certificate.fromBER(cert.raw);
    if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!);
  }
  parsed.set(key, result);
  return result;
}

/** notBefore and notAfter as Dates (node 20's validFrom/validTo are display strings). */
export function validityOf(cert: X509Certificate): Validity {
  const c = asn1Of(cert);
  return { notBefore: c.notBefore.value, notAfter: c.notAfter.value };
}

/**
 * Subject attributes in DER order, multi-valued RDNs flattened. Attributes whose value is not a string type
 * are left out: none of the attributes we read (CN, serialNumber, organizationIdentifier) can be one.
 */
export function subjectAttributes(cert: X509Certificate): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const tv of asn1Of(cert).subject.typesAndValues) {
    const value: unknown = (tv.value as { getValue?: () => unknown }).getValue?.();
    if (typeof value === "string") out.push({ oid: tv.type, value });
  }
  return out;
}

/** The values of one subject attribute, in DER order. */
export function subjectValues(cert: X509Certificate, oid: string): string[] {
  return subjectAttributes(cert)
    .filter((a) => a.oid === oid)
    .map((a) => a.value);
}

/** basicConstraints pathLenConstraint, or undefined when absent (no limit). */
export function pathLengthConstraintOf(cert: X509Certificate): number | undefined {
  const ext = asn1Of(cert).extensions?.find((e) => e.extnID === OID_BASIC_CONSTRAINTS);
  const constraints = ext?.parsedValue as pkijs.BasicConstraints | undefined;
  const pathLen = constraints?.pathLenConstraint;
  if (pathLen === undefined) return undefined;
  return typeof pathLen === "number" ? pathLen : pathLen.valueBlock.valueDec;
}
