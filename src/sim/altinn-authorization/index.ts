/** Public surface of the Altinn Autorisasjon (API delegation) simulator. */
export { startAltinnAuthorizationSim, DELEGATIONS_ADMIN_SCOPE, DELEGATION_WRITE_SCOPE, PARTY_HEADER } from "./server.js";
export type { AltinnAuthorizationSim, AltinnAuthorizationSimOptions, AltinnAuthorizationSimStats } from "./server.js";
export { DelegationState } from "./state.js";
export type { Delegation, DelegationScheme } from "./state.js";
export { SANDBOX_DELEGATION_SCHEMES, SANDBOX_DPI_RESOURCE } from "./defaults.js";
export { grantDelegation, revokeDelegation } from "./client.js";
export type { DelegationAnswer, DelegationCall } from "./client.js";
