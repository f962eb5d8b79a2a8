import { createHash, randomBytes } from "node:crypto";
import type { Clock } from "../clock.js";
import type { ConsoleRole } from "./users.js";

/**
 * Console sessions, held in this process's memory: a restart (or another process behind the same load balancer)
 * knows none of them, so everyone logs in again. That is the price of keeping no session secrets in the store.
 * A session id is 32 random bytes; the map is keyed by its SHA-256, so a heap dump shows no usable cookie. A
 * session ends when unused for `idleMs` or `maxAgeMs` after login, whichever comes first. Each has its own CSRF
 * token, sent in every form and checked on every POST (csrf.ts).
 */

export interface Session {
  user: string;
  role: ConsoleRole;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionLimits {
  idleMs: number;
  maxAgeMs: number;
}

/** How many sessions the store holds at most: past it the oldest go first (a flood of logins cannot grow memory). */
const MAX_SESSIONS = 10_000;

const keyOf = (id: string) => createHash("sha256").update(id).digest("base64url");

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly limits: SessionLimits,
    private readonly clock: Clock,
  ) {}

  /** A new session for `user`; returns the id for the cookie. */
  create(user: string, role: ConsoleRole): { id: string; session: Session } {
    this.prune();
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const id = randomBytes(32).toString("base64url");
    const now = this.clock().getTime();
    const session: Session = { user, role, csrfToken: randomBytes(32).toString("base64url"), createdAt: now, lastSeenAt: now };
    this.sessions.set(keyOf(id), session);
    return { id, session };
  }

  /**
   * The live session of `id`, or undefined: unknown, idle too long, or too old. Its idle time restarts unless
   * `passive` (a page refreshing itself in the background is no sign that anyone is there).
   */
  touch(id: string | undefined, passive = false): Session | undefined {
    if (!id) return undefined;
    const key = keyOf(id);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    const now = this.clock().getTime();
    if (this.expired(s, now)) {
      this.sessions.delete(key);
      return undefined;
    }
    if (!passive) s.lastSeenAt = now;
    return s;
  }

  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(keyOf(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  private expired(s: Session, now: number): boolean {
    return now - s.lastSeenAt >= this.limits.idleMs || now - s.createdAt >= this.limits.maxAgeMs;
  }

  private prune(): void {
    const now = this.clock().getTime();
    for (const [k, s] of this.sessions) if (this.expired(s, now)) this.sessions.delete(k);
  }
}
