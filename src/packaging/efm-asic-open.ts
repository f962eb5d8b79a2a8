import { createHash, timingSafeEqual, type X509Certificate } from "node:crypto";
import { systemClock, type Clock } from "../clock.js";
import { ASIC_E_MIMETYPE } from "../dpi/asic-profile.js";
import { readZip, ZipError, ZipLimitError, type ZipEntry } from "../dpi/zip.js";
import { validateChain } from "../pki/index.js";
import { parseAsicManifestXml, type DataObjectReference } from "./asic-cades-manifest.js";
import { verifyDetachedCades, type VerifiedCades } from "./cades-verify.js";
import { EFM_MANIFEST_FILE, ODF_MANIFEST_FILE, type EfmAsicDocument } from "./efm-asic-layout.js";
import { parseEfmManifestXml, type EformidlingManifest } from "./efm-manifest.js";
import {
  EfmAsicDigestMismatchError,
  EfmAsicFileMissingError,
  EfmAsicFileNotCoveredError,
  EfmAsicLimitError,
  EfmAsicMalformedError,
  EfmAsicManifestInvalidError,
  EfmAsicSignatureMissingError,
  EfmAsicSignerUntrustedError,
} from "./errors.js";

/**
 * Opens an eFormidling document package (the plain ASiC-E, after decryptCms) and checks it as commons-asic's
 * reader does, more strictly: `mimetype` first, exactly one ASiCManifest whose CAdES signature verifies, every
 * file it names present with its digest, and no file outside META-INF that it leaves out. The zip is read with
 * limits on entries and inflated bytes, checked before anything is inflated.
 */

export interface OpenEformidlingAsicOptions {
  /** Most zip entries (default 1000). */
  readonly maxEntries?: number;
  /** Most bytes all entries may inflate to together (default 100 MiB). */
  readonly maxTotalSize?: number;
  /** If given, the signer's certificate must chain to one of these (with the certificates the signature carries). */
  readonly anchors?: readonly X509Certificate[];
  /** The chain is validated at this clock's time (default: now). */
  readonly clock?: Clock;
  /** Accept SHA-1 signatures (default true, as commons-asic signs with SHA-1). */
  readonly allowSha1?: boolean;
}

export interface OpenedEformidlingAsic {
  readonly manifest: EformidlingManifest;
  /** The files outside META-INF except manifest.xml, in container order, typed as the ASiCManifest types them. */
  readonly documents: readonly EfmAsicDocument[];
  readonly signer: VerifiedCades & {
    /** The validated path, signer first and anchor last; only when anchors were given. */
    readonly path?: readonly X509Certificate[];
  };
}

export const DEFAULT_MAX_ENTRIES = 1000;
export const DEFAULT_MAX_TOTAL_SIZE = 100 * 1024 * 1024;

const ASIC_MANIFEST = /^META-INF\/ASiCManifest[^/]*\.xml$/i;
const CADES_SIGNATURE = /^META-INF\/signature[^/]*\.p7s$/i;
const MIMETYPE_BYTES = Buffer.from(ASIC_E_MIMETYPE, "ascii");

/**
 * Throws EfmAsicMalformedError, EfmAsicLimitError, EfmAsicSignatureMissingError, EfmAsicSignatureMalformedError,
 * EfmAsicSignatureInvalidError, EfmAsicUnsupportedAlgorithmError, EfmAsicDigestMismatchError,
 * EfmAsicFileMissingError, EfmAsicFileNotCoveredError, EfmAsicManifestInvalidError or EfmAsicSignerUntrustedError.
 */
export function openEformidlingAsic(zip: Uint8Array, options: OpenEformidlingAsicOptions = {}): OpenedEformidlingAsic {
  const entries = readEntries(zip, options);
  const { files, asicManifests, signatures } = classify(entries);

  const [asicManifestEntry, ...moreManifests] = asicManifests;
  if (!asicManifestEntry) throw new EfmAsicSignatureMissingError("the container has no META-INF/ASiCManifest.xml");
  if (moreManifests.length > 0) {
    throw new EfmAsicMalformedError("the container has several ASiCManifests; combined containers are not supported");
  }
  const asicManifest = parseAsicManifestXml(asicManifestEntry.data);
  const signature = signatures.get(asicManifest.signatureUri);
  if (!signature) {
    throw new EfmAsicSignatureMissingError(`the ASiCManifest is signed in ${JSON.stringify(asicManifest.signatureUri)}, which the container lacks`);
  }
  for (const name of signatures.keys()) {
    if (name !== asicManifest.signatureUri) throw new EfmAsicMalformedError(`${JSON.stringify(name)} is a signature no ASiCManifest refers to`);
  }
  const cadesOptions = options.allowSha1 === undefined ? {} : { allowSha1: options.allowSha1 };
  const verified = verifyDetachedCades(signature, asicManifestEntry.data, cadesOptions);

  const mimeTypes = checkReferences(asicManifest.references, files);
  const manifestBytes = files.get(EFM_MANIFEST_FILE);
  if (!manifestBytes) throw new EfmAsicManifestInvalidError(`the container has no ${EFM_MANIFEST_FILE}`);
  const manifest = parseEfmManifestXml(manifestBytes);
  if (manifest.mainDocument && !files.has(manifest.mainDocument.href)) {
    const href = JSON.stringify(manifest.mainDocument.href);
    throw new EfmAsicManifestInvalidError(`manifest.xml names the main document ${href}, which the container does not hold`);
  }

  const path = options.anchors ? trustedPath(verified, options.anchors, (options.clock ?? systemClock)()) : undefined;
  const documents = [...files]
    .filter(([name]) => name !== EFM_MANIFEST_FILE)
    .map(([name, bytes]) => ({ name, mimeType: mimeTypes.get(name) ?? "application/octet-stream", bytes }));
  return { manifest, documents, signer: { ...verified, ...(path ? { path } : {}) } };
}

function readEntries(zip: Uint8Array, options: OpenEformidlingAsicOptions): readonly ZipEntry[] {
  let entries: readonly ZipEntry[];
  try {
    entries = readZip(zip, {
      maxEntries: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
      maxTotalSize: options.maxTotalSize ?? DEFAULT_MAX_TOTAL_SIZE,
    }).entries;
  } catch (err) {
    if (err instanceof ZipLimitError) throw new EfmAsicLimitError(err.message, { cause: err });
    if (err instanceof ZipError) throw new EfmAsicMalformedError(`not a readable zip: ${err.message}`, { cause: err });
    throw err;
  }
  const first = entries[0];
  if (!first || first.name !== "mimetype" || first.localHeaderOffset !== 0) {
    throw new EfmAsicMalformedError("the first entry of the container is not `mimetype`");
  }
  if (first.method !== "store") throw new EfmAsicMalformedError("`mimetype` is compressed");
  if (!Buffer.from(first.data).equals(MIMETYPE_BYTES)) throw new EfmAsicMalformedError(`\`mimetype\` is not ${ASIC_E_MIMETYPE}`);
  return entries.slice(1);
}

interface Classified {
  /** Files outside META-INF, by name, in container order */
  readonly files: Map<string, Uint8Array>;
  readonly asicManifests: ZipEntry[];
  readonly signatures: Map<string, Uint8Array>;
}

function classify(entries: readonly ZipEntry[]): Classified {
  const result: Classified = { files: new Map(), asicManifests: [], signatures: new Map() };
  for (const entry of entries) {
    if (entry.isDirectory) {
      if (entry.data.byteLength > 0) throw new EfmAsicMalformedError(`the folder entry ${JSON.stringify(entry.name)} has content`);
    } else if (!/^META-INF\//i.test(entry.name)) {
      result.files.set(entry.name, entry.data);
    } else if (ASIC_MANIFEST.test(entry.name)) {
      result.asicManifests.push(entry);
    } else if (CADES_SIGNATURE.test(entry.name)) {
      result.signatures.set(entry.name, entry.data);
    } else if (entry.name !== ODF_MANIFEST_FILE) {
      // commons-asic refuses them too ("unknown metadata file"): nothing unsigned rides along in META-INF.
      throw new EfmAsicMalformedError(`the container holds ${JSON.stringify(entry.name)}, which ASiC-E with CAdES does not define`);
    }
  }
  return result;
}

/** Every reference names a file whose digest it holds; every file is referenced. Returns the MIME types named. */
function checkReferences(references: readonly DataObjectReference[], files: ReadonlyMap<string, Uint8Array>): Map<string, string> {
  const mimeTypes = new Map<string, string>();
  const covered = new Set<string>();
  for (const ref of references) {
    const name = files.has(ref.uri) ? ref.uri : decodedUri(ref.uri);
    const bytes = name === undefined ? undefined : files.get(name);
    if (name === undefined || bytes === undefined) throw new EfmAsicFileMissingError(ref.uri);
    if (covered.has(name)) throw new EfmAsicMalformedError(`the ASiCManifest references ${JSON.stringify(name)} twice`);
    covered.add(name);
    const digest = createHash(ref.digestAlgorithm).update(bytes).digest();
    if (digest.byteLength !== ref.digest.byteLength || !timingSafeEqual(digest, ref.digest)) throw new EfmAsicDigestMismatchError(name);
    if (ref.mimeType) mimeTypes.set(name, ref.mimeType);
  }
  for (const name of files.keys()) if (!covered.has(name)) throw new EfmAsicFileNotCoveredError(name);
  return mimeTypes;
}

/* commons-asic writes names as they are; other producers percent-encode them as the URI the attribute is. */
function decodedUri(uri: string): string | undefined {
  try {
    return decodeURIComponent(uri);
  } catch {
    return undefined;
  }
}

function trustedPath(verified: VerifiedCades, anchors: readonly X509Certificate[], at: Date): X509Certificate[] {
  const others = verified.certificates.filter((c) => c !== verified.signerCertificate);
  try {
    return validateChain(verified.signerCertificate, others, anchors, at);
  } catch (cause) {
    throw new EfmAsicSignerUntrustedError(`the signer's certificate is not trusted: ${(cause as Error).message}`, { cause });
  }
}
