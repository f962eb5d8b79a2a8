/**
 * Namespace and algorithm URIs of SOAP 1.2, ebMS 3 / AS4, WS-Security 1.1.1, XML-DSig and XML Encryption 1.1
 * as the Peppol AS4 profile uses them. One place, so a typo cannot make two modules disagree.
 */

export const NS = {
  S12: "http://www.w3.org/2003/05/soap-envelope",
  eb: "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/",
  ebbp: "http://docs.oasis-open.org/ebxml-bp/ebbp-signals-2.0",
  wsse: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
  wsu: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
  wsse11: "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd",
  ds: "http://www.w3.org/2000/09/xmldsig#",
  xenc: "http://www.w3.org/2001/04/xmlenc#",
  xenc11: "http://www.w3.org/2009/xmlenc11#",
  ec: "http://www.w3.org/2001/10/xml-exc-c14n#",
  xml: "http://www.w3.org/XML/1998/namespace",
  xmlns: "http://www.w3.org/2000/xmlns/",
} as const;

export type NsPrefix = keyof typeof NS;

/** Algorithm identifiers from the Peppol AS4 profile table (CEF eDelivery AS4 common profile). */
export const ALG = {
  /** Canonicalisation of SignedInfo and of the XML references. */
  excC14n: "http://www.w3.org/2001/10/xml-exc-c14n#",
  rsaSha256: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  sha256: "http://www.w3.org/2001/04/xmlenc#sha256",
  attachmentContentSignatureTransform:
    "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform",
  attachmentCompleteSignatureTransform:
    "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Complete-Signature-Transform",
  aes128Gcm: "http://www.w3.org/2009/xmlenc11#aes128-gcm",
  rsaOaep: "http://www.w3.org/2009/xmlenc11#rsa-oaep",
  mgf1Sha256: "http://www.w3.org/2009/xmlenc11#mgf1sha256",
  attachmentContentOnly: "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Only",
  attachmentCiphertextTransform:
    "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Ciphertext-Transform",
} as const;

/** WS-Security token profile URIs. */
export const WSS = {
  x509v3ValueType: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3",
  base64BinaryEncoding:
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary",
  encryptedKeyTokenType: "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKey",
} as const;

/** Fixed values of the Peppol AS4 profile (2.0.x). */
export const PEPPOL = {
  partyIdType: "urn:fdc:peppol.eu:2017:identifiers:ap",
  agreementRef: "urn:fdc:peppol.eu:2017:agreements:tia:ap_provider",
  initiatorRole: "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/initiator",
  responderRole: "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/responder",
  defaultMpc: "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/defaultMPC",
  /** The AS4 connectivity test ("ping") service and action. */
  testService: "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/service",
  testAction: "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/test",
  gzip: "application/gzip",
} as const;
