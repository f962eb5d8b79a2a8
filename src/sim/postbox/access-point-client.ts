import { request, type Dispatcher } from "undici";
import { z } from "zod";
import { messagesOutBody, postMessage } from "../../client/messages-out-client.js";
import { DokumentpakkeTooLargeError } from "./check-letter.js";

/**
 * The four calls a postbox provider makes to its corner-3 access point (README "REST API"): list unread
 * letters, download a dokumentpakke, confirm a letter read, hand over a receipt. Every call carries the
 * provider's own Maskinporten token. Failures the provider should retry are AccessPointError.
 */

/** The access point answered with an unexpected status, or could not be reached (status 0). */
export class AccessPointError extends Error {
  readonly code = "access-point-error";
  constructor(
    readonly operation: string,
    readonly status: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation}: ${status === 0 ? "no response" : `HTTP ${status}`}${detail ? `: ${detail}` : ""}`, options);
    this.name = "AccessPointError";
  }
}

/** A downloadurl on another origin than the access point: the provider's token must not go there. */
export class ForeignDownloadUrlError extends Error {
  readonly code = "download-url-foreign";
  constructor(url: string) {
    super(`downloadurl ${url} is not on the access point's origin`);
    this.name = "ForeignDownloadUrlError";
  }
}

/** One entry of GET /messages/in. */
export interface InboxItem {
  readonly forretningsmelding: string;
  readonly downloadurl?: string;
}

const inboxSchema = z.array(z.looseObject({ forretningsmelding: z.string(), downloadurl: z.string().optional() }));

export type ReceiptPostOutcome =
  | { readonly outcome: "accepted" }
  /** Refused for good (4xx other than 401/408/429): sending the same bytes again cannot help. */
  | { readonly outcome: "refused"; readonly status: number; readonly problem: string }
  /** Worth trying again later (no answer, 5xx, 401, 408, 429). */
  | { readonly outcome: "retry"; readonly status: number; readonly problem: string };

export interface AccessPointClientOptions {
  /** Base URL of the REST API, e.g. http://127.0.0.1:8080 */
  readonly baseUrl: string;
  readonly kanal?: string;
  readonly pageSize?: number;
  /** Timeout of one request (default 30 s). */
  readonly timeoutMs?: number;
}

export function createAccessPointClient(options: AccessPointClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, "");
  const origin = new URL(base).origin;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  // undici's request rather than fetch: the provider polls and downloads all day, and fetch's web streams cost
  // several times the CPU of the exchange itself.
  const call = async (operation: string, url: string | URL, method: "GET" | "POST", token: string): Promise<Dispatcher.ResponseData> => {
    try {
      return await request(url, { method, headers: auth(token), signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      throw new AccessPointError(operation, 0, String(cause), { cause });
    }
  };

  return {
    /** Unread letters, oldest first (one page). */
    async listInbox(token: string): Promise<InboxItem[]> {
      const url = new URL(`${base}/messages/in`);
      url.searchParams.set("page_size", String(options.pageSize ?? 100));
      if (options.kanal !== undefined) url.searchParams.set("kanal", options.kanal);
      const res = await call("GET /messages/in", url, "GET", token);
      const text = await res.body.text();
      if (res.statusCode === 204) return [];
      if (res.statusCode !== 200) throw new AccessPointError("GET /messages/in", res.statusCode, text.slice(0, 500));
      const parsed = inboxSchema.safeParse(safeJson(text));
      if (!parsed.success) throw new AccessPointError("GET /messages/in", res.statusCode, "the answer is not a list of {forretningsmelding, downloadurl}");
      return parsed.data.map((i) => ({ forretningsmelding: i.forretningsmelding, ...(i.downloadurl !== undefined ? { downloadurl: i.downloadurl } : {}) }));
    },

    /** The encrypted dokumentpakke behind a downloadurl; refuses more than `maxBytes` without reading it all. */
    async download(downloadurl: string, token: string, maxBytes: number): Promise<Uint8Array> {
      let url: URL;
      try {
        url = new URL(downloadurl, `${base}/`);
      } catch {
        throw new ForeignDownloadUrlError(downloadurl);
      }
      if (url.origin !== origin) throw new ForeignDownloadUrlError(downloadurl);
      const operation = `GET ${url.pathname}`;
      const res = await call(operation, url, "GET", token);
      if (res.statusCode !== 200) throw new AccessPointError(operation, res.statusCode, (await res.body.text()).slice(0, 500));
      const declared = Number(res.headers["content-length"] ?? NaN);
      if (declared > maxBytes) {
        res.body.destroy();
        throw new DokumentpakkeTooLargeError(`the dokumentpakke is ${declared} bytes, more than ${maxBytes}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          size += chunk.byteLength;
          if (size > maxBytes) throw new DokumentpakkeTooLargeError(`the dokumentpakke is more than ${maxBytes} bytes`);
          chunks.push(chunk);
        }
      } catch (err) {
        if (err instanceof DokumentpakkeTooLargeError) throw err;
        throw new AccessPointError(operation, res.statusCode, `reading the body failed: ${String(err)}`, { cause: err });
      }
      return new Uint8Array(Buffer.concat(chunks));
    },

    /** POST /messages/in/{id}/read; a 404 means the letter is gone already, which is what was wanted. */
    async markRead(messageId: string, token: string): Promise<void> {
      const operation = `POST /messages/in/${messageId}/read`;
      const res = await call(operation, `${base}/messages/in/${encodeURIComponent(messageId)}/read`, "POST", token);
      const text = await res.body.text();
      if (res.statusCode !== 200 && res.statusCode !== 404) throw new AccessPointError(operation, res.statusCode, text.slice(0, 500));
    },

    /**
     * POST /messages/out with the signed receipt only. A 409 message-id-used means an earlier attempt with
     * the same receipt got through although its answer was lost, so it counts as accepted.
     */
    async postReceipt(jws: string, token: string): Promise<ReceiptPostOutcome> {
      let result: Awaited<ReturnType<typeof postMessage>>;
      try {
        result = await postMessage(base, token, messagesOutBody(jws));
      } catch (cause) {
        return { outcome: "retry", status: 0, problem: String(cause) };
      }
      const problem = typeof result.body === "string" ? result.body.slice(0, 500) : JSON.stringify(result.body);
      if (result.status === 201 || result.status === 200) return { outcome: "accepted" };
      if (result.status === 409 && (result.body as { code?: unknown } | undefined)?.code === "message-id-used") return { outcome: "accepted" };
      if (result.status >= 500 || [401, 408, 429].includes(result.status)) return { outcome: "retry", status: result.status, problem };
      return { outcome: "refused", status: result.status, problem };
    },
  };
}

export type AccessPointClient = ReturnType<typeof createAccessPointClient>;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
