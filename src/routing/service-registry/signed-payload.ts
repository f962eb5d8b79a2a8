/**
 * Verifies the Service Registry's signed answers: a compact JWS, RS256, whose header carries `kid` (and an
 * `x5c` we do not rely on), checked against the registry's JWK set (`{SR}/jwk`, [SR] `JwkController`). The key
 * set is the trust anchor: it is fetched on first use, kept for `ttlMs`, and fetched again once when a JWS names
 * a `kid` the set lacks (the registry rotated its key), but not more often than `refetchCooldownMs`, so a
 * stream of unknown kids cannot turn into a stream of key set requests.
 *
 * Stricter than the integrasjonspunkt ([EC] `JWTDecoder.getPayload`), which takes the first RSA key of the set
 * whatever the `kid` and any algorithm Nimbus' RSA verifier supports.
 */
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, errors } from "jose";
import type { JSONWebKeySet, JWSHeaderParameters } from "jose";
import { systemClock } from "../../clock.js";
import type { Clock } from "../../clock.js";
import {
  ServiceRegistryBadSignatureError,
  ServiceRegistryKeyUnknownError,
  ServiceRegistryMalformedResponseError,
  ServiceRegistryUnsignedResponseError,
} from "./errors.js";

export interface SignedPayloadVerifierOptions {
  /** Fetches the registry's JWK set (throws its own error when it cannot). */
  fetchJwks: () => Promise<unknown>;
  clock?: Clock;
  /** How long a fetched key set is used (default 1 hour). */
  ttlMs?: number;
  /** Least time between two fetches caused by an unknown kid (default 10 s). */
  refetchCooldownMs?: number;
}

export interface VerifiedPayload {
  /** The JWS payload as UTF-8 text (the JSON, PEM or SAS key the registry signed). */
  payload: string;
  kid: string | undefined;
}

export interface SignedPayloadVerifier {
  verify(compact: string): Promise<VerifiedPayload>;
  /** The key set in use (fetched if there is none). */
  keys(): Promise<JSONWebKeySet>;
  /** Number of key set fetches so far. */
  fetches(): number;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;
const ALGORITHM = "RS256";

interface KeySet {
  set: JSONWebKeySet;
  resolve: ReturnType<typeof createLocalJWKSet>;
  fetchedAt: number;
}

export function createSignedPayloadVerifier(options: SignedPayloadVerifierOptions): SignedPayloadVerifier {
  const clock = options.clock ?? systemClock;
  const ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  const cooldownMs = options.refetchCooldownMs ?? 10_000;
  let current: KeySet | undefined;
  let loading: Promise<KeySet> | undefined;
  let fetchCount = 0;

  /** One fetch at a time: concurrent callers share it. */
  const load = (): Promise<KeySet> => {
    loading ??= (async () => {
      fetchCount++;
      const set = await options.fetchJwks();
      const resolve = readKeySet(set);
      current = { set: set as JSONWebKeySet, resolve, fetchedAt: clock().getTime() };
      return current;
    })().finally(() => {
      loading = undefined;
    });
    return loading;
  };

  const keySet = async (): Promise<KeySet> => {
    if (current && clock().getTime() - current.fetchedAt < ttlMs) return current;
    return load();
  };

  return {
    async verify(compact) {
      const jws = compact.trim();
      if (!COMPACT_JWS.test(jws)) throw new ServiceRegistryUnsignedResponseError("The Service Registry's answer is not a compact JWS");
      let header: JWSHeaderParameters;
      try {
        header = decodeProtectedHeader(jws) as JWSHeaderParameters;
      } catch (e) {
        throw new ServiceRegistryBadSignatureError(`The JWS header cannot be read: ${message(e)}`, { cause: e });
      }
      if (header.alg !== ALGORITHM) {
        throw new ServiceRegistryBadSignatureError(`The JWS is signed with ${JSON.stringify(header.alg ?? null)}; only ${ALGORITHM} is accepted`);
      }
      const kid = typeof header.kid === "string" ? header.kid : undefined;
      let keys = await keySet();
      try {
        return { payload: await verifyWith(jws, keys), kid };
      } catch (e) {
        if (!(e instanceof errors.JWKSNoMatchingKey)) throw mapError(e);
      }
      // The key set lacks the kid: the registry may have rotated its key since we fetched the set.
      if (loading || clock().getTime() - keys.fetchedAt >= cooldownMs) {
        keys = await load();
        try {
          return { payload: await verifyWith(jws, keys), kid };
        } catch (e) {
          if (!(e instanceof errors.JWKSNoMatchingKey)) throw mapError(e);
        }
      }
      throw new ServiceRegistryKeyUnknownError(kid, `No key of the Service Registry's JWK set matches kid ${JSON.stringify(kid ?? null)}`);
    },
    keys: async () => structuredClone((await keySet()).set),
    fetches: () => fetchCount,
  };
}

async function verifyWith(jws: string, keys: KeySet): Promise<string> {
  try {
    const { payload } = await compactVerify(jws, keys.resolve, { algorithms: [ALGORITHM] });
    return new TextDecoder("utf-8", { fatal: true }).decode(payload);
  } catch (e) {
    // Several keys fit a JWS without kid: the signature decides which ([jose] JWKSMultipleMatchingKeys).
    if (e instanceof errors.JWKSMultipleMatchingKeys) {
      for await (const key of e) {
        try {
          const { payload } = await compactVerify(jws, key, { algorithms: [ALGORITHM] });
          return new TextDecoder("utf-8", { fatal: true }).decode(payload);
        } catch {
          // try the next key
        }
      }
      throw new errors.JWSSignatureVerificationFailed();
    }
    throw e;
  }
}

function readKeySet(set: unknown): ReturnType<typeof createLocalJWKSet> {
  try {
    return createLocalJWKSet(set as JSONWebKeySet);
  } catch (e) {
    throw new ServiceRegistryMalformedResponseError(`The Service Registry's JWK set is malformed: ${message(e)}`, { cause: e });
  }
}

function mapError(e: unknown): Error {
  if (e instanceof errors.JWSSignatureVerificationFailed) return new ServiceRegistryBadSignatureError("The JWS signature does not verify with the Service Registry's key", { cause: e });
  if (e instanceof TypeError) return new ServiceRegistryBadSignatureError("The JWS payload is not UTF-8 text", { cause: e });
  if (e instanceof errors.JOSEError) return new ServiceRegistryBadSignatureError(`The JWS cannot be verified: ${e.message}`, { cause: e });
  return e instanceof Error ? e : new Error(String(e));
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
