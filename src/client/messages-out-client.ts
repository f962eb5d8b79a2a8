import { randomBytes } from "node:crypto";
import { request } from "undici";

/**
 * The corner-1 side of POST /messages/out: the multipart body exactly as Digdir's integrasjonspunkt sends it
 * (forretningsmelding first as application/jwt "sbd.jwt", then dokumentpakke as application/cms "asic.cms").
 */
export function messagesOutForm(forretningsmelding: string, dokumentpakke?: Uint8Array): FormData {
  const form = new FormData();
  form.append("forretningsmelding", new Blob([forretningsmelding], { type: "application/jwt" }), "sbd.jwt");
  if (dokumentpakke) form.append("dokumentpakke", new Blob([new Uint8Array(dokumentpakke)], { type: "application/cms" }), "asic.cms");
  return form;
}

/** A multipart/form-data body already encoded: its bytes and the Content-Type that names its boundary. */
export interface MultipartBody {
  readonly contentType: string;
  readonly bytes: Buffer;
}

/**
 * messagesOutForm's parts encoded once into bytes, as a browser or fetch would encode that form. A sender that
 * posts many letters (the bench, the postbox simulator's receipts) so skips FormData, Blob and the web streams
 * fetch reads them through, which cost more CPU than the upload itself.
 */
export function messagesOutBody(forretningsmelding: string, dokumentpakke?: Uint8Array): MultipartBody {
  const parts: { name: string; filename: string; type: string; content: Buffer }[] = [
    { name: "forretningsmelding", filename: "sbd.jwt", type: "application/jwt", content: Buffer.from(forretningsmelding, "utf8") },
  ];
  if (dokumentpakke) parts.push({ name: "dokumentpakke", filename: "asic.cms", type: "application/cms", content: Buffer.from(dokumentpakke.buffer, dokumentpakke.byteOffset, dokumentpakke.byteLength) });
  return encodeFormData(parts);
}

function encodeFormData(parts: readonly { name: string; filename: string; type: string; content: Buffer }[]): MultipartBody {
  for (;;) {
    const boundary = `----dpi-ap-${randomBytes(16).toString("hex")}`;
    // A random 128-bit boundary inside the content is next to impossible, but a body it splits would be wrong.
    if (parts.some((p) => p.content.includes(boundary))) continue;
    const chunks: Buffer[] = [];
    for (const p of parts) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n`, "latin1"), p.content, Buffer.from("\r\n", "latin1"));
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`, "latin1"));
    return { contentType: `multipart/form-data; boundary=${boundary}`, bytes: Buffer.concat(chunks) };
  }
}

export interface PostResult {
  status: number;
  contentType: string | null;
  body: unknown;
}

export async function postMessage(baseUrl: string, token: string, form: FormData | MultipartBody, kanal?: string): Promise<PostResult> {
  const url = new URL(`${baseUrl}/messages/out`);
  if (kanal !== undefined) url.searchParams.set("kanal", kanal);
  const body = form instanceof FormData ? await encodedByFetch(form) : form;
  const res = await request(url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": body.contentType }, body: body.bytes });
  const text = await res.body.text();
  const header = res.headers["content-type"];
  const contentType = typeof header === "string" ? header : null;
  return { status: res.statusCode, contentType, body: text && /json/.test(contentType ?? "") ? JSON.parse(text) : text };
}

/** A FormData encoded as fetch would send it (callers that build their own forms: tests of odd bodies). */
async function encodedByFetch(form: FormData): Promise<MultipartBody> {
  const encoded = new Response(form);
  return { contentType: encoded.headers.get("content-type") ?? "multipart/form-data", bytes: Buffer.from(await encoded.arrayBuffer()) };
}
