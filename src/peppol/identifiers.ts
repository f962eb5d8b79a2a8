import {
  DPI_DOCUMENT_TYPE_SCHEME,
  DPI_MESSAGE_TYPES,
  DPI_PROCESS_IDS,
  DPI_PROCESS_SCHEME,
  STANDARD_SPELLINGS,
  documentTypeId as dpiDocumentTypeValue,
  isDpiProcessId,
  isReceiptType,
  messageTypesOfProcess,
  parseDocumentTypeId as parseDpiDocumentTypeValue,
  processForLetter,
  processesForMessageType,
  type DpiMessageType,
  type DpiProcessId,
  type LetterType,
  type ReceiptType,
  type StandardSpelling,
} from "../dpi/document-types.js";
import { IdentifierInvalidError, type IdentifierKind } from "./errors.js";

/**
 * Typed Peppol identifiers (Policy for use of Identifiers 4.4): a scheme and a value. Construction checks
 * the policy's syntax and lengths, so holding a ParticipantId, DocumentTypeId or ProcessId means it is
 * well-formed. Values keep the case they were given; comparison follows the policy: schemes are
 * case-insensitive everywhere, participant values are case-insensitive, document type and process values
 * are case-sensitive.
 */

export type { IdentifierKind } from "./errors.js";
export { STANDARD_SPELLINGS, type StandardSpelling } from "../dpi/document-types.js";

interface Identifier<K extends IdentifierKind> {
  readonly kind: K;
  readonly scheme: string;
  readonly value: string;
}

export type ParticipantId = Identifier<"participant">;
export type DocumentTypeId = Identifier<"document-type">;
export type ProcessId = Identifier<"process">;
export type PeppolIdentifier = ParticipantId | DocumentTypeId | ProcessId;

export const PARTICIPANT_SCHEME = "iso6523-actorid-upis";
export const DOCUMENT_TYPE_SCHEME = DPI_DOCUMENT_TYPE_SCHEME;
export const PROCESS_SCHEME = DPI_PROCESS_SCHEME;
/** Separator between scheme and value in the URI form `scheme::value`. */
export const SCHEME_VALUE_SEPARATOR = "::";

/** Maximum lengths in characters (PFUOI 4.4; the same numbers peppol-commons enforces). */
export const IDENTIFIER_LIMITS = {
  scheme: 25,
  /** ICD (4) + ":" + 130. */
  participantValue: 135,
  participantLocalPart: 130,
  documentTypeValue: 500,
  processValue: 200,
} as const;

// Participant schemes become DNS labels in the SML, hence the narrow form.
const PARTICIPANT_SCHEME_FORM = /^[a-z0-9]+-[a-z0-9]+-[a-z0-9]+$/i;
// Whitespace as the policy lists it (tab, LF, VT, FF, CR, space, NEL, NBSP).
const SCHEME_FORBIDDEN = /[\t\n\v\f\r \u0085\u00a0]/;
const ISO6523_VALUE = /^([0-9]{4}):(.+)$/s;
// Participant values are US-ASCII without whitespace or control characters.
const PARTICIPANT_VALUE_CHARS = /^[\x21-\x7e]+$/;
// Document type and process values are ISO-8859-1 without control characters.
const LATIN1_PRINTABLE = /^[\x20-\x7e\xa0-\xff]+$/;

// ---- construction -------------------------------------------------------------------------------------

export function participantId(value: string, scheme: string = PARTICIPANT_SCHEME): ParticipantId {
  checkScheme("participant", scheme, value);
  if (!PARTICIPANT_SCHEME_FORM.test(scheme)) {
    throw new IdentifierInvalidError("participant", scheme, "a participant scheme has the form xxx-yyy-zzz (letters and digits)");
  }
  checkLength("participant", value, IDENTIFIER_LIMITS.participantValue);
  if (!PARTICIPANT_VALUE_CHARS.test(value)) {
    throw new IdentifierInvalidError("participant", value, "value must be printable US-ASCII without whitespace");
  }
  if (scheme.toLowerCase() === PARTICIPANT_SCHEME) {
    const m = ISO6523_VALUE.exec(value);
    if (!m) throw new IdentifierInvalidError("participant", value, "an iso6523-actorid-upis value is <4-digit ICD>:<identifier>");
    if ((m[2] ?? "").length > IDENTIFIER_LIMITS.participantLocalPart) {
      throw new IdentifierInvalidError("participant", value, `the part after the ICD is longer than ${IDENTIFIER_LIMITS.participantLocalPart} characters`);
    }
  }
  return Object.freeze({ kind: "participant", scheme, value });
}

export function documentTypeId(value: string, scheme: string = DOCUMENT_TYPE_SCHEME): DocumentTypeId {
  checkScheme("document-type", scheme, value);
  checkLength("document-type", value, IDENTIFIER_LIMITS.documentTypeValue);
  checkLatin1Value("document-type", value);
  return Object.freeze({ kind: "document-type", scheme, value });
}

export function processId(value: string, scheme: string = PROCESS_SCHEME): ProcessId {
  checkScheme("process", scheme, value);
  checkLength("process", value, IDENTIFIER_LIMITS.processValue);
  checkLatin1Value("process", value);
  return Object.freeze({ kind: "process", scheme, value });
}

/** Reads the URI form `scheme::value` (e.g. `iso6523-actorid-upis::0192:991825827`). */
export function parseParticipantId(uri: string): ParticipantId {
  const [scheme, value] = splitUri("participant", uri);
  return participantId(value, scheme);
}

export function parseDocumentTypeId(uri: string): DocumentTypeId {
  const [scheme, value] = splitUri("document-type", uri);
  return documentTypeId(value, scheme);
}

export function parseProcessId(uri: string): ProcessId {
  const [scheme, value] = splitUri("process", uri);
  return processId(value, scheme);
}

/** Accepts either the URI form or a bare `iso6523-actorid-upis` value such as `0192:991825827`. */
export function toParticipantId(input: string | ParticipantId): ParticipantId {
  if (typeof input !== "string") return input;
  return input.includes(SCHEME_VALUE_SEPARATOR) ? parseParticipantId(input) : participantId(input);
}

// ---- formatting and comparison ------------------------------------------------------------------------

/** The URI form `scheme::value`, as used in AS4 Action and (percent-encoded) in SMP URLs. */
export function formatIdentifier(id: PeppolIdentifier): string {
  return `${id.scheme}${SCHEME_VALUE_SEPARATOR}${id.value}`;
}

/**
 * The URI form percent-encoded for one SMP URL path segment: everything but RFC 3986 unreserved characters
 * is encoded, so `:` becomes `%3A`, `#` `%23`, `/` `%2F`. Non-ASCII goes as UTF-8 octets.
 */
export function encodeIdentifierForUrl(id: PeppolIdentifier): string {
  return encodeURIComponent(formatIdentifier(id)).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A string that is equal for two document type or process identifiers exactly when they are the same
 * identifier (case-insensitive scheme, exact value); for map keys. Participants have their own rule:
 * {@link participantKey}.
 */
export function identifierKey(id: DocumentTypeId | ProcessId): string {
  return `${id.kind}|${id.scheme.toLowerCase()}${SCHEME_VALUE_SEPARATOR}${id.value}`;
}

// ---- participant equality: the one rule -----------------------------------------------------------------

/**
 * A participant identifier as callers hold it: a {@link ParticipantId}, a `{scheme, value}` read from an SMP
 * document or an AS4 header, the URI form `scheme::value`, or a bare `iso6523-actorid-upis` value such as
 * `0192:991825827` (the form the store and the DPI documents use).
 */
export type ParticipantLike = string | { readonly scheme: string; readonly value: string };

/**
 * The normal form of a participant identifier: two identifiers name the same participant exactly when their
 * keys are equal, so sets and maps of participants are keyed by it. The Policy for use of Identifiers makes
 * schemes and participant identifier values case-insensitive, so both are lower-cased (they are US-ASCII).
 * An `iso6523-actorid-upis` participant's key is its bare value (`0192:991825827`): the form the store keeps,
 * so a stored organisation id is its own key. Other schemes keep theirs (`scheme::value`); the two forms cannot
 * collide, since an ISO 6523 value starts with four digits and a colon.
 *
 * Undefined when the input is not a well-formed participant identifier: it is equal to nothing.
 */
export function participantKey(id: ParticipantId): string;
export function participantKey(input: ParticipantLike): string | undefined;
export function participantKey(input: ParticipantLike): string | undefined {
  let id: ParticipantId;
  try {
    id = typeof input === "string" ? toParticipantId(input) : participantId(input.value, input.scheme);
  } catch (err) {
    if (err instanceof IdentifierInvalidError) return undefined;
    throw err;
  }
  return keyOf(id);
}

/**
 * Whether `a` and `b` name the same participant: the only place this is decided. `0192:991825827`,
 * `iso6523-actorid-upis::0192:991825827` and `ISO6523-ACTORID-UPIS::0192:991825827` are one participant; a
 * malformed identifier is the same as nothing, not even itself.
 */
export function sameParticipant(a: ParticipantLike, b: ParticipantLike): boolean {
  const ka = participantKey(a);
  return ka !== undefined && ka === participantKey(b);
}

/** A set of participants under {@link sameParticipant}'s rule. */
export class ParticipantSet {
  readonly #keys: ReadonlySet<string>;

  /** Every member must be a well-formed participant identifier ({@link IdentifierInvalidError} otherwise). */
  constructor(participants: Iterable<ParticipantLike>) {
    const keys = new Set<string>();
    for (const p of participants) keys.add(keyOf(typeof p === "string" ? toParticipantId(p) : participantId(p.value, p.scheme)));
    this.#keys = keys;
  }

  /** Whether a member is the same participant as `p`; a malformed `p` is no member. */
  has(p: ParticipantLike): boolean {
    const key = participantKey(p);
    return key !== undefined && this.#keys.has(key);
  }

  get size(): number {
    return this.#keys.size;
  }
}

function keyOf(id: ParticipantId): string {
  const scheme = id.scheme.toLowerCase();
  const value = id.value.toLowerCase();
  return scheme === PARTICIPANT_SCHEME ? value : `${scheme}${SCHEME_VALUE_SEPARATOR}${value}`;
}

// ---- Norwegian organisations and DPI ------------------------------------------------------------------

/** ICD 0192: Enhetsregisteret (Norwegian organisation number). */
export const NORWEGIAN_ORGNO_ICD = "0192";
const NORWEGIAN_ORGNO = /^(?:0192:)?([0-9]{9})$/;

/** `0192:<orgno>` from a nine-digit organisation number, with or without the `0192:` prefix. */
export function norwegianParticipantId(orgno: string): ParticipantId {
  const m = NORWEGIAN_ORGNO.exec(orgno);
  if (!m) throw new IdentifierInvalidError("participant", orgno, "expected a nine-digit organisation number, optionally prefixed 0192:");
  return participantId(`${NORWEGIAN_ORGNO_ICD}:${m[1]}`);
}

/** The organisation number of an `iso6523-actorid-upis::0192:<9 digits>` participant, else undefined. */
export function norwegianOrgNumberOf(id: ParticipantId): string | undefined {
  if (id.scheme.toLowerCase() !== PARTICIPANT_SCHEME) return undefined;
  const m = /^0192:([0-9]{9})$/.exec(id.value);
  return m?.[1];
}

/**
 * The spelling of the document type id used at Peppol level unless a caller says otherwise. ELMA's
 * ServiceGroups list the DPI document types as `...xsd::innbyggerpost##...` (lower case), which is what an
 * SMP lookup must match exactly; Digdir's SBD example writes `Innbyggerpost`. Callers pass the spelling
 * their peers registered.
 */
export const DEFAULT_DPI_SPELLING: StandardSpelling = "innbyggerpost";

/** The Peppol document type identifier of a DPI message type, in the given spelling. */
export function dpiDocumentTypeId(type: DpiMessageType, spelling: StandardSpelling = DEFAULT_DPI_SPELLING): DocumentTypeId {
  return documentTypeId(dpiDocumentTypeValue(type, spelling), DOCUMENT_TYPE_SCHEME);
}

/** All nine DPI document type identifiers in one spelling (e.g. for an SMP registration). */
export function allDpiDocumentTypeIds(spelling: StandardSpelling = DEFAULT_DPI_SPELLING): DocumentTypeId[] {
  return DPI_MESSAGE_TYPES.map((t) => dpiDocumentTypeId(t, spelling));
}

/**
 * The DPI message type and spelling a document type identifier names, or undefined when it names none (or
 * uses a spelling outside `accept`). The scheme must be busdox-docid-qns (case-insensitive); the value
 * is compared exactly.
 */
export function readDpiDocumentTypeId(
  id: DocumentTypeId,
  accept: readonly StandardSpelling[] = STANDARD_SPELLINGS,
): { type: DpiMessageType; spelling: StandardSpelling } | undefined {
  if (id.scheme.toLowerCase() !== DOCUMENT_TYPE_SCHEME) return undefined;
  const parsed = parseDpiDocumentTypeValue(id.value);
  return parsed && accept.includes(parsed.spelling) ? parsed : undefined;
}

export function dpiProcessId(process: DpiProcessId): ProcessId {
  return processId(process, PROCESS_SCHEME);
}

/** The process a letter travels on (digital, utskrift or flyttet). */
export function dpiProcessIdForLetter(type: LetterType): ProcessId {
  return dpiProcessId(processForLetter(type));
}

/** All three DPI process identifiers. */
export function allDpiProcessIds(): ProcessId[] {
  return Object.values(DPI_PROCESS_IDS).map(dpiProcessId);
}

/** The DPI process a process identifier names (scheme cenbii-procid-ubl, exact value), else undefined. */
export function readDpiProcessId(id: ProcessId): DpiProcessId | undefined {
  if (id.scheme.toLowerCase() !== PROCESS_SCHEME) return undefined;
  return isDpiProcessId(id.value) ? id.value : undefined;
}

/** The receipt types (including `feil`) that may travel back on a process. */
export function dpiReceiptTypesOfProcess(process: DpiProcessId): ReceiptType[] {
  return messageTypesOfProcess(process).filter(isReceiptType);
}

/** The processes a receipt type belongs to; a receipt travels on the process of the letter it answers. */
export function dpiProcessesOfReceipt(type: ReceiptType): readonly DpiProcessId[] {
  return processesForMessageType(type);
}

// ---- checks -------------------------------------------------------------------------------------------

function checkScheme(kind: IdentifierKind, scheme: string, value: string): void {
  if (scheme.length === 0) throw new IdentifierInvalidError(kind, `${scheme}::${value}`, "scheme is empty");
  if (scheme.length > IDENTIFIER_LIMITS.scheme) {
    throw new IdentifierInvalidError(kind, scheme, `scheme is longer than ${IDENTIFIER_LIMITS.scheme} characters`);
  }
  if (SCHEME_FORBIDDEN.test(scheme)) throw new IdentifierInvalidError(kind, scheme, "scheme contains whitespace");
  if (scheme.includes(SCHEME_VALUE_SEPARATOR)) throw new IdentifierInvalidError(kind, scheme, "scheme contains '::'");
  if (!/^[\x21-\x7e]+$/.test(scheme)) throw new IdentifierInvalidError(kind, scheme, "scheme must be printable US-ASCII");
}

function checkLength(kind: IdentifierKind, value: string, max: number): void {
  if (value.length === 0) throw new IdentifierInvalidError(kind, value, "value is empty");
  if (value.length > max) throw new IdentifierInvalidError(kind, value, `value is longer than ${max} characters`);
}

function checkLatin1Value(kind: IdentifierKind, value: string): void {
  if (!LATIN1_PRINTABLE.test(value)) {
    throw new IdentifierInvalidError(kind, value, "value must be ISO-8859-1 without control characters");
  }
  if (value.trim() !== value) throw new IdentifierInvalidError(kind, value, "value has leading or trailing whitespace");
}

function splitUri(kind: IdentifierKind, uri: string): [string, string] {
  const at = uri.indexOf(SCHEME_VALUE_SEPARATOR);
  if (at < 0) throw new IdentifierInvalidError(kind, uri, "expected <scheme>::<value>");
  return [uri.slice(0, at), uri.slice(at + SCHEME_VALUE_SEPARATOR.length)];
}
