import { createHash, randomBytes } from "node:crypto";
import type { Clock } from "../clock.js";

/**
 * OIDC logins under way, kept server side: the state, nonce and PKCE verifier a login sent to the provider, and
 * the redirect URI it named, under a random id that only the browser that started it holds (a short-lived
 * cookie). The callback takes its login out (once: a second callback with the same cookie finds nothing).
 * Keyed by the id's SHA-256, like the sessions; bounded, oldest first out.
 */

export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  createdAt: number;
}

export const PENDING_LOGIN_MS = 10 * 60_000;
const MAX_PENDING = 10_000;

const keyOf = (id: string) => createHash("sha256").update(id).digest("base64url");
const random = () => randomBytes(32).toString("base64url");

export class PendingLogins {
  private readonly logins = new Map<string, PendingLogin>();

  constructor(private readonly clock: Clock) {}

  /** A new login for `redirectUri`; returns the id for the cookie and what to send to the provider. */
  start(redirectUri: string): { id: string; login: PendingLogin } {
    this.prune();
    while (this.logins.size >= MAX_PENDING) this.logins.delete(this.logins.keys().next().value!);
    const id = random();
    const login: PendingLogin = { state: random(), nonce: random(), codeVerifier: random() + random(), redirectUri, createdAt: this.clock().getTime() };
    this.logins.set(keyOf(id), login);
    return { id, login };
  }

  /** The live login of `id`, removed; undefined when unknown or too old. */
  take(id: string | undefined): PendingLogin | undefined {
    if (!id) return undefined;
    const key = keyOf(id);
    const login = this.logins.get(key);
    this.logins.delete(key);
    if (!login || this.clock().getTime() - login.createdAt >= PENDING_LOGIN_MS) return undefined;
    return login;
  }

  get size(): number {
    return this.logins.size;
  }

  private prune(): void {
    const now = this.clock().getTime();
    for (const [k, l] of this.logins) if (now - l.createdAt >= PENDING_LOGIN_MS) this.logins.delete(k);
  }
}
