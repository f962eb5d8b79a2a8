import { attr, elementChildren } from "../xml/dom.js";
import { parseXml, XmlParseError } from "../xml/safe-parse.js";
import { ArkivmeldingMissingJournalpostError, ArkivmeldingMissingSaksmappeError, ArkivmeldingUnreadableError } from "./errors.js";

/**
 * What the integrasjonspunkt takes from an uploaded arkivmelding.xml (Noark 5 arkivmelding): the first mappe
 * of xsi:type saksmappe and its first basisregistrering of xsi:type journalpost (ArkivmeldingUtil), from
 * which NextMoveMessageService sets the conversation's messageTitle and messageReference, the SvarUt mapping
 * orders the documents and picks the Avsender, and the send check lists the files. Read like JAXB does:
 * unknown elements are ignored, values are taken as written, an integer that does not parse is absent.
 * DOCTYPEs, entities and processing instructions are refused (xml/safe-parse).
 */

export const ARKIVMELDING_NS = "http://www.arkivverket.no/standarder/noark5/arkivmelding";
const XSI_NS = "http://www.w3.org/2001/XMLSchema-instance";

const KORRESPONDANSEPART_TYPES = ["Avsender", "Mottaker", "Kopimottaker", "Gruppemottaker", "Intern avsender", "Intern mottaker"];

export interface Korrespondansepart {
  readonly korrespondanseparttype: string;
  readonly korrespondansepartNavn?: string;
  readonly postadresse: readonly string[];
  readonly postnummer?: string;
  readonly poststed?: string;
  readonly land?: string;
  readonly saksbehandler?: string;
}

export interface ArkivmeldingInfo {
  readonly saksmappeSystemId?: string;
  /** journalpost.journalpostnummer as Java's BigInteger writes it. */
  readonly journalpostnummer?: string;
  readonly offentligTittel?: string;
  readonly tittel?: string;
  /** The conversation's messageTitle: the journalpost's offentligTittel, nothing else (NextMoveMessageService). */
  readonly messageTitle?: string;
  /** offentligTittel, else tittel: the title DPV's correspondence is given (CorrespondenceCreatorService). */
  readonly title?: string;
  /**
   * The conversation's messageReference, `<saksmappe systemID>-<journalpostnummer>`; only when the journalpost
   * has a number. A saksmappe without systemID gives `null-<n>`, as Java's string concatenation does.
   */
  readonly messageReference?: string;
  /** Every dokumentobjekt's referanseDokumentfil, dokumentbeskrivelser by dokumentnummer (ArkivmeldingUtil.getFilenames). */
  readonly filenames: readonly string[];
  /** The same files in the order SvarUt gets them: Hoveddokument descriptions first, otherwise document order. */
  readonly documentFiles: readonly string[];
  /** The first korrespondansepart of type Avsender (none at all if any part's type is not a Noark 5 value, as in the IP). */
  readonly avsender?: Korrespondansepart;
}

/** Reads arkivmelding.xml; throws ArkivmeldingUnreadableError, ArkivmeldingMissingSaksmappeError or ArkivmeldingMissingJournalpostError. */
export function parseArkivmelding(xml: string | Uint8Array): ArkivmeldingInfo {
  let doc: Document;
  try {
    doc = parseXml(xml);
  } catch (e) {
    if (e instanceof XmlParseError) throw new ArkivmeldingUnreadableError(e.message, { cause: e });
    throw e;
  }
  const root = doc.documentElement;
  const saksmappe = children(root, "mappe").find((m) => hasXsiType(m, "saksmappe"));
  if (!saksmappe) throw new ArkivmeldingMissingSaksmappeError();
  const journalpost = children(saksmappe, "basisregistrering").find((r) => hasXsiType(r, "journalpost"));
  if (!journalpost) throw new ArkivmeldingMissingJournalpostError();

  const saksmappeSystemId = text(saksmappe, "systemID");
  const journalpostnummer = integer(text(journalpost, "journalpostnummer"));
  const offentligTittel = text(journalpost, "offentligTittel");
  const tittel = text(journalpost, "tittel");

  const beskrivelser = children(journalpost, "dokumentbeskrivelse").map((d, index) => ({
    index,
    hoveddokument: text(d, "tilknyttetRegistreringSom")?.trim() === "Hoveddokument",
    dokumentnummer: integer(text(d, "dokumentnummer")),
    files: children(d, "dokumentobjekt").flatMap((o) => {
      const ref = text(o, "referanseDokumentfil");
      return ref === undefined ? [] : [ref];
    }),
  }));
  const byNumber = [...beskrivelser].sort((a, b) => compareInteger(a.dokumentnummer, b.dokumentnummer) || a.index - b.index);
  const hoveddokumentFirst = [...beskrivelser.filter((d) => d.hoveddokument), ...beskrivelser.filter((d) => !d.hoveddokument)];

  return omitUndefined({
    saksmappeSystemId,
    journalpostnummer,
    offentligTittel,
    tittel,
    messageTitle: offentligTittel,
    title: offentligTittel ?? tittel,
    messageReference: journalpostnummer === undefined ? undefined : `${saksmappeSystemId ?? "null"}-${journalpostnummer}`,
    filenames: byNumber.flatMap((d) => d.files),
    documentFiles: hoveddokumentFirst.flatMap((d) => d.files),
    avsender: avsenderOf(children(journalpost, "korrespondansepart")),
  });
}

function avsenderOf(parts: readonly Element[]): Korrespondansepart | undefined {
  const read = parts.map((p) => ({ element: p, type: text(p, "korrespondanseparttype")?.trim() }));
  // The SvarUt mapping discards every part when one has no valid type, and then uses the sender's own address.
  if (read.some((p) => p.type === undefined || !KORRESPONDANSEPART_TYPES.includes(p.type))) return undefined;
  const avsender = read.find((p) => p.type === "Avsender");
  if (!avsender) return undefined;
  const e = avsender.element;
  return omitUndefined({
    korrespondanseparttype: "Avsender",
    korrespondansepartNavn: text(e, "korrespondansepartNavn"),
    postadresse: children(e, "postadresse").map((a) => a.textContent ?? ""),
    postnummer: text(e, "postnummer"),
    poststed: text(e, "poststed"),
    land: text(e, "land"),
    saksbehandler: text(e, "saksbehandler"),
  });
}

function children(parent: Element, localName: string): Element[] {
  return elementChildren(parent).filter((e) => e.namespaceURI === ARKIVMELDING_NS && e.localName === localName);
}

/** The text of the first child element of that name, as written (JAXB does not trim xs:string values). */
function text(parent: Element, localName: string): string | undefined {
  const el = children(parent, localName)[0];
  return el === undefined ? undefined : (el.textContent ?? "");
}

/** Whether xsi:type names {arkivmelding}localName, its prefix resolved where the attribute stands. */
function hasXsiType(el: Element, localName: string): boolean {
  const value = attr(el, "type", XSI_NS)?.trim();
  if (value === undefined) return false;
  const colon = value.indexOf(":");
  const prefix = colon < 0 ? null : value.slice(0, colon);
  const local = colon < 0 ? value : value.slice(colon + 1);
  // xmldom finds the default namespace under "", not null.
  return local === localName && el.lookupNamespaceURI(prefix ?? "") === ARKIVMELDING_NS;
}

/** xs:integer as JAXB reads it (surrounding whitespace allowed), written as BigInteger.toString does. */
function integer(value: string | undefined): string | undefined {
  const t = value?.trim();
  return t !== undefined && /^[+-]?\d+$/.test(t) ? BigInt(t).toString() : undefined;
}

/** Dokumentbeskrivelser without a number sort last (the IP's comparator fails on them). */
function compareInteger(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return (a === undefined ? 1 : 0) - (b === undefined ? 1 : 0);
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
