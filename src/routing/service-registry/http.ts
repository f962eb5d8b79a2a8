/**
 * One GET to the Service Registry: a whole-request timeout (headers and body), a size cap, and the body read as
 * text whatever the status (error answers carry the registry's `error_description`). Transport failures become
 * {@link ServiceRegistryHttpError}s; statuses are the caller's to judge.
 */
import { request } from "undici";
import type { Dispatcher } from "undici";
import { readBodyCapped, transportFailure } from "../../http-body.js";
import { ServiceRegistryHttpError } from "./errors.js";

export interface HttpGetOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  maxBytes: number;
  dispatcher?: Dispatcher | undefined;
}

export interface HttpAnswer {
  status: number;
  /** The media type without parameters, lower case; "" when absent. */
  mediaType: string;
  body: string;
  /** The body's bytes as they arrived. */
  bytes: Uint8Array;
}

export async function httpGet(url: string, options: HttpGetOptions): Promise<HttpAnswer> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await request(url, {
      method: "GET",
      headers: options.headers,
      signal,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
    const body = await readBodyCapped(response, options.maxBytes);
    if (!body) throw tooLarge(url, options.maxBytes);
    const type = response.headers["content-type"];
    const mediaType = (Array.isArray(type) ? type[0] : type)?.split(";")[0]?.trim().toLowerCase() ?? "";
    return { status: response.statusCode, mediaType, body: body.toString("utf8"), bytes: body };
  } catch (e) {
    if (e instanceof ServiceRegistryHttpError) throw e;
    const f = transportFailure(e, url, options.timeoutMs, signal.aborted);
    throw new ServiceRegistryHttpError(f.failure, url, f.detail, { kind: f.kind, cause: e });
  }
}

function tooLarge(url: string, max: number): ServiceRegistryHttpError {
  return new ServiceRegistryHttpError("too-large", url, `the answer of ${url} is larger than ${max} bytes`, { kind: "upstream" });
}

