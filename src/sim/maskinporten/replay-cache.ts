/**
 * Remembers grant ids (`jti`) until their grant has expired, so a grant is accepted at most once. Entries
 * are dropped lazily once expired: an expired grant is refused on its `exp` anyway.
 */
export interface ReplayCache {
  /** Records the id; returns false when it was already recorded and is not yet expired. */
  claim(id: string, expiresAtSeconds: number, nowSeconds: number): boolean;
}

export function createReplayCache(graceSeconds: number): ReplayCache {
  const seen = new Map<string, number>();
  return {
    claim(id, expiresAtSeconds, nowSeconds) {
      for (const [key, exp] of seen) if (exp + graceSeconds < nowSeconds) seen.delete(key);
      if (seen.has(id)) return false;
      seen.set(id, expiresAtSeconds);
      return true;
    },
  };
}
