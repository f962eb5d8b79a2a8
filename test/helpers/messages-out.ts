import { messagesOutForm } from "../../src/client/messages-out-client.js";

/** The answer to a POST /messages/out: the body parsed as JSON (undefined when empty). */
export interface Answer {
  status: number;
  contentType: string | null;
  location: string | null;
  headers: Headers;
  body: any;
}

/** POSTs a forretningsmelding (and its dokumentpakke) to `baseUrl`/messages/out, with `?kanal=` when given. */
export async function postMessagesOut(baseUrl: string, token: string, jws: string, cms?: Uint8Array, kanal?: string): Promise<Answer> {
  const url = `${baseUrl}/messages/out${kanal === undefined ? "" : `?kanal=${encodeURIComponent(kanal)}`}`;
  const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: messagesOutForm(jws, cms) });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get("content-type"), location: res.headers.get("location"), headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** GET `baseUrl`/messages/out/`id`/statuses: the answer's status and the status names it lists (none unless 200). */
export async function outStatuses(baseUrl: string, token: string, id: string): Promise<{ status: number; list: string[] }> {
  const res = await fetch(`${baseUrl}/messages/out/${id}/statuses`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, list: res.status === 200 ? ((await res.json()) as { status: string }[]).map((s) => s.status) : [] };
}
