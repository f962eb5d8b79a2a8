/**
 * One GET to the Service Registry: a whole-request timeout (headers and body), a size cap, and the body read as
 * text whatever the status (error answers carry the registry's `error_description`). Transport failures become
 * {@link ServiceRegistryHttpError}s; statuses are the caller's to judge.
 */
import { request } from "undici";
import type { Dispatcher } from "undici";
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
    const declared = Number(response.headers["content-length"]);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      response.body.on("error", () => undefined); // destroying emits an AbortError nobody else listens to
      response.body.destroy();
      throw tooLarge(url, options.maxBytes);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      const buf = chunk as Buffer;
      size += buf.length;
      // Leaving the loop by throwing makes the iterator destroy the stream.
      if (size > options.maxBytes) throw tooLarge(url, options.maxBytes);
      chunks.push(buf);
    }
    const type = response.headers["content-type"];
    const mediaType = (Array.isArray(type) ? type[0] : type)?.split(";")[0]?.trim().toLowerCase() ?? "";
    return { status: response.statusCode, mediaType, body: Buffer.concat(chunks).toString("utf8") };
  } catch (e) {
    if (e instanceof ServiceRegistryHttpError) throw e;
    const code = (e as { code?: unknown }).code;
    if (signal.aborted || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT") {
      throw new ServiceRegistryHttpError("timeout", url, `GET ${url} timed out after ${options.timeoutMs} ms`, { kind: "unavailable", cause: e });
    }
    if (e instanceof TypeError || code === "ERR_INVALID_URL" || code === "UND_ERR_INVALID_ARG") {
      throw new ServiceRegistryHttpError("network", url, `GET ${url} cannot be sent: ${message(e)}`, { kind: "upstream", cause: e });
    }
    throw new ServiceRegistryHttpError("network", url, `GET ${url} failed: ${message(e)}${typeof code === "string" ? ` (${code})` : ""}`, {
      kind: "unavailable",
      cause: e,
    });
  }
}

function tooLarge(url: string, max: number): ServiceRegistryHttpError {
  return new ServiceRegistryHttpError("too-large", url, `the answer of ${url} is larger than ${max} bytes`, { kind: "upstream" });
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}
