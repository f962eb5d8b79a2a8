import type { Route, RouteRecord, Router, RouteQuery } from "../core/channel.js";
import { DomainError } from "../errors.js";
import type { ServiceRegistryClient } from "./service-registry/client.js";
import { NotFoundInServiceRegistryError, ServiceRegistryRefusedError } from "./service-registry/errors.js";
import { describeParameters, primaryIdentifier } from "./service-registry/parameters.js";
import type { LookupParameters, SrParameter } from "./service-registry/parameters.js";
import type { DpeRecord, DpfRecord, DpiRecord, DpoRecord, DpvRecord, ServiceRecord, SrAnswer } from "./service-registry/records.js";

/**
 * Routing for eFormidling's channels as the integrasjonspunkt does it ([IP] `nextmove/v2/ServiceRecordProvider.java`,
 * `service-registry-client/.../ServiceRegistryLookup.getServiceRecord(parameter, documentType)`): ask the Service
 * Registry for the receiver's records in the SBD's process, with the message's security level and conversation
 * id, and take the first record whose document types contain the SBD's standard; its service identifier is the
 * channel, and the record (with its parsed certificate) is the endpoint the channel sends with. The registry
 * having nothing (404), refusing the question (400), or no record listing the standard all end in the
 * integrasjonspunkt's ReceiverDoesNotAcceptProcessException; a registry that cannot be reached or trusted is
 * not the receiver's doing and keeps its own error (the IP folds signature failures in as well).
 */

/** What an eFormidling channel gets to send with: the chosen Service Registry record. */
export type EformidlingEndpoint = DpoRecord | DpfRecord | DpvRecord | DpeRecord | DpiRecord;

export interface EformidlingRouterOptions {
  registry: Pick<ServiceRegistryClient, "identifierProcess">;
  /** IP `difi.move.feature.enableDsfPrintLookup` (default true); false asks with `print=false`. */
  dsfPrintLookup?: boolean;
}

/** The integrasjonspunkt's exception class, which its error documents name in `exception`. */
export const RECEIVER_DOES_NOT_ACCEPT_PROCESS_EXCEPTION = "no.difi.meldingsutveksling.exceptions.ReceiverDoesNotAcceptProcessException";

/**
 * [IP] `ReceiverDoesNotAcceptProcessException` (HTTP 400 there): the message is its `messages.properties`
 * text, `description` the lookup failure it wraps (its `ErrorDescriber`).
 */
export class ReceiverDoesNotAcceptProcessError extends DomainError {
  readonly code = "receiver-does-not-accept-process";
  readonly kind = "unsupported";
  readonly exception = RECEIVER_DOES_NOT_ACCEPT_PROCESS_EXCEPTION;
  constructor(
    readonly process: string,
    readonly description: string,
    options?: { cause?: unknown },
  ) {
    super(`Receiver do not accept the document process ${process}`, options);
  }
}

/** The record found is for a channel this product does not speak (DPH, or one the registry added later). */
export class EformidlingChannelNotSupportedError extends DomainError {
  readonly code = "eformidling-channel-not-supported";
  readonly kind = "unsupported";
  constructor(
    readonly serviceIdentifier: string,
    readonly process: string,
  ) {
    super(`The receiver takes ${process} over ${serviceIdentifier}, a channel this access point does not support`);
  }
}

export function createEformidlingRouter(options: EformidlingRouterOptions): Router<EformidlingEndpoint> {
  return {
    async route(q: RouteQuery): Promise<Route<EformidlingEndpoint>> {
      const standard = q.standard ?? q.documentType;
      const lookup: LookupParameters = {
        ...(q.securityLevel !== undefined ? { securityLevel: q.securityLevel } : {}),
        ...(q.conversationId ? { conversationId: q.conversationId } : {}),
        ...(options.dsfPrintLookup === false ? { print: false } : {}),
      };
      const parameters: SrParameter = { ...lookup, identifier: primaryIdentifier(q.receiver), process: q.process, infoOnly: false };
      let records: readonly ServiceRecord[];
      let answer: SrAnswer | undefined;
      try {
        ({ serviceRecords: records, answer } = await options.registry.identifierProcess(parameters.identifier, q.process, lookup));
      } catch (e) {
        if (e instanceof NotFoundInServiceRegistryError || e instanceof ServiceRegistryRefusedError) {
          throw new ReceiverDoesNotAcceptProcessError(q.process, e.message, { cause: e });
        }
        throw e;
      }
      const record = records.find((r) => r.documentTypes.includes(standard));
      if (!record) {
        throw new ReceiverDoesNotAcceptProcessError(
          q.process,
          `Error looking up service record with document type '${standard}' and parameters: ${describeParameters(parameters)}`,
        );
      }
      if (!isEformidlingEndpoint(record)) throw new EformidlingChannelNotSupportedError(record.serviceIdentifier, q.process);
      return { channel: record.serviceIdentifier, endpoint: record, ...(answer ? { record: serviceRegistryRecord(answer) } : {}) };
    },
  };
}

/** A Service Registry answer as the record a route came from. */
export function serviceRegistryRecord(a: SrAnswer): RouteRecord {
  return { kind: "service-registry", sourceUrl: a.url, fetchedAt: a.fetchedAt, mediaType: a.mediaType, body: a.body, sha256: a.sha256 };
}

function isEformidlingEndpoint(record: ServiceRecord): record is EformidlingEndpoint {
  return record.serviceIdentifier !== "DPH" && record.serviceIdentifier !== "UNKNOWN";
}
