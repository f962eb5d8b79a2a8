/**
 * The SR's resource-server check of Maskinporten access tokens ([SR] `config/WebSecurityConfig.java`: Spring's
 * `JwtIssuerAuthenticationManagerResolver.fromTrustedIssuers(maskinporten-issuer)`): a signature by the
 * issuer's published key, the exact issuer, and `exp`/`nbf` with Spring's default 60 s clock skew. No audience
 * and no scope at this stage: scopes are checked later by the endpoints that need them.
 */
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import type { JWTPayload } from "jose";
import { systemClock } from "../../clock.js";
import type { Clock } from "../../clock.js";
import { invalidToken, unauthenticated } from "./errors.js";
import type { SrError } from "./errors.js";

export interface TokenCheckOptions {
  /** Maskinporten's issuer identifier, compared exactly. */
  issuer: string;
  /** Its JWKS (the Maskinporten simulator's `jwksUrl`). */
  jwksUrl: string | URL;
  clock?: Clock;
  /** Default 60 s (Spring's JwtTimestampValidator). */
  clockSkewSeconds?: number;
}

export type TokenCheck = { ok: true; claims: JWTPayload; scopes: string[]; scopeText: string } | { ok: false; error: SrError };

const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function createTokenCheck(options: TokenCheckOptions): (authorization: string | undefined) => Promise<TokenCheck> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 0 });
  const clock = options.clock ?? systemClock;
  const skew = options.clockSkewSeconds ?? 60;
  return async (authorization) => {
    // No bearer credential: anonymous, which `anyRequest().authenticated()` refuses.
    const match = authorization === undefined ? null : BEARER.exec(authorization);
    if (!match) {
      if (authorization !== undefined && /^bearer\b/i.test(authorization.trim())) return { ok: false, error: invalidToken("Bearer token is malformed") };
      return { ok: false, error: unauthenticated() };
    }
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(match[1]!, jwks, {
        algorithms: ["RS256"],
        issuer: options.issuer,
        clockTolerance: skew,
        currentDate: clock(),
      }));
    } catch (error) {
      return { ok: false, error: invalidToken(describe(error)) };
    }
    const scopeText = typeof claims.scope === "string" ? claims.scope : "";
    return { ok: true, claims, scopeText, scopes: scopeText.split(" ").filter((s) => s !== "") };
  };
}

/** Roughly Spring's error_description texts for the failures that matter. */
function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "An error occurred while attempting to decode the Jwt: Jwt expired";
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === "iss") return "Invalid issuer";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "An error occurred while attempting to decode the Jwt: Signed JWT rejected: Invalid signature";
  if (error instanceof errors.JWKSNoMatchingKey) return "An error occurred while attempting to decode the Jwt: Signed JWT rejected: Another algorithm expected, or no matching key(s) found";
  if (error instanceof errors.JOSEError) return `An error occurred while attempting to decode the Jwt: ${error.message}`;
  return "An error occurred while attempting to decode the Jwt";
}
