/**
 * The base of every domain error. A failure kind is one class with a stable `code` (a string literal that
 * clients, logs and tests may rely on) and a `kind` from the short list below that says what the party who
 * caused it can do about it. Nothing here knows a transport: the edges decide the form, in one table each
 * (src/api/problem-map.ts: problem+json and an HTTP status; src/channels/dpi/ebms-map.ts: an ebMS error), and the
 * outbox decides from the kind alone whether to try again.
 */

export const ERROR_KINDS = [
  /** The input is wrong; sending it again unchanged gives the same answer. */
  "invalid",
  /** The credential (token, certificate) is missing or cannot be trusted; a new one may help. */
  "unauthenticated",
  /** The party is known but not allowed to do this; only a change of rights helps. */
  "forbidden",
  /** What was asked for does not exist. */
  "not-found",
  /** Clashes with what already exists (an id used before). */
  "conflict",
  /** Well-formed, but the party it is for does not take it (its registration does not allow it). */
  "unsupported",
  /** A party we depend on answered with something unusable; nothing changes until that party fixes it. */
  "upstream",
  /** Transient: a party or resource could not be reached or asked now; try again later. */
  "unavailable",
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export abstract class DomainError extends Error {
  /** Stable and machine-readable; each subclass narrows it to its own literal(s). */
  abstract readonly code: string;
  abstract readonly kind: ErrorKind;

  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = new.target.name;
  }

  /** The human explanation of this occurrence (the message); free of secrets, the other party reads it. */
  get detail(): string {
    return this.message;
  }
}

/** The codes of the concrete domain error classes a module exports (abstract bases with a plain `string` code drop out). */
export type CodesOf<M> = {
  [K in keyof M]: M[K] extends abstract new (...args: never[]) => infer I ? (I extends DomainError ? (string extends I["code"] ? never : I["code"]) : never) : never;
}[keyof M];
