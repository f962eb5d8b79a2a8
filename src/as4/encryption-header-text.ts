import { xmlAttr, xmlElement, xmlns, type XmlAttr, type XmlElement, type XmlNode } from "../xml/xml-text.js";
import { newEncryptionHeaderIds, wrapContentKey, type EncryptionHeaderInput } from "./encrypt.js";
import type { EnvelopeTree } from "./envelope-text.js";
import { AES128_KEY_BYTES } from "./gcm-stream.js";
import { ALG, NS, WSS } from "./namespaces.js";

/**
 * encrypt.ts addEncryptionHeaderTo on an envelope built as a plain tree (envelope-text.ts): the same checks, and
 * BinarySecurityToken(receiver) + EncryptedKey + EncryptedData* put at the start of wsse:Security with the same
 * elements, attributes and order, so the serialised envelope is the DOM path's text byte for byte.
 */
export function addEncryptionHeaderToTree(tree: EnvelopeTree, input: EncryptionHeaderInput): void {
  if (input.cek.length !== AES128_KEY_BYTES) throw new RangeError("content key must be 16 bytes (AES-128)");
  if (input.attachments.length === 0) throw new Error("nothing to encrypt: no attachments");
  const ids = input.ids ?? newEncryptionHeaderIds(input.attachments.length);
  if (ids.encryptedData.length !== input.attachments.length) throw new Error("one EncryptedData id per attachment");

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

  tree.security.children.unshift(bst, encryptedKey, ...encryptedData);
}

/** An element with attributes in the order given; a prefix picks an attribute's namespace as encrypt.ts does. */
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
