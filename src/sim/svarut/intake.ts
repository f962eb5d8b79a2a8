/**
 * SvarUt's reading of a sent forsendelse (REST v3 `POST /api/v3/kontoer/{kontoId}/forsendelser/organisasjon`,
 * multipart: part `forsendelse` with the OrganisasjonForsendelse JSON, parts `filer_<n>` with the documents in
 * `dokumenter` order): what it refuses, each with SvarUt's error document, and the record it keeps. Documents of
 * a `kryptert` forsendelse are CMS envelopes to SvarUt's certificate; SvarUt opens them (a part it cannot open
 * is refused, as SvarUt cannot make the forsendelse file from it).
 */
import { decryptCms } from "../../packaging/index.js";
import type { ForsendelseRecord, SvarSendesTil, SvarUtAccount, SvarUtState } from "./state.js";

/** SvarUt's error document (fiks-svarut-klient ErrorMessage). */
export class SvarUtError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }

  body(path: string, at: Date): string {
    return JSON.stringify({
      timestamp: at.toISOString(),
      status: this.status,
      error: this.status === 400 ? "Bad Request" : this.status === 401 ? "Unauthorized" : this.status === 403 ? "Forbidden" : this.status === 404 ? "Not Found" : "Error",
      errorId: crypto.randomUUID(),
      path,
      originalPath: path,
      message: this.message,
      errorCode: this.errorCode,
      errorJson: null,
    });
  }
}

const refused = (code: string, message: string) => new SvarUtError(400, code, message);

export interface SvarUtKey {
  privateKeyPem: string;
  certificatePem: string;
}

interface DokumentJson {
  filnavn?: unknown;
  mimeType?: unknown;
}

/** Reads and checks the multipart form of a send; returns the forsendelse SvarUt keeps (status MOTTATT at `at`). */
export async function takeForsendelse(form: FormData, account: SvarUtAccount, state: SvarUtState, key: SvarUtKey, at: Date): Promise<ForsendelseRecord> {
  const part = form.get("forsendelse");
  if (part === null) throw refused("MANGLER_FORSENDELSE", "Mangler part 'forsendelse'");
  let f: Record<string, unknown>;
  try {
    f = JSON.parse(typeof part === "string" ? part : "") as Record<string, unknown>;
  } catch {
    throw refused("UGYLDIG_FORSENDELSE", "Part 'forsendelse' er ikke gyldig JSON");
  }
  if (typeof f !== "object" || f === null) throw refused("UGYLDIG_FORSENDELSE", "Part 'forsendelse' er ikke et objekt");
  const tittel = f.tittel;
  if (typeof tittel !== "string" || tittel.trim() === "") throw refused("MANGLER_TITTEL", "Forsendelsen mangler tittel");
  const mottaker = f.mottaker as { navn?: unknown; organisasjonsnummer?: unknown } | undefined;
  const orgnr = typeof mottaker?.organisasjonsnummer === "string" ? mottaker.organisasjonsnummer : undefined;
  if (!orgnr || !/^\d{9}$/.test(orgnr)) throw refused("UGYLDIG_MOTTAKER", "Mottaker mangler gyldig organisasjonsnummer");
  const sikkerhetsniva = f.sikkerhetsniva ?? "BETYDELIG";
  if (sikkerhetsniva !== "BETYDELIG" && sikkerhetsniva !== "HOYESTE") throw refused("UGYLDIG_SIKKERHETSNIVA", `Ukjent sikkerhetsnivå ${String(sikkerhetsniva)}`);
  const receiver = state.receivers.get(orgnr);
  // Digital delivery needs a mottakersystem at the asked level; SvarUt cannot print a forsendelse that needs level 4 (or one marked digital only).
  const level = sikkerhetsniva === "HOYESTE" ? 4 : 3;
  if (!receiver?.levels.some((l) => l >= level)) {
    throw refused("MOTTAKER_MANGLER_MOTTAKERSYSTEM", `Mottaker ${orgnr} har ikke mottakersystem på sikkerhetsnivå ${level}`);
  }
  const forsendelsestype = typeof f.forsendelsestype === "string" && f.forsendelsestype !== "" ? f.forsendelsestype : undefined;
  if (forsendelsestype !== undefined && !account.forsendelsestyper.includes(forsendelsestype)) {
    throw refused("UGYLDIG_FORSENDELSESTYPE", `Ukjent forsendelsestype ${forsendelsestype}`);
  }
  const svarPaForsendelse = f.svarPaForsendelseId;
  if (svarPaForsendelse !== undefined && svarPaForsendelse !== null && (typeof svarPaForsendelse !== "string" || !/^[0-9a-f-]{36}$/i.test(svarPaForsendelse))) {
    throw refused("UGYLDIG_SVAR_PA_FORSENDELSE", "svarPaForsendelseId er ikke en UUID");
  }
  const dokumenter = Array.isArray(f.dokumenter) ? (f.dokumenter as DokumentJson[]) : [];
  if (dokumenter.length === 0) throw refused("MANGLER_DOKUMENTER", "Forsendelsen har ingen dokumenter");
  const kryptert = f.kryptert === true;
  const documents = dokumenter.map((d, n) => {
    if (typeof d.filnavn !== "string" || d.filnavn === "" || typeof d.mimeType !== "string" || d.mimeType === "") {
      throw refused("UGYLDIG_DOKUMENT", `Dokument ${n} mangler filnavn eller mimeType`);
    }
    const file = form.get(`filer_${n}`);
    if (file === null || typeof file === "string") throw refused("MANGLER_FIL", `Mangler part 'filer_${n}' for dokument ${d.filnavn}`);
    return { filnavn: d.filnavn, mimeType: d.mimeType, file };
  });
  return {
    id: state.newId(),
    kontoId: account.kontoId,
    mottaker: { orgnr, navn: typeof mottaker?.navn === "string" ? mottaker.navn : receiver.navn },
    tittel,
    eksternReferanse: typeof f.eksternReferanse === "string" ? f.eksternReferanse : undefined,
    sikkerhetsniva,
    forsendelsestype,
    svarSendesTil: svarSendesTilOf(f.svarSendesTil),
    svarPaForsendelse: typeof svarPaForsendelse === "string" ? svarPaForsendelse : undefined,
    metadataFraAvleverendeSystem: typeof f.metadataFraAvleverendeSystem === "object" && f.metadataFraAvleverendeSystem !== null ? (f.metadataFraAvleverendeSystem as Record<string, unknown>) : undefined,
    documents: await Promise.all(documents.map(async (d) => ({ filnavn: d.filnavn, mimeType: d.mimeType, bytes: await open(d.filnavn, d.file, kryptert, key) }))),
    raw: f,
    history: [{ status: "MOTTATT", at }],
    svarInn: { kvittert: false, downloads: 0 },
  };
}

async function open(filnavn: string, file: Blob, kryptert: boolean, key: SvarUtKey): Promise<Buffer> {
  const bytes = Buffer.from(await file.arrayBuffer());
  if (!kryptert) return bytes;
  try {
    return Buffer.from(decryptCms(bytes, key.privateKeyPem, key.certificatePem).content);
  } catch (e) {
    throw refused("KAN_IKKE_DEKRYPTERE", `Dokument ${filnavn} kan ikke dekrypteres med SvarUts sertifikat: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function svarSendesTilOf(v: unknown): SvarSendesTil | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const s = v as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === "string" ? x : undefined);
  const adresse = typeof s.adresse === "object" && s.adresse !== null ? (s.adresse as Record<string, unknown>) : {};
  return {
    navn: str(s.navn),
    orgnr: s.type === "ORGANISASJON" || s.type === undefined ? str(s.identifikator) : undefined,
    fnr: s.type === "PERSON" ? str(s.identifikator) : undefined,
    adresse: { adresselinje1: str(adresse.adresselinje1), postnummer: str(adresse.postnummer), poststed: str(adresse.poststed), land: str(adresse.land) },
  };
}
