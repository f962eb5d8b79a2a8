import type { JWTPayload } from "jose";
import type { ConsoleOidcSettings } from "./oidc-settings.js";
import type { ConsoleRole } from "./users.js";

/**
 * The console role an id_token gives: the values of the configured claim (a string, a space-separated string
 * or a list of strings; a dotted name reaches into objects, as Keycloak's realm_access.roles), an operator value
 * among them makes an operator, else a viewer value a viewer, else no role (the login is refused).
 */
export function roleOf(claims: JWTPayload, s: Pick<ConsoleOidcSettings, "roleClaim" | "operatorValues" | "viewerValues">): ConsoleRole | undefined {
  const values = claimValues(claims, s.roleClaim);
  if (s.operatorValues.some((v) => values.includes(v))) return "operator";
  if (s.viewerValues.some((v) => values.includes(v))) return "viewer";
  return undefined;
}

/** The strings of the claim at `path` (dots separate levels); nothing when it is absent or of another shape. */
export function claimValues(claims: JWTPayload, path: string): string[] {
  // A claim whose own name holds dots is taken as it is before the path is followed.
  const own = (v: unknown, k: string) => (v !== null && typeof v === "object" && !Array.isArray(v) && Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined);
  let value: unknown = Object.hasOwn(claims, path) ? claims[path] : path.split(".").reduce<unknown>(own, claims);
  if (typeof value === "string") value = value.split(" ").filter(Boolean);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
