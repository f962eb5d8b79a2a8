/** The object identifiers of the dokumentpakke's CMS (RFC 5652, RFC 8017, NIST's AES and SHA-2 arcs). */
export const CMS_OIDS = {
  envelopedData: "1.2.840.113549.1.7.3",
  data: "1.2.840.113549.1.7.1",
  rsaesOaep: "1.2.840.113549.1.1.7",
  mgf1: "1.2.840.113549.1.1.8",
  pSpecified: "1.2.840.113549.1.1.9",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  aes128Cbc: "2.16.840.1.101.3.4.1.2",
  aes192Cbc: "2.16.840.1.101.3.4.1.22",
  aes256Cbc: "2.16.840.1.101.3.4.1.42",
} as const;
