import { systemClock } from "../clock.js";
import type { Clock } from "../clock.js";
import { buildGrantAssertion, JWT_BEARER_GRANT_TYPE, scopeString } from "./grant-assertion.js";
import type { GrantRequest, GrantSigner } from "./grant-assertion.js";

export interface GrantClientOptions extends GrantSigner {
  /** Maskinporten's `token_endpoint`. */
  tokenEndpoint: string | URL;
  clock?: Clock;
  /** Lifetime of each grant, at most 120 s (default 120). */
  grantLifetimeSeconds?: number;
  /** A cached token is replaced this long before it expires (default 10 s). */
  refreshMarginSeconds?: number;
  /** Timeout of one token request (default 10 s). */
  timeoutMs?: number;
  newJti?: () => string;
}

export interface AccessTokenResponse {
  access_token: string;
  /** Seconds the token remains valid from the moment it was handed out (recomputed for cached tokens). */
  expires_in: number;
  scope: string;
  token_type: string;
  expiresAt: Date;
}

export interface GrantClient {
  /** A token for this scope, consumer and resource: cached until shortly before expiry, else freshly requested. */
  getToken(request: GrantRequest): Promise<AccessTokenResponse>;
  /** Requests a new token, bypassing and then refreshing the cache. */
  requestToken(request: GrantRequest): Promise<AccessTokenResponse>;
  clearCache(): void;
}

/** Maskinporten refused the grant, could not be reached (status 0), or answered with something that is not a token response. */
export class GrantRequestError extends Error {
  readonly code = "maskinporten-grant-failed";
  constructor(
    readonly status: number,
    readonly oauthError: string | undefined,
    readonly description: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `Maskinporten token request failed (HTTP ${status}${oauthError ? `, ${oauthError}` : ""})${description ? `: ${description}` : ""}`,
      options,
    );
    this.name = "GrantRequestError";
  }
}

/** JWT-bearer grant client for tooling and the demo (the access point itself only verifies tokens). */
export function createGrantClient(options: GrantClientOptions): GrantClient {
  const clock = options.clock ?? systemClock;
  const marginMs = (options.refreshMarginSeconds ?? 10) * 1000;
  const cache = new Map<string, Omit<AccessTokenResponse, "expires_in">>();
  const pending = new Map<string, Promise<AccessTokenResponse>>();

  const requestToken = async (request: GrantRequest): Promise<AccessTokenResponse> => {
    const assertion = await buildGrantAssertion(options, request, {
      clock,
      ...(options.grantLifetimeSeconds !== undefined ? { lifetimeSeconds: options.grantLifetimeSeconds } : {}),
      ...(options.newJti ? { newJti: options.newJti } : {}),
    });
    const requestedAt = clock();
    const response = await postGrant(new URL(options.tokenEndpoint), assertion, options.timeoutMs ?? 10_000);
    const token = {
      access_token: response.access_token,
      scope: response.scope,
      token_type: response.token_type,
      expiresAt: new Date(requestedAt.getTime() + response.expires_in * 1000),
    };
    cache.set(cacheKey(request), token);
    return { ...token, expires_in: response.expires_in };
  };

  return {
    async getToken(request) {
      const key = cacheKey(request);
      const now = clock().getTime();
      const cached = cache.get(key);
      if (cached && cached.expiresAt.getTime() - marginMs > now) {
        return { ...cached, expires_in: Math.floor((cached.expiresAt.getTime() - now) / 1000) };
      }
      // Concurrent callers for the same key share one request instead of spending several grants.
      let inFlight = pending.get(key);
      if (!inFlight) {
        inFlight = requestToken(request).finally(() => pending.delete(key));
        pending.set(key, inFlight);
      }
      return inFlight;
    },
    requestToken,
    clearCache() {
      cache.clear();
    },
  };
}

function cacheKey(request: GrantRequest): string {
  const resource = request.resource === undefined ? [] : typeof request.resource === "string" ? [request.resource] : [...request.resource];
  return JSON.stringify([scopeString(request.scope), request.consumerOrg ?? null, resource, request.authorizationDetails ?? null]);
}

interface TokenEndpointResponse {
  access_token: string;
  expires_in: number;
  scope: string;
  token_type: string;
}

async function postGrant(endpoint: URL, assertion: string, timeoutMs: number): Promise<TokenEndpointResponse> {
  const body = new URLSearchParams({ grant_type: JWT_BEARER_GRANT_TYPE, assertion });
  let response: Response;
  let text: string;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body,
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (cause) {
    // status 0: no HTTP answer at all (refused, reset, timed out).
    throw new GrantRequestError(0, undefined, `no response from ${endpoint.href}: ${String(cause)}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new GrantRequestError(response.status, undefined, "response is not JSON", { cause });
  }
  const record = typeof json === "object" && json !== null ? (json as Record<string, unknown>) : {};
  if (!response.ok) {
    throw new GrantRequestError(
      response.status,
      typeof record.error === "string" ? record.error : undefined,
      typeof record.error_description === "string" ? record.error_description : undefined,
    );
  }
  const { access_token, expires_in, scope, token_type } = record;
  if (typeof access_token !== "string" || access_token === "" || typeof expires_in !== "number" || !(expires_in > 0)) {
    throw new GrantRequestError(response.status, undefined, "response lacks access_token or expires_in");
  }
  return {
    access_token,
    expires_in,
    scope: typeof scope === "string" ? scope : "",
    token_type: typeof token_type === "string" ? token_type : "Bearer",
  };
}
