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
