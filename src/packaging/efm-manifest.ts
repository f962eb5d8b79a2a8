import { parseXml, XmlParseError } from "../xml/safe-parse.js";
import { attr, elementChildren, trimmedText } from "../xml/dom.js";
import { escapeAttribute, escapeText } from "./xml-text.js";
import { EfmAsicInputError, EfmAsicManifestInvalidError } from "./errors.js";

/**
 * manifest.xml of an eFormidling document package: receiver, sender and the main document. The
 * integrasjonspunkt writes it with MOXy (ManifestFactory + MarshalManifest: formatted, 3-space indent, a line
 * end after the root) and names only the main document, with the fixed title "Hoveddokument" in Norwegian; the
 * attachments are in the container without a line here (spec/eformidling.md §6.3).
 */

/** The ISO 6523 scheme the organisation numbers are given in, `0192:<orgnr>`. */
export const ORGANISATION_AUTHORITY = "iso6523-actorid-upis";
export const MAIN_DOCUMENT_TITLE = "Hoveddokument";
export const MAIN_DOCUMENT_LANG = "no";

export interface EformidlingManifest {
  /** ISO 6523 identifier, e.g. "0192:910075918" */
  readonly receiver: string;
  readonly sender: string;
  readonly mainDocument?: {
    readonly href: string;
    readonly mimeType: string;
    readonly title: string;
    readonly lang?: string;
  };
}

/* ICD, a colon, and the identifier, optionally ":<on-behalf-of>" (spec/eformidling.md §1.4). */
const ISO6523 = /^\d{4}:[^\s:]+(?::[^\s:]+)?$/;

export function buildEfmManifestXml(manifest: EformidlingManifest): Uint8Array {
  for (const [role, id] of [
    ["receiver", manifest.receiver],
    ["sender", manifest.sender],
  ] as const) {
    if (!ISO6523.test(id)) throw new EfmAsicInputError(`the ${role} ${JSON.stringify(id)} is not an ISO 6523 identifier like 0192:<orgnr>`);
  }
  const organisation = (id: string) => `      <organisasjon authority="${ORGANISATION_AUTHORITY}">${escapeText(id)}</organisasjon>`;
  const main = manifest.mainDocument;
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<manifest>`,
    `   <mottaker>`,
    organisation(manifest.receiver),
    `   </mottaker>`,
    `   <avsender>`,
    organisation(manifest.sender),
    `   </avsender>`,
    ...(main
      ? [
          `   <hoveddokument href="${escapeAttribute(main.href)}" mime="${escapeAttribute(main.mimeType)}">`,
          `      <tittel${main.lang !== undefined ? ` lang="${escapeAttribute(main.lang)}"` : ""}>${escapeText(main.title)}</tittel>`,
          `   </hoveddokument>`,
        ]
      : []),
    `</manifest>`,
  ];
  return Buffer.from(lines.join("\n") + "\n", "utf8");
}

/** Reads manifest.xml; elements it does not know are passed over. Throws EfmAsicManifestInvalidError. */
export function parseEfmManifestXml(bytes: Uint8Array): EformidlingManifest {
  let doc: Document;
  try {
    doc = parseXml(bytes, { maxLength: 1024 * 1024 });
  } catch (err) {
    if (err instanceof XmlParseError) {
      throw new EfmAsicManifestInvalidError(`manifest.xml is not acceptable XML: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const root = doc.documentElement!;
  if (root.localName !== "manifest" || root.namespaceURI) {
    throw new EfmAsicManifestInvalidError(`manifest.xml has the root ${root.nodeName}, not manifest`);
  }
  const child = (parent: Element, name: string) => elementChildren(parent).find((e) => e.localName === name && !e.namespaceURI);
  const organisation = (role: string) => {
    const party = child(root, role);
    const org = party && child(party, "organisasjon");
    const id = org && trimmedText(org);
    if (!id) throw new EfmAsicManifestInvalidError(`manifest.xml names no ${role}/organisasjon`);
    const authority = attr(org, "authority");
    if (authority !== undefined && authority !== ORGANISATION_AUTHORITY) {
      throw new EfmAsicManifestInvalidError(`manifest.xml gives the ${role} in the scheme ${JSON.stringify(authority)}`);
    }
    return id;
  };
  const receiver = organisation("mottaker");
  const sender = organisation("avsender");

  const main = child(root, "hoveddokument");
  if (!main) return { receiver, sender };
  const href = attr(main, "href");
  const mimeType = attr(main, "mime");
  if (!href || !mimeType) throw new EfmAsicManifestInvalidError("manifest.xml's hoveddokument lacks href or mime");
  const title = child(main, "tittel");
  const lang = title && attr(title, "lang");
  return {
    receiver,
    sender,
    mainDocument: { href, mimeType, title: title ? trimmedText(title) : "", ...(lang !== undefined ? { lang } : {}) },
  };
}
