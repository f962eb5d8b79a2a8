import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { KeyObject, X509Certificate } from "node:crypto";
import type { JSONWebKeySet } from "jose";
import { systemClock } from "../../clock.js";
import type { Clock } from "../../clock.js";
import { JWT_BEARER_GRANT_TYPE } from "../../maskinporten/grant-assertion.js";
import { authorizeGrant } from "./grant-authorizer.js";
import { verifyGrant } from "./grant-verifier.js";
import { OAuthError } from "./oauth-error.js";
import { createRegistry } from "./registry.js";
import type { DelegationLookup, SimClient, SimDelegation } from "./registry.js";
import { ALTINN_DELEGATIONS_ADMIN_SCOPE, createAltinnDelegationLookup } from "./altinn-delegations.js";
import { createReplayCache } from "./replay-cache.js";
import { createSigningKeys } from "./signing-keys.js";
import { createTokenIssuer } from "./token-issuer.js";
import type { IssuedToken, IssueTokenOptions } from "./token-issuer.js";
import { listen } from "../listen.js";

export interface MaskinportenSimOptions {
  /** 0 or absent: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Issuer identifier; default `http://<host>:<port>/` (trailing slash, like Maskinporten's). */
  issuer?: string;
  /** RSA private key that signs access tokens (KeyObject or PEM). */
  signingKey: KeyObject | string;
  kid: string;
  /** Roots (or pinned CAs) that business certificates in grants must chain to. */
  trustAnchors: readonly X509Certificate[];
  /** CA certificates that may complete a chain when a client's x5c holds only its leaf. */
  intermediates?: readonly X509Certificate[];
  clients: readonly SimClient[];
  /** A fixed list of delegations; ignored once an Altinn Autorisasjon is set ({@link altinnAuthorizationUrl}). */
  delegations?: readonly SimDelegation[];
  /** Altinn Autorisasjon's base URL: delegations are asked there at every delegated token request. */
  altinnAuthorizationUrl?: string;
  /** Organisation the simulator's own tokens (to Altinn) name as consumer; default Digdir, 991825827. */
  ownOrgno?: string;
  clock?: Clock;
  /** Lifetime of issued tokens; default 120 s as in the real samples. */
  tokenLifetimeSeconds?: number;
  /** `delegation_source` of delegated tokens; default Altinn's test environment as in the samples. */
  delegationSource?: string;
  /** Allowed clock difference for grant `iat`/`exp` (default 10 s, as Maskinporten documents). */
  grantSkewSeconds?: number;
  newJti?: () => string;
}

export interface MaskinportenSimStats {
  metadataRequests: number;
  jwksRequests: number;
  tokenRequests: number;
  tokensIssued: number;
}

export interface MaskinportenSim {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  readonly issuer: string;
  readonly metadataUrl: string;
  readonly jwksUrl: string;
  readonly tokenUrl: string;
  /** Mints a token without a grant (tests: expired, delegated, foreign audience, odd claims). */
  issueToken(options: IssueTokenOptions): Promise<IssuedToken>;
  /** Starts signing with a new key; the old one stays published unless `retainPrevious` is false. */
  rotateSigningKey(signingKey: KeyObject | string, kid: string, options?: { retainPrevious?: boolean }): Promise<void>;
  /** Asks Altinn Autorisasjon at `url` for delegations from now on (undefined: the fixed list again). */
  useAltinnAuthorization(url: string | undefined): void;
  jwks(): JSONWebKeySet;
  stats(): MaskinportenSimStats;
  close(): Promise<void>;
}

export const DEFAULT_DELEGATION_SOURCE = "https://tt02.altinn.no/";
const MAX_BODY_BYTES = 64 * 1024;

/** An honest local Maskinporten: metadata, JWKS and a JWT-bearer token endpoint on node:http. */
export async function startMaskinportenSim(options: MaskinportenSimOptions): Promise<MaskinportenSim> {
  const clock = options.clock ?? systemClock;
  let altinnLookup: DelegationLookup | undefined;
  const registry = createRegistry(options.clients, options.delegations ?? [], () => altinnLookup);
  const keys = await createSigningKeys(options.signingKey, options.kid);
  const skewSeconds = options.grantSkewSeconds ?? 10;
  const replay = createReplayCache(skewSeconds);
  const stats: MaskinportenSimStats = { metadataRequests: 0, jwksRequests: 0, tokenRequests: 0, tokensIssued: 0 };
  const clientIdFor = (orgno: string) =>
    options.clients.find((c) => c.orgno === orgno)?.clientId ?? `dpi-ap-test-${orgno}`;

  // The issuer depends on the port, known only after listen; handlers run after that.
  let endpoints: { issuer: string; url: string } | undefined;
  let issueToken: ReturnType<typeof createTokenIssuer> | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { issuer, url } = endpoints!;
    const path = new URL(req.url ?? "/", "http://sim").pathname;
    if (path === "/.well-known/oauth-authorization-server") {
      if (!allowMethod(req, res, "GET")) return;
      stats.metadataRequests++;
      return sendJson(res, 200, {
        issuer,
        token_endpoint: `${url}/token`,
        jwks_uri: `${url}/jwk`,
        token_endpoint_auth_methods_supported: ["private_key_jwt"],
        grant_types_supported: [JWT_BEARER_GRANT_TYPE],
        token_endpoint_auth_signing_alg_values_supported: ["RS256", "RS384", "RS512"],
      });
    }
    if (path === "/jwk") {
      if (!allowMethod(req, res, "GET")) return;
      stats.jwksRequests++;
      return sendJson(res, 200, keys.jwks());
    }
    if (path === "/token") {
      if (!allowMethod(req, res, "POST")) return;
      stats.tokenRequests++;
      try {
        const assertion = await grantAssertion(req);
        const now = clock();
        const grant = await verifyGrant(assertion, {
          issuer,
          trustAnchors: options.trustAnchors,
          intermediates: options.intermediates ?? [],
          now,
          skewSeconds,
          replay,
        });
        const decided = await authorizeGrant(grant, registry);
        const issued = await issueToken!({
          consumer: decided.consumerOrgno,
          ...(decided.supplierOrgno ? { supplier: decided.supplierOrgno } : {}),
          scope: decided.scopes,
          clientId: decided.clientId,
          ...(decided.resource !== undefined ? { audience: decided.resource } : {}),
          ...(decided.authorizationDetails !== undefined ? { claims: { authorization_details: decided.authorizationDetails } } : {}),
          issuedAt: now,
        });
        stats.tokensIssued++;
        return sendJson(
          res,
          200,
          { access_token: issued.token, token_type: "Bearer", expires_in: issued.expiresIn, scope: decided.scopes.join(" ") },
          { "cache-control": "no-store", pragma: "no-cache" },
        );
      } catch (error) {
        if (error instanceof OAuthError) return sendJson(res, error.status, error.toJSON(), { "cache-control": "no-store" });
        throw error;
      }
    }
    sendJson(res, 404, { error: "not_found" });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: "server_error", error_description: String(error) });
      else res.destroy();
    });
  });
  const address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  const issuer = options.issuer ?? `${url}/`;
  endpoints = { issuer, url };
  issueToken = createTokenIssuer({
    issuer,
    keys,
    clock,
    lifetimeSeconds: options.tokenLifetimeSeconds ?? 120,
    delegationSource: options.delegationSource ?? DEFAULT_DELEGATION_SOURCE,
    clientIdFor,
    ...(options.newJti ? { newJti: options.newJti } : {}),
  });
  // Maskinporten's own token for Altinn's delegation lookups, minted here and reused until shortly before it expires.
  let adminToken: { token: string; renewAt: number } | undefined;
  const ownToken = async (): Promise<string> => {
    const now = clock().getTime();
    if (!adminToken || now >= adminToken.renewAt) {
      const issued = await issueToken!({ consumer: options.ownOrgno ?? "991825827", scope: ALTINN_DELEGATIONS_ADMIN_SCOPE, clientId: "maskinporten" });
      adminToken = { token: issued.token, renewAt: now + (issued.expiresIn - 10) * 1000 };
    }
    return adminToken.token;
  };
  const useAltinnAuthorization = (altinnUrl: string | undefined) => {
    altinnLookup = altinnUrl === undefined ? undefined : createAltinnDelegationLookup({ url: altinnUrl, adminToken: ownToken });
  };
  useAltinnAuthorization(options.altinnAuthorizationUrl);

  return {
    url,
    issuer,
    metadataUrl: `${url}/.well-known/oauth-authorization-server`,
    jwksUrl: `${url}/jwk`,
    tokenUrl: `${url}/token`,
    issueToken: issueToken,
    rotateSigningKey: (signingKey, kid, rotateOptions) => keys.rotate(signingKey, kid, rotateOptions),
    useAltinnAuthorization,
    jwks: () => keys.jwks(),
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Reads the form body of a token request and returns the JWT-bearer assertion in it. */
async function grantAssertion(req: IncomingMessage): Promise<string> {
  const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (contentType !== "application/x-www-form-urlencoded") {
    req.resume();
    throw new OAuthError("invalid_request", "Content-Type must be application/x-www-form-urlencoded");
  }
  const form = new URLSearchParams(await readBody(req));
  for (const name of ["grant_type", "assertion"]) {
    if (form.getAll(name).length > 1) throw new OAuthError("invalid_request", `${name} given more than once`);
  }
  const grantType = form.get("grant_type");
  if (grantType === null) throw new OAuthError("invalid_request", "grant_type missing");
  if (grantType !== JWT_BEARER_GRANT_TYPE) {
    throw new OAuthError("unsupported_grant_type", `grant_type ${JSON.stringify(grantType)} is not supported`);
  }
  const assertion = form.get("assertion");
  if (!assertion) throw new OAuthError("invalid_request", "assertion missing");
  return assertion;
}

/** Reads the whole body; an oversized one is drained (so the answer still reaches the client) and refused. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("error", reject);
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) reject(new OAuthError("invalid_request", `request body larger than ${MAX_BODY_BYTES} bytes`));
      else resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}

function allowMethod(req: IncomingMessage, res: ServerResponse, method: "GET" | "POST"): boolean {
  if (req.method === method || (method === "GET" && req.method === "HEAD")) return true;
  req.resume();
  sendJson(res, 405, { error: "method_not_allowed" }, { allow: method === "GET" ? "GET, HEAD" : "POST" });
  return false;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(res.req.method === "HEAD" ? undefined : text);
}

