/**
 * Answers kept for a fixed time after they were fetched (the integrasjonspunkt's Caffeine caches expire after
 * write), at most `maxEntries` keys with the least recently used dropped first. Concurrent loads of one key
 * share a single request. Failures are not kept: the next call asks again.
 */
import type { Clock } from "../../clock.js";

export interface TtlCacheStats {
  hits: number;
  misses: number;
  /** Loads that joined one already under way. */
  shared: number;
  size: number;
}

export interface TtlCache<T> {
  get(key: string, load: () => Promise<T>): Promise<T>;
  /** Forget one key, or every key when none is given. */
  invalidate(key?: string): void;
  stats(): TtlCacheStats;
}

export function createTtlCache<T>(options: { ttlMs: number; maxEntries: number; clock: Clock }): TtlCache<T> {
  const entries = new Map<string, { value: T; expiresAt: number }>();
  const inflight = new Map<string, Promise<T>>();
  const counters = { hits: 0, misses: 0, shared: 0 };
  const maxEntries = Math.max(1, options.maxEntries);

  return {
    get(key, load) {
      const now = options.clock().getTime();
      const entry = entries.get(key);
      if (entry && entry.expiresAt > now) {
        entries.delete(key); // refresh recency
        entries.set(key, entry);
        counters.hits++;
        return Promise.resolve(entry.value);
      }
      if (entry) entries.delete(key);
      const running = inflight.get(key);
      if (running) {
        counters.shared++;
        return running;
      }
      counters.misses++;
      const promise = load()
        .then((value) => {
          entries.set(key, { value, expiresAt: options.clock().getTime() + options.ttlMs });
          while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
          return value;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, promise);
      return promise;
    },
    invalidate(key) {
      if (key === undefined) entries.clear();
      else entries.delete(key);
    },
    stats: () => ({ ...counters, size: entries.size }),
  };
}
