import { attr, elementChildren, isElement } from "../xml/dom.js";
import { parseXml } from "../xml/safe-parse.js";
import { ASIC_NS, AsicManifestError, AsicManifestMismatchError, MAX_VEDLEGG } from "./asic-profile.js";

/** manifest.xml of a dokumentpakke: who sends it, to whom, and which files are the documents. */

// ---- manifest -------------------------------------------------------------------------------------------

export interface ManifestTittel {
  readonly text: string;
  /** ISO 639-1, two letters. */
  readonly lang: string;
}

export interface ManifestDokument {
  /** File name in the container. */
  readonly href: string;
  readonly mime: string;
  readonly tittel?: ManifestTittel;
  /** An extension file ("utvidelse") enriching this document. */
  readonly data?: { readonly href: string; readonly mime: string };
}

export interface Manifest {
  /** Absent for print letters. */
  readonly mottaker?: { readonly postkasseadresse: string; readonly personidentifikator?: string };
  readonly avsender: {
    /** As written, `0192:<orgno>`. */
    readonly organisasjon: string;
    /** The nine-digit organisation number when `organisasjon` is `0192:` or the legacy `9908:` + 9 digits. */
    readonly orgnr?: string;
    readonly avsenderidentifikator?: string;
    readonly fakturaReferanse?: string;
  };
  readonly hoveddokument: ManifestDokument;
  readonly vedlegg: readonly ManifestDokument[];
}

const ISO6523_ACTORID = "iso6523-actorid-upis";
/** XSD `[0-9]{4}:\w{1,35}`, where XSD's \w is every character except punctuation, separators and "other". */
const ISO6523_IDENTITY = /^[0-9]{4}:[^\p{P}\p{Z}\p{C}]{1,35}$/u;

/** Parses manifest.xml against the SDP manifest schema's structure and limits. Throws AsicManifestError. */
export function parseManifest(bytes: Uint8Array): Manifest {
  let doc: Document;
  try {
    doc = parseXml(bytes, { maxLength: 1024 * 1024 });
  } catch (cause) {
    throw new AsicManifestError(`manifest.xml is not acceptable XML: ${(cause as Error).message}`, { cause });
  }
  const root = doc.documentElement;
  if (!isSdp(root, "manifest")) throw new AsicManifestError("manifest.xml's root is not sdp:manifest");
  const seq = sequence(root, ["mottaker", "avsender", "hoveddokument", "vedlegg", "lenke"]);
  const mottakerEl = seq.optional("mottaker");
  const avsenderEl = seq.one("avsender");
  const hoveddokumentEl = seq.one("hoveddokument");
  const vedleggEls = seq.many("vedlegg");
  seq.optional("lenke");
  seq.end();
  if (vedleggEls.length > MAX_VEDLEGG) throw new AsicManifestError(`${vedleggEls.length} vedlegg, at most ${MAX_VEDLEGG} are allowed`);

  return {
    ...(mottakerEl ? { mottaker: parseMottaker(mottakerEl) } : {}),
    avsender: parseAvsender(avsenderEl),
    hoveddokument: parseDokument(hoveddokumentEl),
    vedlegg: vedleggEls.map(parseDokument),
  };
}

function parseMottaker(el: Element): NonNullable<Manifest["mottaker"]> {
  const seq = sequence(el, ["person"]);
  const person = seq.one("person");
  seq.end();
  const p = sequence(person, ["personidentifikator", "postkasseadresse"]);
  const personidentifikator = p.optional("personidentifikator");
  const postkasseadresse = text(p.one("postkasseadresse"), 1, 1000);
  p.end();
  const pid = personidentifikator ? text(personidentifikator, 11, 11) : undefined;
  if (pid !== undefined && !/^[0-9]{11}$/.test(pid)) throw new AsicManifestError("personidentifikator is not 11 digits");
  return { postkasseadresse, ...(pid !== undefined ? { personidentifikator: pid } : {}) };
}

function parseAvsender(el: Element): Manifest["avsender"] {
  const seq = sequence(el, ["organisasjon", "avsenderidentifikator", "fakturaReferanse"]);
  const orgEl = seq.one("organisasjon");
  const idEl = seq.optional("avsenderidentifikator");
  const fakturaEl = seq.optional("fakturaReferanse");
  seq.end();
  const authority = attr(orgEl, "authority");
  if (authority !== undefined && authority !== ISO6523_ACTORID) {
    throw new AsicManifestError(`organisasjon authority ${JSON.stringify(authority)} is not ${ISO6523_ACTORID}`);
  }
  const organisasjon = text(orgEl, 1, 40);
  if (!ISO6523_IDENTITY.test(organisasjon)) throw new AsicManifestError(`organisasjon ${JSON.stringify(organisasjon)} is not an ISO 6523 identity`);
  const orgnr = /^(?:0192|9908):([0-9]{9})$/.exec(organisasjon)?.[1];
  return {
    organisasjon,
    ...(orgnr !== undefined ? { orgnr } : {}),
    ...(idEl ? { avsenderidentifikator: text(idEl, 0, 100) } : {}),
    ...(fakturaEl ? { fakturaReferanse: text(fakturaEl, 0, 40) } : {}),
  };
}

function parseDokument(el: Element): ManifestDokument {
  const href = boundedAttr(el, "href", 4, 100);
  const mime = boundedAttr(el, "mime", 1, 100);
  const seq = sequence(el, ["tittel", "data"]);
  const tittelEl = seq.optional("tittel");
  const dataEl = seq.optional("data");
  seq.end();
  let tittel: ManifestTittel | undefined;
  if (tittelEl) {
    if (elementChildren(tittelEl).length > 0) throw new AsicManifestError("tittel has child elements");
    const raw = tittelEl.textContent ?? "";
    if (charLength(raw) < 1 || charLength(raw) > 255) throw new AsicManifestError("tittel must be 1 to 255 characters");
    tittel = { text: raw, lang: boundedAttr(tittelEl, "lang", 2, 2) };
  }
  let data: ManifestDokument["data"];
  if (dataEl) {
    if (dataEl.hasChildNodes()) throw new AsicManifestError("data must be empty");
    data = { href: boundedAttr(dataEl, "href", 4, 100), mime: boundedAttr(dataEl, "mime", 1, 100) };
  }
  return { href, mime, ...(tittel ? { tittel } : {}), ...(data ? { data } : {}) };
}

function isSdp(el: Element, localName: string): boolean {
  return el.namespaceURI === ASIC_NS.sdp && el.localName === localName;
}

/**
 * Walks an element's children as an XSD sequence of sdp elements: only whitespace text in between, each
 * name in the order given, nothing unknown.
 */
function sequence(parent: Element, order: readonly string[]) {
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (!isElement(c) && (c.nodeType !== 3 || (c.nodeValue ?? "").trim() !== "") && c.nodeType !== 8) {
      throw new AsicManifestError(`${parent.localName} has text or other content between its elements`);
    }
  }
  const children = elementChildren(parent);
  for (const c of children) {
    if (c.namespaceURI !== ASIC_NS.sdp || !order.includes(c.localName)) {
      throw new AsicManifestError(`unexpected element ${c.nodeName} in ${parent.localName}`);
    }
  }
  let i = 0;
  const take = (name: string, max: number): Element[] => {
    const out: Element[] = [];
    while (out.length < max && children[i]?.localName === name) out.push(children[i++]!);
    return out;
  };
  return {
    one(name: string): Element {
      const [el] = take(name, 1);
      if (!el) throw new AsicManifestError(`${parent.localName} lacks ${name} (or has it out of order)`);
      return el;
    },
    optional: (name: string): Element | undefined => take(name, 1)[0],
    many: (name: string): Element[] => take(name, Number.MAX_SAFE_INTEGER),
    end(): void {
      const extra = children[i];
      if (extra) throw new AsicManifestError(`${parent.localName} has ${extra.localName} out of order or repeated`);
    },
  };
}

function text(el: Element, min: number, max: number): string {
  if (elementChildren(el).length > 0) throw new AsicManifestError(`${el.localName} has child elements`);
  const value = (el.textContent ?? "").trim();
  if (charLength(value) < min || charLength(value) > max) {
    throw new AsicManifestError(`${el.localName} must be ${min} to ${max} characters, is ${charLength(value)}`);
  }
  return value;
}

function boundedAttr(el: Element, name: string, min: number, max: number): string {
  const value = attr(el, name);
  if (value === undefined) throw new AsicManifestError(`${el.localName} lacks the ${name} attribute`);
  if (charLength(value) < min || charLength(value) > max) {
    throw new AsicManifestError(`${el.localName}/@${name} must be ${min} to ${max} characters, is ${charLength(value)}`);
  }
  return value;
}

/** XSD lengths count characters (code points), not UTF-16 units. */
function charLength(value: string): number {
  return [...value].length;
}

export interface ExpectedParties {
  /** The forretningsmelding's avsender (behandlingsansvarlig), nine digits. */
  readonly avsenderOrgnr?: string;
  /** The forretningsmelding's postkasseadresse; `null` for a print letter, which has no mottaker. */
  readonly postkasseadresse?: string | null;
}

/**
 * Corner 4 must check that the package belongs to its forretningsmelding: same avsender, same recipient
 * postbox address. Throws AsicManifestMismatchError.
 */
export function expectManifestParties(manifest: Manifest, expected: ExpectedParties): void {
  if (expected.avsenderOrgnr !== undefined && manifest.avsender.orgnr !== expected.avsenderOrgnr) {
    throw new AsicManifestMismatchError(
      `the manifest's avsender ${manifest.avsender.organisasjon} is not the forretningsmelding's ${expected.avsenderOrgnr}`,
    );
  }
  if (expected.postkasseadresse !== undefined && (manifest.mottaker?.postkasseadresse ?? null) !== expected.postkasseadresse) {
    throw new AsicManifestMismatchError("the manifest's postkasseadresse is not the forretningsmelding's");
  }
}

