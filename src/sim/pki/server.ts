/**
 * A local OCSP responder and CRL server for one CA, on node:http, for tests, the demo and the sandbox.
 *
 *   POST /ocsp            application/ocsp-request → application/ocsp-response
 *   GET  /ocsp/<base64>   the same, RFC 6960 appendix A.1 GET form
 *   GET  /<name>.crl      a freshly signed CRL (DER, application/pkix-crl)
 *
 * The example AP certificates name http://127.0.0.1:8899/ocsp and /ap.crl; start it on port 8899 to serve
 * them as named, or on an ephemeral port and rewrite URLs with {@link PkiResponder.rewrite}.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock } from "../../clock.js";
import type { Clock } from "../../clock.js";
import { buildCrl } from "./crl-builder.js";
import type { RevokedSerial } from "./crl-builder.js";
import { createOcspResponder } from "./ocsp-responder.js";
import type { OcspFaults } from "./ocsp-responder.js";
import type { SigningIdentity } from "./signing.js";

export interface PkiResponderOptions {
  /** 0 or absent: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The CA whose certificates are answered for; signs CRLs and, by default, OCSP responses. */
  issuer: SigningIdentity;
  /** Revoked serials (hex, as `X509Certificate.serialNumber`) or entries with time and reason. */
  revoked?: ReadonlyArray<string | RevokedSerial>;
  /** When given, OCSP answers "unknown" for serials not listed (a CA that does not know them). */
  known?: readonly string[];
  /** Delegated OCSP signer (should carry id-kp-OCSPSigning and be issued by `issuer`). */
  responder?: SigningIdentity;
  /** OCSP nextUpdate after thisUpdate (default one hour); null omits nextUpdate. */
  ocspValidityMs?: number | null;
  /** CRL nextUpdate: a fixed time, or milliseconds after each CRL's thisUpdate (default one day). */
  crlNextUpdate?: Date | number;
  clock?: Clock;
  faults?: OcspFaults;
}

export interface PkiResponderStats {
  ocspRequests: number;
  crlRequests: number;
}

export interface PkiResponder {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  /** `${url}/ocsp` */
  readonly ocspUrl: string;
  /** `${url}/<name>.crl` (default name "ap", as the example certificates name it). */
  crlUrl(name?: string): string;
  /** Maps a URL from a certificate onto this server, keeping path and query (for `urlRewrite`). */
  rewrite(url: string): string;
  /** Adds a revocation; later OCSP answers and CRLs include it. */
  revoke(entry: string | RevokedSerial): void;
  stats(): PkiResponderStats;
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 64 * 1024;
const DEFAULT_OCSP_VALIDITY_MS = 60 * 60_000;
const DEFAULT_CRL_VALIDITY_MS = 24 * 60 * 60_000;

export async function startPkiResponder(options: PkiResponderOptions): Promise<PkiResponder> {
  const clock = options.clock ?? systemClock;
  const revoked: RevokedSerial[] = (options.revoked ?? []).map((r) => (typeof r === "string" ? { serialNumber: r } : r));
  const stats: PkiResponderStats = { ocspRequests: 0, crlRequests: 0 };
  let crlNumber = 0;
  const ocsp = createOcspResponder({
    issuer: options.issuer,
    ...(options.responder ? { responder: options.responder } : {}),
    revoked: () => revoked,
    known: () => options.known,
    validityMs: options.ocspValidityMs === undefined ? DEFAULT_OCSP_VALIDITY_MS : options.ocspValidityMs,
    now: clock,
    ...(options.faults ? { faults: options.faults } : {}),
  });

  const answerOcsp = async (der: Uint8Array, res: ServerResponse) => {
    stats.ocspRequests += 1;
    const answer = await ocsp.respond(der);
    send(res, 200, "application/ocsp-response", answer.der);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method === "POST" && path === "/ocsp") {
      const body = await readBody(req);
      if (!body) return send(res, 413, "text/plain", "request too large");
      return answerOcsp(body, res);
    }
    if (req.method === "GET" && path.startsWith("/ocsp/")) {
      const der = Buffer.from(decodeURIComponent(path.slice("/ocsp/".length)), "base64");
      return answerOcsp(der, res);
    }
    if (req.method === "GET" && /^\/[\w.-]+\.crl$/.test(path)) {
      stats.crlRequests += 1;
      const thisUpdate = clock();
      const next = options.crlNextUpdate ?? DEFAULT_CRL_VALIDITY_MS;
      const der = await buildCrl({
        issuer: options.issuer,
        revoked,
        thisUpdate,
        nextUpdate: typeof next === "number" ? new Date(thisUpdate.getTime() + next) : next,
        crlNumber: ++crlNumber,
      });
      return send(res, 200, "application/pkix-crl", der);
    }
    send(res, 404, "text/plain", "not found");
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, "text/plain", error instanceof Error ? error.message : "internal error");
      else res.destroy();
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  return {
    url,
    ocspUrl: `${url}/ocsp`,
    crlUrl: (name = "ap") => `${url}/${name}.crl`,
    rewrite(original) {
      const parsed = new URL(original);
      return `${url}${parsed.pathname}${parsed.search}`;
    },
    revoke(entry) {
      revoked.push(typeof entry === "string" ? { serialNumber: entry } : entry);
    },
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.byteLength;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}
