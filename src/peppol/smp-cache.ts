/**
 * A caching SmpClient in front of another one.
 *
 * What is cached is the verified ServiceMetadata per (participant, document type), not the chosen
 * endpoint: endpoint selection runs on every lookup, so an endpoint that expires or becomes active inside
 * the TTL is seen at once. Definite negative answers (participant not registered, document type not
 * supported) are cached for a shorter time; every other failure is not cached. Concurrent lookups of the
 * same key share one request. The cache holds at most `maxEntries` keys, dropping the least recently used.
 *
 * A cached verification stands for its TTL: the signature and certificate path are not re-checked on a
 * hit, but a positive entry never outlives the SMP signer certificate's notAfter.
 */
import { systemClock } from "../clock.js";
import type { Clock } from "../clock.js";
import { validityOf } from "../pki/certificate-fields.js";
import { identifierKey, participantKey } from "./identifiers.js";
import type { DocumentTypeId, ParticipantId } from "./identifiers.js";
import { endpointFromMetadata } from "./smp-client.js";
import type { LookupTime, SmpClient, VerifiedServiceMetadata } from "./smp-client.js";
import { SmpDocumentTypeNotSupportedError, SmpParticipantNotRegisteredError } from "./smp-errors.js";
import type { ServiceGroup } from "./smp-xml.js";

export interface SmpCacheOptions {
  /** Lifetime of successful answers (default 1 hour). */
  ttlMs?: number;
  /** Lifetime of "not registered" / "not supported" answers (default 5 minutes). */
  negativeTtlMs?: number;
  /** Most keys kept (default 10 000). */
  maxEntries?: number;
  /** Drives expiry and the default lookup time (default the system clock). */
  clock?: Clock;
}

export interface SmpCacheStats {
  hits: number;
  negativeHits: number;
  misses: number;
  /** Lookups that joined a request already under way. */
  shared: number;
  size: number;
}

export interface CachingSmpClient extends SmpClient {
  /** Forget one participant (every document type of it) or everything. */
  invalidate(participant?: ParticipantId): void;
  stats(): SmpCacheStats;
}

type Entry<T> = { expiresAt: number; ok: true; value: T } | { expiresAt: number; ok: false; error: Error };

const DEFAULTS = { ttlMs: 60 * 60 * 1000, negativeTtlMs: 5 * 60 * 1000, maxEntries: 10_000 };

export function createCachingSmpClient(client: SmpClient, options: SmpCacheOptions = {}): CachingSmpClient {
  const clock = options.clock ?? systemClock;
  const ttlMs = options.ttlMs ?? DEFAULTS.ttlMs;
  const negativeTtlMs = options.negativeTtlMs ?? DEFAULTS.negativeTtlMs;
  const maxEntries = Math.max(1, options.maxEntries ?? DEFAULTS.maxEntries);
  const entries = new Map<string, Entry<unknown>>();
  const inflight = new Map<string, Promise<unknown>>();
  const counters = { hits: 0, negativeHits: 0, misses: 0, shared: 0 };

  const store = (key: string, entry: Entry<unknown>) => {
    entries.delete(key);
    entries.set(key, entry);
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
  };

  /** One cached, de-duplicated call. `expiry` says how long a value may live (before the TTL cap). */
  const cached = <T>(key: string, load: () => Promise<T>, expiry: (value: T, now: number) => number): Promise<T> => {
    const now = clock().getTime();
    const entry = entries.get(key) as Entry<T> | undefined;
    if (entry && entry.expiresAt > now) {
      entries.delete(key); // refresh recency
      entries.set(key, entry);
      if (entry.ok) {
        counters.hits++;
        return Promise.resolve(entry.value);
      }
      counters.negativeHits++;
      return Promise.reject(entry.error);
    }
    if (entry) entries.delete(key);
    const running = inflight.get(key) as Promise<T> | undefined;
    if (running) {
      counters.shared++;
      return running;
    }
    counters.misses++;
    const promise = load().then(
      (value) => {
        const at = clock().getTime();
        store(key, { ok: true, value, expiresAt: Math.min(at + ttlMs, expiry(value, at)) });
        return value;
      },
      (error: unknown) => {
        if (error instanceof SmpParticipantNotRegisteredError || error instanceof SmpDocumentTypeNotSupportedError) {
          store(key, { ok: false, error, expiresAt: clock().getTime() + negativeTtlMs });
        }
        throw error;
      },
    );
    const settled = promise.finally(() => inflight.delete(key));
    inflight.set(key, settled);
    return settled;
  };

  const participantPrefix = (p: ParticipantId) => `${participantKey(p)}\n`;

  const getServiceGroup = (participant: ParticipantId): Promise<ServiceGroup> =>
    cached(`${participantPrefix(participant)}group`, () => client.getServiceGroup(participant), (_v, now) => now + ttlMs);

  const getServiceMetadata = (
    participant: ParticipantId,
    documentType: DocumentTypeId,
    lookup: LookupTime = {},
  ): Promise<VerifiedServiceMetadata> =>
    cached(
      `${participantPrefix(participant)}${identifierKey(documentType)}`,
      () => client.getServiceMetadata(participant, documentType, { at: lookup.at ?? clock() }),
      (value) => validityOf(value.smpCertificate).notAfter.getTime(),
    );

  return {
    getServiceGroup,
    getServiceMetadata,
    async lookupEndpoint(query) {
      const at = query.at ?? clock();
      const metadata = await getServiceMetadata(query.participant, query.documentType, { at });
      return endpointFromMetadata(metadata, { ...query, at });
    },
    invalidate(participant) {
      if (!participant) {
        entries.clear();
        return;
      }
      const prefix = participantPrefix(participant);
      for (const key of [...entries.keys()]) if (key.startsWith(prefix)) entries.delete(key);
    },
    stats: () => ({ ...counters, size: entries.size }),
  };
}
