import { systemClock, type Clock } from "../../clock.js";
import type { Dokumentpakkefingeravtrykk } from "../bodies.js";
import {
  ASIC_E_MIMETYPE,
  AsicMimeTypeNotAllowedError,
  DOCUMENT_MIME_TYPES,
  EXTENSION_MIME_TYPES,
  MANIFEST_FILE,
  MAX_PACKAGE_SIZE,
  SIGNATURES_FILE,
} from "../asic-verify.js";
import { dokumentpakkefingeravtrykk, encryptDokumentpakke, type CertificateInput } from "../dokumentpakke.js";
import { checkEntryName, writeZip, ZipUnsafeNameError, type ZipEntryInput } from "../zip.js";
import { AsicInputError, buildManifestXml, type ManifestDocumentInput, type ManifestInput } from "./manifest.js";
import { createSignaturesXml, type XadesDataObject, type XadesSigner } from "./xades.js";

export { AsicInputError } from "./manifest.js";

/**
 * The dokumentpakke corner 1 sends (dpi.md §4), whether a business system builds it or this access point does
 * for a NextMove sender: an ASiC-E zip with `mimetype` first and stored, then manifest.xml, the documents, and
 * META-INF/signatures.xml signing everything before it; then CMS-encrypted to the recipient's certificate. The
 * rules a postbox would enforce (one main document, at most 200 attachments, allowed MIME types, UTF-8 names,
 * no executables, 30 MB) are enforced here first.
 */

export interface AsicFile {
  /** File name in the container: 4 to 100 characters, no folders. */
  readonly name: string;
  readonly mimeType: string;
  readonly bytes: Uint8Array;
}

export interface AsicDocument extends AsicFile {
  /** Title shown to the recipient after login. */
  readonly title?: string;
  /** ISO 639-1 language of the title (default "no"). */
  readonly lang?: string;
  /** An extension file ("utvidelse", e.g. application/vnd.difi.dpi.lenke+xml) enriching this document. */
  readonly data?: AsicFile;
}

export interface BuildAsicEInput {
  readonly hoveddokument: AsicDocument & { readonly title: string };
  readonly vedlegg?: readonly AsicDocument[];
  /** Digital post: the recipient's postkasseadresse. Leave out for print (utskrift). */
  readonly mottaker?: { readonly postkasseadresse: string };
  readonly avsender: ManifestInput["avsender"];
  /** The behandlingsansvarlig's or databehandler's virksomhetssertifikat, with its chain up to the root. */
  readonly signer: XadesSigner;
  /** Signing time and zip timestamps (default: now). */
  readonly clock?: Clock;
  /** Deflate the documents (default true); manifest and signature are always deflated. */
  readonly compressDocuments?: boolean;
  /** Largest container allowed, in bytes (default 30 MiB). */
  readonly maxPackageSize?: number;
}

const RESERVED_NAMES = new Set(["mimetype", MANIFEST_FILE]);
const EXECUTABLE = /\.(exe|com|bat|cmd|msi|msp|scr|pif|cpl|dll|jar|js|jse|vbs|vbe|wsf|wsh|ps1|psm1|sh|app|apk|bin|run)$/i;
const ALL_DATA_TYPES: ReadonlySet<string> = new Set([...DOCUMENT_MIME_TYPES, ...EXTENSION_MIME_TYPES]);

/** The ASiC-E container bytes. Throws AsicInputError or AsicMimeTypeNotAllowedError. */
export function buildAsicE(input: BuildAsicEInput): Uint8Array {
  const now = (input.clock ?? systemClock)();
  const documents = [input.hoveddokument, ...(input.vedlegg ?? [])];
  const files = checkedFiles(documents);

  const manifest = buildManifestXml({
    ...(input.mottaker ? { mottaker: input.mottaker } : {}),
    avsender: input.avsender,
    hoveddokument: manifestEntry(input.hoveddokument),
    vedlegg: (input.vedlegg ?? []).map(manifestEntry),
  });
  const signed: XadesDataObject[] = [{ name: MANIFEST_FILE, mimeType: "application/xml", bytes: manifest }, ...files];
  const signatures = createSignaturesXml(signed, input.signer, now);

  const documentMethod = input.compressDocuments === false ? "store" : "deflate";
  const entries: ZipEntryInput[] = [
    { name: "mimetype", data: new TextEncoder().encode(ASIC_E_MIMETYPE), method: "store" },
    { name: MANIFEST_FILE, data: manifest, method: "deflate" },
    ...files.map((f) => ({ name: f.name, data: f.bytes, method: documentMethod } as const)),
    { name: SIGNATURES_FILE, data: signatures, method: "deflate" },
  ];
  const zip = writeZip(entries, { modified: now, comment: `mimetype=${ASIC_E_MIMETYPE}` });
  const max = input.maxPackageSize ?? MAX_PACKAGE_SIZE;
  if (zip.byteLength > max) throw new AsicInputError(`the dokumentpakke is ${zip.byteLength} bytes, more than ${max}`);
  return zip;
}

export interface BuildDokumentpakkeInput extends BuildAsicEInput {
  /** The recipient's encryption certificate (from Kontaktregisteret, or the print provider's). */
  readonly recipientCertificate: CertificateInput;
}

export interface BuiltDokumentpakke {
  /** The plaintext ASiC-E, for the sender's archive. */
  readonly asic: Uint8Array;
  /** What is sent: CMS EnvelopedData around `asic`. */
  readonly cms: Uint8Array;
  /** dokumentpakkefingeravtrykk for the forretningsmelding: SHA-256 of `cms`. */
  readonly fingerprint: Dokumentpakkefingeravtrykk;
}

/** buildAsicE, then CMS encryption to the recipient and the fingerprint of the result. */
export async function buildDokumentpakke(input: BuildDokumentpakkeInput): Promise<BuiltDokumentpakke> {
  const asic = buildAsicE(input);
  const cms = await encryptDokumentpakke(asic, input.recipientCertificate);
  return { asic, cms, fingerprint: dokumentpakkefingeravtrykk(cms) };
}

function manifestEntry(doc: AsicDocument): ManifestDocumentInput {
  return {
    href: doc.name,
    mimeType: doc.mimeType,
    ...(doc.title !== undefined ? { title: doc.title } : {}),
    ...(doc.lang !== undefined ? { lang: doc.lang } : {}),
    ...(doc.data ? { data: { href: doc.data.name, mimeType: doc.data.mimeType } } : {}),
  };
}

/** The documents and their data files in container order, each name and type checked. */
function checkedFiles(documents: readonly AsicDocument[]): AsicFile[] {
  const files: AsicFile[] = [];
  const seen = new Set<string>();
  const add = (file: AsicFile, types: ReadonlySet<string>): void => {
    checkName(file.name);
    // Names differing only in case or Unicode form would collide when the recipient saves them.
    const key = file.name.normalize("NFC").toLowerCase();
    if (seen.has(key)) throw new AsicInputError(`${JSON.stringify(file.name)} occurs twice in the dokumentpakke`);
    seen.add(key);
    if (!types.has(file.mimeType)) throw new AsicMimeTypeNotAllowedError(file.name, file.mimeType);
    files.push(file);
  };
  for (const doc of documents) {
    add(doc, DOCUMENT_MIME_TYPES);
    if (doc.data) add(doc.data, ALL_DATA_TYPES);
  }
  return files;
}

function checkName(name: string): void {
  try {
    checkEntryName(name);
  } catch (err) {
    if (err instanceof ZipUnsafeNameError) throw new AsicInputError(err.message);
    throw err;
  }
  if (name.includes("/")) throw new AsicInputError(`${JSON.stringify(name)}: documents cannot be in folders`);
  if (RESERVED_NAMES.has(name) || /^meta-inf$/i.test(name)) throw new AsicInputError(`${JSON.stringify(name)} is reserved by ASiC-E`);
  if (EXECUTABLE.test(name)) throw new AsicInputError(`${JSON.stringify(name)}: executable files cannot be sent`);
  const length = [...name].length;
  if (length < 4 || length > 100) throw new AsicInputError(`${JSON.stringify(name)}: file names must be 4 to 100 characters`);
}
