/**
 * The keyUsage extension as names. node:crypto's `X509Certificate.keyUsage` is the *extended* key usage,
 * so the basic bits are read from the DER with pkijs.
 */
import { asn1Of } from "./certificate-fields.js";
import type { X509Certificate } from "node:crypto";
import { MalformedCertificateError } from "./errors.js";

export type KeyUsage =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign"
  | "encipherOnly"
  | "decipherOnly";

/** RFC 5280 4.2.1.3 bit order: bit 0 is the most significant bit of the first octet. */
const BITS: readonly KeyUsage[] = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
];

const OID_KEY_USAGE = "2.5.29.15";

/** The key usages the certificate asserts, or undefined when it has no keyUsage extension (no restriction). */
export function keyUsageOf(cert: X509Certificate): ReadonlySet<KeyUsage> | undefined {
  const ext = asn1Of(cert).extensions?.find((e) => e.extnID === OID_KEY_USAGE);
  if (!ext) return undefined;
  const bits: unknown = ext.parsedValue;
  const view = (bits as { valueBlock?: { valueHexView?: Uint8Array } } | undefined)?.valueBlock?.valueHexView;
  if (!view) throw new MalformedCertificateError("keyUsage extension is not a BIT STRING", cert);
  const out = new Set<KeyUsage>();
  BITS.forEach((name, index) => {
    const octet = view[index >> 3] ?? 0;
    if (octet & (0x80 >> (index & 7))) out.add(name);
  });
  return out;
}
