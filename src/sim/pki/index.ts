/** Simulated PKI services: an OCSP responder and CRL server for one CA. */
export { startPkiResponder } from "./server.js";
export type { PkiResponder, PkiResponderOptions, PkiResponderStats } from "./server.js";
export { createOcspResponder } from "./ocsp-responder.js";
export type { OcspFaults, OcspResponder, OcspResponderOptions, OcspResponderStatus } from "./ocsp-responder.js";
export { buildCrl, DEFAULT_REVOKED_AT } from "./crl-builder.js";
export type { BuildCrlOptions, RevokedSerial } from "./crl-builder.js";
export type { SigningIdentity } from "./signing.js";
export { DEFAULT_CERTS_DIR, EXAMPLE_AP_RESPONDER, loadExampleApResponderOptions } from "./defaults.js";
