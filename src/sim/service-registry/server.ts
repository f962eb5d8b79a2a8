/**
 * An honest local Service Registry (eFormidling's "adressetjeneste") on node:http, under a context path
 * (real: `/adressetjeneste`):
 *   GET {base}/identifier/{id}                        every record of an organisation / a person's digital post
 *   GET {base}/identifier/{id}/process/{process}      the record for one process (what routing uses)
 *       query: securityLevel (integer), conversationId (logged only), print (boolean, default true)
 *   GET {base}/info/{id}                              the info record
 *   GET {base}/virksert/{id}                          the VirkSert certificate (text/plain or JWS)
 *   GET {base}/sastoken                               the DPE Service Bus key (JWS only)
 *   GET {base}/jwk                                    the key that signs JWS answers (no token needed)
 * Every other request needs a Maskinporten bearer token from the configured issuer. JSON or, when Accept
 * prefers `application/jose`, a compact JWS of the same JSON ([SR] `ServiceRecordController`: each mapping
 * exists once with `produces=application/json` and once with `produces=application/jose`). Without an Accept
 * header, or with only `*` `/` `*`, the SR negotiates `application/json` (`SRConfig.configureContentNegotiation`).
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { systemClock } from "../../clock.js";
import type { Clock } from "../../clock.js";
import { createTokenCheck } from "./auth.js";
import { notAcceptable, springError, SrError } from "./errors.js";
import { parsePartyId, ServiceRegistryLookups } from "./lookup.js";
import type { Caller, LookupParams, LookupSettings } from "./lookup.js";
import { PROCESSES } from "./processes.js";
import type { SrProcess } from "./processes.js";
import { createPayloadSigner } from "./signing.js";
import type { PayloadSignerKey } from "./signing.js";
import { ServiceRegistryState } from "./state.js";
import type { JSONWebKeySet } from "jose";
import { listen } from "../listen.js";

export interface ServiceRegistrySimOptions {
  /** 0 or absent: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default "/adressetjeneste" (the real `server.servlet.context-path`); "" serves at the root. */
  contextPath?: string;
  /** The Maskinporten whose access tokens the SR accepts (e.g. the Maskinporten simulator's issuer and jwksUrl). */
  maskinporten: { issuer: string; jwksUrl: string | URL; clockSkewSeconds?: number };
  /** Key and certificate that sign `application/jose` answers (real: Digdir's virksomhetssertifikat). */
  signer: PayloadSignerKey;
  /** KS SvarUt's public certificate (PEM text), written into every DPF record. */
  svarUtCertificatePem: string;
  /** The registers; a fresh one with the default process table when absent. */
  state?: ServiceRegistryState;
  /** Feature `enable-dpf-dpv` (default true): without it, organisations outside SMP get no arkivmelding record. */
  enableDpfDpv?: boolean;
  /** Endpoint URLs and codes written into records; defaults are the real SR's test-environment values. */
  records?: Partial<{
    dpoEndpointUrl: string;
    dpoServiceCode: string;
    dpoServiceEditionCode: string;
    /** Altinn 3 broker resource of DPO records (not in the SR's committed configuration; default the IP's). */
    dpoResource: string | null;
    dpvEndpointUrl: string;
    dpiEndpointUrl: string;
    svarUtServiceRecordUrl: string;
  }>;
  /** DPE Service Bus SAS key served by `/sastoken`; absent = 404 as the real SR without `difi.move.auth.sas-token`. */
  sasToken?: string;
  clock?: Clock;
}

export interface ServiceRegistrySimStats {
  identifierRequests: number;
  processRequests: number;
  infoRequests: number;
  virksertRequests: number;
  sasTokenRequests: number;
  jwkRequests: number;
  signedAnswers: number;
  /** Answers with status 401. */
  unauthorized: number;
}

export interface ServiceRegistrySim {
  /** Base URL including the context path, no trailing slash (the IP's `difi.move.serviceregistryEndpoint`). */
  readonly url: string;
  readonly jwksUrl: string;
  /** `kid` of the signing key (its JWK thumbprint). */
  readonly kid: string;
  /** The registers behind the answers; change them at any time (admin/seeding API). */
  readonly state: ServiceRegistryState;
  jwks(): JSONWebKeySet;
  stats(): ServiceRegistrySimStats;
  resetStats(): void;
  close(): Promise<void>;
}

const JSON_TYPE = "application/json";
const JOSE_TYPE = "application/jose";
const TEXT_TYPE = "text/plain";

export async function startServiceRegistrySim(options: ServiceRegistrySimOptions): Promise<ServiceRegistrySim> {
  const contextPath = (options.contextPath ?? "/adressetjeneste").replace(/\/+$/, "");
  if (contextPath !== "" && !contextPath.startsWith("/")) throw new Error("contextPath must start with /");
  const state = options.state ?? new ServiceRegistryState();
  const signer = await createPayloadSigner(options.signer);
  const checkToken = createTokenCheck({ ...options.maskinporten, ...(options.clock ? { clock: options.clock } : {}) });
  const defaultProcess = state.process(PROCESSES.arkivmeldingAdministrasjon);
  if (!defaultProcess) throw new Error(`the process table lacks ${PROCESSES.arkivmeldingAdministrasjon}`);
  const r = options.records ?? {};
  const settings: LookupSettings = {
    dpo: {
      endpointUrl: r.dpoEndpointUrl ?? "https://tt02.altinn.no",
      serviceCode: r.dpoServiceCode ?? "4192",
      serviceEditionCode: r.dpoServiceEditionCode ?? "270815",
      resource: r.dpoResource === undefined ? "eformidling-dpo-meldingsutveksling" : r.dpoResource,
    },
    dpvEndpointUrl: r.dpvEndpointUrl ?? "https://tt02.altinn.no/ServiceEngineExternal/CorrespondenceAgencyExternal.svc",
    dpiEndpointUrl: r.dpiEndpointUrl ?? "https://qaoffentlig.meldingsformidler.digipost.no/api/ebms",
    svarUt: {
      serviceRecordUrl: r.svarUtServiceRecordUrl ?? "https://test.svarut.ks.no/tjenester/forsendelseservice/ForsendelsesServiceV6",
      certificatePem: options.svarUtCertificatePem,
    },
    get defaultArkivmeldingProcess(): SrProcess {
      return state.process(PROCESSES.arkivmeldingAdministrasjon) ?? defaultProcess;
    },
    enableDpfDpv: options.enableDpfDpv ?? true,
    infoProcess: PROCESSES.digitalpostInfo,
    vedtakProcess: PROCESSES.digitalpostVedtak,
    sasToken: options.sasToken,
  };
  const lookups = new ServiceRegistryLookups(state, settings);
  const stats = emptyStats();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://sim");
    const path = url.pathname;
    if (!path.startsWith(`${contextPath}/`)) throw springError(404, "unknown_path");
    let segments: string[];
    try {
      segments = path.slice(contextPath.length + 1).split("/").map((s) => decodeURIComponent(s));
    } catch {
      throw springError(400, "bad_percent_encoding");
    }
    const [head, ...rest] = segments;

    if (head === "jwk" && rest.length === 0) {
      requireGet(req);
      stats.jwkRequests++;
      negotiate(req, [JSON_TYPE]);
      return send(res, 200, JSON_TYPE, JSON.stringify(signer.jwks()));
    }

    const token = await checkToken(header(req, "authorization"));
    if (!token.ok) throw token.error;
    requireGet(req);
    const consumer = token.claims.consumer as { ID?: unknown } | undefined;
    const caller: Caller = {
      consumerId: typeof consumer === "object" && consumer !== null && typeof consumer.ID === "string" ? consumer.ID : undefined,
      scopes: token.scopes,
      scopeText: token.scopeText,
      remoteAddress: (req.socket.remoteAddress ?? "").replace(/^::ffff:/, ""),
    };

    const answer = async (type: string, body: string) => {
      if (type !== JOSE_TYPE) return send(res, 200, type, body, dispositionFor(path));
      stats.signedAnswers++;
      return send(res, 200, JOSE_TYPE, await signer.sign(body), dispositionFor(path));
    };

    if (head === "identifier" && (rest.length === 1 || (rest.length === 3 && rest[1] === "process"))) {
      const id = parsePartyId(rest[0]!);
      if (!id) throw springError(400, "bad_identifier");
      const params = lookupParams(url.searchParams);
      const type = negotiate(req, [JSON_TYPE, JOSE_TYPE]);
      if (rest.length === 1) {
        stats.identifierRequests++;
        return answer(type, JSON.stringify(lookups.identifier(id, params, caller)));
      }
      stats.processRequests++;
      return answer(type, JSON.stringify(lookups.identifierProcess(id, rest[2]!, params, caller)));
    }
    if (head === "info" && rest.length === 1) {
      stats.infoRequests++;
      const id = parsePartyId(rest[0]!);
      if (!id) throw springError(400, "bad_identifier");
      const type = negotiate(req, [JSON_TYPE, JOSE_TYPE]);
      return answer(type, JSON.stringify(lookups.info(id)));
    }
    if (head === "virksert" && rest.length === 1) {
      stats.virksertRequests++;
      const type = negotiate(req, [TEXT_TYPE, JOSE_TYPE]);
      const pem = lookups.virksert(rest[0]!, caller);
      return answer(type === TEXT_TYPE ? "text/plain;charset=UTF-8" : type, pem);
    }
    if (head === "sastoken" && rest.length === 0) {
      stats.sasTokenRequests++;
      negotiate(req, [JOSE_TYPE]);
      return answer(JOSE_TYPE, lookups.sasToken(caller));
    }
    throw springError(404, "unknown_path");
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      const e = error instanceof SrError ? error : springError(500, "internal");
      if (e.status === 401) stats.unauthorized++;
      sendError(res, e, req, (options.clock ?? systemClock)());
    });
  });
  const address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const base = `http://${host}:${address.port}${contextPath}`;

  return {
    url: base,
    jwksUrl: `${base}/jwk`,
    kid: signer.kid,
    state,
    jwks: () => signer.jwks(),
    stats: () => ({ ...stats }),
    resetStats: () => Object.assign(stats, emptyStats()),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function emptyStats(): ServiceRegistrySimStats {
  return { identifierRequests: 0, processRequests: 0, infoRequests: 0, virksertRequests: 0, sasTokenRequests: 0, jwkRequests: 0, signedAnswers: 0, unauthorized: 0 };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** GET mappings; Spring answers HEAD from them too (Node drops the body of a HEAD answer). */
function requireGet(req: IncomingMessage): void {
  if (req.method !== "GET" && req.method !== "HEAD") throw new SrError(405, "method_not_allowed", { kind: "spring", error: "Method Not Allowed" }, { allow: "GET, HEAD" });
}

/**
 * Spring's binding of the request parameters: `securityLevel` an Integer (absent or empty = none),
 * `print` a boolean with default true; anything else unparsable is a 400.
 */
function lookupParams(query: URLSearchParams): LookupParams {
  const params: LookupParams = { print: true };
  const level = query.get("securityLevel");
  if (level !== null && level.trim() !== "") {
    if (!/^[+-]?\d{1,9}$/.test(level.trim())) throw springError(400, "bad_security_level");
    params.securityLevel = Number(level.trim());
  }
  const print = query.get("print");
  if (print !== null && print.trim() !== "") {
    const value = print.trim().toLowerCase();
    if (["true", "on", "yes", "1"].includes(value)) params.print = true;
    else if (["false", "off", "no", "0"].includes(value)) params.print = false;
    else throw springError(400, "bad_print");
  }
  return params;
}

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

/**
 * Picks the representation: the client's Accept ranges by quality (in order on ties), each against the
 * producible types; a missing Accept or one of only wildcards counts as `application/json`. 406 when none fits.
 */
function negotiate(req: IncomingMessage, producible: readonly string[]): string {
  const ranges = parseAccept(header(req, "accept"));
  const requested = ranges.length === 0 || ranges.every((r) => r.type === "*" && r.subtype === "*") ? parseAccept(JSON_TYPE) : ranges;
  for (const range of requested) {
    const hit = producible.find((p) => {
      const [type, subtype] = p.split("/") as [string, string];
      return (range.type === "*" || range.type === type) && (range.subtype === "*" || range.subtype === subtype);
    });
    if (hit) return hit;
  }
  throw notAcceptable();
}

function parseAccept(value: string | undefined): MediaRange[] {
  if (value === undefined || value.trim() === "") return [];
  const ranges: MediaRange[] = [];
  for (const part of value.split(",")) {
    const [mediaType, ...parameters] = part.split(";").map((s) => s.trim());
    const [type, subtype] = (mediaType ?? "").toLowerCase().split("/");
    if (!type || !subtype) continue;
    const q = parameters.map((p) => /^q=([0-9.]+)$/i.exec(p)?.[1]).find((v) => v !== undefined);
    const quality = q === undefined ? 1 : Number(q);
    if (quality > 0) ranges.push({ type, subtype, q: quality });
  }
  return ranges.map((r, i) => ({ r, i })).sort((a, b) => b.r.q - a.r.q || a.i - b.i).map((x) => x.r);
}

const SAFE_EXTENSIONS = new Set(["txt", "text", "yml", "properties", "csv", "json", "xml", "atom", "rss", "png", "jpe", "jpeg", "jpg", "gif", "wbmp", "bmp"]);

/**
 * Spring MVC's reflected-file-download guard: a path whose last segment has an extension it does not know
 * (every process id ends in ".0") gets `Content-Disposition: inline;filename=f.txt`, as Digdir's restdocs show.
 */
function dispositionFor(path: string): Record<string, string> {
  const last = path.slice(path.lastIndexOf("/") + 1);
  const dot = last.lastIndexOf(".");
  if (dot < 0 || SAFE_EXTENSIONS.has(last.slice(dot + 1).toLowerCase())) return {};
  return { "content-disposition": "inline;filename=f.txt" };
}

function sendError(res: ServerResponse, error: SrError, req: IncomingMessage, now: Date): void {
  const body = error.body;
  switch (body.kind) {
    case "error-response":
      return send(res, error.status, JSON_TYPE, JSON.stringify({ error_code: body.errorCode, error_description: body.errorDescription }), error.headers);
    case "raw":
      return send(res, error.status, JSON_TYPE, body.text, error.headers);
    case "spring": {
      const path = new URL(req.url ?? "/", "http://sim").pathname;
      const document = { timestamp: now.toISOString(), status: error.status, error: body.error, path };
      return send(res, error.status, JSON_TYPE, JSON.stringify(document), error.headers);
    }
    case "empty":
      res.writeHead(error.status, { "content-length": 0, ...error.headers });
      res.end();
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

