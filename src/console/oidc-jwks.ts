import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from "jose";
import type { Clock } from "../clock.js";
import { OidcError } from "./oidc-errors.js";

/**
 * The provider's signing keys (its jwks_uri), fetched on first use and kept for `ttlMs`. An id_token naming a
 * kid the kept set lacks makes it fetch the set once more (the provider rotated its key); still unknown, the
 * token is refused. No cooldown is needed between such fetches: an id_token reaches us only from the
 * provider's token endpoint, over the back channel, so nobody can send us unknown kids at will. Concurrent
 * callers share one fetch.
 */

type Resolver = ReturnType<typeof createLocalJWKSet>;

interface KeySet {
  resolve: Resolver;
  fetchedAt: number;
}

export class JwksCache {
  private current: KeySet | undefined;
  private loading: Promise<KeySet> | undefined;
  private count = 0;

  constructor(
    /** Fetches the key set (throws an OidcError when it cannot). */
    private readonly fetchJwks: () => Promise<unknown>,
    private readonly clock: Clock,
    private readonly ttlMs = 60 * 60_000,
  ) {}

  /** For jose's jwtVerify: the key the header names. */
  readonly key = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    const kept = this.current && this.clock().getTime() - this.current.fetchedAt < this.ttlMs ? this.current : undefined;
    const set = kept ?? (await this.load());
    try {
      return await set.resolve(header, token);
    } catch (err) {
      // A set fetched for this very token is not fetched again.
      if (!(err instanceof errors.JWKSNoMatchingKey) || !kept) throw err;
    }
    return (await this.load()).resolve(header, token);
  };

  /** How many times the set was fetched. */
  fetches(): number {
    return this.count;
  }

  private load(): Promise<KeySet> {
    this.loading ??= (async () => {
      this.count++;
      const body = await this.fetchJwks();
      let resolve: Resolver;
      try {
        resolve = createLocalJWKSet(body as JSONWebKeySet);
      } catch (err) {
        throw new OidcError("oidc-provider-unavailable", "the provider's JWKS is not a JSON Web Key Set", { cause: err });
      }
      this.current = { resolve, fetchedAt: this.clock().getTime() };
      return this.current;
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }
}
