/**
 * Failure kinds of the PKI library, one class each with a stable `code` and a `kind`.
 *
 * A certificate that fails a check cannot serve as a credential (`unauthenticated`: EBMS:0101 at the AS4
 * endpoint); a revocation status that cannot be established now is `unavailable`; unreadable keystores and
 * PEM are `invalid` input. Domains that check a certificate for their own purpose (the forretningsmelding's
 * signer) wrap these in their own errors; the edges map whatever reaches them, in one table each.
 */
import type { X509Certificate } from "node:crypto";
import { DomainError, type ErrorKind } from "../errors.js";

export abstract class PkiError extends DomainError {}

/** A certificate-specific failure; `subject` names the certificate it concerns for logs. */
export abstract class CertificateError extends PkiError {
  readonly kind: ErrorKind = "unauthenticated";
  readonly subject: string | undefined;
  constructor(message: string, readonly certificate?: X509Certificate, options?: { cause?: unknown }) {
    super(message, options);
    this.subject = certificate?.subject.replace(/\n/g, ", ");
  }
}

// --- PEM and certificate parsing -----------------------------------------------------------------------

export class PemFormatError extends PkiError {
  readonly code = "ERR_PKI_PEM_FORMAT";
  readonly kind = "invalid";
}

export class MalformedCertificateError extends CertificateError {
  readonly code = "ERR_PKI_CERT_MALFORMED";
}

// --- keystores -------------------------------------------------------------------------------------------

/** Unreadable keystore data (not PKCS#12 / PEM, corrupt, unsupported algorithm). */
export class KeystoreFormatError extends PkiError {
  readonly code = "ERR_PKI_KEYSTORE_FORMAT";
  readonly kind = "invalid";
}

/** Wrong or missing password / passphrase. */
export class KeystorePasswordError extends PkiError {
  readonly code = "ERR_PKI_KEYSTORE_PASSWORD";
  readonly kind = "invalid";
}

export class KeystoreNoKeyError extends PkiError {
  readonly code = "ERR_PKI_KEYSTORE_NO_KEY";
  readonly kind = "invalid";
}

export class KeystoreNoCertificateError extends PkiError {
  readonly code = "ERR_PKI_KEYSTORE_NO_CERTIFICATE";
  readonly kind = "invalid";
}

/** The requested alias is absent, or several keys are present and none was named. */
export class KeystoreAliasError extends PkiError {
  readonly code = "ERR_PKI_KEYSTORE_ALIAS";
  readonly kind = "invalid";
}

export class KeyCertificateMismatchError extends PkiError {
  readonly code = "ERR_PKI_KEYSTORE_KEY_MISMATCH";
  readonly kind = "invalid";
}

// --- chain validation ------------------------------------------------------------------------------------

export class CertificateExpiredError extends CertificateError {
  readonly code = "ERR_PKI_CERT_EXPIRED";
}

export class CertificateNotYetValidError extends CertificateError {
  readonly code = "ERR_PKI_CERT_NOT_YET_VALID";
}

/** No path from the certificate to a trust anchor: its issuer is unknown. */
export class UntrustedCertificateError extends CertificateError {
  readonly code = "ERR_PKI_CERT_UNTRUSTED";
}

/**
 * A would-be issuer was found but the link is unsound: bad signature, issuer not a CA, path length
 * constraint exceeded, or the path is longer than allowed.
 */
export class BrokenChainError extends CertificateError {
  readonly code = "ERR_PKI_CHAIN_BROKEN";
}

// --- certificate profiles --------------------------------------------------------------------------------

export class MissingOrganisationNumberError extends CertificateError {
  readonly code = "ERR_PKI_NO_ORGANISATION_NUMBER";
}

export class AmbiguousOrganisationNumberError extends CertificateError {
  readonly code = "ERR_PKI_AMBIGUOUS_ORGANISATION_NUMBER";
}

export class InvalidPeppolSeatIdError extends CertificateError {
  readonly code = "ERR_PKI_NO_PEPPOL_SEAT_ID";
}
