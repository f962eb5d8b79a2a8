/**
 * The Altinn 3 correspondence API as the integrasjonspunkt calls it ([IP] `altinnv3/dpv/CorrespondenceApiClient.java`;
 * spec/eformidling.md §5), through Digdir's proxy with the sending organisation's Altinn token:
 * - `POST {base}/correspondence/upload`: multipart/form-data, the correspondence as dot-notation fields and one
 *   part named `attachments` per file (with its file name);
 * - `GET {base}/correspondence?sendersReference=`: the ids of the caller's correspondences with that reference;
 * - `GET {base}/correspondence/{id}`: the overview (the cheap call; `/details` is avoided).
 * An answer other than 2xx is an {@link AltinnCorrespondenceError} with Altinn's status and problem text; a
 * request that got no answer is one with status 0.
 */
import { randomBytes } from "node:crypto";
import { request } from "undici";
import { DomainError } from "../../errors.js";
import { readBodyCapped, transportFailure } from "../../http-body.js";

export interface CorrespondenceClientOptions {
  /** …/correspondence/api/v1 (the integrasjonspunkt's `difi.move.dpv.correspondenceServiceUrl`). */
  baseUrl: string;
  /** The organisation's Altinn token (Maskinporten `eformidling:dpv`, exchanged at Altinn). */
  token: (orgno: string) => Promise<string>;
  /** Timeout of one request (default 120 s for uploads, 30 s otherwise). */
  timeoutMs?: number;
  /** Altinn answered 401: the organisation's token is no good any more (forget it, so the next call exchanges anew). */
  onUnauthorized?: (orgno: string) => void;
}

export interface CorrespondenceFile {
  filename: string;
  mimeType: string;
  bytes: Uint8Array;
}

export type FormField = readonly [name: string, value: string];

/** CorrespondenceOverviewExt, the parts status polling reads. */
export interface CorrespondenceOverview {
  correspondenceId: string;
  status: string;
  statusChanged: Date | undefined;
  created: Date | undefined;
  published: Date | undefined;
  read: Date | undefined;
  /** The answer as received, kept on the conversation's timeline. */
  raw: string;
}

export interface UploadResult {
  correspondenceId: string;
  attachmentIds: string[];
  raw: string;
}

/** Altinn (or the proxy) answered with an error status, or did not answer at all (status 0). */
export class AltinnCorrespondenceError extends DomainError {
  readonly code = "altinn-correspondence-failed";
  readonly kind: "invalid" | "unauthenticated" | "forbidden" | "not-found" | "conflict" | "unavailable" | "upstream";
  constructor(
    readonly status: number,
    /** Altinn's problem title (and numbered error), or what went wrong on the way. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(status === 0 ? reason : `Altinn answered HTTP ${status}: ${reason}`, options);
    this.kind =
      status === 0 || status >= 500 || status === 429
        ? "unavailable"
        : status === 401
          ? "unauthenticated"
          : status === 403
            ? "forbidden"
            : status === 404 || status === 410
              ? "not-found"
              : status === 409
                ? "conflict"
                : status >= 400
                  ? "invalid"
                  : "upstream";
  }
}

const MAX_ANSWER_BYTES = 1024 * 1024;

export class CorrespondenceClient {
  constructor(private readonly options: CorrespondenceClientOptions) {}

  async upload(orgno: string, fields: readonly FormField[], files: readonly CorrespondenceFile[]): Promise<UploadResult> {
    const boundary = `----dpi-ap-${randomBytes(12).toString("hex")}`;
    const body = multipartBody(boundary, fields, files);
    const raw = await this.call(orgno, "POST", "/correspondence/upload", { body, contentType: `multipart/form-data; boundary=${boundary}`, timeoutMs: this.options.timeoutMs ?? 120_000 });
    const answer = parseJson(raw) as { correspondences?: { correspondenceId?: unknown }[]; attachmentIds?: unknown };
    const id = answer?.correspondences?.[0]?.correspondenceId;
    if (typeof id !== "string") throw new AltinnCorrespondenceError(200, "the upload answer names no correspondence");
    return { correspondenceId: id, attachmentIds: Array.isArray(answer.attachmentIds) ? answer.attachmentIds.filter((x): x is string => typeof x === "string") : [], raw };
  }

  async findBySendersReference(orgno: string, sendersReference: string): Promise<string[]> {
    const raw = await this.call(orgno, "GET", `/correspondence?sendersReference=${encodeURIComponent(sendersReference)}`);
    const ids = (parseJson(raw) as { ids?: unknown })?.ids;
    return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === "string") : [];
  }

  async overview(orgno: string, correspondenceId: string): Promise<CorrespondenceOverview> {
    const raw = await this.call(orgno, "GET", `/correspondence/${encodeURIComponent(correspondenceId)}`);
    const o = parseJson(raw) as Record<string, unknown>;
    if (typeof o?.status !== "string") throw new AltinnCorrespondenceError(200, "the overview has no status");
    return {
      correspondenceId: typeof o.correspondenceId === "string" ? o.correspondenceId : correspondenceId,
      status: o.status,
      statusChanged: date(o.statusChanged),
      created: date(o.created),
      published: date(o.published),
      read: date(o.read),
      raw,
    };
  }

  private async call(orgno: string, method: "GET" | "POST", path: string, o: { body?: Buffer; contentType?: string; timeoutMs?: number } = {}): Promise<string> {
    const url = `${this.options.baseUrl.replace(/\/+$/, "")}${path}`;
    const token = await this.options.token(orgno);
    const timeoutMs = o.timeoutMs ?? this.options.timeoutMs ?? 30_000;
    const signal = AbortSignal.timeout(timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(o.contentType ? { "content-type": o.contentType } : {}) },
        ...(o.body ? { body: o.body } : {}),
        signal,
      });
      status = response.statusCode;
      const body = await readBodyCapped(response, MAX_ANSWER_BYTES);
      if (!body) throw new AltinnCorrespondenceError(status >= 400 ? status : 502, `the answer to ${method} ${path} is larger than ${MAX_ANSWER_BYTES} bytes`);
      text = body.toString("utf8");
    } catch (e) {
      if (e instanceof AltinnCorrespondenceError) throw e;
      const f = transportFailure(e, url, timeoutMs, signal.aborted);
      throw new AltinnCorrespondenceError(0, f.detail.replace(/^GET/, method), { cause: e });
    }
    if (status >= 200 && status < 300) return text;
    if (status === 401) this.options.onUnauthorized?.(orgno);
    throw new AltinnCorrespondenceError(status, problemText(text) ?? (text.trim().slice(0, 300) || "no reason given"));
  }
}

/** A problem document's title and detail, as Altinn words its refusal (validation errors listed). */
function problemText(text: string): string | undefined {
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof p !== "object" || p === null) return undefined;
  const parts = [typeof p.detail === "string" ? p.detail : typeof p.title === "string" ? p.title : undefined];
  if (p.errors && typeof p.errors === "object") {
    for (const [field, messages] of Object.entries(p.errors as Record<string, unknown>)) parts.push(`${field}: ${Array.isArray(messages) ? messages.join(" ") : String(messages)}`);
  }
  const joined = parts.filter(Boolean).join("; ");
  return joined || undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AltinnCorrespondenceError(200, "the answer is not JSON", { cause: e });
  }
}

function date(v: unknown): Date | undefined {
  if (typeof v !== "string") return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** multipart/form-data as Spring's MultipartBodyBuilder writes it: text fields, then the files (UTF-8 names). */
export function multipartBody(boundary: string, fields: readonly FormField[], files: readonly CorrespondenceFile[]): Buffer {
  const chunks: Buffer[] = [];
  const quote = (s: string) => s.replace(/"/g, "%22").replace(/\r|\n/g, " ");
  for (const [name, value] of fields) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n${value}\r\n`, "utf8"));
  }
  for (const f of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="${quote(f.filename)}"\r\nContent-Type: ${f.mimeType}\r\n\r\n`, "utf8"));
    chunks.push(Buffer.from(f.bytes), Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}
