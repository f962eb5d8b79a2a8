/**
 * An honest local Altinn authentication service, the part eFormidling uses: the exchange of a Maskinporten
 * access token for an Altinn token ([IP] `altinnv3/token/AltinnTokenExchangeService.java`):
 *   GET {base}/authentication/api/v1/exchange/maskinporten   Authorization: Bearer <Maskinporten token>
 *       → 200 text/plain, the Altinn token (a JWT signed by Altinn); 401 when the token is missing or not a valid
 *         Maskinporten token. `?test=true` (what TT02 callers add) is accepted and ignored.
 *   GET {base}/authentication/api/v1/openid/.well-known/openid-configuration        issuer and jwks_uri
 *   GET {base}/authentication/api/v1/openid/.well-known/openid-configuration/jwks   the key Altinn signs with
 * The Altinn token carries the Maskinporten token's scope, consumer, client id and authorization_details (the
 * Altinn system user DPO acts as), and the organisation number as `urn:altinn:orgNumber`; it lives 30 minutes whatever the Maskinporten token's lifetime (altinn-v3-client/
 * altinn_dpv.md: "lang levetid på (30 min)"). Altinn's other APIs (the correspondence simulator) verify it
 * against the JWKS above.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet, type JWTPayload } from "jose";
import { systemClock, type Clock } from "../../clock.js";
import { listen } from "../listen.js";

export interface AltinnTokenSimOptions {
  port?: number;
  host?: string;
  /** The Maskinporten whose tokens are exchanged (the Maskinporten simulator's issuer and jwksUrl). */
  maskinporten: { issuer: string; jwksUrl: string | URL };
  /** Lifetime of an Altinn token; default 1800 s. */
  lifetimeSeconds?: number;
  clock?: Clock;
}

export interface AltinnTokenSimStats {
  exchanges: number;
  refused: number;
}

export interface AltinnTokenSim {
  /** Base URL, no trailing slash (Altinn's platform URL, e.g. https://platform.tt02.altinn.no). */
  readonly url: string;
  /** The exchange endpoint (the integrasjonspunkt's `altinnTokenExchangeUrl`). */
  readonly exchangeUrl: string;
  /** `iss` of Altinn tokens. */
  readonly issuer: string;
  readonly jwksUrl: string;
  jwks(): JSONWebKeySet;
  stats(): AltinnTokenSimStats;
  close(): Promise<void>;
}

export const EXCHANGE_PATH = "/authentication/api/v1/exchange/maskinporten";
const OPENID = "/authentication/api/v1/openid/.well-known/openid-configuration";
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export async function startAltinnTokenSim(options: AltinnTokenSimOptions): Promise<AltinnTokenSim> {
  const clock = options.clock ?? systemClock;
  const lifetime = options.lifetimeSeconds ?? 1800;
  const maskinportenKeys = createRemoteJWKSet(new URL(options.maskinporten.jwksUrl), { cooldownDuration: 0 });
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = randomUUID();
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }] };
  const stats: AltinnTokenSimStats = { exchanges: 0, refused: 0 };
  let base = "";

  const exchange = async (req: IncomingMessage, res: ServerResponse) => {
    const auth = req.headers.authorization;
    const match = auth === undefined ? null : BEARER.exec(auth);
    let claims: JWTPayload;
    try {
      if (!match) throw new Error("no bearer token");
      ({ payload: claims } = await jwtVerify(match[1]!, maskinportenKeys, { issuer: options.maskinporten.issuer, algorithms: ["RS256"], currentDate: clock(), clockTolerance: 10 }));
    } catch {
      stats.refused++;
      res.writeHead(401, { "content-length": 0, "www-authenticate": "Bearer" }).end();
      return;
    }
    const consumer = claims.consumer as { ID?: unknown } | undefined;
    const orgno = typeof consumer?.ID === "string" ? consumer.ID.replace(/^0192:/, "") : undefined;
    if (!orgno || !/^\d{9}$/.test(orgno)) {
      stats.refused++;
      res.writeHead(401, { "content-length": 0 }).end();
      return;
    }
    const iat = Math.floor(clock().getTime() / 1000);
    const token = await new SignJWT({
      scope: typeof claims.scope === "string" ? claims.scope : "",
      token_type: "Bearer",
      client_id: claims.client_id,
      consumer: claims.consumer,
      "urn:altinn:orgNumber": orgno,
      "urn:altinn:authenticatemethod": "maskinporten",
      "urn:altinn:authlevel": 3,
      ...(claims.supplier ? { supplier: claims.supplier } : {}),
      // Altinn keeps the grant's authorization_details (DPO's system user), which the broker authorises on.
      ...(Array.isArray(claims.authorization_details) ? { authorization_details: claims.authorization_details } : {}),
    })
      .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
      .setIssuer(`${base}/authentication/api/v1/openid/`)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + lifetime)
      .setJti(randomUUID())
      .sign(privateKey);
    stats.exchanges++;
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(token) }).end(token);
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://sim").pathname;
    const json = (body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) }).end(text);
    };
    if (req.method !== "GET") return void res.writeHead(405, { allow: "GET", "content-length": 0 }).end();
    if (path === EXCHANGE_PATH) {
      exchange(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { "content-length": 0 }).end();
      });
      return;
    }
    if (path === OPENID) return json({ issuer: `${base}/authentication/api/v1/openid/`, jwks_uri: `${base}${OPENID}/jwks` });
    if (path === `${OPENID}/jwks`) return json(jwks);
    res.writeHead(404, { "content-length": 0 }).end();
  });
  const address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  base = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url: base,
    exchangeUrl: `${base}${EXCHANGE_PATH}`,
    issuer: `${base}/authentication/api/v1/openid/`,
    jwksUrl: `${base}${OPENID}/jwks`,
    jwks: () => structuredClone(jwks),
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

