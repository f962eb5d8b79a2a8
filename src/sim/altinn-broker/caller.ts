/**
 * Who calls the broker: its check of the Altinn token a caller presents (Altinn's APIs verify the tokens Altinn's
 * authentication issued against that service's keys, as the correspondence simulator does). The token names the
 * organisation (`urn:altinn:orgNumber`), its scopes, and the Altinn system user it acts as (the grant's
 * `authorization_details`, kept by the exchange), which the broker authorises on.
 */
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import type { Clock } from "../../clock.js";

export interface AltinnCaller {
  /** The organisation number (nine digits). */
  org: string;
  scopes: string[];
  /** The organisation whose Altinn system user the token acts as. */
  systemUserOrg?: string | undefined;
}

export type CallerResult = { ok: true; caller: AltinnCaller } | { ok: false; status: 401; detail: string };

const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function altinnCallerVerifier(altinn: { issuer: string; jwksUrl: string | URL }, clock: Clock): (authorization: string | undefined) => Promise<CallerResult> {
  const keys = createRemoteJWKSet(new URL(altinn.jwksUrl), { cooldownDuration: 0 });
  return async (authorization) => {
    const bearer = BEARER.exec(authorization ?? "")?.[1];
    if (!bearer) return { ok: false, status: 401, detail: "an Altinn token is required as bearer" };
    try {
      const { payload } = await jwtVerify(bearer, keys, { algorithms: ["RS256"], issuer: altinn.issuer, currentDate: clock() });
      const org = typeof payload["urn:altinn:orgNumber"] === "string" ? payload["urn:altinn:orgNumber"] : undefined;
      if (!org) return { ok: false, status: 401, detail: "the Altinn token names no organisation" };
      return { ok: true, caller: { org, scopes: typeof payload.scope === "string" ? payload.scope.split(" ").filter(Boolean) : [], systemUserOrg: systemUserOrgOf(payload.authorization_details) } };
    } catch (e) {
      return { ok: false, status: 401, detail: `the Altinn token is not valid: ${e instanceof errors.JOSEError ? e.code : "unreadable"}` };
    }
  };
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
