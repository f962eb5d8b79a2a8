/**
 * eFormidling packaging (spec/eformidling.md §6.3): the ASiC-E document package with its CAdES signature, and the
 * CMS envelope that carries it to the receiver's integrasjonspunkt.
 */
export * from "./errors.js";
export { buildEformidlingAsic, type BuildEformidlingAsicInput } from "./efm-asic-build.js";
export { openEformidlingAsic, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_TOTAL_SIZE } from "./efm-asic-open.js";
export type { OpenEformidlingAsicOptions, OpenedEformidlingAsic } from "./efm-asic-open.js";
export { ASIC_MANIFEST_FILE, EFM_MANIFEST_FILE, ODF_MANIFEST_FILE, type EfmAsicDocument } from "./efm-asic-layout.js";
export { buildEfmManifestXml, parseEfmManifestXml, ORGANISATION_AUTHORITY, type EformidlingManifest } from "./efm-manifest.js";
export { encryptCms, type EncryptCmsOptions } from "./cms-encrypt.js";
export { decryptCms, type DecryptedCms } from "./cms-decrypt.js";
export type { KeyTransportScheme } from "./cms-algorithms.js";
export type { CertificateInput, PrivateKeyInput } from "./certificates.js";
export { signDetachedCades, type CadesSigner } from "./cades-sign.js";
export { verifyDetachedCades, type VerifiedCades, type VerifyCadesOptions } from "./cades-verify.js";
