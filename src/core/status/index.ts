/** Channel-neutral status models: the vocabulary, one table per channel, and the rules the core applies. */
export * from "./vocabulary.js";
export { SOURCES, type SourceKey } from "./sources.js";
export { STATUS_MODELS, DPE_STATUS_MODEL, DPF_STATUS_MODEL, DPI_STATUS_MODEL, DPO_STATUS_MODEL, DPV_STATUS_MODEL } from "./models/index.js";
export { LEGACY_STATUS_NAMES, mapLegacyStatus, type LegacyStatusName } from "./legacy.js";
export {
  canRegister,
  definitionOf,
  directionsOf,
  endsExpiry,
  endsPolling,
  isPolled,
  isTerminal,
  startsPolling,
  statusModel,
  toEformidling,
  underExpirySupervision,
  type RegisterDecision,
  type RegisterRefusalCode,
} from "./rules.js";
export { flagChanges, flagsAfter, flagsOf, INITIAL_FLAGS, type ConversationFlags } from "./flags.js";
