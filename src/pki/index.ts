/** Public surface of the PKI library. */
export * from "./errors.js";
export { parseCertificate, parseCertificates, readCertificates, loadAnchors, uniqueCertificates, toPemBundle } from "./pem.js";
export { keyStoreFromPem, keyStoreFromPkcs12, loadKeyStore } from "./keystore.js";
export type { KeyStore, KeyStoreSource, PemKeyStoreInput } from "./keystore.js";
export { validateChain } from "./chain.js";
export type { ChainOptions } from "./chain.js";
export { organisationNumberOf, readOrganisationNumber } from "./business-certificate.js";
export type { CertificateOrganisation, OrganisationNumberSource } from "./business-certificate.js";
export { peppolSeatIdOf } from "./peppol-certificate.js";
export { subjectAttributes, subjectValues, validityOf, pathLengthConstraintOf } from "./certificate-fields.js";
export type { NameAttribute, Validity } from "./certificate-fields.js";
export { keyUsageOf } from "./key-usage.js";
export type { KeyUsage } from "./key-usage.js";
export { RevocationFetchError, undiciRevocationFetch } from "./revocation-http.js";
export type { RevocationFetch, RevocationFetchRequest, RevocationFetchResponse } from "./revocation-http.js";
export { parseCrl, fetchCrl, verifyCrl, checkCrl, crlEntryFor, crlNumberOf, crlDistributionPointsOf, crlNamesIssuer, crlReasonName, CrlError } from "./crl.js";
export type { CertificateRef, Crl, CrlAnswer, CrlEntry, CrlFailure, CrlReason, FetchCrlOptions, VerifyCrlOptions } from "./crl.js";
export { buildOcspRequest, verifyOcspResponse, checkOcsp, ocspUrlsOf, OcspResponseError } from "./ocsp.js";
export type { CheckOcspOptions, OcspAnswer, OcspFailure, OcspRequest, OcspRequestOptions, VerifyOcspOptions } from "./ocsp.js";
export { createRevocationCache } from "./revocation-cache.js";
export type { CacheLoad, RevocationCache, RevocationCacheOptions, RevocationCacheStats } from "./revocation-cache.js";
export { createRevocationChecker, CertificateRevokedError, RevocationUnknownError } from "./revocation.js";
export type {
  CertificateRevocation,
  RevocationChecker,
  RevocationCheckerOptions,
  RevocationMode,
  RevocationResult,
  RevocationSource,
} from "./revocation.js";
export { evidenceUses, sha256Hex } from "./revocation-evidence.js";
export type { RevocationEvidence, RevocationEvidenceKind, RevocationEvidenceUse } from "./revocation-evidence.js";
export { createPeppolApTrust, CertificateKeyUsageError } from "./peppol-trust.js";
export type { PeppolApCertificate, PeppolApTrust, PeppolApTrustOptions } from "./peppol-trust.js";
