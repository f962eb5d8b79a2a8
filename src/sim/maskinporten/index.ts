/** Public surface of the Maskinporten simulator. */
export { startMaskinportenSim, DEFAULT_DELEGATION_SOURCE } from "./server.js";
export type { MaskinportenSim, MaskinportenSimOptions, MaskinportenSimStats } from "./server.js";
export type { IssuedToken, IssueTokenOptions } from "./token-issuer.js";
export type { SimClient, SimDelegation } from "./registry.js";
export { OAuthError } from "./oauth-error.js";
export type { OAuthErrorCode } from "./oauth-error.js";
export * from "./defaults.js";
