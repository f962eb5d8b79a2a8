/** Public surface of the KRR (Kontakt- og reservasjonsregisteret) simulator. */
export { startKrrSim, KRR_SCOPES } from "./server.js";
export type { KrrSim, KrrSimOptions, KrrSimStats } from "./server.js";
export { KrrState } from "./state.js";
export type { KrrPersonInput, KrrPersonJson, KrrPrintProviderJson, KrrStatus, Reservasjon, Varslingsstatus } from "./state.js";
export { KRR_SANDBOX, loadSandboxKrrPersons, loadSandboxPrintCertificate, seedKrrSandbox } from "./defaults.js";
