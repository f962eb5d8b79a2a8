import { SignJWT } from "jose";
import type { SigningKeys } from "../maskinporten/signing-keys.js";

/**
 * The provider's id_token (OpenID Connect Core §2): RS256 with the current key's kid, audience the client, and
 * the user's name, user name and groups. `overrides` let a test mint a token a real provider would not send
 * (another audience, an old iat): the console must refuse each one.
 */

export interface IdTokenInput {
  issuer: string;
  clientId: string;
  sub: string;
  nonce: string | undefined;
  /** Seconds since the epoch. */
  issuedAt: number;
  authTime: number;
  lifetimeSeconds: number;
  name: string;
  preferredUsername: string;
  groups: readonly string[];
  /** The claim the groups are put in (default `groups`). */
  groupsClaim: string;
  overrides?: Record<string, unknown>;
}

export async function signIdToken(keys: SigningKeys, t: IdTokenInput): Promise<string> {
  const { kid, privateKey } = keys.current();
  const claims: Record<string, unknown> = {
    iss: t.issuer,
    sub: t.sub,
    aud: t.clientId,
    exp: t.issuedAt + t.lifetimeSeconds,
    iat: t.issuedAt,
    auth_time: t.authTime,
    ...(t.nonce !== undefined ? { nonce: t.nonce } : {}),
    name: t.name,
    preferred_username: t.preferredUsername,
    [t.groupsClaim]: [...t.groups],
    ...t.overrides,
  };
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid, typ: "JWT" }).sign(privateKey);
}
