/**
 * An honest local Kontakt- og reservasjonsregister: Digdir's oppslagstjeneste REST API (docs.digdir.no
 * "Oppslagstjenesten REST", "Attributter i KRR"; spec/dpi.md §6), on node:http:
 *   POST /rest/v1/personer, /rest/v2/personer     {"personidentifikatorer": [1..1000 fnr/d-nr]}
 *        → 200 {"personer": [...]} in the order asked, one entry per distinct identifier
 *   GET  /rest/v2/printSertifikat                  → 200 {postkasseleverandoerAdresse, x509Sertifikat}
 * Every request needs a Maskinporten access token (the configured issuer's JWKS). What a person entry holds
 * follows the token's scopes: `krr:global/kontaktinformasjon.read` adds kontaktinformasjon (e-mail, mobile),
 * varslingsstatus and spraak; `krr:global/digitalpost.read` adds digital_post (postbox address and provider)
 * and sertifikat. Reservation and status come always. A token with neither scope is refused (403,
 * insufficient_scope). A person the register does not know comes back with status IKKE_REGISTRERT ("Person
 * finnes ikke i registeret"), not as an error.
 * Errors are problem+json (the real service's error body is not published); 401/403 carry RFC 6750's
 * WWW-Authenticate.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { systemClock, type Clock } from "../../clock.js";
import { serve } from "../listen.js";
import { createBearerCheck } from "../bearer-check.js";
import { KrrState, type KrrPersonJson } from "./state.js";

export const KRR_SCOPES = {
  kontaktinformasjon: "krr:global/kontaktinformasjon.read",
  digitalpost: "krr:global/digitalpost.read",
} as const;

export interface KrrSimOptions {
  port?: number;
  host?: string;
  /** The Maskinporten whose access tokens KRR accepts. */
  maskinporten: { issuer: string; jwksUrl: string | URL; clockSkewSeconds?: number };
  /** The register; an empty one when absent (seed it with seedKrrSandbox). */
  state?: KrrState;
  clock?: Clock;
}

export interface KrrSimStats {
  lookups: number;
  personsLookedUp: number;
  printCertificateRequests: number;
  refused: number;
}

export interface KrrSim {
  /** Base URL, no trailing slash (real: https://kontaktregisteret.no). */
  readonly url: string;
  readonly state: KrrState;
  stats(): KrrSimStats;
  close(): Promise<void>;
}

const MAX_PERSONS = 1000;
const MAX_BODY_BYTES = 256 * 1024;
const PERSON_ID = /^\d{11}$/;

class KrrHttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export async function startKrrSim(options: KrrSimOptions): Promise<KrrSim> {
  const clock = options.clock ?? systemClock;
  const state = options.state ?? new KrrState();
  const check = createBearerCheck({ ...options.maskinporten, clock });
  const stats: KrrSimStats = { lookups: 0, personsLookedUp: 0, printCertificateRequests: 0, refused: 0 };

  /** The caller's scopes, or a refusal: no valid token (401), or neither KRR scope (403). */
  const authorize = async (req: IncomingMessage, needed: readonly string[]): Promise<Set<string>> => {
    const result = await check(req.headers.authorization);
    if (!result.ok) throw new KrrHttpError(401, "Unauthorized", result.detail, { "www-authenticate": result.wwwAuthenticate });
    const scopes = new Set(result.scopes.filter((s) => needed.includes(s)));
    if (scopes.size === 0) {
      const scope = needed.join(" ");
      throw new KrrHttpError(403, "Forbidden", `The token has none of the scopes ${scope}`, {
        "www-authenticate": `Bearer error="insufficient_scope", scope="${scope}"`,
      });
    }
    return scopes;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", "http://krr").pathname;
    if (path === "/rest/v1/personer" || path === "/rest/v2/personer") {
      requireMethod(req, "POST");
      const scopes = await authorize(req, [KRR_SCOPES.kontaktinformasjon, KRR_SCOPES.digitalpost]);
      const ids = parseLookup(await readJson(req));
      stats.lookups++;
      stats.personsLookedUp += ids.length;
      return sendJson(res, 200, { personer: ids.map((id) => visible(state.person(id) ?? unregistered(id), scopes)) });
    }
    if (path === "/rest/v2/printSertifikat" || path === "/rest/v1/printSertifikat") {
      requireMethod(req, "GET");
      await authorize(req, [KRR_SCOPES.digitalpost]);
      stats.printCertificateRequests++;
      const provider = state.printProvider();
      if (!provider) throw new KrrHttpError(404, "Not Found", "No print provider is registered");
      return sendJson(res, 200, provider);
    }
    throw new KrrHttpError(404, "Not Found", `No resource at ${path}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof KrrHttpError) {
        if (error.status === 401 || error.status === 403) stats.refused++;
        req.resume();
        return sendProblem(res, error);
      }
      if (!res.headersSent) sendProblem(res, new KrrHttpError(500, "Internal Server Error", String(error)));
      else res.destroy();
    });
  });
  const served = await serve(server, options.port ?? 0, options.host ?? "127.0.0.1");
  return { url: served.url, state, stats: () => ({ ...stats }), close: served.close };
}

/** `{"personidentifikatorer": [...]}` with 1..1000 eleven-digit identifiers; duplicates answered once. */
function parseLookup(body: unknown): string[] {
  const list = (body as { personidentifikatorer?: unknown } | null)?.personidentifikatorer;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_PERSONS) {
    throw new KrrHttpError(400, "Bad Request", `personidentifikatorer must be a list of 1 to ${MAX_PERSONS} person identifiers`);
  }
  const bad = list.filter((id) => typeof id !== "string" || !PERSON_ID.test(id));
  if (bad.length > 0) throw new KrrHttpError(400, "Bad Request", `Not a person identifier (11 digits): ${bad.map((b) => JSON.stringify(b)).join(", ")}`);
  return [...new Set(list as string[])];
}

/** How KRR answers for a person it has no entry for. */
function unregistered(personidentifikator: string): KrrPersonJson {
  return { personidentifikator, reservasjon: "NEI", status: "IKKE_REGISTRERT", varslingsstatus: "KAN_IKKE_VARSLES" };
}

/** The fields the token's scopes open; reservation and status are always given. */
function visible(p: KrrPersonJson, scopes: ReadonlySet<string>): KrrPersonJson {
  const out: KrrPersonJson = { personidentifikator: p.personidentifikator, reservasjon: p.reservasjon, status: p.status };
  if (scopes.has(KRR_SCOPES.kontaktinformasjon)) {
    if (p.varslingsstatus !== undefined) out.varslingsstatus = p.varslingsstatus;
    if (p.kontaktinformasjon !== undefined) out.kontaktinformasjon = p.kontaktinformasjon;
  }
  if (scopes.has(KRR_SCOPES.digitalpost)) {
    if (p.digital_post !== undefined) out.digital_post = p.digital_post;
    if (p.sertifikat !== undefined) out.sertifikat = p.sertifikat;
  }
  if (scopes.has(KRR_SCOPES.kontaktinformasjon) && p.spraak !== undefined) out.spraak = p.spraak;
  return out;
}

function requireMethod(req: IncomingMessage, method: "GET" | "POST"): void {
  if (req.method === method) return;
  throw new KrrHttpError(405, "Method Not Allowed", `${req.method} is not allowed here`, { allow: method });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") throw new KrrHttpError(415, "Unsupported Media Type", "Content-Type must be application/json");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new KrrHttpError(413, "Payload Too Large", `The body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new KrrHttpError(400, "Bad Request", "The body is not JSON");
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json;charset=UTF-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendProblem(res: ServerResponse, e: KrrHttpError): void {
  const text = JSON.stringify({ type: "about:blank", title: e.title, status: e.status, detail: e.detail });
  res.writeHead(e.status, { "content-type": "application/problem+json", "content-length": Buffer.byteLength(text), ...e.headers });
  res.end(text);
}
