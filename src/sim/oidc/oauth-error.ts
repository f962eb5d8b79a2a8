/**
 * RFC 6749 errors as the simulator answers them. At the token endpoint (§5.2) they are JSON bodies, 400, or 401
 * for `invalid_client` (with `WWW-Authenticate: Basic` when the client tried HTTP Basic). At the authorization
 * endpoint (§4.1.2.1) they travel back to the client in the redirect's query, once the client and its redirect
 * URI are known to be genuine; before that they are shown to the user and never redirected.
 */

export type TokenErrorCode = "invalid_request" | "invalid_client" | "invalid_grant" | "unauthorized_client" | "unsupported_grant_type" | "invalid_scope";

export type AuthorizeErrorCode = "invalid_request" | "unauthorized_client" | "access_denied" | "unsupported_response_type" | "invalid_scope" | "login_required";

export class TokenError extends Error {
  readonly status: number;
  constructor(
    readonly error: TokenErrorCode,
    readonly description: string,
    /** The client authenticated (or tried to) with HTTP Basic: a 401 says how to retry. */
    readonly basicAttempted = false,
  ) {
    super(`${error}: ${description}`);
    this.name = "TokenError";
    this.status = error === "invalid_client" ? 401 : 400;
  }

  get headers(): Record<string, string> {
    return this.status === 401 && this.basicAttempted ? { "www-authenticate": 'Basic realm="oidc-sim", charset="UTF-8"' } : {};
  }

  toJSON(): { error: TokenErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export class AuthorizeError extends Error {
  constructor(
    readonly error: AuthorizeErrorCode,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
    this.name = "AuthorizeError";
  }
}
