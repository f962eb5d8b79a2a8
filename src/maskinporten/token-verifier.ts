import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from "jose";
import type { JWTPayload, JWTVerifyGetKey } from "jose";
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

  return {
    async verify(bearer, verifyOptions = {}) {
      if (typeof bearer !== "string" || bearer.split(".").length !== 3) {
        throw new TokenInvalidError("The bearer token is not a compact JWS");
      }
      const now = clock();
      let claims: JWTPayload;
      try {
        ({ payload: claims } = await jwtVerify(bearer, keyFor, {
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
      return toMaskinportenToken(bearer, claims, verifyOptions.requiredScope ?? requiredScope);
    },
  };
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
