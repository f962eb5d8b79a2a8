import type { JWTPayload } from "jose";
import {
  TokenConsumerMissingError,
  TokenInvalidError,
  TokenPartyInvalidError,
  TokenScopeMissingError,
} from "./errors.js";

/** The default and, so far, only scope DPI senders need ([D] nyinfrastruktur.md). */
export const DPI_SEND_SCOPE = "digitalpostinnbygger:send";

/** The ISO 6523 authority Maskinporten writes in `consumer`/`supplier`. */
export const ACTOR_AUTHORITY = "iso6523-actorid-upis";

/** ICD 0192 = Norwegian organisation number (Enhetsregisteret). */
export const NORWEGIAN_ORGNO_ICD = "0192";

/** A verified Maskinporten access token, reduced to what the access point decides on. */
export interface MaskinportenToken {
  /** The compact JWT exactly as presented (the forretningsmelding must carry the same string). */
  readonly raw: string;
  readonly scopes: readonly string[];
  /** `consumer.ID`, e.g. "0192:991825827": the organisation the token acts for. */
  readonly consumer: string;
  /** The nine-digit organisation number of {@link consumer}. */
  readonly consumerOrgno: string;
  /** `supplier.ID` when a databehandler acts for the consumer by delegation. */
  readonly supplier?: string;
  readonly supplierOrgno?: string;
  readonly clientId?: string;
  /** `delegation_source`, e.g. "https://tt02.altinn.no/", present on delegated tokens. */
  readonly delegationSource?: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly jti?: string;
  /** All claims as verified, for logging and for checks this type does not model. */
  readonly claims: Readonly<JWTPayload>;
}

/** A party identifier as Maskinporten writes it: `{authority, ID: "0192:<orgno>"}`. */
export interface Actor {
  readonly id: string;
  readonly orgno: string;
}

/** Formats a nine-digit organisation number as the `ID` Maskinporten uses ("0192:<orgno>"). */
export function actorId(orgno: string): string {
  return `${NORWEGIAN_ORGNO_ICD}:${orgno}`;
}

const ACTOR_ID = /^0192:(\d{9})$/;

/**
 * Reads `consumer` or `supplier`. Strict about key casing: every real token has lower-case `authority` and
 * upper-case `ID`; only the hand-written example in Digdir's prose says `Authority`, so a token with other
 * casing did not come from Maskinporten.
 */
export function parseActor(value: unknown, claim: "consumer" | "supplier"): Actor {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TokenPartyInvalidError(claim, "is not an object");
  }
  const record = value as Record<string, unknown>;
  if (record.authority !== ACTOR_AUTHORITY) {
    throw new TokenPartyInvalidError(claim, `has authority ${JSON.stringify(record.authority ?? null)}, not ${JSON.stringify(ACTOR_AUTHORITY)}`);
  }
  const id = record.ID;
  const match = typeof id === "string" ? ACTOR_ID.exec(id) : null;
  if (!match) {
    throw new TokenPartyInvalidError(claim, `has ID ${JSON.stringify(id ?? null)}, not "0192:" followed by nine digits`);
  }
  return { id: match[0], orgno: match[1]! };
}

/** Splits the space-separated `scope` claim (RFC 8693 section 4.2 form, as Maskinporten writes it). */
export function parseScopes(value: unknown): string[] {
  if (value === undefined) return [];
  if (typeof value !== "string") throw new TokenInvalidError("The scope claim is not a string");
  return value.split(" ").filter((s) => s.length > 0);
}

/**
 * Turns signature-verified claims into a {@link MaskinportenToken}: the required scope must be granted and
 * the token must name a consumer. Time and issuer checks belong to the verifier, not here.
 */
/** `requiredScope`: one scope, or several of which the token must carry at least one. */
export function toMaskinportenToken(raw: string, claims: JWTPayload, requiredScope: string | readonly string[]): MaskinportenToken {
  const scopes = parseScopes(claims.scope);
  const acceptable = typeof requiredScope === "string" ? [requiredScope] : requiredScope;
  if (!acceptable.some((s) => scopes.includes(s))) throw new TokenScopeMissingError(acceptable.join(" or "), scopes);

  if (claims.consumer === undefined) throw new TokenConsumerMissingError();
  const consumer = parseActor(claims.consumer, "consumer");
  const supplier = claims.supplier === undefined ? undefined : parseActor(claims.supplier, "supplier");

  const clientId = optionalString(claims, "client_id");
  const delegationSource = optionalString(claims, "delegation_source");
  const jti = optionalString(claims, "jti");
  // The verifier requires both; the guard keeps this function honest when called on its own.
  if (typeof claims.iat !== "number" || typeof claims.exp !== "number") {
    throw new TokenInvalidError("The token lacks a numeric iat or exp claim");
  }
  return {
    raw,
    scopes,
    consumer: consumer.id,
    consumerOrgno: consumer.orgno,
    ...(supplier ? { supplier: supplier.id, supplierOrgno: supplier.orgno } : {}),
    ...(clientId !== undefined ? { clientId } : {}),
    ...(delegationSource !== undefined ? { delegationSource } : {}),
    issuedAt: new Date(claims.iat * 1000),
    expiresAt: new Date(claims.exp * 1000),
    ...(jti !== undefined ? { jti } : {}),
    claims,
  };
}

function optionalString(claims: JWTPayload, name: string): string | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new TokenInvalidError(`The ${name} claim is not a string`);
  return value;
}
