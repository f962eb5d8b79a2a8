import { NodeType, attr, elementChildren, isElement, trimmedText } from "../xml/dom.js";
import { parseXml, XmlParseError } from "../xml/safe-parse.js";
import {
  IdentifierInvalidError,
  SbdhMalformedError,
  SbdhPayloadError,
  SbdhScopeError,
  SbdhStructureError,
  SbdhValueError,
} from "./errors.js";
import {
  DOCUMENT_TYPE_SCHEME,
  PARTICIPANT_SCHEME,
  PROCESS_SCHEME,
  documentTypeId,
  participantId,
  processId,
  type DocumentTypeId,
  type ParticipantId,
  type ProcessId,
} from "./identifiers.js";

/**
 * The Peppol business message envelope (SBDH, Peppol Business Message Envelope 2.0) and the DPI payload it
 * carries between corner 2 and corner 3.
 *
 * Two layers: the generic Peppol SBDH ({@link readSbd}, {@link parseSbd}, {@link sbdhHeaderXml}) knows
 * nothing about DPI and is what the third-party good/bad samples exercise; the DPI layer
 * (`dpi-sbd.ts`: `dpiSbdStream`, `readDpiSbd`) adds the `Innbyggerpost` payload:
 *
 * ```
 * <Innbyggerpost xmlns="http://digdir.no/dpi/innbyggerpost">
 *   <SignertForretningsmelding>compact JWS</SignertForretningsmelding>
 *   <Dokumentpakke>base64 of the CMS bytes</Dokumentpakke>
 * </Innbyggerpost>
 * ```
 *
 * Receipts have no dokumentpakke, but innbyggerpost.xsd makes the element mandatory; xs:base64Binary
 * allows the empty string, so receipts carry an empty `<Dokumentpakke></Dokumentpakke>` (schema-valid).
 * When reading, a receipt may also omit the element; a letter must carry a non-empty one.
 *
 * Dokumentpakker reach 30 MB (40 MB of base64), so neither side holds the SBD in memory: building yields
 * header text, a streaming base64 encoding, and footer text; reading decodes the Dokumentpakke text
 * straight into a sink while keeping only the bounded parts before and after it, which are then parsed
 * as one small DOM with a marker comment where the base64 was.
 */

export const SBDH_NS = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader";
export const SBDH_HEADER_VERSION = "1.0";
export const INNBYGGERPOST_NS = "http://digdir.no/dpi/innbyggerpost";
export const INNBYGGERPOST_ELEMENT = "Innbyggerpost";
export const DPI_TYPE_VERSION = "1.0";

export const SCOPE_TYPES = {
  documentId: "DOCUMENTID",
  processId: "PROCESSID",
  countryC1: "COUNTRY_C1",
  mlsTo: "MLS_TO",
  mlsType: "MLS_TYPE",
} as const;
export const MLS_TYPES = ["FAILURE_ONLY", "ALWAYS_SEND"] as const;
export type MlsType = (typeof MLS_TYPES)[number];

// ---- model -------------------------------------------------------------------------------------------

export interface SbdhScope {
  type: string;
  instanceIdentifier: string;
  /** For DOCUMENTID/PROCESSID/MLS_TO: the identifier scheme, when not the default. */
  identifier?: string;
}

/** A Peppol SBDH that passed every check of {@link readSbd}. */
export interface SbdhHeader {
  sender: ParticipantId;
  receiver: ParticipantId;
  /** DocumentIdentification/Standard (Peppol: the namespace URI of the business message). */
  standard: string;
  typeVersion: string;
  /** DocumentIdentification/InstanceIdentifier: the SBDH's own id. */
  instanceIdentifier: string;
  /** DocumentIdentification/Type (the business message's local name). */
  type: string;
  /** CreationDateAndTime as written (always with a timezone). */
  creationDateAndTime: string;
  createdAt: Date;
  documentType: DocumentTypeId;
  process: ProcessId;
  /** Absent only when read with `requireCountryC1: false` from an envelope without it. */
  countryC1?: string;
  mlsTo?: ParticipantId;
  mlsType?: MlsType;
  /** Every Scope in document order, including the ones above. */
  scopes: readonly SbdhScope[];
}

export interface SbdhHeaderInput {
  sender: ParticipantId;
  receiver: ParticipantId;
  standard: string;
  typeVersion: string;
  instanceIdentifier: string;
  type: string;
  createdAt: Date;
  documentType: DocumentTypeId;
  process: ProcessId;
  countryC1: string;
  /** Further scopes after DOCUMENTID, PROCESSID and COUNTRY_C1 (e.g. MLS_TO, MLS_TYPE). */
  extraScopes?: readonly SbdhScope[];
}

export interface SbdhReadOptions {
  /** COUNTRY_C1 is mandatory since Peppol envelope 2.0. Default true. */
  requireCountryC1?: boolean;
  /** DocumentIdentification/Standard must equal the business message's namespace URI. Default true. */
  checkStandard?: boolean;
}

// ---- generic SBDH: build ----------------------------------------------------------------------------

/** The `<StandardBusinessDocumentHeader>` element, for a document whose default namespace is {@link SBDH_NS}. */
export function sbdhHeaderXml(input: SbdhHeaderInput, indent = "  "): string {
  for (const [role, id] of [
    ["Sender", input.sender],
    ["Receiver", input.receiver],
  ] as const) {
    if (id.scheme.toLowerCase() !== PARTICIPANT_SCHEME) {
      throw new SbdhValueError(`StandardBusinessDocumentHeader/${role}`, `authority must be ${PARTICIPANT_SCHEME}, not ${id.scheme}`);
    }
  }
  checkCountry(input.countryC1);
  for (const [name, value] of [
    ["Standard", input.standard],
    ["TypeVersion", input.typeVersion],
    ["InstanceIdentifier", input.instanceIdentifier],
    ["Type", input.type],
  ] as const) {
    if (value.trim() === "") throw new SbdhValueError(`StandardBusinessDocumentHeader/DocumentIdentification/${name}`, "must not be empty");
  }
  if (Number.isNaN(input.createdAt.getTime())) throw new SbdhValueError("StandardBusinessDocumentHeader/DocumentIdentification/CreationDateAndTime", "invalid date");

  const i1 = indent;
  const i2 = indent.repeat(2);
  const i3 = indent.repeat(3);
  const i4 = indent.repeat(4);
  const party = (role: string, id: ParticipantId) =>
    `${i2}<${role}>\n${i3}<Identifier Authority="${escapeAttr(PARTICIPANT_SCHEME)}">${escapeText(id.value)}</Identifier>\n${i2}</${role}>\n`;
  const scope = (s: SbdhScope) =>
    `${i3}<Scope>\n${i4}<Type>${escapeText(s.type)}</Type>\n${i4}<InstanceIdentifier>${escapeText(s.instanceIdentifier)}</InstanceIdentifier>\n` +
    (s.identifier !== undefined ? `${i4}<Identifier>${escapeText(s.identifier)}</Identifier>\n` : "") +
    `${i3}</Scope>\n`;
  const scopes: SbdhScope[] = [
    { type: SCOPE_TYPES.documentId, instanceIdentifier: input.documentType.value, identifier: input.documentType.scheme },
    { type: SCOPE_TYPES.processId, instanceIdentifier: input.process.value, identifier: input.process.scheme },
    { type: SCOPE_TYPES.countryC1, instanceIdentifier: input.countryC1 },
    ...(input.extraScopes ?? []),
  ];
  return (
    `${i1}<StandardBusinessDocumentHeader>\n` +
    `${i2}<HeaderVersion>${SBDH_HEADER_VERSION}</HeaderVersion>\n` +
    party("Sender", input.sender) +
    party("Receiver", input.receiver) +
    `${i2}<DocumentIdentification>\n` +
    `${i3}<Standard>${escapeText(input.standard)}</Standard>\n` +
    `${i3}<TypeVersion>${escapeText(input.typeVersion)}</TypeVersion>\n` +
    `${i3}<InstanceIdentifier>${escapeText(input.instanceIdentifier)}</InstanceIdentifier>\n` +
    `${i3}<Type>${escapeText(input.type)}</Type>\n` +
    `${i3}<CreationDateAndTime>${input.createdAt.toISOString()}</CreationDateAndTime>\n` +
    `${i2}</DocumentIdentification>\n` +
    `${i2}<BusinessScope>\n${scopes.map(scope).join("")}${i2}</BusinessScope>\n` +
    `${i1}</StandardBusinessDocumentHeader>\n`
  );
}

/** `<?xml?>` declaration and the opening root element with the SBDH default namespace. */
export function sbdOpening(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<StandardBusinessDocument xmlns="${SBDH_NS}">\n`;
}

export const SBD_CLOSING = "</StandardBusinessDocument>\n";

// ---- generic SBDH: read ------------------------------------------------------------------------------

export const H = "StandardBusinessDocumentHeader";
export const HEADER_SEQUENCE = ["HeaderVersion", "Sender", "Receiver", "DocumentIdentification", "Manifest", "BusinessScope"] as const;
const REPEATABLE: ReadonlySet<string> = new Set(["Sender", "Receiver"]);
export const DOC_ID_SEQUENCE = ["Standard", "TypeVersion", "InstanceIdentifier", "Type", "MultipleType", "CreationDateAndTime"] as const;
export const DATE_TIME_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
export const COUNTRY = /^[A-Z0-9]{2}$/;

/** Parse and check a Peppol SBD: safe XML parsing, then {@link readSbd}. */
export function parseSbd(
  xml: string | Uint8Array,
  options: SbdhReadOptions & { maxLength?: number } = {},
): { header: SbdhHeader; businessMessage: Element; document: Document } {
  const document = parseSafely(xml, options.maxLength);
  return { ...readSbd(document, options), document };
}

/**
 * Reads and checks the SBDH of a parsed StandardBusinessDocument: one header with exactly one Sender and
 * Receiver under authority iso6523-actorid-upis, a complete DocumentIdentification with a zoned creation
 * time, BusinessScope with exactly one DOCUMENTID, PROCESSID and COUNTRY_C1 (valid identifiers), valid
 * MLS_TO/MLS_TYPE if present, and exactly one business message whose name matches Type (and namespace
 * matches Standard unless `checkStandard` is false).
 */
export function readSbd(document: Document, options: SbdhReadOptions = {}): { header: SbdhHeader; businessMessage: Element } {
  const root = document.documentElement;
  if (!root || root.namespaceURI !== SBDH_NS || root.localName !== "StandardBusinessDocument") {
    throw new SbdhStructureError("", `the root element must be {${SBDH_NS}}StandardBusinessDocument, not ${qualified(root)}`);
  }
  const children = strictChildren(root, "StandardBusinessDocument");
  const headerEl = children[0];
  if (!headerEl || headerEl.namespaceURI !== SBDH_NS || headerEl.localName !== H) {
    throw new SbdhStructureError("StandardBusinessDocument", `${H} must be the first child element`);
  }
  const businessMessage = children[1];
  if (!businessMessage) throw new SbdhPayloadError("StandardBusinessDocument", "no business message after the header");
  if (children.length > 2) throw new SbdhStructureError("StandardBusinessDocument", "more than one business message");
  if (businessMessage.namespaceURI === SBDH_NS) {
    throw new SbdhStructureError("StandardBusinessDocument", `the business message must not be in the SBDH namespace (${businessMessage.localName})`);
  }

  const parts = headerParts(headerEl);
  const version = trimmedText(one(parts, "HeaderVersion", H));
  if (version !== SBDH_HEADER_VERSION) throw new SbdhValueError(`${H}/HeaderVersion`, `must be ${SBDH_HEADER_VERSION}, not ${JSON.stringify(version)}`);
  const sender = party(exactlyOne(parts, "Sender", "sender"), "Sender");
  const receiver = party(exactlyOne(parts, "Receiver", "receiver"), "Receiver");
  const docId = documentIdentification(one(parts, "DocumentIdentification", H));
  const scopes = businessScopes(parts.get("BusinessScope"));
  const scoped = readScopes(scopes, options.requireCountryC1 ?? true);

  if (docId.type !== businessMessage.localName) {
    throw new SbdhValueError(`${H}/DocumentIdentification/Type`, `${JSON.stringify(docId.type)} is not the business message's name ${JSON.stringify(businessMessage.localName)}`);
  }
  if ((options.checkStandard ?? true) && docId.standard !== (businessMessage.namespaceURI ?? "")) {
    throw new SbdhValueError(
      `${H}/DocumentIdentification/Standard`,
      `${JSON.stringify(docId.standard)} is not the business message's namespace ${JSON.stringify(businessMessage.namespaceURI ?? "")}`,
    );
  }
  return { header: { sender, receiver, ...docId, ...scoped, scopes }, businessMessage };
}

function headerParts(headerEl: Element): Map<string, Element[]> {
  const parts = new Map<string, Element[]>();
  let position = 0;
  for (const el of strictChildren(headerEl, H)) {
    const at = el.namespaceURI === SBDH_NS ? HEADER_SEQUENCE.indexOf(el.localName as (typeof HEADER_SEQUENCE)[number]) : -1;
    if (at < 0) throw new SbdhStructureError(H, `unexpected element ${qualified(el)}`);
    if (at < position) throw new SbdhStructureError(H, `${el.localName} is out of order`);
    const seen = parts.get(el.localName) ?? [];
    if (seen.length > 0 && !REPEATABLE.has(el.localName)) throw new SbdhStructureError(H, `${el.localName} occurs more than once`);
    seen.push(el);
    parts.set(el.localName, seen);
    position = at;
  }
  return parts;
}

function one(parts: Map<string, Element[]>, name: string, path: string): Element {
  const el = parts.get(name)?.[0];
  if (!el) throw new SbdhStructureError(path, `${name} is missing`);
  return el;
}

function exactlyOne(parts: Map<string, Element[]>, name: "Sender" | "Receiver", what: string): Element {
  const found = parts.get(name) ?? [];
  if (found.length === 0) throw new SbdhStructureError(H, `no ${what}: exactly one ${name} is required`);
  if (found.length > 1) throw new SbdhStructureError(H, `${found.length} ${what}s: exactly one ${name} is required`);
  return found[0]!;
}

function party(el: Element, role: "Sender" | "Receiver"): ParticipantId {
  const path = `${H}/${role}`;
  const children = strictChildren(el, path);
  const identifiers = children.filter((c) => c.namespaceURI === SBDH_NS && c.localName === "Identifier");
  if (identifiers.length !== 1) throw new SbdhStructureError(path, `exactly one Identifier is required, found ${identifiers.length}`);
  const unexpected = children.find((c) => c.namespaceURI !== SBDH_NS || (c.localName !== "Identifier" && c.localName !== "ContactInformation"));
  if (unexpected) throw new SbdhStructureError(path, `unexpected element ${qualified(unexpected)}`);
  if (children[0] !== identifiers[0]) throw new SbdhStructureError(path, "Identifier must come first");
  const identifier = identifiers[0]!;
  const authority = attr(identifier, "Authority");
  if (authority === undefined) throw new SbdhValueError(`${path}/Identifier`, "the Authority attribute is missing");
  if (authority.toLowerCase() !== PARTICIPANT_SCHEME) {
    throw new SbdhValueError(`${path}/Identifier`, `Authority must be ${PARTICIPANT_SCHEME}, not ${JSON.stringify(authority)}`);
  }
  return asValue(`${path}/Identifier`, () => participantId(trimmedText(identifier), authority));
}

function documentIdentification(el: Element): Pick<SbdhHeader, "standard" | "typeVersion" | "instanceIdentifier" | "type" | "creationDateAndTime" | "createdAt"> {
  const path = `${H}/DocumentIdentification`;
  const values = new Map<string, string>();
  let position = 0;
  for (const child of strictChildren(el, path)) {
    const at = child.namespaceURI === SBDH_NS ? DOC_ID_SEQUENCE.indexOf(child.localName as (typeof DOC_ID_SEQUENCE)[number]) : -1;
    if (at < 0) throw new SbdhStructureError(path, `unexpected element ${qualified(child)}`);
    if (at < position || values.has(child.localName)) throw new SbdhStructureError(path, `${child.localName} is out of order or repeated`);
    values.set(child.localName, trimmedText(child));
    position = at;
  }
  const required = (name: string): string => {
    const v = values.get(name);
    if (v === undefined) throw new SbdhStructureError(path, `${name} is missing`);
    if (v === "") throw new SbdhValueError(`${path}/${name}`, "must not be empty");
    return v;
  };
  const creationDateAndTime = required("CreationDateAndTime");
  return {
    standard: required("Standard"),
    typeVersion: required("TypeVersion"),
    instanceIdentifier: required("InstanceIdentifier"),
    type: required("Type"),
    creationDateAndTime,
    createdAt: parseZonedDateTime(`${path}/CreationDateAndTime`, creationDateAndTime),
  };
}

function parseZonedDateTime(path: string, text: string): Date {
  const m = DATE_TIME_WITH_ZONE.exec(text);
  if (!m) throw new SbdhValueError(path, `${JSON.stringify(text)} is not an xs:dateTime with a timezone`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(text);
  const calendar = new Date(Date.UTC(y, mo - 1, d));
  const valid = !Number.isNaN(date.getTime()) && calendar.getUTCMonth() === mo - 1 && calendar.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
  if (!valid) throw new SbdhValueError(path, `${JSON.stringify(text)} is not a valid date and time`);
  return date;
}

function businessScopes(found: Element[] | undefined): SbdhScope[] {
  const path = `${H}/BusinessScope`;
  const el = found?.[0];
  if (!el) throw new SbdhStructureError(H, "BusinessScope is missing (Peppol requires DOCUMENTID, PROCESSID and COUNTRY_C1 scopes)");
  const scopes: SbdhScope[] = [];
  for (const [index, scopeEl] of strictChildren(el, path).entries()) {
    const at = `${path}/Scope[${index + 1}]`;
    if (scopeEl.namespaceURI !== SBDH_NS || scopeEl.localName !== "Scope") throw new SbdhStructureError(path, `unexpected element ${qualified(scopeEl)}`);
    const [typeEl, instanceEl, maybeIdentifier] = strictChildren(scopeEl, at);
    if (!typeEl || typeEl.namespaceURI !== SBDH_NS || typeEl.localName !== "Type") throw new SbdhStructureError(at, "Type must come first");
    if (!instanceEl || instanceEl.namespaceURI !== SBDH_NS || instanceEl.localName !== "InstanceIdentifier") {
      throw new SbdhStructureError(at, "InstanceIdentifier must follow Type");
    }
    const scope: SbdhScope = { type: trimmedText(typeEl), instanceIdentifier: trimmedText(instanceEl) };
    if (maybeIdentifier && maybeIdentifier.namespaceURI === SBDH_NS && maybeIdentifier.localName === "Identifier") {
      scope.identifier = trimmedText(maybeIdentifier);
    }
    scopes.push(scope);
  }
  if (scopes.length === 0) throw new SbdhStructureError(path, "no Scope");
  return scopes;
}

function readScopes(scopes: SbdhScope[], requireCountryC1: boolean): Pick<SbdhHeader, "documentType" | "process" | "countryC1" | "mlsTo" | "mlsType"> {
  const single = (type: string, required: boolean): SbdhScope | undefined => {
    const found = scopes.filter((s) => s.type === type);
    if (found.length > 1) throw new SbdhScopeError(type, "occurs more than once");
    if (found.length === 0 && required) throw new SbdhScopeError(type, "is missing");
    const scope = found[0];
    if (scope && scope.instanceIdentifier === "") throw new SbdhScopeError(type, "InstanceIdentifier is empty");
    return scope;
  };
  const asScope = <T>(type: string, make: () => T): T => {
    try {
      return make();
    } catch (e) {
      if (e instanceof IdentifierInvalidError) throw new SbdhScopeError(type, e.message);
      throw e;
    }
  };

  const doc = single(SCOPE_TYPES.documentId, true)!;
  const proc = single(SCOPE_TYPES.processId, true)!;
  const country = single(SCOPE_TYPES.countryC1, requireCountryC1);
  const mlsTo = single(SCOPE_TYPES.mlsTo, false);
  const mlsType = single(SCOPE_TYPES.mlsType, false);
  if (country && !COUNTRY.test(country.instanceIdentifier)) {
    throw new SbdhScopeError(SCOPE_TYPES.countryC1, `${JSON.stringify(country.instanceIdentifier)} is not a two-character country code`);
  }
  if (mlsType && !(MLS_TYPES as readonly string[]).includes(mlsType.instanceIdentifier)) {
    throw new SbdhScopeError(SCOPE_TYPES.mlsType, `${JSON.stringify(mlsType.instanceIdentifier)} is not one of ${MLS_TYPES.join(", ")}`);
  }
  return {
    documentType: asScope(SCOPE_TYPES.documentId, () => documentTypeId(doc.instanceIdentifier, doc.identifier || DOCUMENT_TYPE_SCHEME)),
    process: asScope(SCOPE_TYPES.processId, () => processId(proc.instanceIdentifier, proc.identifier || PROCESS_SCHEME)),
    ...(country ? { countryC1: country.instanceIdentifier } : {}),
    ...(mlsTo ? { mlsTo: asScope(SCOPE_TYPES.mlsTo, () => participantId(mlsTo.instanceIdentifier, mlsTo.identifier || PARTICIPANT_SCHEME)) } : {}),
    ...(mlsType ? { mlsType: mlsType.instanceIdentifier as MlsType } : {}),
  };
}

// ---- helpers -----------------------------------------------------------------------------------------

export function parseSafely(xml: string | Uint8Array, maxLength?: number): Document {
  try {
    return parseXml(xml, maxLength !== undefined ? { maxLength } : {});
  } catch (e) {
    if (e instanceof XmlParseError) throw new SbdhMalformedError(e.message, { cause: e });
    throw e;
  }
}

/** Element children, refusing non-whitespace text between them (SBDH content models are element-only). */
export function strictChildren(parent: Element, path: string): Element[] {
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if ((c.nodeType === NodeType.TEXT || c.nodeType === NodeType.CDATA_SECTION) && (c.nodeValue ?? "").trim() !== "") {
      throw new SbdhStructureError(path, "unexpected text between elements");
    }
  }
  return elementChildren(parent);
}

function asValue<T>(path: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof IdentifierInvalidError) throw new SbdhValueError(path, e.message, { cause: e });
    throw e;
  }
}

export function checkCountry(country: string): void {
  if (!COUNTRY.test(country)) throw new SbdhScopeError(SCOPE_TYPES.countryC1, `${JSON.stringify(country)} is not a two-character country code`);
}

export function qualified(el: Element | null | undefined): string {
  if (!isElement(el)) return "nothing";
  return el.namespaceURI ? `{${el.namespaceURI}}${el.localName}` : el.localName;
}

export function escapeText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, "&quot;").replace(/\t/g, "&#9;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;");
}
