/**
 * Client of eFormidling's Service Registry ("adressetjeneste"), as the integrasjonspunkt uses it ([IP]
 * `service-registry-client/.../ServiceRegistryClient.java`, `client/ServiceRegistryRestClient.java`):
 *
 *   GET {base}/identifier/{id}[/process/{process}]?securityLevel=&conversationId=&print=false   records
 *   GET {base}/info/{id}                                                                        info record
 *   GET {base}/virksert/{id}                                                                    certificate (PEM)
 *   GET {base}/sastoken                                                                         DPE Service Bus key
 *   GET {jwksUrl} (default {base}/jwk, no token)                                                signing keys
 *
 * Every request but the key set's carries a Maskinporten bearer token from the caller's provider. With signing
 * required (the default, IP `difi.move.sign.enable=true`) the client asks for `application/jose,
 * application/json` and accepts only a compact JWS that verifies against the key set (signed-payload.ts); 404
 * is NotFoundInServiceRegistryError. Answers are cached for a time (the IP: 5 minutes for records and
 * certificates, a day for the SAS key); failures are not.
 */
import { createHash, X509Certificate } from "node:crypto";
import type { Dispatcher } from "undici";
import { systemClock } from "../../clock.js";
import type { Clock } from "../../clock.js";
import { DomainError } from "../../errors.js";
import {
  NotFoundInServiceRegistryError,
  ServiceRegistryHttpError,
  ServiceRegistryIdentifierMismatchError,
  ServiceRegistryMalformedResponseError,
  ServiceRegistryRefusedError,
  ServiceRegistryTokenError,
  ServiceRegistryUnsignedResponseError,
} from "./errors.js";
import { httpGet } from "./http.js";
import type { HttpAnswer } from "./http.js";
import { cacheKey, describeParameters, primaryIdentifier, srPath } from "./parameters.js";
import type { LookupParameters, SrParameter } from "./parameters.js";
import { parseIdentifierResource } from "./records.js";
import type { IdentifierResource, InfoRecord } from "./records.js";
import { createSignedPayloadVerifier } from "./signed-payload.js";
import { createTtlCache } from "./ttl-cache.js";
import type { TtlCacheStats } from "./ttl-cache.js";
import type { JSONWebKeySet } from "jose";

export interface ServiceRegistryClientOptions {
  /** Base URL with the context path, e.g. `https://test.eformidling.no/adressetjeneste` (IP `difi.move.serviceregistryEndpoint`). */
  baseUrl: string;
  /** A Maskinporten access token for the registry (the caller caches and renews it). */
  token: () => Promise<string>;
  /** Where the signing keys are (IP `difi.move.sign.jwkUrl`; default `{baseUrl}/jwk`). */
  jwksUrl?: string;
  /** Demand signed answers (default true). false: plain JSON and text, as IP `difi.move.sign.enable=false`. */
  requireSignature?: boolean;
  /** Send `X-Enable-Beta-Features: true` (IP `difi.move.feature.enableBetaFeatures`). */
  enableBetaFeatures?: boolean;
  /** Whole-request timeout per HTTP request (default 10 s). */
  timeoutMs?: number;
  /** Larger answers are refused (default 1 MiB). */
  maxResponseBytes?: number;
  /** Lifetime of record, info and certificate answers (default 5 minutes). */
  cacheTtlMs?: number;
  /** Lifetime of the SAS key (default 1 day). */
  sasTokenTtlMs?: number;
  /** Lifetime of the key set (default 1 hour). */
  jwksTtlMs?: number;
  /** Least time between key set fetches caused by an unknown kid (default 10 s). */
  jwksRefetchCooldownMs?: number;
  /** Most cached answers per kind (default 10 000). */
  maxCacheEntries?: number;
  clock?: Clock;
  /** undici dispatcher (TLS settings, proxies, tests). */
  dispatcher?: Dispatcher;
}

export interface VirksertCertificate {
  pem: string;
  certificate: X509Certificate;
}

export interface ServiceRegistryClientStats {
  /** HTTP requests sent, the key set's included. */
  requests: number;
  jwksFetches: number;
  lookups: TtlCacheStats;
}

export interface ServiceRegistryClient {
  /** Every record of an organisation, or a person's digital post records. */
  identifier(identifier: string, parameters?: LookupParameters): Promise<IdentifierResource>;
  /** The records for one process (what routing uses). */
  identifierProcess(identifier: string, process: string, parameters?: LookupParameters): Promise<IdentifierResource>;
  info(identifier: string): Promise<InfoRecord>;
  /** The organisation's VirkSert certificate (which one depends on the token's scopes, DPO or DPE). */
  virksert(identifier: string): Promise<VirksertCertificate>;
  /** The DPE Service Bus SAS key. */
  sasToken(): Promise<string>;
  /** The registry's signing keys, as in use. */
  jwks(): Promise<JSONWebKeySet>;
  /** Forget cached answers (the SAS key too: the IP does so when the Service Bus answers 401). */
  invalidate(): void;
  invalidateSasToken(): void;
  stats(): ServiceRegistryClientStats;
}

const JOSE = "application/jose";
const DEFAULTS = {
  timeoutMs: 10_000,
  maxResponseBytes: 1024 * 1024,
  cacheTtlMs: 5 * 60 * 1000,
  sasTokenTtlMs: 24 * 60 * 60 * 1000,
  maxCacheEntries: 10_000,
};

export function createServiceRegistryClient(options: ServiceRegistryClientOptions): ServiceRegistryClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  const jwksUrl = options.jwksUrl ?? `${base}/jwk`;
  const signed = options.requireSignature ?? true;
  const clock = options.clock ?? systemClock;
  const http = {
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    maxBytes: options.maxResponseBytes ?? DEFAULTS.maxResponseBytes,
    dispatcher: options.dispatcher,
  };
  const cacheOptions = { ttlMs: options.cacheTtlMs ?? DEFAULTS.cacheTtlMs, maxEntries: options.maxCacheEntries ?? DEFAULTS.maxCacheEntries, clock };
  const lookups = createTtlCache<IdentifierResource>(cacheOptions);
  const certificates = createTtlCache<VirksertCertificate>(cacheOptions);
  const sasTokens = createTtlCache<string>({ ...cacheOptions, ttlMs: options.sasTokenTtlMs ?? DEFAULTS.sasTokenTtlMs });
  let requests = 0;

  const verifier = createSignedPayloadVerifier({
    fetchJwks: async () => {
      requests++;
      const answer = await httpGet(jwksUrl, { ...http, headers: { accept: "application/json" } });
      if (answer.status !== 200) throw statusError(jwksUrl, answer);
      try {
        return JSON.parse(answer.body) as unknown;
      } catch (e) {
        throw new ServiceRegistryMalformedResponseError(`The JWK set at ${jwksUrl} is not JSON`, { cause: e });
      }
    },
    clock,
    ...(options.jwksTtlMs !== undefined ? { ttlMs: options.jwksTtlMs } : {}),
    ...(options.jwksRefetchCooldownMs !== undefined ? { refetchCooldownMs: options.jwksRefetchCooldownMs } : {}),
  });

  const bearer = async (): Promise<string> => {
    try {
      return await options.token();
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw new ServiceRegistryTokenError(`No access token for the Service Registry: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  };

  /**
   * GET a path; the 200 body (the verified JWS payload when signing is required). 404 and 400 are answered
   * for `parameters` when given (a lookup), as HTTP failures otherwise.
   */
  const get = async (path: string, accept: string, parameters?: SrParameter): Promise<string> => (await getAnswer(path, accept, parameters)).payload;

  /** As `get`, with the answer as it arrived. */
  const getAnswer = async (path: string, accept: string, parameters?: SrParameter): Promise<{ payload: string; answer: HttpAnswer; fetchedAt: Date }> => {
    const url = `${base}${path}`;
    const headers: Record<string, string> = { accept: signed ? `${JOSE}, application/json` : accept, authorization: `Bearer ${await bearer()}` };
    if (options.enableBetaFeatures) headers["x-enable-beta-features"] = "true";
    requests++;
    const answer = await httpGet(url, { ...http, headers });
    if (answer.status === 404) {
      const description = errorDescription(answer.body);
      if (parameters) throw new NotFoundInServiceRegistryError(describeParameters(parameters), description);
      throw new NotFoundInServiceRegistryError(path, description, `The Service Registry has nothing at ${path}${description ? `: ${description}` : ""}`);
    }
    if (answer.status === 400 && parameters) throw new ServiceRegistryRefusedError(describeParameters(parameters), errorDescription(answer.body));
    if (answer.status !== 200) throw statusError(url, answer);
    const fetchedAt = clock();
    if (!signed) return { payload: answer.body, answer, fetchedAt };
    if (answer.mediaType !== "" && answer.mediaType !== JOSE) {
      throw new ServiceRegistryUnsignedResponseError(`GET ${url} answered ${answer.mediaType}, not a signed ${JOSE} answer`);
    }
    return { payload: (await verifier.verify(answer.body)).payload, answer, fetchedAt };
  };

  // The cache keeps the answer as it arrived with the parsed resource, for the record a route came from.
  const lookup = (parameters: SrParameter): Promise<IdentifierResource> =>
    lookups.get(cacheKey(parameters), async () => {
      const { payload, answer, fetchedAt } = await getAnswer(srPath(parameters), "application/json", parameters);
      const resource = parseIdentifierResource(payload);
      checkAbout(resource, parameters);
      const mediaType = signed ? JOSE : answer.mediaType || "application/json";
      const url = `${base}${srPath({ ...parameters, conversationId: undefined })}`;
      return { ...resource, answer: { url, mediaType, body: answer.bytes, sha256: createHash("sha256").update(answer.bytes).digest("hex"), fetchedAt } };
    });

  return {
    identifier: (identifier, parameters = {}) => lookup({ ...parameters, identifier, infoOnly: false }),
    identifierProcess: (identifier, process, parameters = {}) => lookup({ ...parameters, identifier, process, infoOnly: false }),
    async info(identifier) {
      const { infoRecord } = await lookup({ identifier, infoOnly: true });
      if (infoRecord === null) throw new ServiceRegistryMalformedResponseError(`The Service Registry's answer for /info/${identifier} has no infoRecord`);
      return infoRecord;
    },
    virksert: (identifier) =>
      certificates.get(identifier, async () => {
        const pem = await get(`/virksert/${encodeURIComponent(identifier)}`, "text/plain");
        try {
          return { pem, certificate: new X509Certificate(pem) };
        } catch (e) {
          throw new ServiceRegistryMalformedResponseError(`The VirkSert answer for ${identifier} is not a PEM certificate`, { cause: e });
        }
      }),
    sasToken: () => sasTokens.get("", () => get("/sastoken", JOSE)),
    jwks: () => verifier.keys(),
    invalidate() {
      lookups.invalidate();
      certificates.invalidate();
      sasTokens.invalidate();
    },
    invalidateSasToken: () => sasTokens.invalidate(),
    stats: () => ({ requests, jwksFetches: verifier.fetches(), lookups: lookups.stats() }),
  };
}

/**
 * Every record must be about the party (and process) asked for: a signed answer replayed for another party
 * verifies as well as the right one.
 */
function checkAbout(resource: IdentifierResource, p: SrParameter): void {
  const party = primaryIdentifier(p.identifier);
  for (const record of resource.serviceRecords) {
    if (record.organisationNumber !== party) {
      throw new ServiceRegistryIdentifierMismatchError(`Asked the Service Registry about ${party}; a record is about ${JSON.stringify(record.organisationNumber)}`);
    }
    if (p.process && record.process !== p.process) {
      throw new ServiceRegistryIdentifierMismatchError(`Asked the Service Registry for process ${p.process}; a record is for ${record.process}`);
    }
  }
  const info = resource.infoRecord?.identifier;
  if (info !== undefined && info !== party) {
    throw new ServiceRegistryIdentifierMismatchError(`Asked the Service Registry about ${party}; its infoRecord is about ${JSON.stringify(info)}`);
  }
}

/** The registry's `{"error_code": "", "error_description": "..."}`, when the body is one. */
function errorDescription(body: string): string | undefined {
  try {
    const value = JSON.parse(body) as { error_description?: unknown; message?: unknown };
    if (typeof value.error_description === "string") return value.error_description;
    if (typeof value.message === "string") return value.message;
  } catch {
    // not JSON: no description
  }
  return undefined;
}

function statusError(url: string, answer: HttpAnswer): ServiceRegistryHttpError {
  const transient = answer.status >= 500 || answer.status === 408 || answer.status === 429;
  const description = errorDescription(answer.body);
  return new ServiceRegistryHttpError("status", url, `GET ${url} answered HTTP ${answer.status}${description ? `: ${description}` : ""}`, {
    kind: transient ? "unavailable" : "upstream",
    httpStatus: answer.status,
    srDescription: description,
  });
}
