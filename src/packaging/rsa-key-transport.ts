import { constants, createHash, createHmac, privateDecrypt, publicEncrypt, type KeyObject } from "node:crypto";
import { CONTEXT, TAG, type BerReader, type Element } from "../asn1/ber.js";
import { algorithm, derNull, explicit, sequence, type Der } from "./der.js";
import { HASH_BY_OID, OID, type KeyTransportScheme } from "./cms-algorithms.js";
import { berChecked, childrenOf, isA } from "./cms-ber.js";
import { CmsDecryptError, CmsMalformedError, CmsUnsupportedAlgorithmError } from "./errors.js";

/**
 * RSA key transport of a content encryption key (RFC 5652 §6.2.1): RSAES-OAEP (RFC 8017 §7.1, parameters as
 * RFC 4055 writes them) or RSAES-PKCS1-v1_5, the latter only because eFormidling's DPE still uses it.
 */

export interface KeyTransportAlgorithm {
  readonly scheme: KeyTransportScheme;
  /** OAEP: the hash of OAEP and of MGF1 (node:crypto uses one for both) */
  readonly oaepHash?: string;
  /** OAEP: the label, empty in every producer we know */
  readonly oaepLabel?: Uint8Array;
}

/*
 * RSAES-OAEP with SHA-256 and MGF1-SHA-256, hash parameters NULL and the default (empty) label left out: the
 * AlgorithmIdentifier BouncyCastle writes for efm-common's CmsAlgorithm.RSAES_OAEP.
 */
const OAEP_SHA256 = algorithm(
  OID.rsaesOaep,
  sequence(explicit(0, algorithm(OID.sha256, derNull())), explicit(1, algorithm(OID.mgf1, algorithm(OID.sha256, derNull())))),
);
const PKCS1V15 = algorithm(OID.rsaEncryption, derNull());

/** Encrypts the content key to the recipient's public key; returns the keyEncryptionAlgorithm and encryptedKey. */
export function wrapContentKey(
  cek: Uint8Array,
  recipientKey: KeyObject,
  scheme: KeyTransportScheme,
): { algorithm: Der; encryptedKey: Uint8Array } {
  if (scheme === "rsaes-oaep") {
    const encryptedKey = publicEncrypt({ key: recipientKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, cek);
    return { algorithm: OAEP_SHA256, encryptedKey };
  }
  return { algorithm: PKCS1V15, encryptedKey: publicEncrypt({ key: recipientKey, padding: constants.RSA_PKCS1_PADDING }, cek) };
}

/**
 * Reads a keyEncryptionAlgorithm whose parameters `r` holds. OAEP parameters may be absent (all RFC 8017
 * defaults: SHA-1) and hash parameters NULL (BouncyCastle) or absent (OpenSSL). node:crypto hashes OAEP and MGF1
 * with the same function, so other combinations are refused rather than decrypted wrongly.
 */
export function parseKeyTransportAlgorithm(r: BerReader, algorithmId: string, params: Element | undefined): KeyTransportAlgorithm {
  if (algorithmId === OID.rsaEncryption) return { scheme: "rsa-pkcs1v15" };
  if (algorithmId !== OID.rsaesOaep) {
    throw new CmsUnsupportedAlgorithmError(`key transport ${algorithmId} is neither RSAES-OAEP nor RSAES-PKCS1-v1_5`);
  }
  return berChecked(() => oaepParameters(r, params));
}

function oaepParameters(r: BerReader, params: Element | undefined): KeyTransportAlgorithm {
  let hash = "sha1";
  let mgfHash = "sha1";
  let label: Uint8Array = new Uint8Array(0);
  if (params !== undefined && !isA(params, TAG.sequence) && !isA(params, TAG.null)) {
    throw new CmsMalformedError("the RSAES-OAEP parameters are not a SEQUENCE");
  }
  const fields = isA(params, TAG.sequence) ? childrenOf(r, params) : [];
  for (const field of fields) {
    const [inner] = childrenOf(r, field);
    const [innerOid, innerParams] = childrenOf(r, inner);
    if (field.tagClass !== CONTEXT || !isA(innerOid, TAG.oid)) throw new CmsMalformedError("malformed RSAES-OAEP parameters");
    const id = r.oid(innerOid, "RSAES-OAEP parameters");
    switch (field.tagNumber) {
      case 0:
        hash = hashName(id);
        break;
      case 1: {
        if (id !== OID.mgf1) throw new CmsUnsupportedAlgorithmError(`OAEP mask generation ${id} is not MGF1`);
        const [mgfHashOid] = childrenOf(r, innerParams);
        if (!isA(mgfHashOid, TAG.oid)) throw new CmsMalformedError("MGF1 names no hash algorithm");
        mgfHash = hashName(r.oid(mgfHashOid, "MGF1 hash"));
        break;
      }
      case 2:
        if (id !== OID.pSpecified || !isA(innerParams, TAG.octetString)) {
          throw new CmsUnsupportedAlgorithmError(`OAEP label source ${id} is not pSpecified`);
        }
        label = Uint8Array.from(r.octets(innerParams, "OAEP label"));
        break;
      default:
        throw new CmsMalformedError(`unknown RSAES-OAEP parameter [${field.tagNumber}]`);
    }
  }
  if (hash !== mgfHash) throw new CmsUnsupportedAlgorithmError(`OAEP with ${hash} and MGF1-${mgfHash} is not supported`);
  return { scheme: "rsaes-oaep", oaepHash: hash, oaepLabel: label };
}

function hashName(id: string): string {
  const name = HASH_BY_OID[id];
  if (name === undefined) throw new CmsUnsupportedAlgorithmError(`hash algorithm ${id} is not supported`);
  return name;
}

/**
 * Recovers a content key of `keyLength` bytes. A failure is a CmsDecryptError for OAEP; for PKCS#1 v1.5 it is
 * not reported at all: a malformed block yields a key derived from the private key and the ciphertext instead
 * (RFC 3218 §2.3, "implicit rejection"), so the content decryption fails like any wrong key would and the time
 * taken does not depend on where the padding broke. node:crypto refuses PKCS#1 v1.5 decryption outright since
 * CVE-2023-46809, which is why the block is unpadded here, after a raw RSA decryption.
 */
export function unwrapContentKey(encryptedKey: Uint8Array, privateKey: KeyObject, alg: KeyTransportAlgorithm, keyLength: number): Uint8Array {
  if (alg.scheme === "rsaes-oaep") {
    let cek: Buffer;
    try {
      const label = alg.oaepLabel?.length ? { oaepLabel: alg.oaepLabel } : {};
      cek = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: alg.oaepHash ?? "sha1", ...label }, encryptedKey);
    } catch (cause) {
      throw new CmsDecryptError("the content encryption key could not be decrypted", { cause });
    }
    if (cek.length !== keyLength) throw new CmsDecryptError("the content encryption key has the wrong length");
    return cek;
  }
  let block: Buffer;
  try {
    block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, encryptedKey);
  } catch (cause) {
    // Only the length of the ciphertext against the modulus gets here: public information, no oracle.
    throw new CmsDecryptError("the encrypted content encryption key does not fit the private key", { cause });
  }
  return pkcs1v15UnpadOrSynthetic(block, keyLength, syntheticKey(privateKey, encryptedKey, keyLength));
}

/*
 * EME-PKCS1-v1_5 decoding for a message of known length, without branches on secret data:
 * 0x00 0x02 PS(at least 8 non-zero bytes) 0x00 M, with |M| = keyLength.
 */
function pkcs1v15UnpadOrSynthetic(block: Uint8Array, keyLength: number, synthetic: Uint8Array): Uint8Array {
  const separator = block.length - keyLength - 1;
  if (separator < 10) throw new CmsDecryptError("the RSA key is too small for the content encryption key");
  let bad = block[0]! | (block[1]! ^ 0x02) | block[separator]!;
  // (b - 1) >> 8 is -1 exactly when b is 0: a zero inside PS marks the block bad.
  for (let i = 2; i < separator; i++) bad |= ((block[i]! - 1) >> 8) & 1;
  const keep = ((bad - 1) >> 8) & 0xff; // 0xff when bad is 0, else 0
  const out = new Uint8Array(keyLength);
  for (let i = 0; i < keyLength; i++) out[i] = (block[separator + 1 + i]! & keep) | (synthetic[i]! & ~keep & 0xff);
  return out;
}

const keySecrets = new WeakMap<KeyObject, Buffer>();

/** The same ciphertext always yields the same substitute key, so repeating a query teaches nothing. */
function syntheticKey(privateKey: KeyObject, encryptedKey: Uint8Array, keyLength: number): Uint8Array {
  let secret = keySecrets.get(privateKey);
  if (!secret) {
    secret = createHash("sha256").update(privateKey.export({ format: "der", type: "pkcs8" })).digest();
    keySecrets.set(privateKey, secret);
  }
  return createHmac("sha256", secret).update("eformidling cms implicit rejection").update(encryptedKey).digest().subarray(0, keyLength);
}
