import "../xml/c14n-fix.js";
import type { X509Certificate } from "node:crypto";
import { systemClock, type Clock } from "../clock.js";
import { organisationNumberOf, validateChain } from "../pki/index.js";
import { decryptDokumentpakke, type CertificateInput, type PrivateKeyInput } from "./dokumentpakke.js";
import { readZip, type ZipEntry, type ZipReadLimits } from "./zip.js";
import { parseManifest, type Manifest } from "./asic-manifest.js";
import {
  ASIC_E_MIMETYPE,
  MANIFEST_FILE,
  SIGNATURES_FILE,
  ODF_MANIFEST_FILE,
  DOCUMENT_MIME_TYPES,
  EXTENSION_MIME_TYPES,
  MAX_PACKAGE_SIZE,
  AsicTooLargeError,
  AsicMimetypeError,
  AsicStructureError,
  AsicSignerUntrustedError,
  AsicManifestMismatchError,
  AsicMimeTypeNotAllowedError,
} from "./asic-profile.js";
import { verifyXadesSignature } from "./xades-verify.js";

export * from "./asic-profile.js";
export * from "./asic-c14n.js";
export * from "./asic-manifest.js";
export * from "./xades-verify.js";

/**
 * Opens and verifies a DPI dokumentpakke (dpi.md §4): an ASiC-E container whose `META-INF/signatures.xml`
 * holds one XAdES baseline-B signature over every file outside META-INF, and whose `manifest.xml` names the
 * sender, the recipient and the documents. This is what a postbox provider (corner 4) checks after
 * decrypting the CMS. The profile (namespaces, algorithms, MIME types, errors), the canonicaliser, the manifest
 * and the XAdES check live in their own modules and are re-exported here for the producer in `src/client/`.
 *
 * Order of the checks: container (zip limits, `mimetype`), layout of the entries, the signature (every
 * reference digest, SignedProperties, SignatureValue, signing certificate), the signer's chain, and last the
 * manifest and its agreement with the files. Each failure is its own error class with a stable `code`.
 */

// ---- the container --------------------------------------------------------------------------------------

export interface VerifyAsicEOptions {
  /** Trust anchors for the signer's virksomhetssertifikat (e.g. Buypass and Commfides roots). */
  readonly anchors: readonly X509Certificate[];
  /** The chain is validated at this clock's time (default: now). */
  readonly clock?: Clock;
  /** Zip limits; defaults fit a dokumentpakke (256 entries, 100 MiB inflated, 512-byte names). */
  readonly zipLimits?: ZipReadLimits;
  /** Largest container accepted, in bytes (default 30 MiB). */
  readonly maxPackageSize?: number;
  /** MIME types accepted for documents (default DOCUMENT_MIME_TYPES) and `<data>` files (+ EXTENSION_MIME_TYPES). */
  readonly allowedMimeTypes?: ReadonlySet<string>;
}

export interface VerifiedAsicE {
  /** Organisation number of the signer's virksomhetssertifikat (behandlingsansvarlig or databehandler). */
  readonly signerOrg: string;
  readonly signerCertificate: X509Certificate;
  /** The validated path, signer first and anchor last; check revocation on it if policy requires. */
  readonly signerPath: readonly X509Certificate[];
  readonly signingTime: Date;
  readonly manifest: Manifest;
  /** Every signed file (manifest.xml included) by name, in container order. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

const ASIC_ZIP_LIMITS: Required<ZipReadLimits> = { maxEntries: 256, maxTotalSize: 100 * 1024 * 1024, maxNameLength: 512 };
const MIMETYPE_BYTES = Buffer.from(ASIC_E_MIMETYPE, "ascii");

/** Reads, verifies and returns a decrypted dokumentpakke. Throws a ZipError or an AsicError. */
export function verifyAsicE(container: Uint8Array, options: VerifyAsicEOptions): VerifiedAsicE {
  const maxPackageSize = options.maxPackageSize ?? MAX_PACKAGE_SIZE;
  if (container.byteLength > maxPackageSize) {
    throw new AsicTooLargeError(`the container is ${container.byteLength} bytes, more than ${maxPackageSize}`);
  }
  const archive = readZip(container, { ...ASIC_ZIP_LIMITS, ...options.zipLimits });
  checkMimetypeEntry(archive.entries);

  const files = new Map<string, Uint8Array>();
  let signaturesXml: Uint8Array | undefined;
  for (const entry of archive.entries.slice(1)) {
    if (entry.isDirectory) {
      if (entry.data.length > 0) throw new AsicStructureError(`directory entry ${JSON.stringify(entry.name)} has content`);
      continue;
    }
    if (entry.name === SIGNATURES_FILE) signaturesXml = entry.data;
    else if (entry.name === ODF_MANIFEST_FILE) continue;
    else if (entry.name.startsWith("META-INF/")) throw new AsicStructureError(`unexpected ${JSON.stringify(entry.name)} in META-INF`);
    else files.set(entry.name, entry.data);
  }
  if (signaturesXml === undefined) throw new AsicStructureError(`the container has no ${SIGNATURES_FILE}`);
  const manifestBytes = files.get(MANIFEST_FILE);
  if (manifestBytes === undefined) throw new AsicStructureError(`the container has no ${MANIFEST_FILE}`);

  const signature = verifyXadesSignature(signaturesXml, files);
  const at = (options.clock ?? systemClock)();
  let signerPath: X509Certificate[];
  let signerOrg: string;
  try {
    signerPath = validateChain(signature.certificate, signature.otherCertificates, options.anchors, at);
    signerOrg = organisationNumberOf(signature.certificate);
  } catch (cause) {
    throw new AsicSignerUntrustedError(`the signing certificate is not acceptable: ${(cause as Error).message}`, { cause });
  }

  const manifest = parseManifest(manifestBytes);
  checkManifestAgainstFiles(manifest, files, options.allowedMimeTypes ?? DOCUMENT_MIME_TYPES);
  return { signerOrg, signerCertificate: signature.certificate, signerPath, signingTime: signature.signingTime, manifest, files };
}

function checkMimetypeEntry(entries: readonly ZipEntry[]): void {
  const first = entries[0];
  if (!first || first.name !== "mimetype" || first.localHeaderOffset !== 0) {
    throw new AsicMimetypeError("the first entry of the container is not `mimetype`");
  }
  if (first.method !== "store") throw new AsicMimetypeError("`mimetype` is compressed");
  if (first.hasLocalExtra) throw new AsicMimetypeError("`mimetype` has an extra field");
  if (!Buffer.from(first.data).equals(MIMETYPE_BYTES)) throw new AsicMimetypeError(`\`mimetype\` is not ${ASIC_E_MIMETYPE}`);
}

/** Each document the manifest names exists, is named once, has an allowed type; no file goes undescribed. */
function checkManifestAgainstFiles(manifest: Manifest, files: ReadonlyMap<string, Uint8Array>, allowed: ReadonlySet<string>): void {
  const described = new Set<string>([MANIFEST_FILE]);
  const describe = (href: string, mime: string, types: ReadonlySet<string>, extra?: ReadonlySet<string>): void => {
    if (described.has(href)) throw new AsicManifestMismatchError(`the manifest names ${JSON.stringify(href)} twice`);
    if (!files.has(href)) throw new AsicManifestMismatchError(`the manifest names ${JSON.stringify(href)}, which the container does not hold`);
    if (!types.has(mime) && !extra?.has(mime)) throw new AsicMimeTypeNotAllowedError(href, mime);
    described.add(href);
  };
  for (const doc of [manifest.hoveddokument, ...manifest.vedlegg]) {
    describe(doc.href, doc.mime, allowed);
    if (doc.data) describe(doc.data.href, doc.data.mime, allowed, EXTENSION_MIME_TYPES);
  }
  for (const name of files.keys()) {
    if (!described.has(name)) throw new AsicManifestMismatchError(`${JSON.stringify(name)} is not described by the manifest`);
  }
}

// ---- for corner 4 ---------------------------------------------------------------------------------------

export interface OpenDokumentpakkeRecipient {
  readonly privateKey: PrivateKeyInput;
  readonly certificate: CertificateInput;
}

/** Decrypts the CMS with the recipient's key, then verifies the ASiC-E inside (see verifyAsicE). */
export async function openDokumentpakke(
  cms: Uint8Array,
  recipient: OpenDokumentpakkeRecipient,
  options: VerifyAsicEOptions,
): Promise<VerifiedAsicE> {
  return verifyAsicE(await decryptDokumentpakke(cms, recipient.privateKey, recipient.certificate), options);
}

