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

export interface PostResult {
  status: number;
  contentType: string | null;
  body: unknown;
}

export async function postMessage(baseUrl: string, token: string, form: FormData, kanal?: string): Promise<PostResult> {
  const url = new URL(`${baseUrl}/messages/out`);
  if (kanal !== undefined) url.searchParams.set("kanal", kanal);
  const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
  const text = await res.text();
  const contentType = res.headers.get("content-type");
  return { status: res.status, contentType, body: text && /json/.test(contentType ?? "") ? JSON.parse(text) : text };
}
