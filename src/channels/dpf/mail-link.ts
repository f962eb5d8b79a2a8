import { createHash, randomBytes } from "node:crypto";

/**
 * The level-4 mail's download links: `{base}/api/dpf/mail/{token}/{n}`, one per file. The token is 256 random bits
 * (43 base64url characters); the store keeps only its SHA-256, so reading the database does not give the links.
 */

export const MAIL_DOWNLOAD_PATH = "/dpf/mail";

export function newMailToken(): string {
  return randomBytes(32).toString("base64url");
}

export function mailTokenHash(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function isMailToken(s: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(s);
}

/** `apiBase` is where the NextMove API is mounted (`{public URL}/api`). */
export function mailLink(apiBase: string, token: string, n: number): string {
  return `${apiBase.replace(/\/+$/, "")}${MAIL_DOWNLOAD_PATH}/${token}/${n}`;
}
