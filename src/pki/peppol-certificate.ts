/** Peppol access point certificate rules: the seat id in the subject CN (e.g. "PNO000123", "POP000001"). */
import type { X509Certificate } from "node:crypto";
import { OID_COMMON_NAME, subjectValues } from "./certificate-fields.js";
import { InvalidPeppolSeatIdError } from "./errors.js";

const SEAT_ID = /^P[A-Z]{2}[0-9]{6}$/;

/** The seat id from the single CN of a Peppol access point certificate. */
export function peppolSeatIdOf(cert: X509Certificate): string {
  const names = subjectValues(cert, OID_COMMON_NAME);
  if (names.length !== 1) {
    throw new InvalidPeppolSeatIdError(`expected one CN in the subject, found ${names.length}`, cert);
  }
  const cn = names[0]!;
  if (!SEAT_ID.test(cn)) throw new InvalidPeppolSeatIdError(`CN "${cn}" is not a Peppol seat id`, cert);
  return cn;
}
