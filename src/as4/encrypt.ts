import { constants, publicEncrypt, randomBytes, randomUUID, X509Certificate } from "node:crypto";
import { serialize } from "../xml/dom.js";
import { parseXml } from "../xml/safe-parse.js";
import { toDomElement, xmlAttr, xmlElement, xmlns, type XmlAttr, type XmlElement, type XmlNode } from "../xml/xml-text.js";
import type { EnvelopeTree } from "./envelope.js";
import { AES128_KEY_BYTES } from "./gcm-stream.js";
import { ALG, NS, WSS } from "./namespaces.js";
import { locateSoapParts } from "./soap-parse.js";

/**
 * WS-Security XML Encryption of AS4 attachments (SwA profile, Peppol/CEF algorithms): one random AES-128 key
 * per message, wrapped with RSA-OAEP (SHA-256 digest, MGF1-SHA-256) for the receiver's certificate, and one
 * `xenc:EncryptedData` per attachment whose ciphertext travels in the MIME part itself. The attachment bytes
 * are encrypted by `gcmEncryptStream`; this module only writes the key and the header.
 *
 * The header goes into an already signed `wsse:Security`: the signature covers eb:Messaging, the Body and the
 * attachments (before encryption), not the Security header, so adding to it after signing is safe.
 */

/** A fresh content-encryption key for one message. */
export function generateContentKey(): Buffer {
  return randomBytes(AES128_KEY_BYTES);
}

/** RSA-OAEP with SHA-256 and (OpenSSL's default for OAEP) MGF1 with the same SHA-256: xmlenc11#rsa-oaep + mgf1sha256. */
export function wrapContentKey(cek: Buffer, recipient: X509Certificate): Buffer {
  return publicEncrypt(
    { key: recipient.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
    cek,
  );
}

export interface EncryptedAttachmentRef {
  /** Content-ID without angle brackets. */
  contentId: string;
  /** MIME type of the bytes before encryption (`application/gzip` when compressed). */
  mimeType: string;
}

export interface EncryptionHeaderIds {
  recipientToken: string;
  encryptedKey: string;
  /** One per attachment, same order. */
  encryptedData: string[];
}

export interface EncryptionHeaderInput {
  cek: Buffer;
  recipient: X509Certificate;
  attachments: readonly EncryptedAttachmentRef[];
  /** Injectable for deterministic output; fresh `X509-`, `EK-`, `ED-` UUIDs otherwise. */
  ids?: EncryptionHeaderIds;
  /** Injectable RSA-OAEP result (tests); computed with {@link wrapContentKey} otherwise. */
  wrappedKey?: Buffer;
}

export function newEncryptionHeaderIds(count: number, uuid: () => string = randomUUID): EncryptionHeaderIds {
  return {
    recipientToken: `X509-${uuid()}`,
    encryptedKey: `EK-${uuid()}`,
    encryptedData: Array.from({ length: count }, () => `ED-${uuid()}`),
  };
}

/**
 * Adds BinarySecurityToken(receiver) + EncryptedKey + EncryptedData* at the start of `wsse:Security` of the
 * signed envelope we send (outbound.ts), built as a tree (envelope.ts), in the order WSS4J/phase4 produce.
 */
export function addEncryptionHeaderToTree(tree: EnvelopeTree, input: EncryptionHeaderInput): void {
  const ids = checkEncryptionInput(input);
  tree.security.children.unshift(...encryptionHeaderElements(input, ids));
}

/**
 * {@link addEncryptionHeaderToTree} on envelope text signed elsewhere (tests, interop vectors, other signers):
 * parsed, given the same elements as DOM nodes, serialised again. Our own sender does not come this way.
 */
export function addEncryptionHeader(envelopeXml: string, input: EncryptionHeaderInput): string {
  const doc = parseXml(envelopeXml);
  const ids = checkEncryptionInput(input);
  const { security } = locateSoapParts(doc);
  if (security === undefined) throw new Error("envelope has no wsse:Security header to add encryption to");
  const first = security.firstChild;
  for (const el of encryptionHeaderElements(input, ids)) security.insertBefore(toDomElement(doc, el), first);
  return serialize(doc);
}

function checkEncryptionInput(input: EncryptionHeaderInput): EncryptionHeaderIds {
  if (input.cek.length !== AES128_KEY_BYTES) throw new RangeError("content key must be 16 bytes (AES-128)");
  if (input.attachments.length === 0) throw new Error("nothing to encrypt: no attachments");
  const ids = input.ids ?? newEncryptionHeaderIds(input.attachments.length);
  if (ids.encryptedData.length !== input.attachments.length) throw new Error("one EncryptedData id per attachment");
  return ids;
}

/** BinarySecurityToken(receiver), EncryptedKey (the content key wrapped for the receiver), one EncryptedData per attachment. */
function encryptionHeaderElements(input: EncryptionHeaderInput, ids: EncryptionHeaderIds): XmlElement[] {
  const bst = el(
    NS.wsse,
    "wsse:BinarySecurityToken",
    { EncodingType: WSS.base64BinaryEncoding, ValueType: WSS.x509v3ValueType, "wsu:Id": ids.recipientToken },
    [input.recipient.raw.toString("base64")],
  );

  const wrapped = input.wrappedKey ?? wrapContentKey(input.cek, input.recipient);
  const encryptedKey = el(NS.xenc, "xenc:EncryptedKey", { "xmlns:xenc": NS.xenc, Id: ids.encryptedKey }, [
    el(NS.xenc, "xenc:EncryptionMethod", { Algorithm: ALG.rsaOaep }, [
      el(NS.ds, "ds:DigestMethod", { "xmlns:ds": NS.ds, Algorithm: ALG.sha256 }),
      el(NS.xenc11, "xenc11:MGF", { "xmlns:xenc11": NS.xenc11, Algorithm: ALG.mgf1Sha256 }),
    ]),
    el(NS.ds, "ds:KeyInfo", { "xmlns:ds": NS.ds }, [
      el(NS.wsse, "wsse:SecurityTokenReference", {}, [
        el(NS.wsse, "wsse:Reference", { URI: `#${ids.recipientToken}`, ValueType: WSS.x509v3ValueType }),
      ]),
    ]),
    el(NS.xenc, "xenc:CipherData", {}, [el(NS.xenc, "xenc:CipherValue", {}, [wrapped.toString("base64")])]),
    el(
      NS.xenc,
      "xenc:ReferenceList",
      {},
      ids.encryptedData.map((id) => el(NS.xenc, "xenc:DataReference", { URI: `#${id}` })),
    ),
  ]);

  const encryptedData = input.attachments.map((att, i) =>
    el(
      NS.xenc,
      "xenc:EncryptedData",
      { "xmlns:xenc": NS.xenc, Id: ids.encryptedData[i]!, MimeType: att.mimeType, Type: ALG.attachmentContentOnly },
      [
        el(NS.xenc, "xenc:EncryptionMethod", { Algorithm: ALG.aes128Gcm }),
        el(NS.ds, "ds:KeyInfo", { "xmlns:ds": NS.ds }, [
          el(NS.wsse, "wsse:SecurityTokenReference", { "xmlns:wsse11": NS.wsse11, "wsse11:TokenType": WSS.encryptedKeyTokenType }, [
            el(NS.wsse, "wsse:Reference", { URI: `#${ids.encryptedKey}` }),
          ]),
        ]),
        el(NS.xenc, "xenc:CipherData", {}, [
          el(NS.xenc, "xenc:CipherReference", { URI: `cid:${att.contentId}` }, [
            el(NS.xenc, "xenc:Transforms", {}, [
              el(NS.ds, "ds:Transform", { "xmlns:ds": NS.ds, Algorithm: ALG.attachmentCiphertextTransform }),
            ]),
          ]),
        ]),
      ],
    ),
  );

  return [bst, encryptedKey, ...encryptedData];
}

/** An element with attributes in the order given; the prefix picks an attribute's namespace. */
function el(ns: string, qname: string, attrs: Record<string, string> = {}, children: XmlNode[] = []): XmlElement {
  const list: XmlAttr[] = [];
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("wsu:")) list.push(xmlAttr(k, v, NS.wsu));
    else if (k.startsWith("wsse11:")) list.push(xmlAttr(k, v, NS.wsse11));
    else if (k.startsWith("xmlns:")) list.push(xmlns(k.slice(6), v));
    else list.push(xmlAttr(k, v));
  }
  return xmlElement(qname, ns, list, children);
}
