import { webcrypto, X509Certificate, type KeyObject } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { cmsSkeleton } from "../../src/dpi/cms-skeleton.js";
import { CMS_OIDS, parseEnvelopedData, pkijsSkeletonSummary } from "../../src/dpi/dokumentpakke.js";
import { DokumentpakkeDecryptError, DokumentpakkeNotCmsError, UnsupportedCmsAlgorithmError } from "../../src/dpi/errors.js";
import { DomainError } from "../../src/errors.js";

/**
 * decryptDokumentpakke as it was before it read the package with our BER reader: asn1js and pkijs for the
 * structure, WebCrypto through pkijs for RSAES-OAEP and AES-CBC. The reference of
 * dokumentpakke-decrypt-differential.test.ts; not used by the access point.
 */

const engine = new pkijs.CryptoEngine({ name: "node", crypto: webcrypto as unknown as Crypto });
const AES_CBC: ReadonlySet<string> = new Set([CMS_OIDS.aes128Cbc, CMS_OIDS.aes192Cbc, CMS_OIDS.aes256Cbc]);

const arrayBuffer = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function notCms<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DokumentpakkeNotCmsError(`not a CMS structure: ${(err as Error).message}`, { cause: err });
  }
}

function envelope(bytes: Uint8Array): pkijs.EnvelopedData {
  return notCms(() => {
    const asn = asn1js.fromBER(bytes, { maxContentLength: bytes.byteLength, maxNodes: Math.max(10_000, Math.ceil(bytes.byteLength / 256)) });
    if (asn.offset === -1 || asn.result.error) throw new DokumentpakkeNotCmsError(`not BER-encoded ASN.1: ${asn.result.error || "decoding failed"}`);
    if (asn.offset !== bytes.byteLength) throw new DokumentpakkeNotCmsError(`${bytes.byteLength - asn.offset} bytes follow the CMS ContentInfo`);
    const contentInfo = new pkijs.ContentInfo({ schema: asn.result });
    return new pkijs.EnvelopedData({ schema: contentInfo.content });
  });
}

function identifies(rid: pkijs.RecipientIdentifierType, certificate: pkijs.Certificate): boolean {
  if (rid instanceof pkijs.IssuerAndSerialNumber) return rid.issuer.isEqual(certificate.issuer) && rid.serialNumber.isEqual(certificate.serialNumber);
  const ski = certificate.extensions?.find((ext) => ext.extnID === "2.5.29.14")?.parsedValue;
  return ski instanceof asn1js.OctetString && rid.isEqual(ski);
}

export async function decryptDokumentpakkeWithPkijs(cms: Uint8Array, key: KeyObject, cert: X509Certificate): Promise<Uint8Array> {
  parseEnvelopedData(cms);
  const enveloped = envelope(cms);
  const certificate = pkijs.Certificate.fromBER(arrayBuffer(new Uint8Array(cert.raw)));
  const index = enveloped.recipientInfos.findIndex(
    (ri) => ri.variant === 1 && ri.value instanceof pkijs.KeyTransRecipientInfo && identifies(ri.value.rid, certificate),
  );
  if (index === -1) throw new DokumentpakkeDecryptError("no KeyTransRecipientInfo is addressed to the given certificate");
  const ktriIndex = enveloped.recipientInfos.slice(0, index).filter((ri) => ri.variant === 1 && ri.value instanceof pkijs.KeyTransRecipientInfo).length;
  const summary = pkijsSkeletonSummary(cmsSkeleton(cms));
  const r = summary.keyTransportRecipients[ktriIndex]!;
  if (r.keyEncryptionAlgorithm !== CMS_OIDS.rsaesOaep) throw new UnsupportedCmsAlgorithmError("not RSAES-OAEP");
  if (r.oaepMgf1HashAlgorithm !== r.oaepHashAlgorithm) throw new UnsupportedCmsAlgorithmError("another MGF1 hash");
  if (!r.oaepEmptyLabel) throw new UnsupportedCmsAlgorithmError("a label");
  if (!AES_CBC.has(summary.contentEncryptionAlgorithm)) throw new UnsupportedCmsAlgorithmError("not AES-CBC");
  try {
    const pkcs8 = new Uint8Array(key.export({ format: "der", type: "pkcs8" }));
    const plain = await enveloped.decrypt(index, { recipientCertificate: certificate, recipientPrivateKey: arrayBuffer(pkcs8) }, engine);
    return new Uint8Array(plain);
  } catch (cause) {
    throw new DokumentpakkeDecryptError("the content encryption key or the content could not be decrypted", { cause });
  }
}
