import { readZip, ZipError } from "../../dpi/zip.js";
import { decryptCms, EFM_MANIFEST_FILE } from "../../packaging/index.js";
import type { KeyStore } from "../../pki/keystore.js";
import { ARKIVMELDING_FILE } from "../../sbd/index.js";
import type { DpfMailBlobKind } from "../../store/dpf-mail-repo.js";

/**
 * The files a DPF mail carries (attached at level 3, behind links at level 4), read from the mail's blob with the
 * receiving organisation's key. A forsendelse file from SvarInn is a CMS envelope around a zip of the documents;
 * the NextMove inbox's package is a CMS envelope around the ASiC-E we built (its bookkeeping and the arkivmelding.xml
 * we wrote are left out: the mail carries what the sender sent). What cannot be opened is still delivered as it
 * is, with a note saying so, rather than not at all: the mail is the last way the forsendelse reaches anyone.
 */

export interface MailFile {
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface MailFiles {
  files: MailFile[];
  /** Why the files are not the documents themselves (the forsendelse file could not be opened). */
  note?: string | undefined;
}

export function mailFiles(blob: Uint8Array, kind: DpfMailBlobKind, keystore: KeyStore, messageId: string, mimeTypes: ReadonlyMap<string, string> = new Map()): MailFiles {
  let zip: Uint8Array;
  try {
    zip = decryptCms(blob, keystore.privateKey, keystore.certificate).content;
  } catch (e) {
    return {
      files: [{ filename: `${messageId}.p7m`, contentType: "application/pkcs7-mime", bytes: blob }],
      note: `The forsendelse file cannot be decrypted with the organisation's key (${e instanceof Error ? e.message : String(e)}); it is attached as received.`,
    };
  }
  let entries: { name: string; data: Uint8Array }[];
  try {
    entries = readZip(zip).entries.filter((e) => !e.isDirectory);
  } catch (e) {
    if (!(e instanceof ZipError)) throw e;
    return { files: [{ filename: `${messageId}.bin`, contentType: "application/octet-stream", bytes: zip }], note: `The forsendelse file is not a readable zip (${e.message}); it is attached decrypted, as it is.` };
  }
  if (kind === "asic") entries = entries.filter((e) => e.name !== "mimetype" && e.name !== EFM_MANIFEST_FILE && !e.name.startsWith("META-INF/") && e.name !== ARKIVMELDING_FILE);
  return { files: entries.map((e) => ({ filename: baseName(e.name), contentType: mimeTypes.get(e.name) ?? contentTypeOf(e.name), bytes: e.data })) };
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1) || name;
}

const TYPES: Record<string, string> = {
  pdf: "application/pdf",
  xml: "application/xml",
  txt: "text/plain",
  html: "text/html",
  json: "application/json",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  odt: "application/vnd.oasis.opendocument.text",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  tif: "image/tiff",
  tiff: "image/tiff",
};

function contentTypeOf(name: string): string {
  const ext = name.slice(name.lastIndexOf(".") + 1).toLowerCase();
  return TYPES[ext] ?? "application/octet-stream";
}
