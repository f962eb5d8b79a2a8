/**
 * The names in an eFormidling ASiC-E, shared by the builder and the reader, and the shape of a file in it.
 */

export const EFM_MANIFEST_FILE = "manifest.xml";
export const ASIC_MANIFEST_FILE = "META-INF/ASiCManifest.xml";
export const ODF_MANIFEST_FILE = "META-INF/manifest.xml";

export interface EfmAsicDocument {
  /** Name in the container; folders are allowed, META-INF and the reserved names are not. */
  readonly name: string;
  readonly mimeType: string;
  readonly bytes: Uint8Array;
}
