/**
 * RFC 6749 section 5.2 error responses of the token endpoint. The simulator answers like Maskinporten: an
 * assertion it cannot trust is `invalid_grant`, an unknown client `invalid_client` (401), and a scope the
 * client or its delegation does not cover `invalid_scope`.
 */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "invalid_authorization_details"
  /** Something Maskinporten depends on (Altinn Autorisasjon) could not answer. */
  | "server_error";

export class OAuthError extends Error {
  readonly status: number;
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
    this.name = "OAuthError";
    this.status = error === "invalid_client" ? 401 : error === "server_error" ? 500 : 400;
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}
