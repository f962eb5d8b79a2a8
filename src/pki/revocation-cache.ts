/**
 * A bounded in-memory cache for revocation data (OCSP answers by issuer + serial, CRLs by URL).
 *
 * An entry lives until the earlier of its nextUpdate and `maxAgeMs` after it was loaded, so a CA's
 * promise of freshness is honoured but never stretched beyond our own limit. Concurrent lookups of a key
 * that is being loaded share that load (one request to the responder for a burst of messages from the
 * same sender). Failed loads are not cached. The least recently used entry goes when the cache is full.
 */
import { systemClock } from "../clock.js";
import type { Clock } from "../clock.js";

export interface RevocationCacheOptions {
  /** Most entries kept (default 1000). */
  maxEntries?: number;
  /** Longest an entry is kept, whatever its nextUpdate says (default one hour). */
  maxAgeMs?: number;
  clock?: Clock;
}

/** What a loader yields: the value and when the source says newer data will be available. */
export interface CacheLoad<T> {
  value: T;
  nextUpdate?: Date | undefined;
}

export interface RevocationCacheStats {
  hits: number;
  misses: number;
  /** Lookups that joined a load already under way. */
  shared: number;
  size: number;
}

export interface RevocationCache {
  /** The cached value for `key`, or the one `load` yields (one load per key at a time). */
  get<T>(key: string, load: () => Promise<CacheLoad<T>>): Promise<T>;
  delete(key: string): void;
  clear(): void;
  stats(): RevocationCacheStats;
}

export const DEFAULT_CACHE_MAX_ENTRIES = 1000;
export const DEFAULT_CACHE_MAX_AGE_MS = 60 * 60_000;

interface Entry {
  value: unknown;
  expiresAt: number;
}

export function createRevocationCache(options: RevocationCacheOptions = {}): RevocationCache {
  const maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_CACHE_MAX_ENTRIES);
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_CACHE_MAX_AGE_MS;
  const clock = options.clock ?? systemClock;
  // Map iteration order is insertion order: re-inserting on a hit keeps the least recently used first.
  const entries = new Map<string, Entry>();
  const loading = new Map<string, Promise<unknown>>();
  const counters = { hits: 0, misses: 0, shared: 0 };

  const store = (key: string, value: unknown, nextUpdate: Date | undefined) => {
    const now = clock().getTime();
    const expiresAt = Math.min(now + maxAgeMs, nextUpdate ? nextUpdate.getTime() : Number.POSITIVE_INFINITY);
    if (expiresAt <= now) return;
    entries.delete(key);
    entries.set(key, { value, expiresAt });
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
    }
  };

  return {
    async get<T>(key: string, load: () => Promise<CacheLoad<T>>): Promise<T> {
      const entry = entries.get(key);
      if (entry) {
        if (entry.expiresAt > clock().getTime()) {
          counters.hits += 1;
          entries.delete(key);
          entries.set(key, entry);
          return entry.value as T;
        }
        entries.delete(key);
      }
      const pending = loading.get(key);
      if (pending) {
        counters.shared += 1;
        return pending as Promise<T>;
      }
      counters.misses += 1;
      const promise = (async () => {
        try {
          const loaded = await load();
          store(key, loaded.value, loaded.nextUpdate);
          return loaded.value;
        } finally {
          loading.delete(key);
        }
      })();
      loading.set(key, promise);
      return promise;
    },
    delete(key) {
      entries.delete(key);
    },
    clear() {
      entries.clear();
    },
    stats() {
      return { ...counters, size: entries.size };
    },
  };
}
