/**
 * A client of an SMP's management API in the shape phoss-SMP offers it (and the SMP simulator copies): HTTP
 * Basic credentials of an SMP user, and
 *   PUT/DELETE {base}/{pct(participant)}                          a service group (PUT body: ServiceGroup)
 *   PUT/DELETE {base}/{pct(participant)}/services/{pct(doctype)}  its ServiceMetadata for one document type
 * Deleting what is not there (404) is reported as "absent", so removing twice is harmless. Every other
 * non-200 answer is an SmpManagementError that says whether trying again later may help.
 */
import type { X509Certificate } from "node:crypto";
import { request } from "undici";
import { transportFailure } from "../http-body.js";
import { encodeIdentifierForUrl } from "./identifiers.js";
import type { DocumentTypeId, ParticipantId, PeppolIdentifier, ProcessId } from "./identifiers.js";
import { PEPPOL_AS4_TRANSPORT_PROFILE, SMP_NS } from "./smp-xml.js";

export interface SmpManagementOptions {
  /** The SMP's REST base (what the SML publishes for its participants), no trailing slash needed. */
  baseUrl: string;
  user: string;
  password: string;
  /** Per call; default 30 s. */
  timeoutMs?: number;
}

/** One endpoint of a ServiceMetadata: where and with which certificate a participant receives. */
export interface SmpEndpointSpec {
  endpointUrl: string;
  certificate: X509Certificate;
  transportProfile?: string;
  serviceDescription?: string;
  technicalContactUrl?: string;
}

export class SmpManagementError extends Error {
  constructor(
    message: string,
    /** The SMP's HTTP status; absent when it could not be reached. */
    readonly httpStatus: number | undefined,
    /** Whether the same call later may succeed (network, timeout, 5xx). */
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SmpManagementError";
  }
}

export class SmpManagementClient {
  readonly #base: string;
  readonly #auth: string;
  readonly #timeoutMs: number;

  constructor(o: SmpManagementOptions) {
    this.#base = o.baseUrl.replace(/\/+$/, "");
    this.#auth = `Basic ${Buffer.from(`${o.user}:${o.password}`).toString("base64")}`;
    this.#timeoutMs = o.timeoutMs ?? 30_000;
  }

  /** Creates the service group (the SMP registers the participant in the SML) or confirms it is ours. */
  async putServiceGroup(participant: ParticipantId): Promise<void> {
    await this.#call("PUT", this.#groupUrl(participant), serviceGroupXml(participant));
  }

  async deleteServiceGroup(participant: ParticipantId): Promise<"deleted" | "absent"> {
    return this.#call("DELETE", this.#groupUrl(participant));
  }

  /** Sets the participant's endpoints for one document type: each process with the same endpoint. */
  async putServiceMetadata(participant: ParticipantId, documentType: DocumentTypeId, processes: readonly ProcessId[], endpoint: SmpEndpointSpec): Promise<void> {
    await this.#call("PUT", this.#metadataUrl(participant, documentType), serviceMetadataXml(participant, documentType, processes, endpoint));
  }

  async deleteServiceMetadata(participant: ParticipantId, documentType: DocumentTypeId): Promise<"deleted" | "absent"> {
    return this.#call("DELETE", this.#metadataUrl(participant, documentType));
  }

  #groupUrl(participant: ParticipantId): string {
    return `${this.#base}/${encodeIdentifierForUrl(participant)}`;
  }

  #metadataUrl(participant: ParticipantId, documentType: DocumentTypeId): string {
    return `${this.#groupUrl(participant)}/services/${encodeIdentifierForUrl(documentType)}`;
  }

  async #call(method: "PUT" | "DELETE", url: string, body?: string): Promise<"deleted" | "absent"> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        method,
        headers: { authorization: this.#auth, ...(body !== undefined ? { "content-type": "application/xml; charset=UTF-8" } : {}) },
        ...(body !== undefined ? { body } : {}),
        signal,
      });
      status = response.statusCode;
      text = (await response.body.text()).slice(0, 500);
    } catch (e) {
      const f = transportFailure(e, url, this.#timeoutMs, signal.aborted);
      throw new SmpManagementError(`${method} ${url}: ${f.detail}`, undefined, true, { cause: e });
    }
    if (status === 200 || status === 201 || status === 204) return "deleted";
    if (status === 404 && method === "DELETE") return "absent";
    const transient = status >= 500 || status === 408 || status === 429;
    throw new SmpManagementError(`${method} ${url} answered HTTP ${status}${text ? `: ${text.trim()}` : ""}`, status, transient);
  }
}

const ROOT_NS = `xmlns="${SMP_NS.smp}" xmlns:ids="${SMP_NS.ids}" xmlns:wsa="${SMP_NS.wsa}"`;

/** A ServiceGroup to PUT: the identifier and an empty reference collection (the SMP fills it when it serves it). */
export function serviceGroupXml(participant: ParticipantId): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<ServiceGroup ${ROOT_NS}>${identifierXml("ParticipantIdentifier", participant)}` +
    `<ServiceMetadataReferenceCollection/></ServiceGroup>`
  );
}

/** An unsigned ServiceMetadata to PUT: the SMP signs it with its own certificate when it serves it. */
export function serviceMetadataXml(participant: ParticipantId, documentType: DocumentTypeId, processes: readonly ProcessId[], e: SmpEndpointSpec): string {
  const endpoint =
    `<Endpoint transportProfile="${esc(e.transportProfile ?? PEPPOL_AS4_TRANSPORT_PROFILE)}">` +
    `<wsa:EndpointReference><wsa:Address>${esc(e.endpointUrl)}</wsa:Address></wsa:EndpointReference>` +
    `<RequireBusinessLevelSignature>false</RequireBusinessLevelSignature>` +
    `<Certificate>${e.certificate.raw.toString("base64")}</Certificate>` +
    `<ServiceDescription>${esc(e.serviceDescription ?? "")}</ServiceDescription>` +
    `<TechnicalContactUrl>${esc(e.technicalContactUrl ?? "")}</TechnicalContactUrl>` +
    `</Endpoint>`;
  const list = processes
    .map((p) => `<Process>${identifierXml("ProcessIdentifier", p)}<ServiceEndpointList>${endpoint}</ServiceEndpointList></Process>`)
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<ServiceMetadata ${ROOT_NS}><ServiceInformation>${identifierXml("ParticipantIdentifier", participant)}` +
    `${identifierXml("DocumentIdentifier", documentType)}<ProcessList>${list}</ProcessList></ServiceInformation></ServiceMetadata>`
  );
}

function identifierXml(name: string, id: PeppolIdentifier): string {
  return `<ids:${name} scheme="${esc(id.scheme)}">${esc(id.value)}</ids:${name}>`;
}

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
