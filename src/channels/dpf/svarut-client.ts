import { DomainError } from "../../errors.js";
import { networkFailure } from "../../network-errors.js";
import type { OrganisasjonForsendelse } from "./forsendelse.js";

/**
 * KS FIKS SvarUt's REST API as the integrasjonspunkt's SvarUtRestClient uses it (fiks-svarut-klient 4.8.0,
 * spec/eformidling.md §4.1): send an organisation forsendelse (multipart: part `forsendelse` with the JSON and
 * one part `filer_<n>` per document, in the forsendelse's `dokumenter` order), search forsendelse statuses, list
 * forsendelsestyper, and find the forsendelser of an eksternReferanse. Each sending organisation has its own
 * account: the konto id of the paths, and the Fiks integration that may use it. Every request carries what
 * fiks-svarut-klient's IntegrasjonAuthenticationStrategy sends (the integrasjonspunkt's
 * IntegrasjonspunktAuthenticationStrategy too): `Authorization: Bearer <Maskinporten token, scope ks:fiks>`,
 * `IntegrasjonId` and `IntegrasjonPassord`. The REST API takes no HTTP Basic (that is the SOAP service's and
 * SvarInn's). SvarUt refusing the request (4xx) is SvarUtRefusedError; SvarUt unreachable or failing (5xx), or
 * no Maskinporten token to be had, is SvarUtUnavailableError, worth trying again.
 */

/** The Maskinporten scope of KS Fiks (fiks-svarut-klient asks for it for every SvarUt call). */
export const KS_FIKS_SCOPE = "ks:fiks";

export interface SvarUtAccountCredentials {
  /** The sending organisation (nine digits): whose Maskinporten token goes with the request. */
  orgnr: string;
  /** The konto id (UUID): the `{kontoId}` of the paths. */
  kontoId: string;
  /** The Fiks integration (UUID) the organisation made in Fiks-konfigurasjon and allowed to use the konto. */
  integrasjonId: string;
  integrasjonPassord: string;
}

/** A Maskinporten access token with scope ks:fiks for the organisation. */
export type FiksTokenSource = (orgnr: string) => Promise<string>;

export interface SvarUtDocumentPart {
  filnavn: string;
  mimeType: string;
  /** As sent: CMS-encrypted to SvarUt's certificate when the forsendelse is `kryptert`. */
  bytes: Uint8Array;
}

/** SvarUt's state of one forsendelse (v3 ForsendelseStatus). */
export interface SvarUtForsendelseStatus {
  id: string;
  status: string;
  sisteStatusEndring: string | undefined;
}

/** SvarUt answered 4xx: it does not take the request as it is. */
export class SvarUtRefusedError extends DomainError {
  readonly code = "svarut-refused";
  readonly kind = "invalid";
  constructor(
    readonly status: number,
    readonly errorCode: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** SvarUt could not be reached, or answered 5xx or something unreadable: try again later. */
export class SvarUtUnavailableError extends DomainError {
  readonly code = "svarut-unavailable";
  readonly kind = "unavailable";
}

export interface SvarUtClient {
  send(account: SvarUtAccountCredentials, forsendelse: OrganisasjonForsendelse, documents: readonly SvarUtDocumentPart[]): Promise<string>;
  statuses(account: SvarUtAccountCredentials, ids: readonly string[]): Promise<SvarUtForsendelseStatus[]>;
  forsendelsestyper(account: SvarUtAccountCredentials): Promise<string[]>;
  /** The ids of the account's forsendelser with this eksternReferanse (fiks-svarut-klient EksternRefKlientV2). */
  forsendelserMedEksternRef(account: SvarUtAccountCredentials, eksternRef: string): Promise<string[]>;
}

export function createSvarUtClient(o: { baseUrl: string; token: FiksTokenSource; timeoutMs?: number }): SvarUtClient {
  const base = o.baseUrl.replace(/\/+$/, "");
  const timeoutMs = o.timeoutMs ?? 60_000;

  const call = async (account: SvarUtAccountCredentials, path: string, init: RequestInit): Promise<unknown> => {
    let token: string;
    try {
      token = await o.token(account.orgnr);
    } catch (err) {
      throw new SvarUtUnavailableError(`no Maskinporten token (${KS_FIKS_SCOPE}) for ${account.orgnr}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          authorization: `Bearer ${token}`,
          IntegrasjonId: account.integrasjonId,
          IntegrasjonPassord: account.integrasjonPassord,
          accept: "application/json",
        },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const n = networkFailure(err) ?? networkFailure((err as { cause?: unknown }).cause);
      throw new SvarUtUnavailableError(`SvarUt cannot be reached: ${n?.message ?? (err instanceof Error ? err.message : String(err))}`, { cause: err });
    }
    const text = await res.text();
    if (res.status >= 500) throw new SvarUtUnavailableError(`SvarUt answered ${res.status}: ${errorMessage(text) ?? text.slice(0, 200)}`);
    if (res.status >= 400) {
      const e = errorDocument(text);
      throw new SvarUtRefusedError(res.status, e?.errorCode, `SvarUt refused the request (${res.status}${e?.errorCode ? ` ${e.errorCode}` : ""}): ${e?.message ?? text.slice(0, 200)}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new SvarUtUnavailableError(`SvarUt answered ${res.status} with a body that is not JSON`);
    }
  };

  return {
    async send(account, forsendelse, documents) {
      const form = new FormData();
      form.append("forsendelse", JSON.stringify(forsendelse));
      const byName = new Map(documents.map((d) => [d.filnavn, d]));
      forsendelse.dokumenter.forEach((d, n) => {
        const part = byName.get(d.filnavn);
        if (!part) throw new TypeError(`no data for document ${d.filnavn}`);
        form.append(`filer_${n}`, new Blob([new Uint8Array(part.bytes)], { type: d.mimeType }), d.filnavn);
      });
      const answer = (await call(account, `/api/v3/kontoer/${encodeURIComponent(account.kontoId)}/forsendelser/organisasjon`, { method: "POST", body: form })) as { id?: unknown };
      if (typeof answer?.id !== "string") throw new SvarUtUnavailableError("SvarUt's answer to a send has no id");
      return answer.id;
    },
    async statuses(account, ids) {
      const answer = (await call(account, `/api/v3/kontoer/${encodeURIComponent(account.kontoId)}/forsendelser/status/sok`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id: ids }),
      })) as { statuser?: unknown };
      if (!Array.isArray(answer?.statuser)) throw new SvarUtUnavailableError("SvarUt's status answer has no statuser");
      return (answer.statuser as { id?: unknown; status?: unknown; sisteStatusEndring?: unknown }[]).flatMap((s) =>
        typeof s.id === "string" && typeof s.status === "string" ? [{ id: s.id, status: s.status, sisteStatusEndring: typeof s.sisteStatusEndring === "string" ? s.sisteStatusEndring : undefined }] : [],
      );
    },
    async forsendelsestyper(account) {
      const answer = await call(account, "/api/v2/forsendelsestyper", { method: "GET" });
      if (!Array.isArray(answer) || answer.some((t) => typeof t !== "string")) throw new SvarUtUnavailableError("SvarUt's forsendelsestyper are not a list of names");
      return answer as string[];
    },
    async forsendelserMedEksternRef(account, eksternRef) {
      const answer = (await call(account, `/api/v2/kontoer/${encodeURIComponent(account.kontoId)}/forsendelser/?eksternRef=${encodeURIComponent(eksternRef)}`, { method: "GET" })) as { forsendelseIds?: unknown };
      if (!Array.isArray(answer?.forsendelseIds) || answer.forsendelseIds.some((id) => typeof id !== "string")) throw new SvarUtUnavailableError("SvarUt's eksternRef answer has no forsendelseIds");
      return answer.forsendelseIds as string[];
    },
  };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
}

function errorDocument(text: string): { errorCode?: string; message?: string } | undefined {
  try {
    const e = JSON.parse(text) as { errorCode?: unknown; message?: unknown };
    return { ...(typeof e.errorCode === "string" ? { errorCode: e.errorCode } : {}), ...(typeof e.message === "string" ? { message: e.message } : {}) };
  } catch {
    return undefined;
  }
}

function errorMessage(text: string): string | undefined {
  return errorDocument(text)?.message;
}
