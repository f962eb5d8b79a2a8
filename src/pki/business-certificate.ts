/**
 * The Norwegian organisation number in a virksomhetssertifikat (enterprise certificate).
 *
 * Current certificates carry it as organizationIdentifier (2.5.4.97) "NTRNO-<9 digits>" (ETSI EN 319 412-1);
 * older Buypass and Commfides ones as a bare 9-digit serialNumber (2.5.4.5). Read from the DER subject, so
 * escaping and multi-valued RDNs in the display string cannot mislead.
 */
import type { X509Certificate } from "node:crypto";
import { OID_ORGANIZATION_IDENTIFIER, OID_SERIAL_NUMBER, subjectValues } from "./certificate-fields.js";
import { AmbiguousOrganisationNumberError, MissingOrganisationNumberError } from "./errors.js";
import { keyUsageOf, type KeyUsage } from "./key-usage.js";
import { CertificateKeyUsageError } from "./peppol-trust.js";

export type OrganisationNumberSource = "organizationIdentifier" | "serialNumber";

export interface CertificateOrganisation {
  /** Nine digits. */
  readonly organisationNumber: string;
  readonly source: OrganisationNumberSource;
}

const NTRNO = /^NTRNO-([0-9]{9})$/;
const NINE_DIGITS = /^[0-9]{9}$/;

/** The organisation number and where it was found: organizationIdentifier first, then serialNumber. */
export function readOrganisationNumber(cert: X509Certificate): CertificateOrganisation {
  const fromIdentifier = distinct(subjectValues(cert, OID_ORGANIZATION_IDENTIFIER).flatMap((v) => NTRNO.exec(v)?.[1] ?? []));
  const fromSerial = distinct(subjectValues(cert, OID_SERIAL_NUMBER).filter((v) => NINE_DIGITS.test(v)));
  for (const [source, numbers] of [
    ["organizationIdentifier", fromIdentifier],
    ["serialNumber", fromSerial],
  ] as const) {
    if (numbers.length > 1) {
      throw new AmbiguousOrganisationNumberError(`several organisation numbers in ${source}: ${numbers.join(", ")}`, cert);
    }
    if (numbers[0] !== undefined) return { organisationNumber: numbers[0], source };
  }
  throw new MissingOrganisationNumberError(
    "no organisation number: neither organizationIdentifier NTRNO-<9 digits> nor a 9-digit serialNumber in the subject",
    cert,
  );
}

/** The nine-digit organisation number of a virksomhetssertifikat. */
export function organisationNumberOf(cert: X509Certificate): string {
  return readOrganisationNumber(cert).organisationNumber;
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}

/**
 * Key usages that let a virksomhetssertifikat sign a forretningsmelding (a JWS): either one will do. SEID
 * issues signing certificates with nonRepudiation and authentication certificates with digitalSignature, and
 * business systems sign with either; an encryption certificate (keyEncipherment/dataEncipherment only) must
 * not, since its CA vouched for the key only to receive encrypted content.
 */
export const SIGNING_KEY_USAGES: readonly KeyUsage[] = ["digitalSignature", "nonRepudiation"];

/**
 * Refuses a business certificate whose keyUsage does not allow signing. A certificate without the extension
 * passes: RFC 5280 4.2.1.3 reads its absence as "no restriction", and the CA chain still vouches for it.
 * @throws CertificateKeyUsageError
 */
export function assertSigningKeyUsage(cert: X509Certificate): void {
  const usage = keyUsageOf(cert);
  if (usage === undefined || SIGNING_KEY_USAGES.some((u) => usage.has(u))) return;
  const has = usage.size > 0 ? [...usage].join(", ") : "none";
  throw new CertificateKeyUsageError(`the certificate may not sign: its key usage is ${has}, signing needs ${SIGNING_KEY_USAGES.join(" or ")}`, cert);
}
