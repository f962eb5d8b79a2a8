/** Public surface of the Altinn authentication (token exchange) simulator. */
export { startAltinnTokenSim, EXCHANGE_PATH } from "./server.js";
export type { AltinnTokenSim, AltinnTokenSimOptions, AltinnTokenSimStats } from "./server.js";
