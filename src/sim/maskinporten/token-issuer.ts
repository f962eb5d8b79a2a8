import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import type { Clock } from "../../clock.js";
import { ACTOR_AUTHORITY, actorId } from "../../maskinporten/token.js";
import type { SigningKeys } from "./signing-keys.js";

/** What a token says; the server fills it from a verified grant, tests fill it directly. */
export interface IssueTokenOptions {
  /** Organisation number (or "0192:<orgno>") the token acts for. */
  consumer: string;
  /** Organisation number of the databehandler acting by delegation. */
  supplier?: string;
  scope: string | readonly string[];
  /** Defaults to the simulator's client id for the supplier, else the consumer. */
  clientId?: string;
  /** Becomes `aud` (what a `resource` in the grant asks for). */
  audience?: string | readonly string[];
  /** Defaults to the simulator's delegation source when `supplier` is set. */
  delegationSource?: string;
  /** Defaults to the simulator clock. */
  issuedAt?: Date;
  lifetimeSeconds?: number;
  jti?: string;
  /** For negative tests: sign with another issuer identifier. */
  issuer?: string;
  /** For negative tests: claims added or replaced; `undefined` removes a claim. */
  claims?: Record<string, unknown>;
}

export interface IssuedToken {
  token: string;
  claims: Record<string, unknown>;
  kid: string;
  expiresIn: number;
}

export interface TokenIssuerOptions {
  issuer: string;
  keys: SigningKeys;
  clock: Clock;
  lifetimeSeconds: number;
  delegationSource: string;
  clientIdFor: (orgno: string) => string;
  newJti?: () => string;
}

export type TokenIssuer = (options: IssueTokenOptions) => Promise<IssuedToken>;

/** Mints access tokens shaped like Maskinporten's (claim names, order and types as in the real samples). */
export function createTokenIssuer(config: TokenIssuerOptions): TokenIssuer {
  const newJti = config.newJti ?? (() => randomBytes(32).toString("base64url"));
  return async (options) => {
    const consumer = orgnoOf(options.consumer);
    const supplier = options.supplier === undefined ? undefined : orgnoOf(options.supplier);
    const iat = Math.floor((options.issuedAt ?? config.clock()).getTime() / 1000);
    const lifetime = options.lifetimeSeconds ?? config.lifetimeSeconds;
    const scope = typeof options.scope === "string" ? options.scope : options.scope.join(" ");

    const claims: Record<string, unknown> = { scope };
    if (supplier) claims.supplier = actor(supplier);
    claims.iss = options.issuer ?? config.issuer;
    claims.client_amr = "virksomhetssertifikat";
    claims.token_type = "Bearer";
    if (options.audience !== undefined) {
      claims.aud = typeof options.audience === "string" ? options.audience : [...options.audience];
    }
    claims.exp = iat + lifetime;
    if (supplier) claims.delegation_source = options.delegationSource ?? config.delegationSource;
    else if (options.delegationSource !== undefined) claims.delegation_source = options.delegationSource;
    claims.iat = iat;
    claims.client_id = options.clientId ?? config.clientIdFor(supplier ?? consumer);
    claims.jti = options.jti ?? newJti();
    claims.consumer = actor(consumer);
    for (const [name, value] of Object.entries(options.claims ?? {})) {
      if (value === undefined) delete claims[name];
      else claims[name] = value;
    }

    const { kid, privateKey } = config.keys.current();
    const token = await new SignJWT(claims).setProtectedHeader({ kid, alg: "RS256" }).sign(privateKey);
    return { token, claims, kid, expiresIn: lifetime };
  };
}

function actor(orgno: string): { authority: string; ID: string } {
  return { authority: ACTOR_AUTHORITY, ID: actorId(orgno) };
}

function orgnoOf(value: string): string {
  const orgno = value.startsWith("0192:") ? value.slice(5) : value;
  if (!/^\d{9}$/.test(orgno)) throw new TypeError(`${JSON.stringify(value)} is not an organisation number`);
  return orgno;
}
