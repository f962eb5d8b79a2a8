/** Public surface of the SMP simulator. */
export { startSmpSim } from "./server.js";
export type { SmpSim, SmpSimFault, SmpSimOptions, SmpSimStats } from "./server.js";
export type { SmpSimSml } from "./management.js";
export { loadRegistrations, checkRegistrations } from "./registrations.js";
export type { SmpSimEntry, SmpSimRedirect, SmpSimRegistrations, SmpSimService } from "./registrations.js";
export { signServiceMetadata } from "./signing.js";
export type { SmpSigner, SmpSigningOptions } from "./signing.js";
export { serviceGroupXml, serviceMetadataXml } from "./documents.js";
