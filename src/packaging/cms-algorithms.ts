/**
 * The object identifiers of the CMS algorithms eFormidling uses, and what node:crypto calls them.
 */

export const OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  envelopedData: "1.2.840.113549.1.7.3",
  authEnvelopedData: "1.2.840.113549.1.9.16.1.23",

  rsaEncryption: "1.2.840.113549.1.1.1",
  rsaesOaep: "1.2.840.113549.1.1.7",
  mgf1: "1.2.840.113549.1.1.8",
  pSpecified: "1.2.840.113549.1.1.9",
  sha1WithRsa: "1.2.840.113549.1.1.5",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  sha384WithRsa: "1.2.840.113549.1.1.12",
  sha512WithRsa: "1.2.840.113549.1.1.13",
  sha224WithRsa: "1.2.840.113549.1.1.14",

  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
  sha224: "2.16.840.1.101.3.4.2.4",

  aes128Cbc: "2.16.840.1.101.3.4.1.2",
  aes192Cbc: "2.16.840.1.101.3.4.1.22",
  aes256Cbc: "2.16.840.1.101.3.4.1.42",
  aes128Gcm: "2.16.840.1.101.3.4.1.6",
  aes192Gcm: "2.16.840.1.101.3.4.1.26",
  aes256Gcm: "2.16.840.1.101.3.4.1.46",

  contentTypeAttr: "1.2.840.113549.1.9.3",
  messageDigestAttr: "1.2.840.113549.1.9.4",
  signingTimeAttr: "1.2.840.113549.1.9.5",
  signingCertificateAttr: "1.2.840.113549.1.9.16.2.12",
  signingCertificateV2Attr: "1.2.840.113549.1.9.16.2.47",
  subjectKeyIdentifier: "2.5.29.14",
} as const;

/** Digest algorithm OID → node:crypto hash name. */
export const HASH_BY_OID: Readonly<Record<string, string>> = {
  [OID.sha1]: "sha1",
  [OID.sha224]: "sha224",
  [OID.sha256]: "sha256",
  [OID.sha384]: "sha384",
  [OID.sha512]: "sha512",
};

/** sha*WithRSAEncryption OID → the hash it signs with. */
export const RSA_SIGNATURE_HASH_BY_OID: Readonly<Record<string, string>> = {
  [OID.sha1WithRsa]: "sha1",
  [OID.sha224WithRsa]: "sha224",
  [OID.sha256WithRsa]: "sha256",
  [OID.sha384WithRsa]: "sha384",
  [OID.sha512WithRsa]: "sha512",
};

export interface ContentCipher {
  /** node:crypto cipher name */
  readonly name: string;
  readonly keyLength: number;
  readonly mode: "cbc" | "gcm";
}

export const CONTENT_CIPHER_BY_OID: Readonly<Record<string, ContentCipher>> = {
  [OID.aes128Cbc]: { name: "aes-128-cbc", keyLength: 16, mode: "cbc" },
  [OID.aes192Cbc]: { name: "aes-192-cbc", keyLength: 24, mode: "cbc" },
  [OID.aes256Cbc]: { name: "aes-256-cbc", keyLength: 32, mode: "cbc" },
  [OID.aes128Gcm]: { name: "aes-128-gcm", keyLength: 16, mode: "gcm" },
  [OID.aes192Gcm]: { name: "aes-192-gcm", keyLength: 24, mode: "gcm" },
  [OID.aes256Gcm]: { name: "aes-256-gcm", keyLength: 32, mode: "gcm" },
};

/** The two ways eFormidling transports the content key: OAEP for DPO and the others, PKCS#1 v1.5 for DPE. */
export type KeyTransportScheme = "rsaes-oaep" | "rsa-pkcs1v15";
