/**
 * The ASiC-E profile of a DPI dokumentpakke (dpi.md §4): names, namespaces, algorithms, allowed MIME types and
 * limits, and one error class per way a package can fail. Shared by the producer (src/client/) and the verifier.
 */

// ---- vocabulary -----------------------------------------------------------------------------------------

export const ASIC_E_MIMETYPE = "application/vnd.etsi.asic-e+zip";
export const MANIFEST_FILE = "manifest.xml";
export const SIGNATURES_FILE = "META-INF/signatures.xml";
/** Digdir's own producer writes an ODF manifest here although its profile forbids it; we tolerate it. */
export const ODF_MANIFEST_FILE = "META-INF/manifest.xml";

export const ASIC_NS = {
  asic: "http://uri.etsi.org/02918/v1.2.1#",
  ds: "http://www.w3.org/2000/09/xmldsig#",
  xades: "http://uri.etsi.org/01903/v1.3.2#",
  sdp: "http://begrep.difi.no/sdp/schema_v10",
} as const;

export const XADES_ALG = {
  c14n10: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
  c14n11: "http://www.w3.org/2006/12/xml-c14n11",
  rsaSha256: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  rsaSha384: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
  rsaSha512: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
  sha1: "http://www.w3.org/2000/09/xmldsig#sha1",
  sha256: "http://www.w3.org/2001/04/xmlenc#sha256",
  sha384: "http://www.w3.org/2001/04/xmldsig-more#sha384",
  sha512: "http://www.w3.org/2001/04/xmlenc#sha512",
  signedPropertiesType: "http://uri.etsi.org/01903#SignedProperties",
} as const;

export const SIGNATURE_HASH: Readonly<Record<string, string>> = {
  [XADES_ALG.rsaSha256]: "sha256",
  [XADES_ALG.rsaSha384]: "sha384",
  [XADES_ALG.rsaSha512]: "sha512",
};
export const REFERENCE_HASH: Readonly<Record<string, string>> = {
  [XADES_ALG.sha256]: "sha256",
  [XADES_ALG.sha384]: "sha384",
  [XADES_ALG.sha512]: "sha512",
};
/** CertDigest may be SHA-1: Digdir's profile prescribes it, and it only identifies a certificate we hold. */
export const CERT_DIGEST_HASH: Readonly<Record<string, string>> = { [XADES_ALG.sha1]: "sha1", ...REFERENCE_HASH };
export const INCLUSIVE_C14N: ReadonlySet<string> = new Set([XADES_ALG.c14n10, XADES_ALG.c14n11]);

/** Document MIME types a DPI letter may carry (Digdir's mimetypes.md, plus EHF from the main spec). */
export const DOCUMENT_MIME_TYPES: ReadonlySet<string> = new Set([
  "application/pdf",
  "text/html",
  "application/xml",
  "text/plain",
  "application/ehf+xml",
  "application/vnd.oasis.opendocument.formula",
  "application/vnd.oasis.opendocument.text",
  "application/vnd.oasis.opendocument.spreadsheet",
  "application/vnd.oasis.opendocument.presentation",
  "application/vnd.oasis.opendocument.graphics",
  "image/gif",
  "image/jpeg",
  "image/png",
  "application/msword",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/octet-stream",
]);

/** The extension ("utvidelse") types carried in a document's `<data>` element. */
export const EXTENSION_MIME_TYPES: ReadonlySet<string> = new Set([
  "application/vnd.difi.dpi.bevis+xml",
  "application/vnd.difi.dpi.lenke+xml",
  "application/vnd.difi.dpi.arrangement+xml",
]);

export const MAX_VEDLEGG = 200;
/** "Dokumentpakken kan ikke overstige 30Mb"; read as MiB, the generous reading. */
export const MAX_PACKAGE_SIZE = 30 * 1024 * 1024;

// ---- errors ---------------------------------------------------------------------------------------------

export abstract class AsicError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The container is larger than a dokumentpakke may be. (Zip-level failures are ZipErrors from zip.ts.) */
export class AsicTooLargeError extends AsicError {
  readonly code = "ASIC_TOO_LARGE";
}

/** `mimetype` is not the first entry, is compressed, has an extra field, or has the wrong content. */
export class AsicMimetypeError extends AsicError {
  readonly code = "ASIC_MIMETYPE";
}

/** Required entries missing (manifest.xml, META-INF/signatures.xml) or unexpected ones present in META-INF. */
export class AsicStructureError extends AsicError {
  readonly code = "ASIC_STRUCTURE";
}

/** signatures.xml is not one XAdES signature of the expected shape. */
export class AsicSignatureFormatError extends AsicError {
  readonly code = "ASIC_SIGNATURE_MALFORMED";
}

export class AsicUnsupportedAlgorithmError extends AsicError {
  readonly code = "ASIC_UNSUPPORTED_ALGORITHM";
}

/** A file outside META-INF that the signature does not cover. */
export class AsicUnsignedFileError extends AsicError {
  readonly code = "ASIC_UNSIGNED_FILE";
  constructor(readonly fileName: string) {
    super(`${JSON.stringify(fileName)} is not covered by the signature`);
  }
}

/** A reference to a file the container does not hold (or may not be referenced). */
export class AsicReferencedFileMissingError extends AsicError {
  readonly code = "ASIC_REFERENCED_FILE_MISSING";
  constructor(readonly uri: string) {
    super(`the signature references ${JSON.stringify(uri)}, which the container does not hold`);
  }
}

/** A reference's digest does not match its file or the SignedProperties. */
export class AsicDigestMismatchError extends AsicError {
  readonly code = "ASIC_DIGEST_MISMATCH";
  constructor(readonly uri: string) {
    super(`the digest of ${JSON.stringify(uri)} does not match its reference`);
  }
}

/** SignatureValue does not verify over SignedInfo with the signing certificate's key. */
export class AsicSignatureInvalidError extends AsicError {
  readonly code = "ASIC_SIGNATURE_INVALID";
}

/** The signing certificate is absent from KeyInfo or does not match SigningCertificate. */
export class AsicSigningCertificateError extends AsicError {
  readonly code = "ASIC_SIGNING_CERTIFICATE";
}

/** No valid path from the signing certificate to a trust anchor, or no organisation number in it. */
export class AsicSignerUntrustedError extends AsicError {
  readonly code = "ASIC_SIGNER_UNTRUSTED";
}

/** manifest.xml is not a valid SDP manifest. */
export class AsicManifestError extends AsicError {
  readonly code = "ASIC_MANIFEST_INVALID";
}

/** The manifest and the files disagree, or the manifest names other parties than expected. */
export class AsicManifestMismatchError extends AsicError {
  readonly code = "ASIC_MANIFEST_MISMATCH";
}

export class AsicMimeTypeNotAllowedError extends AsicError {
  readonly code = "ASIC_MIME_TYPE_NOT_ALLOWED";
  constructor(
    readonly fileName: string,
    readonly mimeType: string,
  ) {
    super(`${JSON.stringify(fileName)} has MIME type ${JSON.stringify(mimeType)}, which DPI does not allow`);
  }
}

