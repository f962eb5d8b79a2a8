import { z } from "zod";
import { networkFailure } from "../../network-errors.js";
import { basic, SvarUtRefusedError, SvarUtUnavailableError } from "./svarut-client.js";

/**
 * KS FIKS SvarInn as the integrasjonspunkt's SvarInnClient uses it (spec/eformidling.md §4.3), with HTTP Basic
 * credentials per receiving organisation: the new forsendelser, the download of one (a CMS envelope around a
 * zip of its documents), and the two answers: kvitterMottak (taken in) and mottakFeilet (could not be).
 */

export interface SvarInnCredentials {
  username: string;
  password: string;
}

interface SvarSendesTil {
  navn?: string | undefined;
  adresse1?: string | undefined;
  postnr?: string | undefined;
  poststed?: string | undefined;
  land?: string | undefined;
  orgnr?: string | undefined;
  fnr?: string | undefined;
}

const text = z.string().nullish().transform((v) => v ?? undefined);

const forsendelseSchema = z.looseObject({
  id: z.string().min(1),
  tittel: text,
  downloadUrl: z.string().min(1),
  svarPaForsendelse: text,
  mottaker: z.looseObject({ orgnr: z.string(), navn: text }),
  svarSendesTil: z
    .looseObject({ navn: text, adresse1: text, postnr: text, poststed: text, land: text, orgnr: text, fnr: text })
    .nullish()
    .transform((v): SvarSendesTil => v ?? {}),
  filmetadata: z
    .array(z.looseObject({ filnavn: z.string(), mimetype: text, sha256hash: text, dokumentType: text, size: z.number().nullish() }))
    .nullish()
    .transform((v) => v ?? []),
  metadataFraAvleverendeSystem: z.record(z.string(), z.unknown()).nullish().transform((v) => v ?? {}),
  /**
   * The forsendelse's security level (SvarInn's `niva`, "3" or "4"; a number from some versions). Unknown or
   * absent: undefined, which the mail delivery treats as 4 (no documents in a mailbox).
   */
  niva: z
    .union([z.string(), z.number()])
    .nullish()
    .transform((v) => (v === 3 || v === "3" ? 3 : v === 4 || v === "4" ? 4 : undefined)),
});

/** One forsendelse as SvarInn lists it (the integrasjonspunkt's fiks/svarinn/Forsendelse.java). */
export type SvarInnForsendelse = z.output<typeof forsendelseSchema>;

export interface SvarInnClient {
  /** The forsendelser ready for the organisation; one SvarInn cannot read is left out (with `unreadable`). */
  hentNyeForsendelser(c: SvarInnCredentials): Promise<{ forsendelser: SvarInnForsendelse[]; unreadable: number }>;
  download(c: SvarInnCredentials, f: SvarInnForsendelse): Promise<Uint8Array>;
  kvitterMottak(c: SvarInnCredentials, id: string): Promise<void>;
  mottakFeilet(c: SvarInnCredentials, id: string, feilmelding: string, permanent: boolean): Promise<void>;
}

export function createSvarInnClient(o: { baseUrl: string; timeoutMs?: number }): SvarInnClient {
  const base = o.baseUrl.replace(/\/+$/, "");
  const timeoutMs = o.timeoutMs ?? 120_000;
  const call = async (c: SvarInnCredentials, url: string, init: RequestInit = {}): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: basic(c.username, c.password) }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const n = networkFailure(err) ?? networkFailure((err as { cause?: unknown }).cause);
      throw new SvarUtUnavailableError(`SvarInn cannot be reached: ${n?.message ?? (err instanceof Error ? err.message : String(err))}`, { cause: err });
    }
    if (res.status >= 500) throw new SvarUtUnavailableError(`SvarInn answered ${res.status}`);
    if (res.status >= 400) throw new SvarUtRefusedError(res.status, undefined, `SvarInn refused ${init.method ?? "GET"} ${new URL(url).pathname} (${res.status}): ${(await res.text()).slice(0, 200)}`);
    return res;
  };
  return {
    async hentNyeForsendelser(c) {
      const res = await call(c, `${base}/mottaker/hentNyeForsendelser`, { headers: { accept: "application/json" } });
      const list = (await res.json()) as unknown;
      if (!Array.isArray(list)) throw new SvarUtUnavailableError("SvarInn's list of new forsendelser is not an array");
      const parsed = list.map((f) => forsendelseSchema.safeParse(f));
      return { forsendelser: parsed.flatMap((p) => (p.success ? [p.data] : [])), unreadable: parsed.filter((p) => !p.success).length };
    },
    async download(c, f) {
      return new Uint8Array(await (await call(c, f.downloadUrl)).arrayBuffer());
    },
    async kvitterMottak(c, id) {
      await call(c, `${base}/kvitterMottak/forsendelse/${encodeURIComponent(id)}`, { method: "POST" });
    },
    async mottakFeilet(c, id, feilmelding, permanent) {
      await call(c, `${base}/mottakFeilet/forsendelse/${encodeURIComponent(id)}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ feilmelding, permanent }),
      });
    },
  };
}
