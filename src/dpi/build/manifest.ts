import { ASIC_NS, MAX_VEDLEGG } from "../asic-verify.js";

/**
 * The SDP manifest.xml of a dokumentpakke (namespace http://begrep.difi.no/sdp/schema_v10), written in the
 * exact shape Digdir's integrasjonspunkt writes it: XML declaration with standalone="yes", default
 * namespace, no whitespace between elements, `mottaker` only for digital post, `avsender/organisasjon` as
 * `0192:<orgno>` with authority iso6523-actorid-upis. The schema's length limits are checked here so a
 * postbox never sees a manifest it must reject.
 */

/** The caller's input broke a rule of the dokumentpakke (a limit, a name, a type, the signer). */
export class AsicInputError extends Error {
  readonly code = "ASIC_INPUT_INVALID";
  constructor(message: string) {
    super(message);
    this.name = "AsicInputError";
  }
}

export interface ManifestDocumentInput {
  /** File name in the container, 4 to 100 characters. */
  readonly href: string;
  readonly mimeType: string;
  /** Title shown to the recipient after login, 1 to 255 characters. */
  readonly title?: string;
  /** ISO 639-1 language of the title (default "no"). */
  readonly lang?: string;
  /** An extension file ("utvidelse") that enriches this document. */
  readonly data?: { readonly href: string; readonly mimeType: string };
}

export interface ManifestInput {
  /** The recipient's postbox address; leave out for print (utskrift). */
  readonly mottaker?: { readonly postkasseadresse: string };
  readonly avsender: {
    /** Nine-digit organisation number of the behandlingsansvarlig. */
    readonly orgnr: string;
    readonly avsenderidentifikator?: string;
    readonly fakturaReferanse?: string;
  };
  readonly hoveddokument: ManifestDocumentInput;
  readonly vedlegg?: readonly ManifestDocumentInput[];
}

/** manifest.xml as UTF-8 bytes. Throws AsicInputError. */
export function buildManifestXml(input: ManifestInput): Uint8Array {
  const vedlegg = input.vedlegg ?? [];
  if (vedlegg.length > MAX_VEDLEGG) throw new AsicInputError(`${vedlegg.length} vedlegg; at most ${MAX_VEDLEGG} are allowed`);
  if (!/^[0-9]{9}$/.test(input.avsender.orgnr)) throw new AsicInputError(`avsender orgnr ${JSON.stringify(input.avsender.orgnr)} is not nine digits`);

  const out: string[] = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>', `<manifest xmlns="${ASIC_NS.sdp}">`];
  if (input.mottaker) {
    const address = bounded("postkasseadresse", input.mottaker.postkasseadresse, 1, 1000);
    out.push(`<mottaker><person><postkasseadresse>${escapeXmlText(address)}</postkasseadresse></person></mottaker>`);
  }
  out.push(`<avsender><organisasjon authority="iso6523-actorid-upis">0192:${input.avsender.orgnr}</organisasjon>`);
  if (input.avsender.avsenderidentifikator !== undefined) {
    const id = bounded("avsenderidentifikator", input.avsender.avsenderidentifikator, 1, 100);
    out.push(`<avsenderidentifikator>${escapeXmlText(id)}</avsenderidentifikator>`);
  }
  if (input.avsender.fakturaReferanse !== undefined) {
    const ref = bounded("fakturaReferanse", input.avsender.fakturaReferanse, 1, 40);
    out.push(`<fakturaReferanse>${escapeXmlText(ref)}</fakturaReferanse>`);
  }
  out.push("</avsender>");
  out.push(documentXml("hoveddokument", input.hoveddokument));
  for (const v of vedlegg) out.push(documentXml("vedlegg", v));
  out.push("</manifest>");
  return new TextEncoder().encode(out.join(""));
}

function documentXml(element: "hoveddokument" | "vedlegg", doc: ManifestDocumentInput): string {
  const href = bounded(`${element} href`, doc.href, 4, 100);
  const mime = bounded(`${element} mime`, doc.mimeType, 1, 100);
  const children: string[] = [];
  if (doc.title !== undefined) {
    const title = bounded(`${element} title`, doc.title, 1, 255);
    const lang = doc.lang ?? "no";
    if (!/^[A-Za-z]{2}$/.test(lang)) throw new AsicInputError(`language ${JSON.stringify(lang)} is not an ISO 639-1 code`);
    children.push(`<tittel lang="${lang}">${escapeXmlText(title)}</tittel>`);
  }
  if (doc.data) {
    const dataHref = bounded(`${element} data href`, doc.data.href, 4, 100);
    const dataMime = bounded(`${element} data mime`, doc.data.mimeType, 1, 100);
    children.push(`<data href="${escapeXmlAttr(dataHref)}" mime="${escapeXmlAttr(dataMime)}"/>`);
  }
  const open = `<${element} href="${escapeXmlAttr(href)}" mime="${escapeXmlAttr(mime)}"`;
  return children.length === 0 ? `${open}/>` : `${open}>${children.join("")}</${element}>`;
}

function bounded(what: string, value: string, min: number, max: number): string {
  const length = [...value].length;
  if (length < min || length > max) throw new AsicInputError(`${what} must be ${min} to ${max} characters, is ${length}`);
  return value;
}

// Characters XML 1.0 cannot carry at all, and UTF-16 halves that are not part of a pair.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function assertXmlChars(value: string): void {
  if (NOT_XML.test(value)) throw new AsicInputError(`${JSON.stringify(value)} holds characters XML cannot carry`);
}

/** Escapes character data; `>` too, and CR as a reference so it survives parsing. */
export function escapeXmlText(value: string): string {
  assertXmlChars(value);
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#13;");
}

/** Escapes an attribute value; whitespace as references so attribute normalisation keeps it. */
export function escapeXmlAttr(value: string): string {
  assertXmlChars(value);
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\t/g, "&#9;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;");
}
