import { parseXml, XmlParseError } from "../xml/safe-parse.js";
import { attr, elementChildren, trimmedText } from "../xml/dom.js";
import { escapeAttribute, escapeText } from "./xml-text.js";
import { EfmAsicSignatureMalformedError, EfmAsicUnsupportedAlgorithmError } from "./errors.js";

/**
 * META-INF/ASiCManifest.xml of an ASiC-E with CAdES (ETSI TS 102 918 §A.4): the signed list of the container's
 * files with their digests. Written as commons-asic's CadesAsicManifest marshals it with JAXB, which is what
 * every integrasjonspunkt sends.
 */

export const ASIC_MANIFEST_NS = "http://uri.etsi.org/02918/v1.2.1#";
const DSIG_NS = "http://www.w3.org/2000/09/xmldsig#";
/* Older releases and other producers wrote these; commons-asic reads them as the current namespace. */
const ACCEPTED_NS: ReadonlySet<string> = new Set([ASIC_MANIFEST_NS, "http://uri.etsi.org/02918/v1.1.1#", "http://uri.etsi.org/2918/v1.2.1#"]);

export const SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256";
const DIGEST_BY_URI: Readonly<Record<string, string>> = {
  [SHA256_URI]: "sha256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
  "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
  // commons-asic rewrites xmldsig#sha* to xmlenc#sha* before reading, for files from its first releases
  "http://www.w3.org/2000/09/xmldsig#sha256": "sha256",
  "http://www.w3.org/2000/09/xmldsig#sha512": "sha512",
};

export const SIGNATURE_MIME_TYPE = "application/x-pkcs7-signature";

export interface DataObjectReference {
  /** The file's name in the container */
  readonly uri: string;
  readonly mimeType?: string;
  /** node:crypto's hash name */
  readonly digestAlgorithm: string;
  readonly digest: Uint8Array;
}

export interface AsicManifest {
  /** The signature file over this manifest; commons-asic assumes META-INF/signature.p7s when none is named. */
  readonly signatureUri: string;
  readonly references: readonly DataObjectReference[];
}

/** The manifest for SHA-256 references, byte for byte as JAXB writes it (formatted, 4-space indent). */
export function buildAsicManifestXml(
  signatureUri: string,
  references: ReadonlyArray<{ uri: string; mimeType: string; sha256: Uint8Array }>,
): Uint8Array {
  const lines = [
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`,
    `<ASiCManifest xmlns="${ASIC_MANIFEST_NS}" xmlns:ns2="${DSIG_NS}">`,
    `    <SigReference URI="${escapeAttribute(signatureUri)}" MimeType="${SIGNATURE_MIME_TYPE}"/>`,
    ...references.flatMap((r) => [
      `    <DataObjectReference URI="${escapeAttribute(r.uri)}" MimeType="${escapeAttribute(r.mimeType)}">`,
      `        <ns2:DigestMethod Algorithm="${SHA256_URI}"/>`,
      `        <ns2:DigestValue>${escapeText(Buffer.from(r.sha256).toString("base64"))}</ns2:DigestValue>`,
      `    </DataObjectReference>`,
    ]),
    `</ASiCManifest>`,
  ];
  return Buffer.from(lines.join("\n") + "\n", "utf8");
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Throws EfmAsicSignatureMalformedError or EfmAsicUnsupportedAlgorithmError (a digest other than SHA-2). */
export function parseAsicManifestXml(bytes: Uint8Array): AsicManifest {
  let doc: Document;
  try {
    doc = parseXml(bytes, { maxLength: 4 * 1024 * 1024 });
  } catch (err) {
    if (err instanceof XmlParseError) {
      throw new EfmAsicSignatureMalformedError(`the ASiCManifest is not acceptable XML: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const root = doc.documentElement!;
  if (root.localName !== "ASiCManifest" || !ACCEPTED_NS.has(root.namespaceURI ?? "")) {
    throw new EfmAsicSignatureMalformedError(`the ASiCManifest's root is {${root.namespaceURI ?? ""}}${root.localName}`);
  }
  let signatureUri: string | undefined;
  const references: DataObjectReference[] = [];
  for (const el of elementChildren(root)) {
    if (el.namespaceURI !== root.namespaceURI) throw new EfmAsicSignatureMalformedError(`unexpected element ${el.nodeName} in the ASiCManifest`);
    if (el.localName === "SigReference") {
      if (signatureUri !== undefined) throw new EfmAsicSignatureMalformedError("the ASiCManifest has more than one SigReference");
      signatureUri = attr(el, "URI") ?? "META-INF/signature.p7s";
    } else if (el.localName === "DataObjectReference") {
      references.push(dataObjectReference(el));
    } else if (el.localName !== "ASiCManifestExtensions") {
      throw new EfmAsicSignatureMalformedError(`unexpected element ${el.localName} in the ASiCManifest`);
    }
  }
  if (references.length === 0) throw new EfmAsicSignatureMalformedError("the ASiCManifest references no file");
  return { signatureUri: signatureUri ?? "META-INF/signature.p7s", references };
}

function dataObjectReference(el: Element): DataObjectReference {
  const uri = attr(el, "URI");
  if (!uri) throw new EfmAsicSignatureMalformedError("a DataObjectReference has no URI");
  const children = elementChildren(el).filter((c) => c.namespaceURI === DSIG_NS);
  const method = children.find((c) => c.localName === "DigestMethod");
  const value = children.find((c) => c.localName === "DigestValue");
  if (!method || !value) {
    throw new EfmAsicSignatureMalformedError(`the DataObjectReference of ${JSON.stringify(uri)} lacks DigestMethod or DigestValue`);
  }
  const algorithmUri = attr(method, "Algorithm") ?? "";
  const digestAlgorithm = DIGEST_BY_URI[algorithmUri];
  if (!digestAlgorithm) {
    throw new EfmAsicUnsupportedAlgorithmError(`digest method ${JSON.stringify(algorithmUri)} for ${JSON.stringify(uri)} is not accepted`);
  }
  const text = trimmedText(value).replace(/\s+/g, "");
  if (!BASE64.test(text)) throw new EfmAsicSignatureMalformedError(`the digest of ${JSON.stringify(uri)} is not base64`);
  const mimeType = attr(el, "MimeType");
  return { uri, ...(mimeType !== undefined ? { mimeType } : {}), digestAlgorithm, digest: Buffer.from(text, "base64") };
}
