import { constants, privateDecrypt, type KeyObject, type X509Certificate } from "node:crypto";
import { x509FromDer } from "../pki/x509-cache.js";
import { attr, childElements, elementChildren } from "../xml/dom.js";
import { EbmsError } from "./ebms-errors.js";
import { AES128_KEY_BYTES, decryptToSpool } from "./gcm-stream.js";
import { ALG, NS, WSS } from "./namespaces.js";
import type { SpooledContent, TempDir } from "./temp-files.js";

/**
 * Reads the WS-Security encryption header of an inbound AS4 message and decrypts the attachments it names.
 * Only what the Peppol/CEF profile allows is accepted: RSA-OAEP (xmlenc11) with SHA-256 and MGF1-SHA-256 for
 * the key, AES-128-GCM for `Attachment-Content-Only` parts referenced by `cid:`, and direct references
 * (EncryptedData → EncryptedKey → BinarySecurityToken). Anything else is EBMS:0103; a key or ciphertext
 * that does not decrypt is EBMS:0102. Plaintext becomes readable only after the GCM tag checked out.
 */

export interface DecryptionKey {
  privateKey: KeyObject;
  /** When given, the EncryptedKey must name this certificate; otherwise the message was not for us. */
  certificate?: X509Certificate;
}

export interface EncryptedKeyInfo {
  id: string;
  /** The wrapped key as sent. */
  cipherValue: Buffer;
  /** The receiver certificate from the referenced BinarySecurityToken. */
  recipientCertificate: X509Certificate;
  /** Ids listed in its ReferenceList (without '#'). */
  dataReferences: string[];
}

export interface EncryptedDataInfo {
  id: string | undefined;
  contentId: string;
  /** The type of the plaintext (before encryption), e.g. `application/gzip`. */
  mimeType: string | undefined;
  encryptedKeyId: string;
}

export interface EncryptionHeader {
  encryptedKeys: ReadonlyMap<string, EncryptedKeyInfo>;
  encryptedData: readonly EncryptedDataInfo[];
}

export interface DecryptedAttachment {
  contentId: string;
  /** Authentic plaintext (still compressed, if it was). */
  content: SpooledContent;
  size: number;
  /** SHA-256 of the plaintext, for the signature's attachment reference. */
  sha256: Buffer;
  mimeType: string | undefined;
}

const policy = (detail: string): EbmsError => new EbmsError("EBMS:0103", detail);
const failed = (detail: string, cause?: unknown): EbmsError => new EbmsError("EBMS:0102", detail, { cause });

function one(parent: Element, ns: string, name: string, where: string): Element {
  const found = childElements(parent, ns, name);
  if (found.length !== 1) throw policy(`${where} must contain exactly one ${name}, found ${found.length}`);
  return found[0]!;
}

/** `#id` → `id`; anything else (no fragment, other documents) is not a direct reference. */
function fragment(uri: string | undefined, where: string): string {
  if (uri === undefined || !uri.startsWith("#") || uri.length < 2) throw policy(`${where} must be a direct reference (#id), found ${uri ?? "none"}`);
  return uri.slice(1);
}

/** The `wsse:Reference/@URI` of the single STR in a `ds:KeyInfo`, as an id. */
function strReference(keyInfo: Element, where: string): { id: string; str: Element; ref: Element } {
  const str = one(keyInfo, NS.wsse, "SecurityTokenReference", `${where}/KeyInfo`);
  const refs = childElements(str, NS.wsse, "Reference");
  if (refs.length !== 1 || elementChildren(str).length !== 1) {
    throw policy(`${where} must reference its key by a direct wsse:Reference (no KeyIdentifier, no issuer/serial)`);
  }
  const ref = refs[0]!;
  return { id: fragment(attr(ref, "URI"), `${where} key reference`), str, ref };
}

function base64Text(el: Element, where: string): Buffer {
  // Santuario and others wrap base64 across lines (sometimes as &#13;): read DOM text, drop all whitespace.
  const text = (el.textContent ?? "").replace(/\s+/g, "");
  if (text === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw failed(`${where} is not base64`);
  return Buffer.from(text, "base64");
}

function readBinarySecurityToken(security: Element, id: string, where: string): X509Certificate {
  const tokens = childElements(security, NS.wsse, "BinarySecurityToken").filter((t) => attr(t, "Id", NS.wsu) === id);
  if (tokens.length !== 1) throw policy(`${where} references #${id}, which is not exactly one BinarySecurityToken`);
  const token = tokens[0]!;
  if (attr(token, "ValueType") !== WSS.x509v3ValueType) throw policy(`BinarySecurityToken #${id} must have ValueType X509v3`);
  const encoding = attr(token, "EncodingType");
  if (encoding !== undefined && encoding !== WSS.base64BinaryEncoding) throw policy(`BinarySecurityToken #${id} has unsupported EncodingType`);
  try {
    return x509FromDer(base64Text(token, `BinarySecurityToken #${id}`));
  } catch (err) {
    throw policy(`BinarySecurityToken #${id} does not hold an X.509 certificate`);
  }
}

function readEncryptedKey(security: Element, ek: Element): EncryptedKeyInfo {
  const id = attr(ek, "Id");
  if (id === undefined) throw policy("xenc:EncryptedKey has no Id");
  const where = `EncryptedKey ${id}`;
  const method = one(ek, NS.xenc, "EncryptionMethod", where);
  if (attr(method, "Algorithm") !== ALG.rsaOaep) throw policy(`${where}: key transport must be ${ALG.rsaOaep}, found ${attr(method, "Algorithm") ?? "none"}`);
  // Absent DigestMethod means SHA-1 and absent MGF means MGF1-SHA-1 (XML Encryption 1.1); neither is allowed.
  const digest = childElements(method, NS.ds, "DigestMethod");
  if (digest.length !== 1 || attr(digest[0]!, "Algorithm") !== ALG.sha256) throw policy(`${where}: OAEP digest must be ${ALG.sha256}`);
  const mgf = childElements(method, NS.xenc11, "MGF");
  if (mgf.length !== 1 || attr(mgf[0]!, "Algorithm") !== ALG.mgf1Sha256) throw policy(`${where}: OAEP MGF must be ${ALG.mgf1Sha256}`);

  const { id: tokenId } = strReference(one(ek, NS.ds, "KeyInfo", where), where);
  const recipientCertificate = readBinarySecurityToken(security, tokenId, where);
  const cipherData = one(ek, NS.xenc, "CipherData", where);
  const cipherValue = base64Text(one(cipherData, NS.xenc, "CipherValue", `${where}/CipherData`), `${where} CipherValue`);
  const refLists = childElements(ek, NS.xenc, "ReferenceList");
  const dataReferences = refLists.flatMap((rl) =>
    childElements(rl, NS.xenc, "DataReference").map((dr) => fragment(attr(dr, "URI"), `${where} DataReference`)),
  );
  return { id, cipherValue, recipientCertificate, dataReferences };
}

function readEncryptedData(ed: Element): EncryptedDataInfo {
  const id = attr(ed, "Id");
  const where = `EncryptedData ${id ?? "(no Id)"}`;
  const type = attr(ed, "Type");
  if (type !== ALG.attachmentContentOnly) throw policy(`${where}: Type must be ${ALG.attachmentContentOnly}, found ${type ?? "none"}`);
  const method = one(ed, NS.xenc, "EncryptionMethod", where);
  if (attr(method, "Algorithm") !== ALG.aes128Gcm) throw policy(`${where}: data encryption must be ${ALG.aes128Gcm}, found ${attr(method, "Algorithm") ?? "none"}`);

  const { id: keyId, str } = strReference(one(ed, NS.ds, "KeyInfo", where), where);
  const tokenType = attr(str, "TokenType", NS.wsse11);
  if (tokenType !== undefined && tokenType !== WSS.encryptedKeyTokenType) throw policy(`${where}: key reference must have TokenType EncryptedKey`);

  const cipherData = one(ed, NS.xenc, "CipherData", where);
  if (childElements(cipherData, NS.xenc, "CipherValue").length > 0) throw policy(`${where}: attachment ciphertext must travel in the MIME part, not in CipherValue`);
  const ref = one(cipherData, NS.xenc, "CipherReference", `${where}/CipherData`);
  const uri = attr(ref, "URI");
  if (uri === undefined || !/^cid:\S+$/.test(uri)) throw policy(`${where}: CipherReference must be a cid: URI, found ${uri ?? "none"}`);
  for (const transforms of childElements(ref, NS.xenc, "Transforms")) {
    for (const t of elementChildren(transforms)) {
      if (attr(t, "Algorithm") !== ALG.attachmentCiphertextTransform) throw policy(`${where}: unsupported CipherReference transform ${attr(t, "Algorithm") ?? "none"}`);
    }
  }
  return { id, contentId: uri.slice(4), mimeType: attr(ed, "MimeType"), encryptedKeyId: keyId };
}

/** Reads (without decrypting) every EncryptedKey and EncryptedData directly inside `wsse:Security`. */
export function readEncryptionHeader(security: Element | undefined): EncryptionHeader {
  if (security === undefined) return { encryptedKeys: new Map(), encryptedData: [] };
  const encryptedKeys = new Map<string, EncryptedKeyInfo>();
  for (const ek of childElements(security, NS.xenc, "EncryptedKey")) {
    const info = readEncryptedKey(security, ek);
    if (encryptedKeys.has(info.id)) throw policy(`duplicate EncryptedKey Id ${info.id}`);
    encryptedKeys.set(info.id, info);
  }
  const encryptedData = childElements(security, NS.xenc, "EncryptedData").map(readEncryptedData);
  const seen = new Set<string>();
  for (const ed of encryptedData) {
    if (!encryptedKeys.has(ed.encryptedKeyId)) throw policy(`EncryptedData for cid:${ed.contentId} references unknown EncryptedKey #${ed.encryptedKeyId}`);
    if (seen.has(ed.contentId)) throw policy(`cid:${ed.contentId} is encrypted twice`);
    seen.add(ed.contentId);
  }
  return { encryptedKeys, encryptedData };
}

/** Unwraps the AES-128 content key with our private key, or throws EBMS:0102. */
export function unwrapContentKey(ek: EncryptedKeyInfo, key: DecryptionKey): Buffer {
  if (key.certificate !== undefined && !key.certificate.raw.equals(ek.recipientCertificate.raw)) {
    throw failed(`EncryptedKey ${ek.id} is for ${ek.recipientCertificate.subject.replace(/\n/g, ", ")}, not for this access point`);
  }
  let cek: Buffer;
  try {
    cek = privateDecrypt({ key: key.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, ek.cipherValue);
  } catch (err) {
    throw failed(`EncryptedKey ${ek.id} could not be decrypted`, err);
  }
  if (cek.length !== AES128_KEY_BYTES) throw failed(`EncryptedKey ${ek.id} does not hold an AES-128 key`);
  return cek;
}

export interface EncryptedPartSource {
  contentId: string;
  /**
   * IV ‖ ciphertext ‖ tag, as received; content held in memory is decrypted in one call, content in a file read
   * into one buffer over and over when the source can (readInto).
   */
  content: Pick<SpooledContent, "createReadStream"> & Partial<Pick<SpooledContent, "inMemory" | "readInto">>;
}

/**
 * Bytes of ciphertext read at a time from a spilled part, into one buffer per message: 25 MB so makes no garbage
 * of its own (a read stream allocates each piece afresh, collected by full garbage collections).
 */
const CIPHERTEXT_READ_BYTES = 256 * 1024;

/**
 * Decrypts every attachment the header names into spools of `tmp`. A header naming a part that was not
 * received is EBMS:0007. Returns the decrypted parts keyed by Content-ID; parts without EncryptedData are
 * not in the result (the caller decides whether plaintext parts are acceptable).
 */
export async function decryptAttachments(
  header: EncryptionHeader,
  parts: readonly EncryptedPartSource[],
  key: DecryptionKey,
  tmp: TempDir,
): Promise<Map<string, DecryptedAttachment>> {
  const byCid = new Map(parts.map((p) => [p.contentId, p]));
  for (const ed of header.encryptedData) {
    if (!byCid.has(ed.contentId)) throw new EbmsError("EBMS:0007", `EncryptedData references cid:${ed.contentId}, which is not a MIME part of the message`);
  }
  const keys = new Map<string, Buffer>();
  const out = new Map<string, DecryptedAttachment>();
  let readBuffer: Buffer | undefined;
  for (const ed of header.encryptedData) {
    let cek = keys.get(ed.encryptedKeyId);
    if (cek === undefined) {
      cek = unwrapContentKey(header.encryptedKeys.get(ed.encryptedKeyId)!, key);
      keys.set(ed.encryptedKeyId, cek);
    }
    const source = byCid.get(ed.contentId)!;
    const plain = tmp.spool(`plain-${ed.contentId}`);
    const { content } = source;
    const whole = content.inMemory?.();
    const pieces = whole ?? (content.readInto ? content.readInto((readBuffer ??= Buffer.allocUnsafe(CIPHERTEXT_READ_BYTES))) : content.createReadStream());
    const res = await decryptToSpool(pieces, cek, plain);
    out.set(ed.contentId, { contentId: ed.contentId, content: plain, size: res.size, sha256: res.sha256, mimeType: ed.mimeType });
  }
  return out;
}
