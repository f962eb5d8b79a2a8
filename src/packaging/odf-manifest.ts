import { escapeAttribute } from "./xml-text.js";

/**
 * META-INF/manifest.xml, the OpenDocument manifest commons-asic adds to every container: the container's own
 * type first, then each file with its MIME type. Unsigned and informative only; readers here ignore it.
 * Written byte for byte as commons-asic's OasisManifest marshals it with JAXB.
 */

const ODF_MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0";

export function buildOdfManifestXml(containerMimeType: string, files: ReadonlyArray<{ name: string; mimeType: string }>): Uint8Array {
  const entry = (path: string, type: string) =>
    `    <ns1:file-entry ns1:full-path="${escapeAttribute(path)}" ns1:media-type="${escapeAttribute(type)}"/>`;
  const lines = [
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`,
    `<ns1:manifest xmlns:ns1="${ODF_MANIFEST_NS}">`,
    entry("/", containerMimeType),
    ...files.map((f) => entry(f.name, f.mimeType)),
    `</ns1:manifest>`,
  ];
  return Buffer.from(lines.join("\n") + "\n", "utf8");
}
