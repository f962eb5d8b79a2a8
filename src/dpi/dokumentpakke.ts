import { createHash, timingSafeEqual, webcrypto, X509Certificate, type KeyObject } from "node:crypto";
import { open } from "node:fs/promises";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { DomainError } from "../errors.js";
import { CONTENT_CIPHER_BY_OID } from "../packaging/cms-algorithms.js";
import { decryptCbc } from "../packaging/cms-decrypt.js";
import { readEnvelope } from "../packaging/cms-envelope.js";
import { identifies, toPrivateKey } from "../packaging/certificates.js";
import { CmsMalformedError, CmsUnsupportedAlgorithmError } from "../packaging/errors.js";
import { parseKeyTransportAlgorithm, unwrapContentKey } from "../packaging/rsa-key-transport.js";
import type { Dokumentpakkefingeravtrykk } from "./bodies.js";
import { CMS_OIDS } from "./cms-oids.js";
import { cmsSkeleton, cmsSkeletonFrom, type RandomAccessSource } from "./cms-skeleton.js";
import { summarizeEnvelopedData, type EnvelopedDataSummary, type KeyTransportRecipientSummary } from "./cms-summary.js";

export { CMS_OIDS } from "./cms-oids.js";
export type { RandomAccessSource } from "./cms-skeleton.js";
export type { EnvelopedDataSummary, KeyTransportRecipientSummary } from "./cms-summary.js";
import {
  DokumentpakkeDecryptError,
  DokumentpakkeNotCmsError,
  FingerprintMismatchError,
  UnsupportedCmsAlgorithmError,
  UnsupportedDigestMethodError,
} from "./errors.js";

/**
 * The dokumentpakke as it travels: an ASiC-E zip inside CMS EnvelopedData (RFC 5652), RSAES-OAEP with
 * SHA-256/MGF1-SHA-256 for the key and AES-256-CBC for the content (dpi.md §4). The forretningsmelding
 * fingerprints the encrypted bytes, so the fingerprint can be checked without decrypting.
 */

export const SHA256_DIGEST_METHOD = "http://www.w3.org/2001/04/xmlenc#sha256";

const AES_CBC_OIDS: ReadonlySet<string> = new Set([CMS_OIDS.aes128Cbc, CMS_OIDS.aes192Cbc, CMS_OIDS.aes256Cbc]);

// An explicit engine, so nothing depends on pkijs' global engine being set by someone else.
const engine = new pkijs.CryptoEngine({ name: "node", crypto: webcrypto as unknown as Crypto });

// ---- fingerprint --------------------------------------------------------------------------------------

/** base64(SHA-256(bytes)): the digestValue of dokumentpakkefingeravtrykk. */
export function fingerprint(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("base64");
}

export function dokumentpakkefingeravtrykk(bytes: Uint8Array): Dokumentpakkefingeravtrykk {
  return { digestMethod: SHA256_DIGEST_METHOD, digestValue: fingerprint(bytes) };
}

const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=?$/;

/**
 * Checks the encrypted dokumentpakke against the fingerprint in the forretningsmelding. Throws
 * UnsupportedDigestMethodError or FingerprintMismatchError.
 */
export function checkFingerprint(bytes: Uint8Array, expected: Dokumentpakkefingeravtrykk): void {
  verifyFingerprint(createHash("sha256").update(bytes).digest(), expected);
}

/** As checkFingerprint, for a SHA-256 digest computed while the bytes streamed past. */
export function verifyFingerprint(sha256: Uint8Array, expected: Dokumentpakkefingeravtrykk): void {
  if (expected.digestMethod !== SHA256_DIGEST_METHOD) throw new UnsupportedDigestMethodError(expected.digestMethod);
  if (!BASE64_SHA256.test(expected.digestValue)) throw new FingerprintMismatchError();
  const claimed = Buffer.from(expected.digestValue, "base64");
  if (sha256.byteLength !== claimed.byteLength || !timingSafeEqual(claimed, sha256)) {
    throw new FingerprintMismatchError();
  }
}

// ---- structure ----------------------------------------------------------------------------------------

interface ParsedEnvelope {
  readonly enveloped: pkijs.EnvelopedData;
  readonly summary: EnvelopedDataSummary;
}

/**
 * Checks that the bytes are one CMS ContentInfo holding EnvelopedData with encrypted content, and describes
 * its algorithms. BER with indefinite lengths (BouncyCastle's streaming output) is accepted. Throws
 * DokumentpakkeNotCmsError.
 */
export function parseEnvelopedData(bytes: Uint8Array): EnvelopedDataSummary {
  return summarizeEnvelopedData(cmsSkeleton(bytes));
}

/**
 * As parseEnvelopedData, reading from `source` only the structure around the encrypted content and stepping
 * over the content itself, so memory stays bounded by a constant (cms-skeleton.ts) whatever the package's size.
 */
export async function parseEnvelopedDataFrom(source: RandomAccessSource): Promise<EnvelopedDataSummary> {
  return summarizeEnvelopedData(await cmsSkeletonFrom(source));
}

/** As parseEnvelopedDataFrom, for a file (a stored dokumentpakke). */
export async function parseEnvelopedDataFile(path: string): Promise<EnvelopedDataSummary> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    return await parseEnvelopedDataFrom({ size, read: (buffer, offset, length, position) => file.read(buffer, offset, length, position) });
  } finally {
    await file.close();
  }
}

/** asn1js and pkijs throw plain errors on some malformed input (e.g. a bad GeneralizedTime); all of it is "not CMS". */
function notCmsOnError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DokumentpakkeNotCmsError(`not a CMS structure: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The summary of a skeleton as asn1js and pkijs read it, the way decryption reads the whole package: what the
 * intake used before cms-summary.ts, kept as the reference its differential test compares with.
 */
export function pkijsSkeletonSummary(skeleton: Uint8Array): EnvelopedDataSummary {
  // The skeleton is small (at most CMS_STRUCTURE_MAX_BYTES and some headers), so asn1js' default caps hold.
  return notCmsOnError(() => {
    const asn = asn1js.fromBER(skeleton);
    if (asn.offset === -1 || asn.result.error) {
      throw new DokumentpakkeNotCmsError(`not BER-encoded ASN.1: ${asn.result.error || "decoding failed"}`);
    }
    return envelopeOf(asn.result).summary;
  });
}

function envelopeOf(schema: asn1js.AsnType): ParsedEnvelope {
  let contentInfo: pkijs.ContentInfo;
  try {
    contentInfo = new pkijs.ContentInfo({ schema });
  } catch (cause) {
    throw new DokumentpakkeNotCmsError("not a CMS ContentInfo", { cause });
  }
  if (contentInfo.contentType !== CMS_OIDS.envelopedData) {
    throw new DokumentpakkeNotCmsError(
      `ContentInfo content type is ${contentInfo.contentType}, not EnvelopedData (${CMS_OIDS.envelopedData})`,
    );
  }
  let enveloped: pkijs.EnvelopedData;
  try {
    enveloped = new pkijs.EnvelopedData({ schema: contentInfo.content });
  } catch (cause) {
    throw new DokumentpakkeNotCmsError("malformed EnvelopedData", { cause });
  }
  const { encryptedContentInfo } = enveloped;
  if (encryptedContentInfo.encryptedContent === undefined) {
    throw new DokumentpakkeNotCmsError("EnvelopedData carries no encrypted content");
  }
  const keyTransportRecipients = enveloped.recipientInfos
    .filter((ri) => ri.variant === 1 && ri.value instanceof pkijs.KeyTransRecipientInfo)
    .map((ri) => summarizeKeyTransport(ri.value as pkijs.KeyTransRecipientInfo));
  const first = keyTransportRecipients[0];
  const summary: EnvelopedDataSummary = {
    version: enveloped.version,
    recipientCount: enveloped.recipientInfos.length,
    keyTransportRecipients,
    ...(first ? { keyTransportAlgorithm: first.keyEncryptionAlgorithm } : {}),
    ...(first?.oaepHashAlgorithm ? { oaepHashAlgorithm: first.oaepHashAlgorithm } : {}),
    ...(first?.oaepMgf1HashAlgorithm ? { oaepMgf1HashAlgorithm: first.oaepMgf1HashAlgorithm } : {}),
    contentType: encryptedContentInfo.contentType,
    contentEncryptionAlgorithm: encryptedContentInfo.contentEncryptionAlgorithm.algorithmId,
  };
  return { enveloped, summary };
}

function summarizeKeyTransport(ktri: pkijs.KeyTransRecipientInfo): KeyTransportRecipientSummary {
  const identifiedBy = ktri.rid instanceof pkijs.IssuerAndSerialNumber ? "issuerAndSerialNumber" : "subjectKeyIdentifier";
  const keyEncryptionAlgorithm = ktri.keyEncryptionAlgorithm.algorithmId;
  if (keyEncryptionAlgorithm !== CMS_OIDS.rsaesOaep) return { keyEncryptionAlgorithm, identifiedBy };
  const oaep = oaepParams(ktri.keyEncryptionAlgorithm.algorithmParams);
  const mgf1Hash =
    oaep.maskGenAlgorithm.algorithmId === CMS_OIDS.mgf1 ? algorithmIdOf(oaep.maskGenAlgorithm.algorithmParams) : undefined;
  return {
    keyEncryptionAlgorithm,
    oaepHashAlgorithm: oaep.hashAlgorithm.algorithmId,
    oaepMaskGenAlgorithm: oaep.maskGenAlgorithm.algorithmId,
    ...(mgf1Hash ? { oaepMgf1HashAlgorithm: mgf1Hash } : {}),
    oaepEmptyLabel: hasEmptyLabel(ktri.keyEncryptionAlgorithm.algorithmParams),
    identifiedBy,
  };
}

/*
 * Read from the encoding rather than from pkijs' RSAESOAEPParams: pkijs fills an absent pSourceAlgorithm
 * with the SHA-1 hash of the empty string as its "default" value, which would look like a label.
 */
function hasEmptyLabel(params: unknown): boolean {
  if (!(params instanceof asn1js.Sequence)) return true;
  const pSource = params.valueBlock.value.find((el) => el.idBlock.tagClass === 3 && el.idBlock.tagNumber === 2);
  if (pSource === undefined) return true;
  const algorithm = (pSource as asn1js.Constructed).valueBlock.value?.[0];
  if (!(algorithm instanceof asn1js.Sequence)) return false;
  const [oid, label] = algorithm.valueBlock.value;
  return (
    oid instanceof asn1js.ObjectIdentifier &&
    oid.valueBlock.toString() === CMS_OIDS.pSpecified &&
    label instanceof asn1js.OctetString &&
    label.valueBlock.valueHexView.byteLength === 0
  );
}

/*
 * BouncyCastle writes NULL parameters on the hash AlgorithmIdentifiers and OpenSSL omits them; both parse
 * the same way here. Absent OAEP parameters mean all RFC 8017 defaults (SHA-1, MGF1-SHA-1, empty label).
 */
function oaepParams(params: unknown): pkijs.RSAESOAEPParams {
  if (!(params instanceof asn1js.Sequence)) return new pkijs.RSAESOAEPParams();
  try {
    return new pkijs.RSAESOAEPParams({ schema: params });
  } catch (cause) {
    throw new DokumentpakkeNotCmsError("malformed RSAES-OAEP parameters", { cause });
  }
}

function algorithmIdOf(params: unknown): string | undefined {
  if (params instanceof pkijs.AlgorithmIdentifier) return params.algorithmId;
  if (!(params instanceof asn1js.Sequence)) return undefined;
  try {
    return new pkijs.AlgorithmIdentifier({ schema: params }).algorithmId;
  } catch {
    return undefined;
  }
}

// ---- encryption ---------------------------------------------------------------------------------------

export type CertificateInput = Uint8Array | X509Certificate;
/** A PKCS#8 DER private key or a node KeyObject. */
export type PrivateKeyInput = Uint8Array | KeyObject;

function certificateDer(cert: CertificateInput): Uint8Array {
  return cert instanceof X509Certificate ? cert.raw : cert;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * Encrypts a dokumentpakke (the ASiC-E bytes) for one recipient as Digdir does: EnvelopedData, one
 * KeyTransRecipientInfo by issuer and serial number, RSAES-OAEP SHA-256/MGF1-SHA-256, AES-256-CBC.
 * Returns BER with indefinite lengths, as pkijs (and BouncyCastle's streaming generator) write it.
 */
export async function encryptDokumentpakke(plain: Uint8Array, recipientCert: CertificateInput): Promise<Uint8Array> {
  const der = certificateDer(recipientCert);
  if (new X509Certificate(der).publicKey.asymmetricKeyType !== "rsa") {
    throw new UnsupportedCmsAlgorithmError("the recipient certificate must carry an RSA key");
  }
  const enveloped = new pkijs.EnvelopedData();
  enveloped.addRecipientByCertificate(pkijs.Certificate.fromBER(toArrayBuffer(der)), { oaepHashAlgorithm: "SHA-256" }, 1, engine);
  await enveloped.encrypt({ name: "AES-CBC", length: 256 } as AesKeyGenParams, toArrayBuffer(plain), engine);
  // pkijs writes version 2; with only version-0 KeyTransRecipientInfos RFC 5652 §6.1 asks for 0, as Digdir writes.
  enveloped.version = 0;
  const contentInfo = new pkijs.ContentInfo({
    contentType: pkijs.ContentInfo.ENVELOPED_DATA,
    content: enveloped.toSchema(),
  });
  return new Uint8Array(contentInfo.toSchema().toBER());
}

/**
 * Decrypts a dokumentpakke with the recipient's key. The recipient is found by the certificate's issuer and
 * serial number (or subject key identifier). Throws DokumentpakkeNotCmsError, UnsupportedCmsAlgorithmError
 * or DokumentpakkeDecryptError.
 *
 * The package is read with our BER reader (src/packaging/cms-envelope.ts), not asn1js and pkijs: for a 25 kB
 * package their tree and WebCrypto's key import took most of a postbox's CPU per letter. pkijs' reading stays
 * the reference of the differential test (test/dpi/dokumentpakke-decrypt-differential.test.ts).
 */
export async function decryptDokumentpakke(
  cms: Uint8Array,
  key: PrivateKeyInput,
  cert: CertificateInput,
): Promise<Uint8Array> {
  // The same structure check as at intake first, so both refuse the same packages for the same reasons.
  const summary = parseEnvelopedData(cms);
  const envelope = dpiErrorsOf(() => readEnvelope(cms));
  const certificate = cert instanceof X509Certificate ? cert : new X509Certificate(certificateDer(cert));
  // readEnvelope lists the KeyTransRecipientInfos in order, as the summary does.
  const index = envelope.recipients.findIndex((r) => identifies(r.id, certificate));
  const recipient = envelope.recipients[index];
  const described = summary.keyTransportRecipients[index];
  if (recipient === undefined || described === undefined) {
    throw new DokumentpakkeDecryptError("no KeyTransRecipientInfo is addressed to the given certificate");
  }
  checkDecryptable(described, summary.contentEncryptionAlgorithm);
  const cipher = CONTENT_CIPHER_BY_OID[envelope.cipherOid];
  const transport = dpiErrorsOf(() => parseKeyTransportAlgorithm(envelope.reader, recipient.algorithmId, recipient.algorithmParams));
  try {
    if (cipher === undefined) throw new Error(`no AES-CBC cipher for ${envelope.cipherOid}`);
    const cek = unwrapContentKey(recipient.encryptedKey, toPrivateKey(key), transport, cipher.keyLength);
    // A missing or malformed IV fails here too, as an undecryptable package (as it failed in pkijs).
    return decryptCbc(envelope, cipher, cek);
  } catch (cause) {
    // One message for every failure: which step failed is no business of whoever sent the bytes.
    throw new DokumentpakkeDecryptError("the content encryption key or the content could not be decrypted", { cause });
  }
}

/** The packaging module's CMS errors as DPI's, for what parseEnvelopedData has not already refused. */
function dpiErrorsOf<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof CmsUnsupportedAlgorithmError) throw new UnsupportedCmsAlgorithmError(err.message);
    if (err instanceof CmsMalformedError) throw new DokumentpakkeNotCmsError(err.message, { cause: err });
    throw err;
  }
}

/*
 * DPI's profile: RSAES-OAEP with one hash for OAEP and MGF1 and no label, AES-CBC. node:crypto hashes OAEP and
 * MGF1 with one function, so another MGF1 hash would decrypt wrongly; say so instead of failing obscurely.
 */
function checkDecryptable(recipient: KeyTransportRecipientSummary, contentEncryptionAlgorithm: string): void {
  if (recipient.keyEncryptionAlgorithm !== CMS_OIDS.rsaesOaep) {
    throw new UnsupportedCmsAlgorithmError(
      `key encryption ${recipient.keyEncryptionAlgorithm} is not RSAES-OAEP (${CMS_OIDS.rsaesOaep})`,
    );
  }
  if (recipient.oaepMgf1HashAlgorithm !== recipient.oaepHashAlgorithm) {
    throw new UnsupportedCmsAlgorithmError(
      `OAEP hash ${recipient.oaepHashAlgorithm} with mask generation ${recipient.oaepMaskGenAlgorithm}/${recipient.oaepMgf1HashAlgorithm ?? "-"} is not supported`,
    );
  }
  if (!recipient.oaepEmptyLabel) throw new UnsupportedCmsAlgorithmError("OAEP with a non-empty label is not supported");
  if (!AES_CBC_OIDS.has(contentEncryptionAlgorithm)) {
    throw new UnsupportedCmsAlgorithmError(`content encryption ${contentEncryptionAlgorithm} is not AES-CBC`);
  }
}
