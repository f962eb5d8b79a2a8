import { createHash, randomUUID } from "node:crypto";
import { systemClock, type Clock } from "../clock.js";
import { ASIC_E_MIMETYPE } from "../dpi/asic-profile.js";
import { checkEntryName, writeZip, ZipUnsafeNameError, type ZipEntryInput } from "../dpi/zip.js";
import { buildAsicManifestXml } from "./asic-cades-manifest.js";
import { signDetachedCades, type CadesSigner } from "./cades-sign.js";
import { buildEfmManifestXml, MAIN_DOCUMENT_LANG, MAIN_DOCUMENT_TITLE } from "./efm-manifest.js";
import { ASIC_MANIFEST_FILE, EFM_MANIFEST_FILE, ODF_MANIFEST_FILE, type EfmAsicDocument } from "./efm-asic-layout.js";
import { EfmAsicInputError } from "./errors.js";
import { buildOdfManifestXml } from "./odf-manifest.js";

/**
 * The document package of an eFormidling message, as the integrasjonspunkt's AsicHandlerImpl makes it with
 * efm-common's CreateAsice and commons-asic's CAdES writer: an ASiC-E zip holding, in this order, `mimetype`
 * (stored), `manifest.xml`, the documents, `META-INF/ASiCManifest.xml` (SHA-256 of each file before it),
 * `META-INF/signature-<uuid>.p7s` (the sender's CAdES signature over the ASiCManifest) and the OpenDocument
 * `META-INF/manifest.xml`. Encrypting it for the receiver is encryptCms' job.
 */

export interface BuildEformidlingAsicInput {
  /** ISO 6523 identifier of the sending organisation, e.g. "0192:910077473" */
  readonly sender: string;
  readonly receiver: string;
  /** The message's files; the first is the main document (hoveddokument), as the integrasjonspunkt takes it. */
  readonly documents: readonly EfmAsicDocument[];
  /** The sending organisation's virksomhetssertifikat and key. */
  readonly signer: CadesSigner;
  /** Signing time and zip timestamps (default: now). */
  readonly clock?: Clock;
  /** The id in the signature's file name (default: a random UUID, as commons-asic does). */
  readonly newId?: () => string;
  /** Deflate the documents (default true); everything else but `mimetype` is always deflated. */
  readonly compressDocuments?: boolean;
}

/** The ASiC-E bytes. Throws EfmAsicInputError or PackagingKeyError. */
export function buildEformidlingAsic(input: BuildEformidlingAsicInput): Uint8Array {
  checkDocuments(input.documents);
  const now = (input.clock ?? systemClock)();
  const main = input.documents[0];
  const manifest = buildEfmManifestXml({
    receiver: input.receiver,
    sender: input.sender,
    ...(main ? { mainDocument: { href: main.name, mimeType: main.mimeType, title: MAIN_DOCUMENT_TITLE, lang: MAIN_DOCUMENT_LANG } } : {}),
  });

  const files = [{ name: EFM_MANIFEST_FILE, mimeType: "application/xml", bytes: manifest }, ...input.documents];
  const id = (input.newId ?? randomUUID)();
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(id)) throw new EfmAsicInputError(`${JSON.stringify(id)} cannot name a signature file`);
  const signatureFile = `META-INF/signature-${id}.p7s`;
  const asicManifest = buildAsicManifestXml(
    signatureFile,
    files.map((f) => ({ uri: f.name, mimeType: f.mimeType, sha256: createHash("sha256").update(f.bytes).digest() })),
  );
  const signature = signDetachedCades(asicManifest, input.signer, now);

  const documentMethod = input.compressDocuments === false ? "store" : "deflate";
  const entries: ZipEntryInput[] = [
    { name: "mimetype", data: Buffer.from(ASIC_E_MIMETYPE, "ascii"), method: "store" },
    { name: EFM_MANIFEST_FILE, data: manifest },
    ...input.documents.map((d) => ({ name: d.name, data: d.bytes, method: documentMethod }) as const),
    { name: ASIC_MANIFEST_FILE, data: asicManifest },
    { name: signatureFile, data: signature },
    { name: ODF_MANIFEST_FILE, data: buildOdfManifestXml(ASIC_E_MIMETYPE, files) },
  ];
  return writeZip(entries, { modified: now, comment: `mimetype=${ASIC_E_MIMETYPE}` });
}

const RESERVED = new Set(["mimetype", EFM_MANIFEST_FILE]);

function checkDocuments(documents: readonly EfmAsicDocument[]): void {
  const seen = new Set<string>();
  for (const doc of documents) {
    try {
      checkEntryName(doc.name);
    } catch (err) {
      if (err instanceof ZipUnsafeNameError) throw new EfmAsicInputError(err.message);
      throw err;
    }
    if (doc.name.endsWith("/")) throw new EfmAsicInputError(`${JSON.stringify(doc.name)} is a folder, not a file`);
    if (/^meta-inf\//i.test(doc.name)) throw new EfmAsicInputError(`${JSON.stringify(doc.name)}: META-INF belongs to the container`);
    if (RESERVED.has(doc.name.toLowerCase())) throw new EfmAsicInputError(`${JSON.stringify(doc.name)} is a name the package reserves`);
    // Names differing only in case or Unicode form would collide where the receiver saves them.
    const key = doc.name.normalize("NFC").toLowerCase();
    if (seen.has(key)) throw new EfmAsicInputError(`${JSON.stringify(doc.name)} occurs twice in the package`);
    seen.add(key);
    if (!/^[^\s/;]+\/[^\s;]+/.test(doc.mimeType)) {
      throw new EfmAsicInputError(`${JSON.stringify(doc.mimeType)} of ${JSON.stringify(doc.name)} is not a MIME type`);
    }
  }
}
