/** Public surface of the Service Registry client: typed records, the signed-answer client, capabilities. */
export * from "./errors.js";
export { createServiceRegistryClient } from "./client.js";
export type { ServiceRegistryClient, ServiceRegistryClientOptions, ServiceRegistryClientStats, VirksertCertificate } from "./client.js";
export { describeParameters, primaryIdentifier } from "./parameters.js";
export type { LookupParameters, SrParameter } from "./parameters.js";
export { SERVICE_IDENTIFIERS, identifierResourceOf, parseIdentifierResource, pemCertificate } from "./records.js";
export type {
  BrregPostadresse,
  DpeRecord,
  DpfRecord,
  DpiRecord,
  DpoRecord,
  DpvRecord,
  IdentifierResource,
  InfoRecord,
  OtherRecord,
  PostAddress,
  ServiceIdentifier,
  ServiceRecord,
  SrAnswer,
  SrService,
} from "./records.js";
export { createSignedPayloadVerifier } from "./signed-payload.js";
export type { SignedPayloadVerifier, SignedPayloadVerifierOptions, VerifiedPayload } from "./signed-payload.js";
export { capabilitiesOf, capabilityOf, messageTypeOfStandard } from "./capabilities.js";
export type { CapabilitiesJson, CapabilityJson, DocumentTypeJson, MessageType, PostalAddressJson } from "./capabilities.js";
