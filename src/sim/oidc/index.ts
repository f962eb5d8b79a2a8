/** Public surface of the OpenID Connect provider simulator (the console's OIDC login). */
export { startOidcSim } from "./server.js";
export type { OidcSim, OidcSimOptions, OidcSimStats } from "./server.js";
export { OidcProviderState, s256 } from "./state.js";
export type { ClientAuthMethod, IssuedCode, OidcClient, OidcUser, PendingAuthorization } from "./state.js";
export { OIDC_SANDBOX, sandboxOidcClients, sandboxOidcUsers } from "./defaults.js";
