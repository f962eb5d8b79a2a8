import { X509Certificate } from "node:crypto";
import { decodeProtectedHeader, errors, jwtVerify } from "jose";
import type { JWTPayload } from "jose";
import { organisationNumberOf, PkiError, validateChain } from "../../pki/index.js";
import { OAuthError } from "./oauth-error.js";
import type { ReplayCache } from "./replay-cache.js";

/** Maskinporten accepts these for grants signed with a business certificate. */
const GRANT_ALGORITHMS = ["RS256", "RS384", "RS512"];
const MAX_GRANT_LIFETIME_SECONDS = 120;
/** Claims Maskinporten documents for the grant; any other claim makes it answer "Invalid assertion". */
const KNOWN_CLAIMS = new Set(["aud", "iss", "iat", "exp", "nbf", "jti", "scope", "resource", "consumer_org", "iss_onbehalfof", "authorization_details"]);

/** Altinn's system user as a grant names it (Maskinporten's authorization_details type for Altinn). */
export const SYSTEMUSER_TYPE = "urn:altinn:systemuser";

/** A grant whose signature, certificate and claims have been checked; authorization comes next. */
export interface VerifiedGrant {
  clientId: string;
  /** Organisation number of the business certificate that signed the grant. */
  certificateOrgno: string;
  scopes: string[];
  consumerOrg?: string;
  resource?: string | string[];
  jti?: string;
  /** The grant's authorization_details, checked: a system user must be the signing organisation's own. */
  authorizationDetails?: Record<string, unknown>[];
}

export interface GrantVerificationContext {
  issuer: string;
  trustAnchors: readonly X509Certificate[];
  /** CA certificates the server knows besides those a client sends in x5c. */
  intermediates: readonly X509Certificate[];
  now: Date;
  skewSeconds: number;
  replay: ReplayCache;
}

/** Checks a JWT-bearer grant as Maskinporten does; every failure is an {@link OAuthError}. */
export async function verifyGrant(assertion: string, context: GrantVerificationContext): Promise<VerifiedGrant> {
  const chain = x5cChain(assertion);
  const leaf = chain[0]!;
  const claims = await verifiedClaims(assertion, leaf, context);

  const nowSeconds = context.now.getTime() / 1000;
  const aud = claims.aud;
  if (!(aud === context.issuer || (Array.isArray(aud) && aud.length === 1 && aud[0] === context.issuer))) {
    throw invalidAssertion(`Invalid JWT claim aud: expected ${JSON.stringify(context.issuer)}`);
  }
  const clientId = claims.iss;
  if (typeof clientId !== "string" || clientId === "") throw invalidAssertion("iss (client id) missing");
  const iat = claims.iat!;
  const exp = claims.exp!;
  if (Math.abs(iat - nowSeconds) > context.skewSeconds) {
    throw invalidAssertion(`iat is more than ${context.skewSeconds} seconds away from the server clock`);
  }
  if (exp - iat > MAX_GRANT_LIFETIME_SECONDS) {
    throw invalidAssertion(`exp - iat is ${exp - iat} seconds; at most ${MAX_GRANT_LIFETIME_SECONDS} are allowed`);
  }
  const scopes = typeof claims.scope === "string" ? claims.scope.split(" ").filter(Boolean) : [];
  if (scopes.length === 0) throw new OAuthError("invalid_scope", "scope missing from the grant");
  const consumerOrg = claims.consumer_org;
  if (consumerOrg !== undefined && (typeof consumerOrg !== "string" || !/^\d{9}$/.test(consumerOrg))) {
    throw invalidAssertion("consumer_org must be a nine-digit organisation number");
  }
  const resource = parseResource(claims.resource);
  const authorizationDetails = parseAuthorizationDetails(claims.authorization_details);
  const jti = claims.jti;
  if (jti !== undefined && (typeof jti !== "string" || jti === "")) throw invalidAssertion("jti must be a non-empty string");

  let certificateOrgno: string;
  try {
    validateChain(leaf, [...chain.slice(1), ...context.intermediates], context.trustAnchors, context.now);
    certificateOrgno = organisationNumberOf(leaf);
  } catch (error) {
    if (error instanceof PkiError) {
      throw invalidAssertion(`The JWT is signed with an invalid certificate: ${error.message}`);
    }
    throw error;
  }

  // Only a grant that passed every check consumes its jti; a refused one may be corrected and sent again.
  if (jti !== undefined && !context.replay.claim(`${clientId}\u0000${jti}`, exp, nowSeconds)) {
    throw invalidAssertion("jti has already been used");
  }
  return {
    clientId,
    certificateOrgno,
    scopes,
    ...(consumerOrg !== undefined ? { consumerOrg } : {}),
    ...(resource !== undefined ? { resource } : {}),
    ...(jti !== undefined ? { jti } : {}),
    ...(authorizationDetails !== undefined ? { authorizationDetails } : {}),
  };
}

/**
 * authorization_details as Maskinporten takes it for Altinn: an array of objects with a `type`; a system user
 * names its organisation as `systemuser_org: {authority: "iso6523-actorid-upis", ID: "0192:<orgno>"}`.
 * Which organisation may use it is the authorizer's question (registry.ts).
 */
function parseAuthorizationDetails(value: unknown): Record<string, unknown>[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.some((d) => typeof d !== "object" || d === null || typeof (d as { type?: unknown }).type !== "string")) {
    throw new OAuthError("invalid_authorization_details", "authorization_details must be a non-empty array of objects with a type");
  }
  for (const d of value as Record<string, unknown>[]) {
    if (d.type !== SYSTEMUSER_TYPE) continue;
    const org = d.systemuser_org as { authority?: unknown; ID?: unknown } | undefined;
    if (org?.authority !== "iso6523-actorid-upis" || typeof org.ID !== "string" || !/^0192:\d{9}$/.test(org.ID)) {
      throw new OAuthError("invalid_authorization_details", "a system user needs systemuser_org {authority: iso6523-actorid-upis, ID: 0192:<orgno>}");
    }
  }
  return value as Record<string, unknown>[];
}

function x5cChain(assertion: string): X509Certificate[] {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw invalidAssertion("not a signed JWT");
  }
  if (typeof header.alg !== "string" || !GRANT_ALGORITHMS.includes(header.alg)) {
    throw invalidAssertion(`alg ${JSON.stringify(header.alg ?? null)} is not one of ${GRANT_ALGORITHMS.join(", ")}`);
  }
  const x5c = header.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0) {
    throw invalidAssertion("no x5c certificate chain (clients with pre-registered keys are not simulated)");
  }
  return x5c.map((entry, index) => {
    try {
      if (typeof entry !== "string" || !/^[A-Za-z0-9+/]+=*$/.test(entry)) throw new TypeError("not base64");
      return new X509Certificate(Buffer.from(entry, "base64"));
    } catch {
      throw invalidAssertion(`x5c[${index}] is not a DER certificate in base64`);
    }
  });
}

async function verifiedClaims(
  assertion: string,
  leaf: X509Certificate,
  context: GrantVerificationContext,
): Promise<JWTPayload & { iat: number; exp: number }> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, leaf.publicKey, {
      algorithms: GRANT_ALGORITHMS,
      requiredClaims: ["iss", "aud", "iat", "exp"],
      clockTolerance: context.skewSeconds,
      currentDate: context.now,
    }));
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      throw invalidAssertion("signature does not verify with the x5c certificate's key");
    }
    if (error instanceof errors.JWTExpired) throw invalidAssertion("the grant has expired");
    if (error instanceof errors.JOSEError || error instanceof TypeError) throw invalidAssertion(error.message);
    throw error;
  }
  const unknown = Object.keys(payload).filter((name) => !KNOWN_CLAIMS.has(name));
  if (unknown.length > 0) throw invalidAssertion(`unknown claims: ${unknown.join(", ")}`);
  return payload as JWTPayload & { iat: number; exp: number };
}

function parseResource(value: unknown): string | string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" && value !== "") return value;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string" && v !== "")) {
    return value as string[];
  }
  throw invalidAssertion("resource must be a non-empty string or array of strings");
}

function invalidAssertion(reason: string): OAuthError {
  return new OAuthError("invalid_grant", `Invalid assertion. Client authentication failed. ${reason}`);
}
