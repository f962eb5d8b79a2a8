/**
 * A simulated API as a resource server for Maskinporten tokens (KRR: "Tilgangskontrollen til api'et benytter seg
 * av Maskinporten"; Altinn Autorisasjon likewise): a bearer token signed by the issuer's published key (its
 * JWKS), the exact issuer, not expired. What the caller may then do depends on the token's claims and scopes,
 * which each server decides. Failures follow RFC 6750: 401 with `WWW-Authenticate: Bearer` (and
 * `error="invalid_token"` for a bad token).
 */
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import type { JWTPayload } from "jose";
import type { Clock } from "../clock.js";

export type BearerCheck =
  | { ok: true; claims: JWTPayload; scopes: string[] }
  | { ok: false; status: 401; wwwAuthenticate: string; detail: string };

const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function createBearerCheck(o: { issuer: string; jwksUrl: string | URL; clock: Clock; clockSkewSeconds?: number }) {
  const jwks = createRemoteJWKSet(new URL(o.jwksUrl), { cooldownDuration: 0 });
  return async (authorization: string | undefined): Promise<BearerCheck> => {
    const match = authorization === undefined ? null : BEARER.exec(authorization);
    if (!match) return { ok: false, status: 401, wwwAuthenticate: "Bearer", detail: "A Maskinporten bearer token is required" };
    try {
      const { payload } = await jwtVerify(match[1]!, jwks, {
        algorithms: ["RS256"],
        issuer: o.issuer,
        clockTolerance: o.clockSkewSeconds ?? 0,
        currentDate: o.clock(),
      });
      const scopes = typeof payload.scope === "string" ? payload.scope.split(" ").filter((s) => s !== "") : [];
      return { ok: true, claims: payload, scopes };
    } catch (error) {
      const detail = error instanceof errors.JWTExpired ? "The token has expired" : error instanceof errors.JOSEError ? `The token is not valid: ${error.message}` : "The token is not valid";
      return { ok: false, status: 401, wwwAuthenticate: `Bearer error="invalid_token", error_description="${detail.replace(/["\\]/g, "")}"`, detail };
    }
  };
}
