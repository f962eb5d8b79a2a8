/** Public surface of Maskinporten support: token verification for the API, grant client for tooling. */
export * from "./errors.js";
export { bearerFromAuthorizationHeader } from "./bearer.js";
export { createTokenVerifier } from "./token-verifier.js";
export type { TokenVerifier, TokenVerifierOptions, VerifyOptions } from "./token-verifier.js";
export { ACTOR_AUTHORITY, DPI_SEND_SCOPE, actorId, parseActor, parseScopes, toMaskinportenToken } from "./token.js";
export type { Actor, MaskinportenToken } from "./token.js";
export { buildGrantAssertion, JWT_BEARER_GRANT_TYPE, MAX_GRANT_LIFETIME_SECONDS } from "./grant-assertion.js";
export type { GrantAssertionOptions, GrantRequest, GrantSigner } from "./grant-assertion.js";
export { createGrantClient, GrantRequestError } from "./grant-client.js";
export type { AccessTokenResponse, GrantClient, GrantClientOptions } from "./grant-client.js";
