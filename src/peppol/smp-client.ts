/**
 * SMP 1.x (busdox) client: where and how does a participant receive a document type on a process?
 *
 *   GET {smp}/{pct(participant)}                          ServiceGroup (only to tell "not registered"
 *                                                         from "document type not supported" after a 404)
 *   GET {smp}/{pct(participant)}/services/{pct(doctype)}  SignedServiceMetadata
 *
 * Each SignedServiceMetadata is verified on its exact bytes (smp-signature.ts) against the SMP CA anchors
 * before it is read. One Redirect is followed; the target must be signed by the certificate the Redirect
 * names (CertificateUID) and may not redirect again. The returned identifiers must be the ones asked for.
 * The endpoint is then chosen by transport profile and activation/expiration at the lookup time.
 *
 * HTTP redirects (3xx) are not followed: SMP 1.x has its own, signed, redirect.
 */
import { createHash, type X509Certificate } from "node:crypto";
import { request } from "undici";
import type { Dispatcher } from "undici";
import { systemClock } from "../clock.js";
import type { Clock } from "../clock.js";
import {
  documentTypeId,
  encodeIdentifierForUrl,
  formatIdentifier,
  readDpiDocumentTypeId,
  sameParticipant,
} from "./identifiers.js";
import type { DocumentTypeId, ParticipantId, ProcessId } from "./identifiers.js";
import {
  SmpDocumentTypeNotSupportedError,
  SmpEndpointNotActiveError,
  SmpError,
  SmpHttpError,
  SmpIdentifierMismatchError,
  SmpNoAs4EndpointError,
  SmpParticipantNotRegisteredError,
  SmpProcessNotSupportedError,
  SmpRedirectCertificateMismatchError,
  SmpRedirectLoopError,
  SmpUntrustedCertificateError,
} from "./smp-errors.js";
import { certificateSubjectEquals, verifySmpSignature } from "./smp-signature.js";
import { parseServiceGroup, parseSignedServiceMetadata, PEPPOL_AS4_TRANSPORT_PROFILE } from "./smp-xml.js";
import type { ServiceEndpoint, ServiceGroup, ServiceInformation, SmpIdentifier } from "./smp-xml.js";
import { readBodyCapped, transportFailure } from "../http-body.js";

export interface SmpClientOptions {
  /** The SMP base URL (static configuration), or how to find it per participant (SML lookup). */
  smpUrl: string | ((participant: ParticipantId) => string | Promise<string>);
  /** SMP CA certificates that SignedServiceMetadata signers must chain to. */
  anchors: readonly X509Certificate[];
  /** Extra CA certificates that may complete signer paths. */
  intermediates?: readonly X509Certificate[];
  /**
   * Further checks on a signer's validated path (leaf first), e.g. OCSP/CRL. Throwing refuses the response
   * as SmpUntrustedCertificateError (an SmpError thrown here passes through unchanged).
   */
  checkSmpCertificatePath?: (path: readonly X509Certificate[], at: Date) => void | Promise<void>;
  /** Lookup time when a call gives none (default the system clock). */
  clock?: Clock;
  /** Whole-request timeout per HTTP request, headers and body (default 10 s). */
  timeoutMs?: number;
  /** Larger responses are refused (default 4 MiB; ServiceGroups of big participants list many documents). */
  maxResponseBytes?: number;
  /** undici dispatcher (TLS settings, proxies, tests). */
  dispatcher?: Dispatcher;
  /**
   * Accept a returned DPI document type that differs from the requested one only in the spelling
   * `innbyggerpost` / `Innbyggerpost` (both occur in the wild). Off by default: document type values are
   * case-sensitive.
   */
  acceptInnbyggerpostSpellings?: boolean;
}

export interface LookupTime {
  /** Certificate validity and endpoint activity are judged at this time (default the client's clock). */
  at?: Date;
}

/**
 * The SignedServiceMetadata document an answer was read from, byte for byte as the SMP sent it (the redirect
 * target's, after a redirect), with its SHA-256: what a sender keeps as the record its route came from.
 */
export interface SmpDocument {
  url: string;
  body: Uint8Array;
  /** Hex SHA-256 of `body`. */
  sha256: string;
  fetchedAt: Date;
}

export interface VerifiedServiceMetadata {
  serviceInformation: ServiceInformation;
  /** The document it was read from; a cache keeps it with the parsed answer. */
  document: SmpDocument;
  /** Signer of the metadata that was finally used (the redirect target's, after a redirect). */
  smpCertificate: X509Certificate;
  /** URL the ServiceInformation was fetched from. */
  url: string;
  /** URL of the SignedServiceMetadata that redirected to `url`, if any. */
  redirectedFrom?: string;
}

export interface EndpointQuery extends LookupTime {
  participant: ParticipantId;
  documentType: DocumentTypeId;
  process: ProcessId;
  /** Default `peppol-transport-as4-v2_0`. */
  transportProfile?: string;
}

export interface SmpEndpoint {
  /** Where to send AS4 messages. */
  endpointUrl: string;
  /** The receiving access point's certificate as the SMP publishes it (validate it against the AP CA). */
  certificate: X509Certificate;
  transportProfile: string;
  participant: ParticipantId;
  /** As the receiver registered it (its spelling, when acceptInnbyggerpostSpellings allowed another). */
  documentType: DocumentTypeId;
  process: ProcessId;
  serviceDescription?: string;
  technicalContactUrl?: string;
  technicalInformationUrl?: string;
  requireBusinessLevelSignature: boolean;
  minimumAuthenticationLevel?: string;
  serviceActivationDate?: Date;
  serviceExpirationDate?: Date;
  /** Signer of the SignedServiceMetadata the endpoint came from. */
  smpCertificate: X509Certificate;
  /** The SignedServiceMetadata the endpoint came from, as fetched. */
  document?: SmpDocument;
}

export interface SmpClient {
  /** The participant's ServiceGroup. @throws SmpParticipantNotRegisteredError on 404 */
  getServiceGroup(participant: ParticipantId): Promise<ServiceGroup>;
  /** Verified ServiceInformation for a participant and document type (a Redirect is followed once). */
  getServiceMetadata(participant: ParticipantId, documentType: DocumentTypeId, options?: LookupTime): Promise<VerifiedServiceMetadata>;
  /** The endpoint to send to: getServiceMetadata + selectEndpoint. */
  lookupEndpoint(query: EndpointQuery): Promise<SmpEndpoint>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export function createSmpClient(options: SmpClientOptions): SmpClient {
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const http = (url: string) => httpGet(url, { timeoutMs, maxBytes, dispatcher: options.dispatcher });

  const baseUrlFor = async (participant: ParticipantId) => {
    const base = typeof options.smpUrl === "string" ? options.smpUrl : await options.smpUrl(participant);
    return base.replace(/\/+$/, "");
  };

  const getServiceGroup = async (participant: ParticipantId): Promise<ServiceGroup> => {
    const url = `${await baseUrlFor(participant)}/${encodeIdentifierForUrl(participant)}`;
    const response = await http(url);
    if (response.status === 404) {
      throw new SmpParticipantNotRegisteredError(`${formatIdentifier(participant)} has no ServiceGroup at ${url}`);
    }
    if (response.status !== 200) throw statusError(url, response.status);
    const group = parseServiceGroup(response.body);
    if (!sameParticipant(group.participant, participant)) {
      throw new SmpIdentifierMismatchError(`asked for ${formatIdentifier(participant)}, the ServiceGroup is for ${show(group.participant)}`);
    }
    return group;
  };

  const verifyAndParse = async (url: string, body: Uint8Array, at: Date) => {
    const verified = verifySmpSignature(body, { anchors: options.anchors, intermediates: options.intermediates ?? [], at });
    if (options.checkSmpCertificatePath) {
      try {
        await options.checkSmpCertificatePath(verified.certificatePath, at);
      } catch (e) {
        if (e instanceof SmpError) throw e;
        throw new SmpUntrustedCertificateError(`SMP certificate of ${url} refused: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    }
    return { verified, metadata: parseSignedServiceMetadata(verified.document) };
  };

  const getServiceMetadata = async (
    participant: ParticipantId,
    documentType: DocumentTypeId,
    lookup: LookupTime = {},
  ): Promise<VerifiedServiceMetadata> => {
    const at = lookup.at ?? clock();
    const base = await baseUrlFor(participant);
    const url = `${base}/${encodeIdentifierForUrl(participant)}/services/${encodeIdentifierForUrl(documentType)}`;
    const what = `${formatIdentifier(participant)} / ${formatIdentifier(documentType)}`;

    const first = await http(url);
    if (first.status === 404) throw await notFoundCause(participant, what, url);
    if (first.status !== 200) throw statusError(url, first.status);
    let fetchedAt = clock();
    let { verified, metadata } = await verifyAndParse(url, first.body, at);
    let body = first.body;
    let finalUrl = url;
    let redirectedFrom: string | undefined;

    if (metadata.kind === "redirect") {
      const { href, certificateUid } = metadata.redirect;
      const second = await http(href);
      if (second.status === 404) throw new SmpDocumentTypeNotSupportedError(`${what}: the redirect target ${href} answered 404`);
      if (second.status !== 200) throw statusError(href, second.status);
      fetchedAt = clock();
      ({ verified, metadata } = await verifyAndParse(href, second.body, at));
      body = second.body;
      if (!certificateSubjectEquals(verified.signerCertificate, certificateUid)) {
        throw new SmpRedirectCertificateMismatchError(
          `${href} is signed by ${verified.signerCertificate.subject.replace(/\n/g, ", ")}, the Redirect names ${certificateUid}`,
        );
      }
      if (metadata.kind === "redirect") {
        throw new SmpRedirectLoopError(`${url} redirected to ${href}, which redirects again to ${metadata.redirect.href}`);
      }
      redirectedFrom = url;
      finalUrl = href;
    }

    const info = metadata.serviceInformation;
    if (!sameParticipant(info.participant, participant)) {
      throw new SmpIdentifierMismatchError(`asked for ${formatIdentifier(participant)}, ${finalUrl} answered for ${show(info.participant)}`);
    }
    if (!sameDocumentType(info.documentType, documentType, options.acceptInnbyggerpostSpellings ?? false)) {
      throw new SmpIdentifierMismatchError(`asked for ${formatIdentifier(documentType)}, ${finalUrl} answered for ${show(info.documentType)}`);
    }
    return {
      serviceInformation: info,
      document: { url: finalUrl, body, sha256: createHash("sha256").update(body).digest("hex"), fetchedAt },
      smpCertificate: verified.signerCertificate,
      url: finalUrl,
      ...(redirectedFrom !== undefined ? { redirectedFrom } : {}),
    };
  };

  /** A 404 on the metadata: ask the ServiceGroup whether the participant exists at all. */
  const notFoundCause = async (participant: ParticipantId, what: string, url: string): Promise<SmpError> => {
    try {
      await getServiceGroup(participant);
    } catch (e) {
      if (e instanceof SmpParticipantNotRegisteredError) return e;
      // The ServiceGroup could not tell us more; the metadata's 404 still stands.
    }
    return new SmpDocumentTypeNotSupportedError(`${what}: no ServiceMetadata at ${url}`);
  };

  return {
    getServiceGroup,
    getServiceMetadata,
    async lookupEndpoint(query) {
      const at = query.at ?? clock();
      const metadata = await getServiceMetadata(query.participant, query.documentType, { at });
      return endpointFromMetadata(metadata, { ...query, at });
    },
  };
}

export interface EndpointSelection {
  process: ProcessId;
  /** Default `peppol-transport-as4-v2_0`. */
  transportProfile?: string;
  at: Date;
}

/**
 * The first endpoint of the process with the transport profile that is active at `at` (activation ≤ at ≤
 * expiration, each bound optional). Process identifiers match by scheme (case-insensitive) and value (exact).
 * @throws SmpProcessNotSupportedError, SmpNoAs4EndpointError, SmpEndpointNotActiveError
 */
export function selectEndpoint(info: ServiceInformation, selection: EndpointSelection): ServiceEndpoint {
  const profile = selection.transportProfile ?? PEPPOL_AS4_TRANSPORT_PROFILE;
  const processes = info.processes.filter((p) => sameProcess(p.process, selection.process));
  if (processes.length === 0) {
    throw new SmpProcessNotSupportedError(
      `${show(info.participant)} does not accept ${show(info.documentType)} on ${formatIdentifier(selection.process)}` +
        ` (registered: ${info.processes.map((p) => p.process.value).join(", ") || "none"})`,
    );
  }
  const candidates = processes.flatMap((p) => p.endpoints).filter((e) => e.transportProfile === profile);
  if (candidates.length === 0) {
    throw new SmpNoAs4EndpointError(`${show(info.participant)} has no ${profile} endpoint for ${formatIdentifier(selection.process)}`);
  }
  const t = selection.at.getTime();
  const active = candidates.find(
    (e) => (e.serviceActivationDate?.getTime() ?? -Infinity) <= t && t <= (e.serviceExpirationDate?.getTime() ?? Infinity),
  );
  if (!active) {
    const windows = candidates.map((e) => `${e.serviceActivationDate?.toISOString() ?? "…"}–${e.serviceExpirationDate?.toISOString() ?? "…"}`);
    throw new SmpEndpointNotActiveError(
      `${show(info.participant)}: no ${profile} endpoint is active at ${selection.at.toISOString()} (${windows.join(", ")})`,
    );
  }
  return active;
}

/** selectEndpoint, shaped as the answer of a lookup. */
export function endpointFromMetadata(
  metadata: VerifiedServiceMetadata,
  query: EndpointSelection & { participant: ParticipantId },
): SmpEndpoint {
  const info = metadata.serviceInformation;
  const e = selectEndpoint(info, query);
  return {
    endpointUrl: e.address,
    certificate: e.certificate,
    transportProfile: e.transportProfile,
    participant: query.participant,
    // The values passed the comparison with a well-formed request, so they are well-formed too.
    documentType: documentTypeId(info.documentType.value, info.documentType.scheme),
    process: query.process,
    requireBusinessLevelSignature: e.requireBusinessLevelSignature,
    ...(e.serviceDescription !== undefined ? { serviceDescription: e.serviceDescription } : {}),
    ...(e.technicalContactUrl !== undefined ? { technicalContactUrl: e.technicalContactUrl } : {}),
    ...(e.technicalInformationUrl !== undefined ? { technicalInformationUrl: e.technicalInformationUrl } : {}),
    ...(e.minimumAuthenticationLevel !== undefined ? { minimumAuthenticationLevel: e.minimumAuthenticationLevel } : {}),
    ...(e.serviceActivationDate !== undefined ? { serviceActivationDate: e.serviceActivationDate } : {}),
    ...(e.serviceExpirationDate !== undefined ? { serviceExpirationDate: e.serviceExpirationDate } : {}),
    smpCertificate: metadata.smpCertificate,
    document: metadata.document,
  };
}

// --- identifier comparison (Policy for use of Identifiers: schemes ignore case; participants: sameParticipant) ---

function sameDocumentType(returned: SmpIdentifier, asked: DocumentTypeId, acceptInnbyggerpostSpellings: boolean): boolean {
  if (returned.scheme.toLowerCase() !== asked.scheme.toLowerCase()) return false;
  if (returned.value === asked.value) return true;
  if (!acceptInnbyggerpostSpellings) return false;
  const a = readDpiDocumentTypeId({ kind: "document-type", scheme: returned.scheme, value: returned.value });
  const b = readDpiDocumentTypeId(asked);
  return a !== undefined && b !== undefined && a.type === b.type;
}

function sameProcess(returned: SmpIdentifier, asked: ProcessId): boolean {
  return returned.scheme.toLowerCase() === asked.scheme.toLowerCase() && returned.value === asked.value;
}

function show(id: SmpIdentifier): string {
  return `${id.scheme}::${id.value}`;
}

// --- HTTP ----------------------------------------------------------------------------------------------

interface HttpResult {
  status: number;
  body: Uint8Array;
}

interface HttpOptions {
  timeoutMs: number;
  maxBytes: number;
  dispatcher: Dispatcher | undefined;
}

/** GET with a whole-request timeout and a size cap; 200 and 404 bodies are read, others discarded. */
async function httpGet(url: string, options: HttpOptions): Promise<HttpResult> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await request(url, {
      method: "GET",
      headers: { accept: "application/xml, text/xml;q=0.9, */*;q=0.1" },
      signal,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
    if (response.statusCode !== 200) {
      await response.body.dump().catch(() => undefined);
      return { status: response.statusCode, body: new Uint8Array() };
    }
    const body = await readBodyCapped(response, options.maxBytes);
    if (!body) throw tooLarge(url, options.maxBytes);
    return { status: 200, body };
  } catch (e) {
    if (e instanceof SmpError) throw e;
    const f = transportFailure(e, url, options.timeoutMs, signal.aborted);
    throw new SmpHttpError(f.failure, url, f.detail, { kind: f.kind, cause: e });
  }
}

function statusError(url: string, status: number): SmpHttpError {
  const transient = status >= 500 || status === 408 || status === 429;
  return new SmpHttpError("status", url, `GET ${url} answered HTTP ${status}`, { kind: transient ? "unavailable" : "upstream", httpStatus: status });
}

function tooLarge(url: string, max: number): SmpHttpError {
  return new SmpHttpError("too-large", url, `the response of ${url} is larger than ${max} bytes`, { kind: "upstream" });
}

