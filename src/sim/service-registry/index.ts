/** Public surface of the Service Registry simulator. */
export { startServiceRegistrySim } from "./server.js";
export type { ServiceRegistrySim, ServiceRegistrySimOptions, ServiceRegistrySimStats } from "./server.js";
export { ServiceRegistryState } from "./state.js";
export type {
  FregPerson,
  KrrPerson,
  OrganisationInput,
  PersonInput,
  PrintProvider,
  SmpRegistration,
  SrOrganisation,
  SrPerson,
  SrPostadresse,
  SvarUtMottakersystem,
} from "./state.js";
export { DEFAULT_PROCESSES, DOCUMENT_TYPES, PROCESSES, arkivmeldingProcess } from "./processes.js";
export type { ProcessCategory, SrProcess } from "./processes.js";
export { decideArkivmelding, decideRegisteredOnly, registeredProcesses, routeDigitalpost, svarUtLevel } from "./routing.js";
export type { ChannelDecision, DigitalpostTarget, Notification, RoutingFacts, RoutingRule } from "./routing.js";
export { DPE_SCOPES, DPI_SCOPES } from "./lookup.js";
export type { EntityJson, ServiceRecordJson, DigitalPostRecordJson, InfoRecordJson } from "./records.js";
export { DEFAULT_CERTS_DIR, SR_SANDBOX, loadDefaultServiceRegistryOptions, seedSandboxDefaults } from "./defaults.js";
