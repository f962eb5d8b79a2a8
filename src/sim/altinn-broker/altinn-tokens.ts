/**
 * Altinn's token exchange as the broker simulator needs it (kept apart from the broker so it can be merged with
 * the DPV helper's src/sim/altinn-token/ later): `GET /authentication/api/v1/exchange/maskinporten` with a
 * Maskinporten access token as bearer answers an Altinn token (the JWT as the plain body, valid 30 minutes) that
 * names the same organisation and carries the same scopes. The broker accepts only tokens this issuer signed.
 * Not simulated: the system user of `authorization_details` (our Maskinporten simulator does not issue it), so the
 * organisation acting is the token's consumer.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { systemClock, type Clock } from "../../clock.js";

export const TOKEN_EXCHANGE_PATH = "/authentication/api/v1/exchange/maskinporten";
export const ALTINN_TOKEN_LIFETIME_SECONDS = 30 * 60;
const ISSUER = "https://platform.altinn.sim/authentication/api/v1/openid/";

/** Who an Altinn token speaks for. */
export interface AltinnCaller {
  /** The organisation number (nine digits). */
  org: string;
  scopes: string[];
  /** The organisation whose Altinn system user the token acts as (from the Maskinporten token's authorization_details). */
  systemUserOrg?: string | undefined;
}

export type TokenResult = { ok: true; caller: AltinnCaller } | { ok: false; status: 401; detail: string };

const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export class AltinnTokenIssuer {
  private readonly key: { privateKey: KeyObject; publicKey: KeyObject };
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  private readonly clock: Clock;

  constructor(private readonly o: { maskinporten: { issuer: string; jwksUrl: string | URL }; clock?: Clock | undefined }) {
    this.key = generateKeyPairSync("rsa", { modulusLength: 2048 });
    this.jwks = createRemoteJWKSet(new URL(o.maskinporten.jwksUrl), { cooldownDuration: 0 });
    this.clock = o.clock ?? systemClock;
  }

  /** The exchange: a valid Maskinporten token becomes an Altinn token for the same organisation and scopes. */
  async exchange(authorization: string | undefined): Promise<{ ok: true; token: string } | { ok: false; status: 401; detail: string }> {
    const bearer = BEARER.exec(authorization ?? "")?.[1];
    if (!bearer) return { ok: false, status: 401, detail: "a Maskinporten access token is required as bearer" };
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(bearer, this.jwks, { algorithms: ["RS256"], issuer: this.o.maskinporten.issuer, clockTolerance: 60, currentDate: this.clock() }));
    } catch (e) {
      return { ok: false, status: 401, detail: `the Maskinporten token is not valid: ${e instanceof errors.JOSEError ? e.code : "unreadable"}` };
    }
    const org = orgOf(claims.consumer);
    if (!org) return { ok: false, status: 401, detail: "the Maskinporten token names no consumer organisation" };
    const now = Math.floor(this.clock().getTime() / 1000);
    // A system user in the Maskinporten token travels on, as Altinn's exchange keeps authorization_details.
    const details = Array.isArray(claims.authorization_details) ? claims.authorization_details : undefined;
    const token = await new SignJWT({
      scope: typeof claims.scope === "string" ? claims.scope : "",
      "urn:altinn:orgNumber": org,
      consumer: { authority: "iso6523-actorid-upis", ID: `0192:${org}` },
      ...(details ? { authorization_details: details } : {}),
    })
      .setProtectedHeader({ alg: "RS256" })
      .setIssuer(ISSUER)
      .setIssuedAt(now)
      .setExpirationTime(now + ALTINN_TOKEN_LIFETIME_SECONDS)
      .sign(this.key.privateKey);
    return { ok: true, token };
  }

  /** The broker's check of an Altinn bearer token. */
  async verify(authorization: string | undefined): Promise<TokenResult> {
    const bearer = BEARER.exec(authorization ?? "")?.[1];
    if (!bearer) return { ok: false, status: 401, detail: "an Altinn token is required as bearer" };
    try {
      const { payload } = await jwtVerify(bearer, this.key.publicKey, { algorithms: ["RS256"], issuer: ISSUER, currentDate: this.clock() });
      const org = typeof payload["urn:altinn:orgNumber"] === "string" ? payload["urn:altinn:orgNumber"] : undefined;
      if (!org) return { ok: false, status: 401, detail: "the Altinn token names no organisation" };
      return { ok: true, caller: { org, scopes: typeof payload.scope === "string" ? payload.scope.split(" ").filter(Boolean) : [], systemUserOrg: systemUserOrgOf(payload.authorization_details) } };
    } catch (e) {
      return { ok: false, status: 401, detail: `the Altinn token is not valid: ${e instanceof errors.JOSEError ? e.code : "unreadable"}` };
    }
  }
}

/** The organisation of the first Altinn system user in authorization_details, if any. */
function systemUserOrgOf(details: unknown): string | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const d of details as { type?: unknown; systemuser_org?: { ID?: unknown } }[]) {
    const m = d?.type === "urn:altinn:systemuser" && typeof d.systemuser_org?.ID === "string" ? /^0192:(\d{9})$/.exec(d.systemuser_org.ID) : null;
    if (m) return m[1];
  }
  return undefined;
}

function orgOf(consumer: unknown): string | undefined {
  const id = (consumer as { ID?: unknown } | undefined)?.ID;
  const m = typeof id === "string" ? /^0192:(\d{9})$/.exec(id) : null;
  return m?.[1];
}
