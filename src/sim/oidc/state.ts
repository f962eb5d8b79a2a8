import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../../clock.js";

/**
 * What the OIDC provider simulator remembers: its users and registered clients (configured), the authorization
 * requests waiting for a user to log in, and the authorization codes it has issued. Codes are single-use, live
 * `codeLifetimeMs`, and are bound to the client, the redirect URI and the PKCE challenge of the request that
 * made them (RFC 6749 §4.1.3, RFC 7636 §4.6). Everything is kept in memory, as a provider's own state.
 */

export interface OidcUser {
  username: string;
  password: string;
  /** The stable subject identifier; default derived from the user name. */
  sub?: string;
  name: string;
  /** Put in the id_token's groups claim. */
  groups: readonly string[];
}

export type ClientAuthMethod = "client_secret_basic" | "client_secret_post";

export interface OidcClient {
  clientId: string;
  clientSecret: string;
  /** Exact redirect URIs (no patterns), as OAuth 2.0 Security BCP asks. */
  redirectUris: string[];
  /** Default both. */
  authMethods?: readonly ClientAuthMethod[];
}

/** A validated authorization request, waiting for its user to log in (or cancel). */
export interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  scope: string[];
  state: string | undefined;
  nonce: string | undefined;
  codeChallenge: string;
  expiresAt: number;
}

export interface IssuedCode {
  clientId: string;
  redirectUri: string;
  scope: string[];
  nonce: string | undefined;
  codeChallenge: string;
  username: string;
  authTime: number;
  expiresAt: number;
  /** Set at its first redemption attempt: a code is never redeemed twice, whatever the first attempt's outcome. */
  usedAt: number | undefined;
}

/** How long a login form stays usable. */
const PENDING_LIFETIME_MS = 10 * 60_000;
/** Bounds on what an unauthenticated caller can make the provider remember. */
const MAX_PENDING = 10_000;
const MAX_CODES = 10_000;

const newId = () => randomBytes(32).toString("base64url");

/** RFC 7636 §4.2, S256: BASE64URL(SHA256(ASCII(code_verifier))). */
export function s256(verifier: string): string {
  return createHash("sha256").update(verifier, "ascii").digest("base64url");
}

export function sameSecret(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}

export class OidcProviderState {
  private readonly users = new Map<string, OidcUser>();
  private readonly clients = new Map<string, OidcClient>();
  private readonly pending = new Map<string, PendingAuthorization>();
  private readonly codes = new Map<string, IssuedCode>();

  constructor(
    users: readonly OidcUser[],
    clients: readonly OidcClient[],
    private readonly clock: Clock,
    private readonly codeLifetimeMs: number,
  ) {
    for (const u of users) this.users.set(u.username, { ...u });
    for (const c of clients) this.clients.set(c.clientId, { ...c, redirectUris: [...c.redirectUris] });
  }

  client(clientId: string): OidcClient | undefined {
    return this.clients.get(clientId);
  }

  /** Registers one more redirect URI for a client (the sandbox adds its access point's once it listens). */
  addRedirectUri(clientId: string, uri: string): void {
    const c = this.clients.get(clientId);
    if (!c) throw new Error(`no client ${clientId}`);
    if (!c.redirectUris.includes(uri)) c.redirectUris.push(uri);
  }

  /** The user whose password this is, or undefined (unknown user or wrong password: the same answer). */
  authenticate(username: string, password: string): OidcUser | undefined {
    const u = this.users.get(username);
    const ok = sameSecret(u?.password ?? "\u0000no user", password);
    return u && ok ? u : undefined;
  }

  user(username: string): OidcUser | undefined {
    return this.users.get(username);
  }

  subjectOf(u: OidcUser): string {
    return u.sub ?? createHash("sha256").update(`user:${u.username}`).digest("base64url").slice(0, 22);
  }

  addPending(p: Omit<PendingAuthorization, "expiresAt">): string {
    this.prune();
    while (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    const id = newId();
    this.pending.set(id, { ...p, expiresAt: this.now() + PENDING_LIFETIME_MS });
    return id;
  }

  /** The live pending request of `id`, left in place (a wrong password shows the form again). */
  getPending(id: string): PendingAuthorization | undefined {
    const p = this.pending.get(id);
    if (!p || p.expiresAt <= this.now()) return undefined;
    return p;
  }

  removePending(id: string): void {
    this.pending.delete(id);
  }

  issueCode(p: PendingAuthorization, username: string): string {
    this.prune();
    while (this.codes.size >= MAX_CODES) this.codes.delete(this.codes.keys().next().value!);
    const code = newId();
    const now = this.now();
    this.codes.set(code, {
      clientId: p.clientId,
      redirectUri: p.redirectUri,
      scope: p.scope,
      nonce: p.nonce,
      codeChallenge: p.codeChallenge,
      username,
      authTime: now,
      expiresAt: now + this.codeLifetimeMs,
      usedAt: undefined,
    });
    return code;
  }

  /** The code as issued (expired or used ones included, until pruned), for the token endpoint to judge. */
  code(code: string): IssuedCode | undefined {
    return this.codes.get(code);
  }

  codeCount(): number {
    return this.codes.size;
  }

  now(): number {
    return this.clock().getTime();
  }

  private prune(): void {
    const now = this.now();
    for (const [k, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(k);
    // A used code is kept until it would have expired, so a second redemption is told "already used".
    for (const [k, c] of this.codes) if (c.expiresAt <= now) this.codes.delete(k);
  }
}
