/**
 * Failure kinds of the PKI library, one class each with a stable `code`.
 *
 * They are deliberately not ProblemErrors: the same failure means "EBMS:0101 FailedAuthentication" on the
 * AS4 endpoint and "401/403" on the REST API, so the layer that faces the client maps `code` to its form.
 */
import type { X509Certificate } from "node:crypto";

export abstract class PkiError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A certificate-specific failure; `subject` names the certificate it concerns for logs. */
export abstract class CertificateError extends PkiError {
  readonly subject: string | undefined;
  constructor(message: string, readonly certificate?: X509Certificate, options?: { cause?: unknown }) {
    super(message, options);
    this.subject = certificate?.subject.replace(/\n/g, ", ");
  }
}

// --- PEM and certificate parsing -----------------------------------------------------------------------

export class PemFormatError extends PkiError {
  readonly code = "ERR_PKI_PEM_FORMAT";
}

export class MalformedCertificateError extends CertificateError {
  readonly code = "ERR_PKI_CERT_MALFORMED";
}

// --- keystores -------------------------------------------------------------------------------------------

/** Unreadable keystore data (not PKCS#12 / PEM, corrupt, unsupported algorithm). */
export class KeystoreFormatError extends PkiError {
  readonly code = "ERR_PKI_KEYSTORE_FORMAT";
}

/** Wrong or missing password / passphrase. */
export class KeystorePasswordError extends PkiError {
  readonly code = "ERR_PKI_KEYSTORE_PASSWORD";
}

export class KeystoreNoKeyError extends PkiError {
  readonly code = "ERR_PKI_KEYSTORE_NO_KEY";
}

export class KeystoreNoCertificateError extends PkiError {
  readonly code = "ERR_PKI_KEYSTORE_NO_CERTIFICATE";
}

/** The requested alias is absent, or several keys are present and none was named. */
export class KeystoreAliasError extends PkiError {
  readonly code = "ERR_PKI_KEYSTORE_ALIAS";
}

export class KeyCertificateMismatchError extends PkiError {
  readonly code = "ERR_PKI_KEYSTORE_KEY_MISMATCH";
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
