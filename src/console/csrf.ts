import { createHash, timingSafeEqual } from "node:crypto";
import type { Request } from "express";

/**
 * Cross-site request forgery: every console form carries a token (the session's, or before login the login
 * form's own, bound to a cookie), and every POST must send it back, or it is refused with 403. The cookie is
 * SameSite=Strict as well, and a POST whose Origin header names another site is refused before any token is
 * looked at: three independent locks, any one of which stops a forged form.
 */

export const CSRF_FIELD = "csrf";

/** Equal tokens, compared in constant time (the digests have equal length whatever was sent). */
export function sameToken(expected: string, sent: unknown): boolean {
  if (typeof sent !== "string" || sent === "") return false;
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(sent).digest();
  return timingSafeEqual(a, b);
}

/**
 * Whether the request's Origin (or, without one, its Referer) is this site, as the browser reached it: the
 * Host header with http or https. A request with neither header (not a browser, or one that hides them) passes
 * on to the token check.
 */
export function sameOrigin(req: Request, publicUrl: string | undefined): boolean {
  const claimed = req.get("origin") ?? refererOrigin(req.get("referer"));
  if (claimed === undefined) return true;
  if (claimed === "null") return false;
  const host = req.get("host");
  const allowed = new Set<string>();
  if (publicUrl) allowed.add(new URL(publicUrl).origin);
  if (host) {
    allowed.add(`http://${host}`);
    allowed.add(`https://${host}`);
  }
  return allowed.has(claimed);
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return "null";
  }
}
