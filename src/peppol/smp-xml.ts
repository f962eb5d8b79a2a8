/**
 * The busdox SMP 1.x documents (Peppol SMP 1.x: `ServiceGroup`, `SignedServiceMetadata`) as typed values.
 *
 * Parsing only: the signature is checked by smp-signature.ts on the raw bytes before anything here is
 * believed. Elements are found by namespace and local name (any prefix, any order); required elements must
 * occur exactly once, `Extension` and unknown elements are ignored so that SMPs which add harmless extras
 * still work. Untrusted text always goes through the safe parser (no DOCTYPE, no processing instructions).
 */
import { X509Certificate } from "node:crypto";
import { attr, childElements, elementChildren, isNamed } from "../xml/dom.js";
import { parseXml, XmlParseError } from "../xml/safe-parse.js";
import { SmpMalformedResponseError } from "./smp-errors.js";

export const SMP_NS = {
  /** Elements of ServiceGroup / SignedServiceMetadata. */
  smp: "http://busdox.org/serviceMetadata/publishing/1.0/",
  /** ParticipantIdentifier, DocumentIdentifier, ProcessIdentifier. */
  ids: "http://busdox.org/transport/identifiers/1.0/",
  /** EndpointReference / Address. */
  wsa: "http://www.w3.org/2005/08/addressing",
} as const;

/** The Peppol AS4 transport profile (Peppol AS4 profile 2.x). */
export const PEPPOL_AS4_TRANSPORT_PROFILE = "peppol-transport-as4-v2_0";

/** An identifier as SMP documents carry it: `scheme` attribute and text value, both verbatim (trimmed). */
export interface SmpIdentifier {
  readonly scheme: string;
  readonly value: string;
}

export interface ServiceMetadataReference {
  /** Absolute URL of the ServiceMetadata, as the SMP wrote it. */
  readonly href: string;
  /** The document type read back from the last path segment, when the href has the usual form. */
  readonly documentType?: SmpIdentifier;
}

export interface ServiceGroup {
  readonly participant: SmpIdentifier;
  readonly references: readonly ServiceMetadataReference[];
}

export interface ServiceEndpoint {
  readonly transportProfile: string;
  /** `wsa:EndpointReference/wsa:Address`: the AS4 endpoint URL (an absolute URL). */
  readonly address: string;
  readonly requireBusinessLevelSignature: boolean;
  readonly minimumAuthenticationLevel?: string;
  /** Absent: active since forever. A dateTime without a zone is read as UTC. */
  readonly serviceActivationDate?: Date;
  /** Absent: never expires. */
  readonly serviceExpirationDate?: Date;
  /** The receiving access point's certificate (base64 DER in the document). */
  readonly certificate: X509Certificate;
  readonly serviceDescription?: string;
  readonly technicalContactUrl?: string;
  readonly technicalInformationUrl?: string;
}

export interface ProcessMetadata {
  readonly process: SmpIdentifier;
  readonly endpoints: readonly ServiceEndpoint[];
}

export interface ServiceInformation {
  readonly participant: SmpIdentifier;
  readonly documentType: SmpIdentifier;
  readonly processes: readonly ProcessMetadata[];
}

export interface SmpRedirect {
  /** URL of the ServiceMetadata at the other SMP. */
  readonly href: string;
  /** Subject DN that the other SMP's signing certificate must have. */
  readonly certificateUid: string;
}

export type ServiceMetadata =
  | { readonly kind: "service-information"; readonly serviceInformation: ServiceInformation }
  | { readonly kind: "redirect"; readonly redirect: SmpRedirect };

type XmlInput = Document | string | Uint8Array;

/** Reads a ServiceGroup response (unsigned in SMP 1.x). */
export function parseServiceGroup(input: XmlInput): ServiceGroup {
  const root = rootOf(input, "ServiceGroup");
  const participant = identifier(one(root, SMP_NS.ids, "ParticipantIdentifier"));
  const collection = one(root, SMP_NS.smp, "ServiceMetadataReferenceCollection");
  const references = childElements(collection, SMP_NS.smp, "ServiceMetadataReference").map((el) => {
    const href = attr(el, "href")?.trim();
    if (!href) malformed("ServiceMetadataReference has no href");
    const documentType = documentTypeFromHref(href!);
    return documentType ? { href: href!, documentType } : { href: href! };
  });
  return { participant, references };
}

/** Reads a SignedServiceMetadata response. Does NOT check its signature (see smp-signature.ts). */
export function parseSignedServiceMetadata(input: XmlInput): ServiceMetadata {
  const root = rootOf(input, "SignedServiceMetadata");
  return parseServiceMetadataElement(one(root, SMP_NS.smp, "ServiceMetadata"));
}

/**
 * Reads an unsigned ServiceMetadata document: the body of a management PUT (phoss-SMP's
 * `PUT /{participant}/services/{documentType}`), which the SMP signs only when it serves it.
 */
export function parseServiceMetadata(input: XmlInput): ServiceMetadata {
  return parseServiceMetadataElement(rootOf(input, "ServiceMetadata"));
}

function parseServiceMetadataElement(el: Element): ServiceMetadata {
  const infos = childElements(el, SMP_NS.smp, "ServiceInformation");
  const redirects = childElements(el, SMP_NS.smp, "Redirect");
  if (infos.length + redirects.length !== 1) {
    malformed("ServiceMetadata must hold exactly one ServiceInformation or one Redirect");
  }
  if (redirects[0]) return { kind: "redirect", redirect: redirect(redirects[0]) };
  return { kind: "service-information", serviceInformation: serviceInformation(infos[0]!) };
}

function serviceInformation(el: Element): ServiceInformation {
  const participant = identifier(one(el, SMP_NS.ids, "ParticipantIdentifier"));
  const documentType = identifier(one(el, SMP_NS.ids, "DocumentIdentifier"));
  const processes = childElements(one(el, SMP_NS.smp, "ProcessList"), SMP_NS.smp, "Process").map(process);
  return { participant, documentType, processes };
}

function process(el: Element): ProcessMetadata {
  const id = identifier(one(el, SMP_NS.ids, "ProcessIdentifier"));
  const list = one(el, SMP_NS.smp, "ServiceEndpointList");
  return { process: id, endpoints: childElements(list, SMP_NS.smp, "Endpoint").map(endpoint) };
}

function endpoint(el: Element): ServiceEndpoint {
  const transportProfile = attr(el, "transportProfile")?.trim();
  if (!transportProfile) malformed("Endpoint has no transportProfile");

  const reference = one(el, SMP_NS.wsa, "EndpointReference");
  const address = text(one(reference, SMP_NS.wsa, "Address"));
  if (!URL.canParse(address)) malformed(`Endpoint address ${JSON.stringify(address)} is not an absolute URL`);

  const minimumAuthenticationLevel = optionalText(el, "MinimumAuthenticationLevel");
  const activation = optionalText(el, "ServiceActivationDate");
  const expiration = optionalText(el, "ServiceExpirationDate");
  const serviceDescription = optionalText(el, "ServiceDescription");
  const technicalContactUrl = optionalText(el, "TechnicalContactUrl");
  const technicalInformationUrl = optionalText(el, "TechnicalInformationUrl");
  return {
    transportProfile: transportProfile!,
    address,
    requireBusinessLevelSignature: xsdBoolean(text(one(el, SMP_NS.smp, "RequireBusinessLevelSignature")), "RequireBusinessLevelSignature"),
    ...(minimumAuthenticationLevel !== undefined ? { minimumAuthenticationLevel } : {}),
    ...(activation !== undefined ? { serviceActivationDate: xsdDateTime(activation, "ServiceActivationDate") } : {}),
    ...(expiration !== undefined ? { serviceExpirationDate: xsdDateTime(expiration, "ServiceExpirationDate") } : {}),
    certificate: certificate(text(one(el, SMP_NS.smp, "Certificate"))),
    ...(serviceDescription !== undefined ? { serviceDescription } : {}),
    ...(technicalContactUrl !== undefined ? { technicalContactUrl } : {}),
    ...(technicalInformationUrl !== undefined ? { technicalInformationUrl } : {}),
  };
}

function redirect(el: Element): SmpRedirect {
  const href = attr(el, "href")?.trim();
  if (!href || !URL.canParse(href)) malformed(`Redirect href ${JSON.stringify(href ?? "")} is not an absolute URL`);
  const certificateUid = text(one(el, SMP_NS.smp, "CertificateUID"));
  if (certificateUid === "") malformed("Redirect has an empty CertificateUID");
  return { href: href!, certificateUid };
}

// --- leaves ------------------------------------------------------------------------------------------------

function identifier(el: Element): SmpIdentifier {
  const scheme = attr(el, "scheme")?.trim();
  if (!scheme) malformed(`${el.localName} has no scheme`);
  const value = text(el);
  if (value === "") malformed(`${el.localName} is empty`);
  return { scheme: scheme!, value };
}

/** Base64 DER; PEM armour and whitespace are tolerated because some SMP front-ends add them. */
function certificate(content: string): X509Certificate {
  const b64 = content.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
  if (b64 === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) malformed("Endpoint Certificate is not base64");
  try {
    return new X509Certificate(Buffer.from(b64, "base64"));
  } catch (cause) {
    return malformed("Endpoint Certificate is not an X.509 certificate", cause);
  }
}

const DATE_TIME = /^(-?\d{4,}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;

/** xs:dateTime (or a bare xs:date, which some SMPs write); no zone means UTC. */
function xsdDateTime(value: string, what: string): Date {
  const m = DATE_TIME.exec(value);
  if (!m) malformed(`${what} ${JSON.stringify(value)} is not an xs:dateTime`);
  const [, date, time = "00:00:00", fraction = "", zone = "Z"] = m!;
  const parsed = new Date(`${date}T${time}${fraction.slice(0, 4)}${zone}`);
  if (Number.isNaN(parsed.getTime())) malformed(`${what} ${JSON.stringify(value)} is not a valid date`);
  return parsed;
}

function xsdBoolean(value: string, what: string): boolean {
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  return malformed(`${what} ${JSON.stringify(value)} is not an xs:boolean`);
}

/** Reads `scheme::value` (split at the first `::`, so values may contain `::`), or undefined. */
export function parseSmpIdentifier(text: string): SmpIdentifier | undefined {
  const sep = text.indexOf("::");
  if (sep <= 0 || sep + 2 >= text.length) return undefined;
  return { scheme: text.slice(0, sep), value: text.slice(sep + 2) };
}

/** `…/services/<pct(scheme::value)>` → the identifier, or undefined when the href has another form. */
function documentTypeFromHref(href: string): SmpIdentifier | undefined {
  const path = URL.canParse(href) ? new URL(href).pathname : href;
  const i = path.lastIndexOf("/services/");
  if (i < 0) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path.slice(i + "/services/".length));
  } catch {
    return undefined;
  }
  return parseSmpIdentifier(decoded);
}

// --- structure helpers -------------------------------------------------------------------------------------

function rootOf(input: XmlInput, localName: string): Element {
  let doc: Document;
  if (typeof input === "string" || input instanceof Uint8Array) {
    try {
      doc = parseXml(input);
    } catch (e) {
      if (e instanceof XmlParseError) malformed(e.message, e);
      throw e;
    }
  } else {
    doc = input;
  }
  const root = doc.documentElement;
  if (!root || !isNamed(root, SMP_NS.smp, localName)) {
    malformed(`expected a busdox ${localName}, found ${root ? `{${root.namespaceURI ?? ""}}${root.localName}` : "nothing"}`);
  }
  return root!;
}

function one(parent: Element, ns: string, localName: string): Element {
  const found = childElements(parent, ns, localName);
  if (found.length !== 1) malformed(`${parent.localName} must contain exactly one ${localName}, found ${found.length}`);
  return found[0]!;
}

/** Text of an optional smp: child; undefined when absent; "" stays "" (SMPs write `<ServiceDescription/>`). */
function optionalText(parent: Element, localName: string): string | undefined {
  const found = childElements(parent, SMP_NS.smp, localName);
  if (found.length > 1) malformed(`${parent.localName} has ${found.length} ${localName} elements`);
  return found[0] ? text(found[0]) : undefined;
}

function text(el: Element): string {
  if (elementChildren(el).length > 0) malformed(`${el.localName} must hold text only`);
  return (el.textContent ?? "").trim();
}

function malformed(detail: string, cause?: unknown): never {
  throw new SmpMalformedResponseError(detail, cause === undefined ? undefined : { cause });
}
