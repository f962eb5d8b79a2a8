import { ARKIVMELDING_NS } from "../../sbd/index.js";
import type { SvarInnForsendelse } from "./svarinn-client.js";

/**
 * The arkivmelding.xml the integrasjonspunkt writes for a forsendelse from SvarInn (SvarInnNextMoveConverter,
 * spec/eformidling.md §4.3): a saksmappe (saksaar, sakssekvensnummer, saksansvarlig from the sender's metadata)
 * with one journalpost (offentligTittel = the forsendelse's title, journalår/-sekvensnummer/-postnummer from the
 * metadata or 0 and this year, journalposttype and journalstatus from Noark's codes, the Avsender from
 * svarSendesTil) and one dokumentbeskrivelse per file, the first the Hoveddokument. Metadata the IP cannot read
 * as a number makes the forsendelse unconvertible (its Long.parseLong fails): {@link UnconvertibleForsendelseError}.
 */

export class UnconvertibleForsendelseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const JOURNALPOSTTYPE: Readonly<Record<string, string>> = {
  I: "Inngående dokument",
  U: "Utgående dokument",
  N: "Organinternt dokument for oppfølging",
  X: "Organinternt dokument uten oppfølging",
  S: "Saksframlegg",
};

const JOURNALSTATUS: Readonly<Record<string, string>> = {
  J: "Journalført",
  F: "Ferdigstilt fra saksbehandler",
  E: "Ekspedert",
  A: "Arkivert",
  G: "Godkjent av leder",
  M: "Midlertidig registrering av innkommet dokument",
  R: "Reservert dokument",
  S: "Registrert av saksbehandler",
  U: "Utgår",
};

export function incomingArkivmelding(f: SvarInnForsendelse, files: readonly string[], o: { now: Date; newId: () => string }): string {
  const m = f.metadataFraAvleverendeSystem;
  const sst = f.svarSendesTil;
  const el = (name: string, value: unknown) => (value === undefined || value === null || value === "" ? "" : `<${name}>${escape(String(value))}</${name}>`);
  const dokumenter = files
    .map(
      (file, i) =>
        `<dokumentbeskrivelse>${el("systemID", o.newId())}${el("dokumenttype", "Brev")}${el("dokumentstatus", "Dokumentet er ferdigstilt")}${el("tittel", file)}` +
        `${el("tilknyttetRegistreringSom", i === 0 ? "Hoveddokument" : "Vedlegg")}${el("dokumentnummer", i + 1)}` +
        `<dokumentobjekt>${el("versjonsnummer", 1)}${el("variantformat", "Produksjonsformat")}${el("referanseDokumentfil", file)}</dokumentobjekt></dokumentbeskrivelse>`,
    )
    .join("");
  const avsender =
    `<korrespondansepart>${el("korrespondanseparttype", "Avsender")}${el("korrespondansepartNavn", sst.navn)}${el("postadresse", sst.adresse1)}` +
    `${el("postnummer", sst.postnr)}${el("poststed", sst.poststed)}${el("land", sst.land)}</korrespondansepart>`;
  const journalpost =
    `<basisregistrering xsi:type="journalpost">${el("systemID", o.newId())}${el("tittel", f.tittel)}${el("offentligTittel", f.tittel)}${avsender}${dokumenter}` +
    `${el("journalaar", integer(m.journalaar, "journalaar") ?? o.now.getUTCFullYear())}${el("journalsekvensnummer", integer(m.journalsekvensnummer, "journalsekvensnummer") ?? 0)}` +
    `${el("journalpostnummer", integer(m.journalpostnummer, "journalpostnummer") ?? 0)}${el("journalposttype", JOURNALPOSTTYPE[String(m.journalposttype ?? "")])}` +
    `${el("journalstatus", JOURNALSTATUS[String(m.journalstatus ?? "")])}${el("journaldato", date(m.journaldato))}${el("dokumentetsDato", date(m.dokumentetsDato))}</basisregistrering>`;
  const saksmappe =
    `<mappe xsi:type="saksmappe">${el("systemID", o.newId())}${el("tittel", f.tittel)}${journalpost}${el("saksaar", integer(m.saksaar, "saksaar") ?? 0)}` +
    `${el("sakssekvensnummer", integer(m.sakssekvensnummer, "sakssekvensnummer") ?? 0)}${el("saksansvarlig", m.saksBehandler)}</mappe>`;
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
    `<arkivmelding xmlns="${ARKIVMELDING_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `${el("system", "SvarInn")}${el("meldingId", f.id)}${el("tidspunkt", o.now.toISOString())}${el("antallFiler", files.length)}${saksmappe}</arkivmelding>\n`
  );
}

/** A number the metadata gives as a number or a string of digits; absent is undefined, anything else unconvertible. */
function integer(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = typeof v === "number" && Number.isInteger(v) ? String(v) : typeof v === "string" ? v.trim() : undefined;
  if (s === undefined || !/^-?\d{1,18}$/.test(s)) throw new UnconvertibleForsendelseError(`metadataFraAvleverendeSystem.${name} is not a number: ${JSON.stringify(v)}`);
  return BigInt(s).toString();
}

/** The date part of a date or date-time (Noark's journaldato and dokumentetsDato are dates). */
function date(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(v);
  return m?.[1];
}

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
