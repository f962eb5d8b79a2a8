import { createPrivateKey, createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { exportJWK } from "jose";
import type { JSONWebKeySet, JWK } from "jose";

/** The simulator's token signing keys: one current key, plus retired ones still published during rotation. */
export interface SigningKeys {
  current(): { kid: string; privateKey: KeyObject };
  /** Makes `privateKey` current; the old key stays in the JWKS unless `retainPrevious` is false. */
  rotate(privateKey: KeyObject | string, kid: string, options?: { retainPrevious?: boolean }): Promise<void>;
  jwks(): JSONWebKeySet;
}

export async function createSigningKeys(privateKey: KeyObject | string, kid: string): Promise<SigningKeys> {
  let current = { kid, privateKey: asPrivateKey(privateKey) };
  let published: JWK[] = [await publicJwk(current.privateKey, kid)];
  return {
    current: () => current,
    async rotate(nextKey, nextKid, options = {}) {
      const next = { kid: nextKid, privateKey: asPrivateKey(nextKey) };
      const jwk = await publicJwk(next.privateKey, nextKid);
      const retained = options.retainPrevious === false ? [] : published.filter((k) => k.kid !== nextKid);
      current = next;
      published = [jwk, ...retained];
    },
    jwks: () => ({ keys: published.map((k) => ({ ...k })) }),
  };
}

function asPrivateKey(key: KeyObject | string): KeyObject {
  const parsed = typeof key === "string" ? createPrivateKey(key) : key;
  if (parsed.type !== "private" || parsed.asymmetricKeyType !== "rsa") throw new TypeError("signing key must be an RSA private key");
  return parsed;
}

async function publicJwk(privateKey: KeyObject, kid: string): Promise<JWK> {
  const { kty, n, e } = await exportJWK(createPublicKey(privateKey));
  return { kty, n, e, kid, alg: "RS256", use: "sig" } as JWK;
}
