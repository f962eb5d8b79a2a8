/**
 * An archive system's side of the NextMove API (the integrasjonspunkt's /api), as its clients call it: HTTP
 * Basic, the SBD as JSON, one PUT per file with Content-Disposition, then POST to send; or everything in one
 * multipart request. Every call answers the status and the parsed body (JSON, problem+json or nothing), so a
 * caller sees refusals as they are.
 */

export interface NextMoveAnswer<T = unknown> {
  status: number;
  contentType: string | null;
  body: T;
}

export interface NextMoveFileUpload {
  filename: string;
  /** The document's title: the Content-Disposition `name` (PUT) or the part name (multipart). */
  title?: string | undefined;
  mimeType: string;
  bytes: Uint8Array;
}

export class NextMoveClient {
  private readonly auth: string;

  constructor(
    private readonly baseUrl: string,
    credentials: { user: string; password: string },
  ) {
    this.auth = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString("base64")}`;
  }

  /** POST /api/messages/out: the SBD as the integrasjonspunkt stored it, defaults filled. */
  create(sbd: unknown): Promise<NextMoveAnswer> {
    return this.call("POST", "/api/messages/out", { body: JSON.stringify(sbd), contentType: "application/json" });
  }

  /** PUT /api/messages/out/{id}: one file. */
  upload(messageId: string, file: NextMoveFileUpload): Promise<NextMoveAnswer> {
    const disposition = `attachment; ${file.title !== undefined ? `name="${quote(file.title)}"; ` : ""}filename="${quote(file.filename)}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`;
    return this.call("PUT", `/api/messages/out/${encodeURIComponent(messageId)}`, { body: file.bytes, contentType: file.mimeType, headers: { "content-disposition": disposition } });
  }

  /** POST /api/messages/out/{id}: send it. */
  send(messageId: string): Promise<NextMoveAnswer> {
    return this.call("POST", `/api/messages/out/${encodeURIComponent(messageId)}`);
  }

  /** POST /api/messages/out/multipart: create and send in one request. */
  createAndSend(sbd: unknown, files: readonly NextMoveFileUpload[]): Promise<NextMoveAnswer> {
    const form = new FormData();
    form.append("sbd", new Blob([JSON.stringify(sbd)], { type: "application/json" }));
    for (const f of files) form.append(f.title ?? "", new Blob([new Uint8Array(f.bytes)], { type: f.mimeType }), f.filename);
    return this.call("POST", "/api/messages/out/multipart", { body: form });
  }

  /** POST a JSON body (e.g. a webhook subscription to /api/subscriptions). */
  postJson(path: string, body: unknown): Promise<NextMoveAnswer> {
    return this.call("POST", path, { body: JSON.stringify(body), contentType: "application/json" });
  }

  get(path: string): Promise<NextMoveAnswer> {
    return this.call("GET", path);
  }

  delete(path: string): Promise<NextMoveAnswer> {
    return this.call("DELETE", path);
  }

  /** The integrasjonspunkt's status names of a message, in order (GET /api/statuses/{messageId}, one page). */
  async statuses(messageId: string): Promise<string[]> {
    const r = await this.get(`/api/statuses/${encodeURIComponent(messageId)}?size=100`);
    if (r.status !== 200) throw new Error(`GET /api/statuses/${messageId} answered ${r.status}`);
    return (r.body as { content: { status: string }[] }).content.map((s) => s.status);
  }

  private async call(method: string, path: string, o: { body?: BodyInit | Uint8Array; contentType?: string; headers?: Record<string, string> } = {}): Promise<NextMoveAnswer> {
    const headers: Record<string, string> = { authorization: this.auth, ...o.headers };
    if (o.contentType) headers["content-type"] = o.contentType;
    const body = o.body instanceof Uint8Array ? new Uint8Array(o.body) : o.body;
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    const contentType = res.headers.get("content-type");
    return { status: res.status, contentType, body: text && /json/.test(contentType ?? "") ? JSON.parse(text) : text };
  }
}

/** A quoted-string value; characters a header cannot carry (beyond Latin-1) become "_" (filename* has the real name). */
function quote(s: string): string {
  return s.replace(/[^\x20-\xff]/g, "_").replace(/[\\"]/g, (c) => `\\${c}`);
}
