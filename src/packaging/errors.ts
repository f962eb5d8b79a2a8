import { DomainError } from "../errors.js";

/**
 * Failure kinds of eFormidling packaging: the CMS envelope around a document package, and the ASiC-E container
 * inside it with its CAdES signature. One class per kind with a stable code. Everything is the fault of whoever
 * made the bytes (`invalid`), except a signer we cannot trust (`unauthenticated`).
 */

// ---- building ---------------------------------------------------------------------------------------------

/** What the caller asked us to pack cannot be packed: a bad file name, a duplicate, an odd identifier. */
export class EfmAsicInputError extends DomainError {
  readonly code = "efm-asic-input-invalid";
  readonly kind = "invalid";
}

/** A certificate or key given to encrypt, decrypt or sign cannot be used (unreadable, not RSA). */
export class PackagingKeyError extends DomainError {
  readonly code = "packaging-key-invalid";
  readonly kind = "invalid";
}

// ---- CMS EnvelopedData ------------------------------------------------------------------------------------

/** Not one CMS ContentInfo holding (Auth)EnvelopedData with encrypted content. */
export class CmsMalformedError extends DomainError {
  readonly code = "cms-malformed";
  readonly kind = "invalid";
}

/** Well-formed, but encrypted with an algorithm or parameters we do not decrypt. */
export class CmsUnsupportedAlgorithmError extends DomainError {
  readonly code = "cms-unsupported-algorithm";
  readonly kind = "invalid";
}

/** No key transport recipient is addressed to the given certificate. */
export class CmsWrongRecipientError extends DomainError {
  readonly code = "cms-wrong-recipient";
  readonly kind = "invalid";
}

/**
 * The content encryption key or the content could not be decrypted: bad RSA padding (PKCS#1 v1.5 or OAEP), bad
 * CBC padding, or a failed GCM tag. Deliberately one code for all of them, so whoever sends us ciphertexts learns
 * nothing about which step failed (Bleichenbacher's and Vaudenay's padding oracles).
 */
export class CmsDecryptError extends DomainError {
  readonly code = "cms-decrypt-failed";
  readonly kind = "invalid";
}

// ---- the ASiC-E container ---------------------------------------------------------------------------------

/** Not a readable ASiC-E: a broken zip, a wrong or misplaced `mimetype`, unknown files in META-INF. */
export class EfmAsicMalformedError extends DomainError {
  readonly code = "efm-asic-malformed";
  readonly kind = "invalid";
}

/** More entries, or more inflated bytes, than the configured limits allow (zip bombs among them). */
export class EfmAsicLimitError extends DomainError {
  readonly code = "efm-asic-limit-exceeded";
  readonly kind = "invalid";
}

/** No `META-INF/ASiCManifest*.xml`, or not the signature file it points at. */
export class EfmAsicSignatureMissingError extends DomainError {
  readonly code = "efm-asic-signature-missing";
  readonly kind = "invalid";
}

/** The ASiCManifest or the CMS SignedData cannot be read as what it should be. */
export class EfmAsicSignatureMalformedError extends DomainError {
  readonly code = "efm-asic-signature-malformed";
  readonly kind = "invalid";
}

/** The CAdES signature does not verify over the ASiCManifest (value, message digest, or signer certificate). */
export class EfmAsicSignatureInvalidError extends DomainError {
  readonly code = "efm-asic-signature-invalid";
  readonly kind = "invalid";
}

/** A digest or signature algorithm we do not accept. */
export class EfmAsicUnsupportedAlgorithmError extends DomainError {
  readonly code = "efm-asic-unsupported-algorithm";
  readonly kind = "invalid";
}

/** A file's digest differs from the one the ASiCManifest gives for it. */
export class EfmAsicDigestMismatchError extends DomainError {
  readonly code = "efm-asic-digest-mismatch";
  readonly kind = "invalid";
  constructor(readonly fileName: string) {
    super(`the digest of ${JSON.stringify(fileName)} does not match the ASiCManifest`);
  }
}

/** A file outside META-INF that the ASiCManifest does not reference, so the signature does not cover it. */
export class EfmAsicFileNotCoveredError extends DomainError {
  readonly code = "efm-asic-file-not-covered";
  readonly kind = "invalid";
  constructor(readonly fileName: string) {
    super(`${JSON.stringify(fileName)} is not covered by the signature`);
  }
}

/** The ASiCManifest references a file the container does not hold. */
export class EfmAsicFileMissingError extends DomainError {
  readonly code = "efm-asic-file-missing";
  readonly kind = "invalid";
  constructor(readonly fileName: string) {
    super(`the ASiCManifest references ${JSON.stringify(fileName)}, which the container does not hold`);
  }
}

/** `manifest.xml` is absent or not the eFormidling manifest, or names a main document the container lacks. */
export class EfmAsicManifestInvalidError extends DomainError {
  readonly code = "efm-asic-manifest-invalid";
  readonly kind = "invalid";
}

/** The signer's certificate does not chain to a trust anchor we were given. */
export class EfmAsicSignerUntrustedError extends DomainError {
  readonly code = "efm-asic-signer-untrusted";
  readonly kind = "unauthenticated";
}
