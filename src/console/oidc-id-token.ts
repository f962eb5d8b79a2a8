import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { sameToken } from "./csrf.js";
import { OidcError } from "./oidc-errors.js";

/**
 * The checks of an id_token from the token endpoint (OpenID Connect Core §3.1.3.7): signed with RS256 by a key
 * of the provider's JWKS, issued by the configured issuer, for this client (and, with several audiences, `azp`
 * naming it), not expired, issued neither in the future nor long ago (each with `skewSeconds` of leeway), and
 * carrying the nonce this login sent. Each failure is an OidcError with its own code.
 */

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  nonce: string;
  now: Date;
  skewSeconds: number;
  /** An id_token issued longer ago than this is refused: it was just minted for this login. */
  maxAgeSeconds: number;
}

export interface IdTokenClaims extends JWTPayload {
  sub: string;
  iat: number;
  exp: number;
}

const ALGORITHMS = ["RS256"];

export async function verifyIdToken(idToken: string, keys: JWTVerifyGetKey, e: IdTokenExpectations): Promise<IdTokenClaims> {
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(idToken, keys, {
      algorithms: ALGORITHMS,
      issuer: e.issuer,
      audience: e.clientId,
      requiredClaims: ["sub", "exp", "iat"],
      clockTolerance: e.skewSeconds,
      currentDate: e.now,
    }));
  } catch (err) {
    throw asOidcError(err);
  }
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (aud.length > 1 && claims.azp === undefined) throw new OidcError("oidc-id-token-audience", "the id_token has several audiences and no azp");
  if (claims.azp !== undefined && claims.azp !== e.clientId) throw new OidcError("oidc-id-token-audience", `the id_token's azp is ${JSON.stringify(claims.azp)}, not this client`);
  const now = e.now.getTime() / 1000;
  if (typeof claims.sub !== "string" || claims.sub === "") throw new OidcError("oidc-id-token-invalid", "the id_token has no sub");
  if (claims.iat! > now + e.skewSeconds) throw new OidcError("oidc-id-token-issued-at", `the id_token was issued in the future (iat ${claims.iat})`);
  if (claims.iat! < now - e.maxAgeSeconds - e.skewSeconds) throw new OidcError("oidc-id-token-issued-at", `the id_token was issued too long ago (iat ${claims.iat})`);
  if (typeof claims.nonce !== "string" || !sameToken(e.nonce, claims.nonce)) throw new OidcError("oidc-id-token-nonce", "the id_token's nonce is not this login's");
  return claims as IdTokenClaims;
}

function asOidcError(err: unknown): OidcError {
  if (err instanceof OidcError) return err;
  const o = { cause: err };
  if (err instanceof errors.JWTExpired) return new OidcError("oidc-id-token-expired", "the id_token has expired", o);
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "iss") return new OidcError("oidc-id-token-issuer", `the id_token's issuer is ${JSON.stringify(err.payload.iss)}`, o);
    if (err.claim === "aud") return new OidcError("oidc-id-token-audience", `the id_token is for ${JSON.stringify(err.payload.aud)}, not this client`, o);
    return new OidcError("oidc-id-token-invalid", `the id_token's ${err.claim}: ${err.message}`, o);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return new OidcError("oidc-id-token-signature", "the id_token's signature does not verify", o);
  if (err instanceof errors.JOSEAlgNotAllowed) return new OidcError("oidc-id-token-algorithm", "the id_token is not signed with RS256", o);
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return new OidcError("oidc-id-token-key-unknown", "the id_token's key is not in the provider's JWKS", o);
  if (err instanceof errors.JOSEError) return new OidcError("oidc-id-token-invalid", `the id_token is not valid: ${err.message}`, o);
  throw err;
}
