import { createPrivateKey, randomUUID, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import { systemClock } from "../clock.js";
import type { Clock } from "../clock.js";

/** Maskinporten refuses grants that live longer than this (`exp - iat <= 120`). */
export const MAX_GRANT_LIFETIME_SECONDS = 120;

export const JWT_BEARER_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** Who signs the grant: a Maskinporten client authenticated by its business certificate (virksomhetssertifikat). */
export interface GrantSigner {
  clientId: string;
  /** Maskinporten's issuer identifier; the grant's `aud`. */
  audience: string;
  /** Private key of the business certificate (KeyObject or PEM). */
  privateKey: KeyObject | string;
  /** Leaf first, then intermediates (`x5c`, RFC 7515 section 4.1.6). PEM strings or parsed certificates. */
  certificateChain: ReadonlyArray<X509Certificate | string>;
}

export interface GrantRequest {
  /** One scope or several (sent space-separated). */
  scope: string | readonly string[];
  /** Organisation number of the party that delegated the scope to this client (Altinn delegation). */
  consumerOrg?: string;
  /** Audience the issued token should be restricted to. */
  resource?: string | readonly string[];
  /**
   * RFC 9396 authorization details, e.g. Altinn's system user
   * (`{type: "urn:altinn:systemuser", systemuser_org: {authority, ID: "0192:<orgno>"}, externalRef}`).
   */
  authorizationDetails?: readonly Record<string, unknown>[];
}

export interface GrantAssertionOptions {
  clock?: Clock;
  lifetimeSeconds?: number;
  newJti?: () => string;
}

/** Builds and signs the RFC 7523 JWT-bearer grant Maskinporten expects (RS256, x5c, single `aud`). */
export async function buildGrantAssertion(
  signer: GrantSigner,
  request: GrantRequest,
  options: GrantAssertionOptions = {},
): Promise<string> {
  const lifetime = options.lifetimeSeconds ?? MAX_GRANT_LIFETIME_SECONDS;
  if (!(lifetime > 0 && lifetime <= MAX_GRANT_LIFETIME_SECONDS)) {
    throw new RangeError(`Grant lifetime must be between 1 and ${MAX_GRANT_LIFETIME_SECONDS} seconds`);
  }
  if (signer.certificateChain.length === 0) throw new TypeError("certificateChain needs at least the leaf");
  const iat = Math.floor((options.clock ?? systemClock)().getTime() / 1000);
  const claims: Record<string, unknown> = { scope: scopeString(request.scope) };
  if (request.consumerOrg !== undefined) claims.consumer_org = request.consumerOrg;
  if (request.authorizationDetails !== undefined) claims.authorization_details = request.authorizationDetails.map((d) => ({ ...d }));
  if (request.resource !== undefined) {
    claims.resource = typeof request.resource === "string" ? request.resource : [...request.resource];
  }
  const key = typeof signer.privateKey === "string" ? createPrivateKey(signer.privateKey) : signer.privateKey;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", x5c: signer.certificateChain.map(x5cEntry) })
    .setIssuer(signer.clientId)
    .setAudience(signer.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetime)
    .setJti((options.newJti ?? randomUUID)())
    .sign(key);
}

export function scopeString(scope: string | readonly string[]): string {
  const scopes = typeof scope === "string" ? scope.split(" ").filter(Boolean) : [...scope];
  if (scopes.length === 0 || scopes.some((s) => s === "" || /\s/.test(s))) throw new TypeError("scope must name at least one scope");
  return scopes.join(" ");
}

function x5cEntry(cert: X509Certificate | string): string {
  const parsed = typeof cert === "string" ? new X509Certificate(cert) : cert;
  return parsed.raw.toString("base64");
}
