import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * Console passwords are stored as scrypt hashes: `scrypt$<N>$<r>$<p>$<salt>$<hash>` with salt and hash in
 * base64url. The format holds no ':' and no ',' so it fits a DPI_AP_CONSOLE_USERS entry as it is, and the cost
 * travels with the hash so it can be raised later without breaking stored ones.
 */

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));

/** 16 MiB of memory and about 50 ms per check: slow for a guesser, fine for a login. */
export const DEFAULT_COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Bounds on a stored cost, so a mistyped or hostile configuration cannot make one login take the machine's memory. */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

export interface PasswordHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

export class PasswordHashFormatError extends Error {
  readonly code = "console-password-hash";
  constructor(detail: string) {
    super(`not a console password hash (scrypt$N$r$p$salt$hash): ${detail}`);
    this.name = "PasswordHashFormatError";
  }
}

const B64URL = /^[A-Za-z0-9_-]+$/;

export function parsePasswordHash(text: string): PasswordHash {
  const parts = text.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") throw new PasswordHashFormatError("wrong number of fields or not scrypt");
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s!) ? Number(s) : NaN)) as [number, number, number];
  if (!(N >= 2 && N <= MAX_N && (N & (N - 1)) === 0)) throw new PasswordHashFormatError("N must be a power of two up to 2^20");
  if (!(r >= 1 && r <= MAX_R) || !(p >= 1 && p <= MAX_P)) throw new PasswordHashFormatError("r or p out of range");
  if (!B64URL.test(parts[4]!) || !B64URL.test(parts[5]!)) throw new PasswordHashFormatError("salt and hash must be base64url");
  const salt = Buffer.from(parts[4]!, "base64url");
  const hash = Buffer.from(parts[5]!, "base64url");
  if (salt.length < 8 || hash.length < 16) throw new PasswordHashFormatError("salt or hash too short");
  return { N, r, p, salt, hash };
}

function options(h: { N: number; r: number; p: number }): ScryptOptions {
  // Node refuses scrypt above maxmem (32 MiB by default); allow what the bounded cost needs.
  return { N: h.N, r: h.r, p: h.p, maxmem: 256 * h.N * h.r + 1024 * 1024 };
}

export async function hashPassword(password: string, cost: { N: number; r: number; p: number } = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(password, salt, KEY_BYTES, options(cost));
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

/** Whether `password` is the one `stored` was made from; compares in constant time. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const candidate = await scrypt(password, stored.salt, stored.hash.length, options(stored));
  return timingSafeEqual(candidate, stored.hash);
}
