/**
 * The NextMove StandardBusinessDocument (the integrasjonspunkt's SBD JSON): parse, read, fill in, check and
 * write it as the IP does. Pure: clocks, UUIDs and anything the IP looks up come from the caller.
 */
export * from "./accessors.js";
export * from "./arkivmelding.js";
export { fillDefaults, type DefaultsContext, type ServiceRegistryPostAddress } from "./defaults.js";
export * from "./errors.js";
export * from "./message-types.js";
export { uploadMimeType } from "./mime-types.js";
export * from "./model.js";
export { normaliseSbd } from "./normalise.js";
export { parseSbd, parseSbdJson, type ParseOptions } from "./parse.js";
export * from "./partner-identifier.js";
export * from "./schema.js";
export { jacksonPrettyJson, serialiseSbd, toSbdJson } from "./serialise.js";
export * from "./validate.js";
export { formatOffsetDateTime, parseOffsetDateTime, type OffsetDateTime } from "./date-time.js";
