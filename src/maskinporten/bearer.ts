import { TokenInvalidError, TokenMissingError } from "./errors.js";

// RFC 6750 section 2.1: "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 7235 section 2.1).
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Extracts the token from an `Authorization` header value as Node delivers it (string, repeated header
 * as array, or absent). Framework-free so the API layer and tests share one parser.
 */
export function bearerFromAuthorizationHeader(header: string | readonly string[] | undefined): string {
  if (header === undefined || header === "") throw new TokenMissingError();
  if (typeof header !== "string") {
    if (header.length === 0) throw new TokenMissingError();
    if (header.length > 1) throw new TokenInvalidError("More than one Authorization header");
    return bearerFromAuthorizationHeader(header[0]);
  }
  const match = BEARER.exec(header);
  if (!match) {
    const scheme = header.trim().split(/\s+/, 1)[0] ?? "";
    throw scheme.toLowerCase() === "bearer"
      ? new TokenInvalidError("The Authorization header's bearer credential is malformed")
      : new TokenMissingError(`The Authorization header uses the ${JSON.stringify(scheme)} scheme, not Bearer`);
  }
  return match[1]!;
}
