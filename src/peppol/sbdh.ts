import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable, type Writable } from "node:stream";
import {
  isLetterType,
  processAllowsMessageType,
  processForLetter,
  STANDARD_SPELLINGS,
  type DpiMessageType,
  type DpiProcessId,
  type StandardSpelling,
} from "../dpi/document-types.js";
import { NodeType, attr, elementChildren, isElement, trimmedText } from "../xml/dom.js";
import { parseXml, XmlParseError } from "../xml/safe-parse.js";
import {
  IdentifierInvalidError,
  SbdhMalformedError,
  SbdhPayloadError,
  SbdhScopeError,
  SbdhStructureError,
  SbdhTooLargeError,
  SbdhValueError,
} from "./errors.js";
import {
  DEFAULT_DPI_SPELLING,
  DOCUMENT_TYPE_SCHEME,
  PARTICIPANT_SCHEME,
  PROCESS_SCHEME,
  documentTypeId,
  dpiDocumentTypeId,
  dpiProcessId,
  participantId,
  processId,
  readDpiDocumentTypeId,
  readDpiProcessId,
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
 * ({@link dpiSbdStream}, {@link readDpiSbd}) adds the `Innbyggerpost` payload:
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

const H = "StandardBusinessDocumentHeader";
const HEADER_SEQUENCE = ["HeaderVersion", "Sender", "Receiver", "DocumentIdentification", "Manifest", "BusinessScope"] as const;
const REPEATABLE: ReadonlySet<string> = new Set(["Sender", "Receiver"]);
const DOC_ID_SEQUENCE = ["Standard", "TypeVersion", "InstanceIdentifier", "Type", "MultipleType", "CreationDateAndTime"] as const;
const DATE_TIME_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const COUNTRY = /^[A-Z0-9]{2}$/;

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

// ---- DPI payload: build ------------------------------------------------------------------------------

/** The DocumentIdentification/Standard Digdir's C2→C3 example uses: the document type id up to `##`. */
export function dpiStandard(spelling: StandardSpelling = DEFAULT_DPI_SPELLING): string {
  return `urn:fdc:digdir.no:2020:innbyggerpost:xsd::${spelling}`;
}

export interface DpiSbdInput {
  /** SBDH sender: the sender of the forretningsmelding (for letters the avsender or its databehandler). */
  sender: ParticipantId;
  /** SBDH receiver: the postbox or print provider (letters), or the original SBDH sender (receipts). */
  receiver: ParticipantId;
  messageType: DpiMessageType;
  /** Required for receipts (the process of the letter answered); letters default to their own process. */
  process?: DpiProcessId;
  instanceIdentifier: string;
  createdAt: Date;
  /** Spelling of the document type id (DOCUMENTID and Standard). Default {@link DEFAULT_DPI_SPELLING}. */
  spelling?: StandardSpelling;
  /** Override DocumentIdentification/Standard. Default {@link dpiStandard}(spelling). */
  standard?: string;
  /** Default "NO". */
  countryC1?: string;
  /** The signed forretningsmelding as a compact JWS. */
  forretningsmelding: string;
  /** CMS bytes (letters only): a buffer, or a stream of byte chunks such as `fs.createReadStream(path)`. */
  dokumentpakke?: Uint8Array | AsyncIterable<Uint8Array>;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The text before and after the base64 dokumentpakke: `head` ends with `<Dokumentpakke>`, `tail` starts
 * with `</Dokumentpakke>`. For receipts nothing goes between them.
 */
export function dpiSbdParts(input: Omit<DpiSbdInput, "dokumentpakke">): { head: string; tail: string } {
  const spelling = input.spelling ?? DEFAULT_DPI_SPELLING;
  const process = input.process ?? (isLetterType(input.messageType) ? processForLetter(input.messageType) : undefined);
  if (!process) throw new SbdhValueError("", `a ${input.messageType} needs the process of the letter it answers`);
  if (!processAllowsMessageType(process, input.messageType)) {
    throw new SbdhValueError("", `${input.messageType} does not travel on process ${process}`);
  }
  if (!COMPACT_JWS.test(input.forretningsmelding)) {
    throw new SbdhValueError(`${INNBYGGERPOST_ELEMENT}/SignertForretningsmelding`, "is not a compact JWS");
  }
  const header = sbdhHeaderXml({
    sender: input.sender,
    receiver: input.receiver,
    standard: input.standard ?? dpiStandard(spelling),
    typeVersion: DPI_TYPE_VERSION,
    instanceIdentifier: input.instanceIdentifier,
    type: INNBYGGERPOST_ELEMENT,
    createdAt: input.createdAt,
    documentType: dpiDocumentTypeId(input.messageType, spelling),
    process: dpiProcessId(process),
    countryC1: input.countryC1 ?? "NO",
  });
  const head =
    sbdOpening() +
    header +
    `  <${INNBYGGERPOST_ELEMENT} xmlns="${INNBYGGERPOST_NS}">\n` +
    `    <SignertForretningsmelding>${input.forretningsmelding}</SignertForretningsmelding>\n` +
    `    <Dokumentpakke>`;
  const tail = `</Dokumentpakke>\n  </${INNBYGGERPOST_ELEMENT}>\n${SBD_CLOSING}`;
  return { head, tail };
}

/** The whole SBD as a byte stream; the dokumentpakke is base64-encoded on the fly. */
export function dpiSbdStream(input: DpiSbdInput): Readable {
  const { head, tail } = dpiSbdParts(input);
  const letter = isLetterType(input.messageType);
  if (letter && input.dokumentpakke === undefined) throw new SbdhPayloadError("Innbyggerpost/Dokumentpakke", `a ${input.messageType} letter needs a dokumentpakke`);
  if (!letter && input.dokumentpakke !== undefined) throw new SbdhPayloadError("Innbyggerpost/Dokumentpakke", `a ${input.messageType} carries no dokumentpakke`);
  const dokumentpakke = input.dokumentpakke;
  async function* generate(): AsyncGenerator<Buffer> {
    yield Buffer.from(head, "utf8");
    if (dokumentpakke !== undefined) {
      let size = 0;
      for await (const chunk of base64Encode(asChunks(dokumentpakke), (n) => (size += n))) yield chunk;
      if (size === 0) throw new SbdhPayloadError("Innbyggerpost/Dokumentpakke", "the dokumentpakke is empty");
    }
    yield Buffer.from(tail, "utf8");
  }
  return Readable.from(generate(), { objectMode: false });
}

/** The whole SBD in memory (small documents and tests; use {@link dpiSbdStream} for real payloads). */
export async function buildDpiSbd(input: DpiSbdInput): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of dpiSbdStream(input)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function* asChunks(source: Uint8Array | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  for await (const chunk of source) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError("dokumentpakke streams must yield bytes, not strings");
    yield chunk;
  }
}

/** Base64 of a byte stream, carrying the 0–2 bytes that do not fill a 3-byte group to the next chunk. */
async function* base64Encode(source: AsyncIterable<Uint8Array>, count: (n: number) => void): AsyncGenerator<Buffer> {
  let carry = Buffer.alloc(0);
  for await (const chunk of source) {
    count(chunk.length);
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const usable = bytes.length - (bytes.length % 3);
    if (usable > 0) yield Buffer.from(bytes.subarray(0, usable).toString("base64"), "ascii");
    carry = Buffer.from(bytes.subarray(usable));
  }
  if (carry.length > 0) yield Buffer.from(carry.toString("base64"), "ascii");
}

// ---- DPI payload: read -------------------------------------------------------------------------------

export interface DpiSbd {
  header: SbdhHeader;
  messageType: DpiMessageType;
  /** Spelling of the DOCUMENTID value. */
  spelling: StandardSpelling;
  process: DpiProcessId;
  /** The compact JWS from SignertForretningsmelding (signature not yet checked). */
  forretningsmelding: string;
  /** Decoded size and SHA-256 (hex) of the dokumentpakke; absent for receipts. */
  dokumentpakke?: { size: number; sha256: string };
}

export interface DpiSbdReadOptions {
  /** Spellings of the document type id accepted in DOCUMENTID (default both). */
  acceptSpellings?: readonly StandardSpelling[];
  /** Default true. Digdir's own C2→C3 example has no COUNTRY_C1; set false to accept such envelopes. */
  requireCountryC1?: boolean;
  /** Where the decoded dokumentpakke bytes go. Ended (and awaited) on success, destroyed on failure. Default: discarded. */
  sink?: Writable;
  /** Characters allowed before the dokumentpakke text (header and forretningsmelding). Default 4 MiB. */
  maxHeadChars?: number;
  /** Characters allowed after it. Default 64 KiB. */
  maxTailChars?: number;
  /** Decoded dokumentpakke bytes allowed. Default 64 MiB. */
  maxDokumentpakkeBytes?: number;
}

const DEFAULTS = { maxHeadChars: 4 * 1024 * 1024, maxTailChars: 64 * 1024, maxDokumentpakkeBytes: 64 * 1024 * 1024 };
const DOKUMENTPAKKE_PATH = `${INNBYGGERPOST_ELEMENT}/Dokumentpakke`;

/** Accepted DocumentIdentification/Standard values: Digdir's (either spelling) or the payload namespace. */
function acceptedStandards(spellings: readonly StandardSpelling[]): string[] {
  return [...spellings.map(dpiStandard), INNBYGGERPOST_NS];
}

/**
 * Reads a DPI SBD from bytes or a byte stream, decoding the dokumentpakke into `options.sink` as it goes,
 * and checks it: the generic Peppol rules of {@link readSbd}, a DPI document type and a process that
 * allows it, the Innbyggerpost payload (a compact JWS, then base64 text only), a non-empty dokumentpakke
 * for letters and none for receipts.
 */
export async function readDpiSbd(
  source: Uint8Array | string | AsyncIterable<Uint8Array | string>,
  options: DpiSbdReadOptions = {},
): Promise<DpiSbd> {
  const limits = { ...DEFAULTS, ...definedOnly(options) };
  const sink = options.sink;
  // Keep the sink's own failures (disk full...) from going unhandled; they end the read instead.
  let sinkError: Error | undefined;
  const onSinkError = (e: Error) => (sinkError ??= e);
  sink?.on("error", onSinkError);
  const hash = createHash("sha256");
  let size = 0;
  const decoder = new Base64Decoder();
  const consume = async (bytes: Buffer): Promise<void> => {
    if (bytes.length === 0) return;
    size += bytes.length;
    if (size > limits.maxDokumentpakkeBytes) throw new SbdhTooLargeError("dokumentpakke", limits.maxDokumentpakkeBytes);
    hash.update(bytes);
    if (sinkError) throw sinkError;
    if (sink && !sink.write(bytes)) await drained(sink);
  };
  try {
    const split = await splitAtDokumentpakke(asTextChunks(source), limits, (text) => consume(decoder.push(text)));
    if (split.marker) await consume(decoder.end());
    const document = parseSafely(split.skeleton, limits.maxHeadChars + limits.maxTailChars + 1024);
    const result = checkDpiDocument(document, split.marker, size, options);
    if (sink) await endSink(sink);
    if (sinkError) throw sinkError;
    return size > 0 ? { ...result, dokumentpakke: { size, sha256: hash.digest("hex") } } : result;
  } catch (e) {
    // Destroyed without an error argument, so a sink without an error listener does not crash the process.
    sink?.destroy();
    throw e;
  } finally {
    sink?.off("error", onSinkError);
  }
}

/** {@link readDpiSbd} from a file, read in chunks. */
export function readDpiSbdFile(path: string, options: DpiSbdReadOptions = {}): Promise<DpiSbd> {
  return readDpiSbd(createReadStream(path, { highWaterMark: 256 * 1024 }), options);
}

function checkDpiDocument(document: Document, marker: string | undefined, size: number, options: DpiSbdReadOptions): Omit<DpiSbd, "dokumentpakke"> {
  const spellings = options.acceptSpellings ?? STANDARD_SPELLINGS;
  const { header, businessMessage } = readSbd(document, { requireCountryC1: options.requireCountryC1 ?? true, checkStandard: false });
  if (businessMessage.namespaceURI !== INNBYGGERPOST_NS || businessMessage.localName !== INNBYGGERPOST_ELEMENT) {
    throw new SbdhPayloadError("StandardBusinessDocument", `the business message must be {${INNBYGGERPOST_NS}}${INNBYGGERPOST_ELEMENT}, not ${qualified(businessMessage)}`);
  }
  if (!acceptedStandards(spellings).includes(header.standard)) {
    throw new SbdhValueError(`${H}/DocumentIdentification/Standard`, `${JSON.stringify(header.standard)} is not a DPI standard (${acceptedStandards(spellings).join(" | ")})`);
  }
  const dpiType = readDpiDocumentTypeId(header.documentType, spellings);
  if (!dpiType) throw new SbdhScopeError(SCOPE_TYPES.documentId, `${header.documentType.scheme}::${header.documentType.value} is not a DPI document type`);
  const process = readDpiProcessId(header.process);
  if (!process) throw new SbdhScopeError(SCOPE_TYPES.processId, `${header.process.scheme}::${header.process.value} is not a DPI process`);
  if (!processAllowsMessageType(process, dpiType.type)) {
    throw new SbdhScopeError(SCOPE_TYPES.processId, `${dpiType.type} does not travel on process ${process}`);
  }

  const children = strictChildren(businessMessage, INNBYGGERPOST_ELEMENT);
  const [jwsEl, pakkeEl, extra] = children;
  if (!jwsEl || jwsEl.namespaceURI !== INNBYGGERPOST_NS || jwsEl.localName !== "SignertForretningsmelding") {
    throw new SbdhPayloadError(INNBYGGERPOST_ELEMENT, "SignertForretningsmelding must be the first child");
  }
  if (pakkeEl && (pakkeEl.namespaceURI !== INNBYGGERPOST_NS || pakkeEl.localName !== "Dokumentpakke")) {
    throw new SbdhPayloadError(INNBYGGERPOST_ELEMENT, `unexpected element ${qualified(pakkeEl)}`);
  }
  if (extra) throw new SbdhPayloadError(INNBYGGERPOST_ELEMENT, `unexpected element ${qualified(extra)}`);
  const forretningsmelding = trimmedText(jwsEl);
  if (elementChildren(jwsEl).length > 0 || !COMPACT_JWS.test(forretningsmelding)) {
    throw new SbdhPayloadError(`${INNBYGGERPOST_ELEMENT}/SignertForretningsmelding`, "is not a compact JWS");
  }

  // The streamed base64 must have come from exactly this element, and it must hold nothing else.
  if (marker !== undefined) {
    const only = pakkeEl?.firstChild;
    const isMarker = only && only.nodeType === NodeType.COMMENT && (only as Comment).data === marker && only === pakkeEl.lastChild;
    if (!isMarker) throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, "must contain base64 text only, directly in Innbyggerpost/Dokumentpakke");
  } else if (pakkeEl && (pakkeEl.textContent ?? "").trim() !== "") {
    throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, "must contain base64 text only");
  } else if (pakkeEl && elementChildren(pakkeEl).length > 0) {
    throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, "must contain base64 text only");
  }

  if (isLetterType(dpiType.type) && size === 0) throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, `a ${dpiType.type} letter needs a non-empty dokumentpakke`);
  if (!isLetterType(dpiType.type) && size > 0) throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, `a ${dpiType.type} carries no dokumentpakke`);
  return { header, messageType: dpiType.type, spelling: dpiType.spelling, process, forretningsmelding };
}

// ---- streaming split ---------------------------------------------------------------------------------

// The Dokumentpakke start tag, with any prefix and attributes; `/>` ends an empty element.
const DOKUMENTPAKKE_START = /<(?:[A-Za-z_][\w.-]*:)?Dokumentpakke(?=[\s/>])[^<>]*>/g;

/**
 * Splits the document at the text content of the first Dokumentpakke start tag: `onContent` receives
 * that text chunk by chunk (up to the next `<`); the returned skeleton is everything else, with a
 * comment carrying a fresh random marker in place of the text. Without such a tag the skeleton is the
 * whole document.
 */
async function splitAtDokumentpakke(
  chunks: AsyncIterable<string>,
  limits: { maxHeadChars: number; maxTailChars: number },
  onContent: (text: string) => Promise<void>,
): Promise<{ skeleton: string; marker?: string }> {
  // Declared wide: `content` below changes it, which flow analysis cannot see.
  let state = "head" as "head" | "content" | "tail" | "whole";
  let head = "";
  let tail = "";
  let searchFrom = 0;

  const content = async (text: string): Promise<void> => {
    const lt = text.indexOf("<");
    if (lt < 0) return onContent(text);
    await onContent(text.slice(0, lt));
    state = "tail";
    tail = text.slice(lt);
  };

  for await (const text of chunks) {
    if (state === "content") {
      await content(text);
    } else if (state === "tail") {
      tail += text;
    } else {
      head += text;
      if (state === "head") {
        DOKUMENTPAKKE_START.lastIndex = searchFrom;
        const m = DOKUMENTPAKKE_START.exec(head);
        if (!m) {
          searchFrom = Math.max(0, head.lastIndexOf("<"));
        } else if (m[0].endsWith("/>")) {
          state = "whole";
        } else {
          const rest = head.slice(m.index + m[0].length);
          head = head.slice(0, m.index + m[0].length);
          state = "content";
          await content(rest);
        }
      }
    }
    if (head.length > limits.maxHeadChars) throw new SbdhTooLargeError("head", limits.maxHeadChars);
    if (tail.length > limits.maxTailChars) throw new SbdhTooLargeError("tail", limits.maxTailChars);
  }
  if (state === "content") throw new SbdhMalformedError("the document ends inside Dokumentpakke");
  if (state === "head" || state === "whole") return { skeleton: head };
  const marker = `dpi-ap-dokumentpakke-${randomUUID()}`;
  return { skeleton: `${head}<!--${marker}-->${tail}`, marker };
}

async function* asTextChunks(source: Uint8Array | string | AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  if (typeof source === "string") {
    yield source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
    return;
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const decode = (bytes: Uint8Array | undefined, stream: boolean): string => {
    try {
      return bytes ? decoder.decode(bytes, { stream }) : decoder.decode();
    } catch (e) {
      throw new SbdhMalformedError("the SBD is not valid UTF-8", { cause: e });
    }
  };
  if (source instanceof Uint8Array) {
    yield decode(source, false);
    return;
  }
  for await (const chunk of source) {
    if (typeof chunk === "string") throw new TypeError("SBD streams must yield bytes, not strings");
    yield decode(chunk, true);
  }
  yield decode(undefined, false);
}

/**
 * Strict streaming base64 (xs:base64Binary): the standard alphabet, XML whitespace anywhere, `=` padding
 * only in the last 4-character group, no unpadded remainder.
 */
class Base64Decoder {
  private pending = "";
  private padded = false;

  push(text: string): Buffer {
    const clean = text.replace(/[ \t\r\n]+/g, "");
    if (clean === "") return Buffer.alloc(0);
    const bad = /[^A-Za-z0-9+/=]/.exec(clean);
    if (bad) throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, `not base64: unexpected character ${JSON.stringify(bad[0])}`);
    if (this.padded && /[^=]/.test(clean)) throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, "not base64: misplaced padding");
    const s = this.pending + clean;
    const eq = s.indexOf("=");
    const usable = eq < 0 ? s.length - (s.length % 4) : eq - (eq % 4);
    this.pending = s.slice(usable);
    if (eq >= 0) {
      this.padded = true;
      if (this.pending.length > 4 || !/^[A-Za-z0-9+/]{2,3}=*$/.test(this.pending)) {
        throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, "not base64: misplaced padding");
      }
    }
    return Buffer.from(s.slice(0, usable), "base64");
  }

  end(): Buffer {
    const rest = this.pending;
    this.pending = "";
    if (rest === "") return Buffer.alloc(0);
    if (!/^(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)$/.test(rest)) {
      throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, "not base64: the last group is incomplete");
    }
    return Buffer.from(rest, "base64");
  }
}

// ---- helpers -----------------------------------------------------------------------------------------

function parseSafely(xml: string | Uint8Array, maxLength?: number): Document {
  try {
    return parseXml(xml, maxLength !== undefined ? { maxLength } : {});
  } catch (e) {
    if (e instanceof XmlParseError) throw new SbdhMalformedError(e.message, { cause: e });
    throw e;
  }
}

/** Element children, refusing non-whitespace text between them (SBDH content models are element-only). */
function strictChildren(parent: Element, path: string): Element[] {
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

function checkCountry(country: string): void {
  if (!COUNTRY.test(country)) throw new SbdhScopeError(SCOPE_TYPES.countryC1, `${JSON.stringify(country)} is not a two-character country code`);
}

function qualified(el: Element | null | undefined): string {
  if (!isElement(el)) return "nothing";
  return el.namespaceURI ? `{${el.namespaceURI}}${el.localName}` : el.localName;
}

function escapeText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, "&quot;").replace(/\t/g, "&#9;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;");
}

function definedOnly(o: DpiSbdReadOptions): Partial<typeof DEFAULTS> {
  const out: Partial<typeof DEFAULTS> = {};
  if (o.maxHeadChars !== undefined) out.maxHeadChars = o.maxHeadChars;
  if (o.maxTailChars !== undefined) out.maxTailChars = o.maxTailChars;
  if (o.maxDokumentpakkeBytes !== undefined) out.maxDokumentpakkeBytes = o.maxDokumentpakkeBytes;
  return out;
}

function drained(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      sink.off("drain", onDrain);
      sink.off("error", done);
      sink.off("close", onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error("the dokumentpakke sink closed early"));
    sink.once("drain", onDrain);
    sink.once("error", done);
    sink.once("close", onClose);
  });
}

function endSink(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.once("error", reject);
    sink.end(() => resolve());
  });
}
