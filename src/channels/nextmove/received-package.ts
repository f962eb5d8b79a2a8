import type { X509Certificate } from "node:crypto";
import type { Clock } from "../../clock.js";
import { DomainError } from "../../errors.js";
import { CmsDecryptError, CmsMalformedError, CmsUnsupportedAlgorithmError, CmsWrongRecipientError, decryptCms, EfmAsicInputError, openEformidlingAsic } from "../../packaging/index.js";
import type { KeyStore } from "../../pki/keystore.js";

/**
 * An incoming asic.zip as the receiving organisation opens it: the CMS envelope decrypted with its key, then the
 * ASiC-E checked (CAdES signature, every file covered, signer chained to the business anchors). The plain ASiC-E,
 * or why the package is unreadable: what the sender got wrong, as opposed to a fault of ours (a missing key),
 * which is thrown.
 */

const UNREADABLE_CMS = [CmsMalformedError, CmsUnsupportedAlgorithmError, CmsWrongRecipientError, CmsDecryptError];

export function openReceivedPackage(cms: Uint8Array, ks: KeyStore, o: { anchors: readonly X509Certificate[]; clock: Clock }): Uint8Array | { unreadable: string } {
  let asic: Uint8Array;
  try {
    asic = decryptCms(cms, ks.privateKey, ks.certificate).content;
  } catch (err) {
    if (UNREADABLE_CMS.some((type) => err instanceof type)) return { unreadable: (err as CmsDecryptError).code };
    throw err;
  }
  try {
    openEformidlingAsic(asic, { anchors: o.anchors, clock: o.clock });
  } catch (err) {
    // Every packaging error but a caller's input is the package's: unsigned, tampered, untrusted, malformed.
    if (err instanceof DomainError && err.code.startsWith("efm-asic-") && !(err instanceof EfmAsicInputError)) return { unreadable: `${err.code}: ${err.message}` };
    throw err;
  }
  return asic;
}
