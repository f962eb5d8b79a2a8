/**
 * Why an OIDC login failed, one stable code per kind. The router maps each to a page and a status: the
 * provider could not be reached or answered nonsense (502), the login's own state is gone or does not match
 * (400), or the provider refused or its answer could not be trusted (401). A user the provider vouches for but
 * whose claims give no role is not an error here: the router refuses them (403).
 */

export type OidcErrorCode =
  | "oidc-provider-unavailable"
  | "oidc-discovery-invalid"
  | "oidc-login-expired"
  | "oidc-state-mismatch"
  | "oidc-issuer-mismatch"
  | "oidc-provider-refused"
  | "oidc-token-refused"
  | "oidc-id-token-invalid"
  | "oidc-id-token-algorithm"
  | "oidc-id-token-signature"
  | "oidc-id-token-key-unknown"
  | "oidc-id-token-issuer"
  | "oidc-id-token-audience"
  | "oidc-id-token-expired"
  | "oidc-id-token-issued-at"
  | "oidc-id-token-nonce";

export class OidcError extends Error {
  constructor(
    readonly code: OidcErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "OidcError";
  }
}
