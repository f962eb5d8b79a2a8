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
