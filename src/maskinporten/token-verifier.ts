import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from "jose";
import type { FlattenedJWSInput, JWTHeaderParameters, JWTPayload, JWTVerifyGetKey } from "jose";
import { systemClock } from "../clock.js";
import type { Clock } from "../clock.js";
import {
  TokenAlgorithmNotAllowedError,
  TokenAudienceInvalidError,
  TokenError,
  TokenExpiredError,
  TokenInvalidError,
  TokenIssuerInvalidError,
  TokenKeysUnavailableError,
  TokenKeyUnknownError,
  TokenNotYetValidError,
  TokenSignatureInvalidError,
} from "./errors.js";
import { DPI_SEND_SCOPE, toMaskinportenToken } from "./token.js";
import type { MaskinportenToken } from "./token.js";

/** Maskinporten signs access tokens with RS256 only; accepting anything else only widens the attack surface. */
const ALGORITHMS = ["RS256"];

export interface TokenVerifierOptions {
  /** Maskinporten's issuer identifier, compared exactly (e.g. "https://test.maskinporten.no/"). */
  issuer: string;
  /** Maskinporten's JWKS (`jwks_uri` of its metadata, e.g. "https://test.maskinporten.no/jwk"). */
  jwksUrl: string | URL;
  /** The scope every token must carry, or several scopes of which it must carry one (e.g. senders' and providers'). */
  requiredScope?: string | readonly string[];
  /** When set, tokens must carry this value in `aud` (audience-restricted tokens); real DPI tokens have none. */
  audience?: string;
  clockSkewSeconds?: number;
  clock?: Clock;
  /** Minimum time between two JWKS fetches caused by an unknown kid (default 30 s); 0 in tests of rotation. */
  jwksCooldownMs?: number;
  /** How long a fetched JWKS is used before it is fetched again regardless (default 10 min). */
  jwksCacheMaxAgeMs?: number;
  /** Timeout of one JWKS fetch (default 5 s). */
  jwksTimeoutMs?: number;
}

export interface VerifyOptions {
  /** Overrides the verifier's required scope for one call (e.g. a route that needs another scope). */
  requiredScope?: string | readonly string[];
}

export interface TokenVerifier {
  /** Verifies a compact JWT (without the "Bearer " prefix); throws a {@link TokenError} subclass on failure. */
  verify(bearer: string, options?: VerifyOptions): Promise<MaskinportenToken>;
  /** Tokens accepted after verifying their signature, and accepted again as verified before (see VerifiedTokens). */
  stats(): { verified: number; reused: number };
}

/**
 * Verifies Maskinporten access tokens against the issuer's published keys. The key set is cached; a token
 * with an unknown kid makes it refetch (at most once per cooldown), which is how key rotation reaches us.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const requiredScope = options.requiredScope ?? DPI_SEND_SCOPE;
  const skew = options.clockSkewSeconds ?? 10;
  const clock = options.clock ?? systemClock;
  const scopeList = typeof requiredScope === "string" ? [requiredScope] : requiredScope;
  if (scopeList.length === 0 || scopeList.some((s) => s.trim() === "" || /\s/.test(s))) throw new TypeError("requiredScope must be one or more scopes without whitespace");
  if (!(skew >= 0)) throw new TypeError("clockSkewSeconds must not be negative");
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
    timeoutDuration: options.jwksTimeoutMs ?? 5_000,
  });
  const keyFor = keyResolver(jwks);
  const verified = new VerifiedTokens();
  const counts = { verified: 0, reused: 0 };

  return {
    stats: () => ({ ...counts }),
    async verify(bearer, verifyOptions = {}) {
      if (typeof bearer !== "string" || bearer.split(".").length !== 3) {
        throw new TokenInvalidError("The bearer token is not a compact JWS");
      }
      const now = clock();
      const known = verified.get(bearer);
      // A key set that no longer gives the key (or cannot be read) sends the token through full verification,
      // which refuses it with the right error.
      if (known && stillValid(known.claims, now, skew) && (await Promise.resolve()
        .then(() => keyFor(known.header, known.input))
        .then((k) => k === known.key, () => false))) {
        const token = toMaskinportenToken(bearer, known.claims, verifyOptions.requiredScope ?? requiredScope);
        counts.reused++;
        return token;
      }
      verified.delete(bearer);
      let claims: JWTPayload;
      let used: Omit<VerifiedToken, "claims"> | undefined;
      const capturingKeyFor: JWTVerifyGetKey = async (header, input) => {
        const key = await keyFor(header, input);
        used = { header, input, key };
        return key;
      };
      try {
        ({ payload: claims } = await jwtVerify(bearer, capturingKeyFor, {
          algorithms: ALGORITHMS,
          issuer: options.issuer,
          ...(options.audience !== undefined ? { audience: options.audience } : {}),
          requiredClaims: ["exp", "iat"],
          clockTolerance: skew,
          currentDate: now,
        }));
      } catch (error) {
        throw toTokenError(error, bearer);
      }
      // jose checks iat in the future only together with maxTokenAge, and Maskinporten lifetimes vary per scope.
      if (claims.iat! > now.getTime() / 1000 + skew) {
        throw new TokenNotYetValidError(`The token was issued at ${new Date(claims.iat! * 1000).toISOString()}, in the future`);
      }
      if (used) verified.set(bearer, { ...used, claims });
      const token = toMaskinportenToken(bearer, claims, verifyOptions.requiredScope ?? requiredScope);
      counts.verified++;
      return token;
    },
  };
}

/** A token whose signature and claims were verified, with the key it was verified with. */
interface VerifiedToken {
  claims: JWTPayload;
  header: JWTHeaderParameters;
  input: FlattenedJWSInput;
  key: unknown;
}

/**
 * Tokens verified already. A business system presents one Maskinporten token for every request until it
 * expires (two minutes and more), and the RS256 verification of each was about 2 % of an access point's CPU
 * per letter. A token found here is taken without verifying its signature again only while its times still
 * hold at this moment and the key set still gives the very key it was verified with (so a withdrawn or
 * replaced key refuses it again); otherwise it is verified afresh, which also gives the exact refusal. The
 * scope is checked on every call. Bounded: the oldest entries go first.
 */
class VerifiedTokens {
  private readonly tokens = new Map<string, VerifiedToken>();
  constructor(private readonly max = 10_000) {}

  get(bearer: string): VerifiedToken | undefined {
    return this.tokens.get(bearer);
  }

  set(bearer: string, token: VerifiedToken): void {
    if (this.tokens.size >= this.max) this.tokens.delete(this.tokens.keys().next().value!);
    this.tokens.set(bearer, token);
  }

  delete(bearer: string): void {
    this.tokens.delete(bearer);
  }
}

/** The time checks of a verification (jose's exp and nbf, our iat), at `now` with `skew` seconds of tolerance. */
function stillValid(claims: JWTPayload, now: Date, skew: number): boolean {
  const seconds = Math.floor(now.getTime() / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= seconds - skew) return false;
  if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || claims.nbf > seconds + skew)) return false;
  return typeof claims.iat === "number" && claims.iat <= now.getTime() / 1000 + skew;
}

/** Keeps "no such key" apart from "could not get the keys": the first is the token's fault, the second ours. */
function keyResolver(jwks: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new TokenKeysUnavailableError({ cause: error });
    }
  };
}

function toTokenError(error: unknown, bearer: string): TokenError {
  if (error instanceof TokenError) return error;
  const options = { cause: error };
  if (error instanceof errors.JWTExpired) {
    const exp = error.payload.exp;
    return new TokenExpiredError(typeof exp === "number" ? new Date(exp * 1000) : undefined, options);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "iss":
        return new TokenIssuerInvalidError(error.payload.iss, options);
      case "aud":
        return new TokenAudienceInvalidError(error.payload.aud, options);
      case "nbf":
        return error.reason === "check_failed"
          ? new TokenNotYetValidError("The token's nbf lies in the future", options)
          : new TokenInvalidError(error.message, options);
      default:
        return new TokenInvalidError(`Claim ${error.claim}: ${error.message}`, options);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenSignatureInvalidError(options);
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenAlgorithmNotAllowedError(headerOf(bearer).alg, options);
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new TokenKeyUnknownError(headerOf(bearer).kid, options);
  }
  if (error instanceof errors.JOSEError) return new TokenInvalidError(error.message, options);
  // Anything else is a defect in the verification itself, not a property of the token.
  throw error;
}

function headerOf(bearer: string): { alg?: string; kid?: string } {
  try {
    return decodeProtectedHeader(bearer);
  } catch {
    return {};
  }
}
