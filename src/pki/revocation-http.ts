/**
 * The HTTP seam of revocation checking: OCSP POSTs and CRL GETs go through one small function type, so
 * tests, proxies and the sandbox can replace the transport. The default uses undici with a deadline and a
 * response size cap (a responder is an untrusted server until its answer verifies).
 */
import { request } from "undici";
import { PkiError } from "./errors.js";

export interface RevocationFetchRequest {
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  /** Deadline for the whole exchange, connection to last byte. */
  readonly timeoutMs: number;
  /** Largest body accepted; larger responses fail. */
  readonly maxBytes: number;
}

export interface RevocationFetchResponse {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Uint8Array;
}

/** Performs one HTTP exchange; rejects on transport failure, timeout or an oversized body. */
export type RevocationFetch = (request: RevocationFetchRequest) => Promise<RevocationFetchResponse>;

/** OCSP responder or CRL server unreachable, slow, or answering with an HTTP error or the wrong content. */
export class RevocationFetchError extends PkiError {
  readonly code = "ERR_PKI_REVOCATION_FETCH";
  readonly kind = "unavailable";
  constructor(
    message: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The default transport: undici `request`, no redirects, body read up to `maxBytes`. */
export const undiciRevocationFetch: RevocationFetch = async (req) => {
  const signal = AbortSignal.timeout(req.timeoutMs);
  const response = await request(req.url, {
    method: req.method,
    headers: { ...req.headers },
    ...(req.body ? { body: Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength) } : {}),
    signal,
    headersTimeout: req.timeoutMs,
    bodyTimeout: req.timeoutMs,
  });
  const declared = Number(response.headers["content-length"]);
  if (Number.isFinite(declared) && declared > req.maxBytes) {
    response.body.destroy();
    throw new Error(`response of ${declared} bytes exceeds the limit of ${req.maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    const buf = chunk as Buffer;
    size += buf.byteLength;
    if (size > req.maxBytes) {
      response.body.destroy();
      throw new Error(`response exceeds the limit of ${req.maxBytes} bytes`);
    }
    chunks.push(buf);
  }
  const type = response.headers["content-type"];
  return {
    status: response.statusCode,
    contentType: Array.isArray(type) ? type[0] : type,
    body: Buffer.concat(chunks),
  };
};

/**
 * Runs `fetch` and returns the body of a 200 answer; every failure becomes a RevocationFetchError naming
 * the URL. `expectedTypes` (media types without parameters) are enforced only when the server sends one.
 */
export async function fetchRevocationBytes(
  fetch: RevocationFetch,
  req: RevocationFetchRequest,
  expectedTypes: readonly string[] = [],
): Promise<Uint8Array> {
  if (!/^https?:\/\//i.test(req.url)) throw new RevocationFetchError(`unsupported URL scheme: ${req.url}`, req.url);
  let response: RevocationFetchResponse;
  try {
    response = await fetch(req);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new RevocationFetchError(`${req.method} ${req.url} failed: ${detail}`, req.url, { cause });
  }
  if (response.status !== 200) {
    throw new RevocationFetchError(`${req.method} ${req.url} answered HTTP ${response.status}`, req.url);
  }
  const type = response.contentType?.split(";")[0]?.trim().toLowerCase();
  if (type && expectedTypes.length > 0 && !expectedTypes.includes(type)) {
    throw new RevocationFetchError(`${req.method} ${req.url} answered with content type ${type}`, req.url);
  }
  return response.body;
}
