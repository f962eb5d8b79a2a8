/**
 * The Altinn 3 broker API (v1) as DPO uses it (spec/eformidling.md §3; [IP] a3/dpo/BrokerApiClient.java):
 * initialise a file transfer, upload its file, list, read, download and confirm transfers, each call with the
 * acting organisation's Altinn token. A 4xx is BrokerRefusedError with the broker's problem text; a 5xx or no
 * answer is BrokerUnavailableError.
 */
import type { AltinnTokens } from "./altinn-token.js";
import { BrokerRefusedError, BrokerUnavailableError } from "./broker-errors.js";

export interface InitialiseFileTransfer {
  fileName: string;
  resourceId: string;
  sendersFileTransferReference: string;
  /** "0192:<orgno>". */
  sender: string;
  recipients: string[];
  propertyList: Record<string, string>;
  /** The file's MD5 (hex): the broker refuses an upload that does not match it. */
  checksum?: string;
}

export interface FileTransferOverview {
  fileTransferId: string;
  resourceId: string | null;
  fileName: string | null;
  sendersFileTransferReference: string | null;
  fileTransferStatus: string;
  created: string;
  sender: string | null;
  recipients: { recipient: string | null; currentRecipientFileTransferStatusCode: string }[] | null;
  fileTransferSize: number;
  /** The file's MD5 (hex), once uploaded. */
  checksum?: string | null;
}

export interface BrokerClient {
  initialise(org: string, body: InitialiseFileTransfer): Promise<string>;
  upload(org: string, fileTransferId: string, bytes: Uint8Array): Promise<FileTransferOverview>;
  list(org: string, q: { resourceId: string; status?: string; recipientStatus?: string }): Promise<string[]>;
  overview(org: string, fileTransferId: string): Promise<FileTransferOverview>;
  download(org: string, fileTransferId: string, maxBytes: number): Promise<Uint8Array>;
  confirmDownload(org: string, fileTransferId: string): Promise<void>;
}

export function createBrokerClient(o: { baseUrl: string; tokens: AltinnTokens; timeoutMs?: number | undefined }): BrokerClient {
  const base = o.baseUrl.replace(/\/+$/, "");
  const timeoutMs = o.timeoutMs ?? 60_000;

  async function call(org: string, method: string, path: string, what: string, init: { body?: Uint8Array | string; contentType?: string } = {}): Promise<Response> {
    const token = await o.tokens.token(org);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
    if (init.contentType) headers["content-type"] = init.contentType;
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, headers, ...(init.body !== undefined ? { body: init.body as unknown as BodyInit } : {}), signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw new BrokerUnavailableError(`${what}: the broker did not answer (${(e as Error).message})`, { cause: e });
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => "");
    const reason = problemText(text) ?? `HTTP ${res.status}`;
    if (res.status >= 500 || res.status === 429 || res.status === 408) throw new BrokerUnavailableError(`${what}: the broker answered ${res.status}: ${reason}`);
    throw new BrokerRefusedError(res.status, `${what}: the broker refused (${res.status}): ${reason}`);
  }

  return {
    async initialise(org, body) {
      const res = await call(org, "POST", "/filetransfer", "initialise", { body: JSON.stringify(body), contentType: "application/json" });
      const id = ((await res.json()) as { fileTransferId?: unknown }).fileTransferId;
      if (typeof id !== "string") throw new BrokerUnavailableError("initialise: the broker's answer has no fileTransferId");
      return id;
    },
    async upload(org, id, bytes) {
      const res = await call(org, "POST", `/filetransfer/${encodeURIComponent(id)}/upload`, "upload", { body: bytes, contentType: "application/octet-stream" });
      return (await res.json()) as FileTransferOverview;
    },
    async list(org, q) {
      const params = new URLSearchParams({ resourceId: q.resourceId, ...(q.status ? { status: q.status } : {}), ...(q.recipientStatus ? { recipientStatus: q.recipientStatus } : {}) });
      const res = await call(org, "GET", `/filetransfer?${params}`, "list");
      const ids: unknown = await res.json();
      if (!Array.isArray(ids) || ids.some((i) => typeof i !== "string")) throw new BrokerUnavailableError("list: the broker's answer is not a list of ids");
      return ids as string[];
    },
    async overview(org, id) {
      const res = await call(org, "GET", `/filetransfer/${encodeURIComponent(id)}`, "overview");
      return (await res.json()) as FileTransferOverview;
    },
    async download(org, id, maxBytes) {
      const res = await call(org, "GET", `/filetransfer/${encodeURIComponent(id)}/download`, "download");
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.length;
        if (size > maxBytes) throw new BrokerRefusedError(413, `download: the file exceeds ${maxBytes} bytes`);
        chunks.push(chunk);
      }
      return Buffer.concat(chunks);
    },
    async confirmDownload(org, id) {
      const res = await call(org, "POST", `/filetransfer/${encodeURIComponent(id)}/confirmdownload`, "confirm download");
      await res.arrayBuffer();
    },
  };
}

/** The problem document's title and detail, when the body is one. */
function problemText(text: string): string | undefined {
  try {
    const p = JSON.parse(text) as { title?: unknown; detail?: unknown };
    const parts = [p.title, p.detail].filter((x): x is string => typeof x === "string" && x !== "");
    return parts.length ? parts.join(": ") : undefined;
  } catch {
    return text ? text.slice(0, 300) : undefined;
  }
}
