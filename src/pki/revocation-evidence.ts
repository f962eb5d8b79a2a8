/**
 * The revocation answers a check relied on, as evidence: the OCSP response or CRL exactly as received (DER),
 * where and when it was fetched, and the CA it speaks for. The checker keeps this next to the parsed answer in
 * its cache, so keeping it costs no second fetch; a check's result names the answer each "good" rests on, and
 * `evidenceUses` lists them with the certificate they were used for and the time of the check.
 */
import { createHash } from "node:crypto";
import type { X509Certificate } from "node:crypto";
import { normaliseSerial } from "./crl.js";
import type { RevocationResult } from "./revocation.js";

export type RevocationEvidenceKind = "ocsp" | "crl";

/** One answer, identified by its content: a CRL relied on for a million certificates is one answer. */
export interface RevocationEvidence {
  readonly kind: RevocationEvidenceKind;
  /** The OCSPResponse or CertificateList exactly as received. */
  readonly der: Uint8Array;
  /** Hex SHA-256 of `der`. */
  readonly sha256: string;
  /** The responder or CRL URL asked, or the file a configured CRL was read from. */
  readonly url: string;
  readonly fetchedAt: Date;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** The CA the answer speaks for: the issuer of the certificates it answers for. */
  readonly issuer: X509Certificate;
  /** OCSP: the serial number (normalised hex) the answer is about. */
  readonly serial?: string;
  /** CRL: its cRLNumber (hex), when it has one. */
  readonly crlNumber?: string;
}

/** An answer relied on for one certificate at one time. */
export interface RevocationEvidenceUse {
  readonly answer: RevocationEvidence;
  /** The certificate's serial number (normalised hex), subject (one line) and whether it is a CA. */
  readonly serial: string;
  readonly subject: string;
  readonly ca: boolean;
  /** The time the certificate was checked at. */
  readonly checkedAt: Date;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The answers a check's "good" verdicts rest on, one per certificate that has one, leaf first. */
export function evidenceUses(result: RevocationResult, at: Date): RevocationEvidenceUse[] {
  return result.certificates.flatMap((c) =>
    c.answer
      ? [{ answer: c.answer, serial: normaliseSerial(c.certificate.serialNumber), subject: c.certificate.subject.replace(/\n/g, ", "), ca: c.certificate.ca, checkedAt: at }]
      : [],
  );
}
