import type { Dispatcher } from "undici";

/**
 * The parts of a bounded HTTP GET that every client of ours shares (SMP, Service Registry): reading a body
 * under a size cap, and telling a timeout from an unsendable request from a network failure. Each client wraps
 * the verdict in its own error class.
 */

/** The body, or undefined when it is larger than `maxBytes` (declared or as read); the stream is then destroyed. */
export async function readBodyCapped(response: Dispatcher.ResponseData, maxBytes: number): Promise<Buffer | undefined> {
  const declared = Number(response.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.body.on("error", () => undefined); // destroying emits an AbortError nobody else listens to
    response.body.destroy();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    const buf = chunk as Buffer;
    size += buf.length;
    // Leaving the loop makes the iterator destroy the stream.
    if (size > maxBytes) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export interface TransportFailure {
  failure: "timeout" | "network";
  /** A timeout or a network failure may pass (unavailable); a request that cannot be sent will not (upstream). */
  kind: "unavailable" | "upstream";
  detail: string;
}

/** What went wrong with `GET url` when undici threw `e` (`aborted`: the request's timeout signal fired). */
export function transportFailure(e: unknown, url: string, timeoutMs: number, aborted: boolean): TransportFailure {
  const code = (e as { code?: unknown }).code;
  if (aborted || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT") {
    return { failure: "timeout", kind: "unavailable", detail: `GET ${url} timed out after ${timeoutMs} ms` };
  }
  if (e instanceof TypeError || code === "ERR_INVALID_URL" || code === "UND_ERR_INVALID_ARG") {
    return { failure: "network", kind: "upstream", detail: `GET ${url} cannot be sent: ${firstLine(e)}` };
  }
  return { failure: "network", kind: "unavailable", detail: `GET ${url} failed: ${firstLine(e)}${typeof code === "string" ? ` (${code})` : ""}` };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}
