import { systemClock, type Clock } from "../clock.js";
import { DEFAULT_ZONE } from "./date-time.js";
import { SbdUnreadableError, UnknownMessageTypeError } from "./errors.js";
import { MESSAGE_TYPES, messageTypeOf, nonReceiptTypes, type BusinessMessageType, type MessageType } from "./message-types.js";
import { HEADER_KEY, type StandardBusinessDocument } from "./model.js";
import { BUSINESS_MESSAGE_SCHEMAS, standardBusinessDocumentHeaderSchema, type StandardBusinessDocumentHeader } from "./schema.js";
import { readWith } from "./schema-read.js";
import { withParseClock } from "./parse-clock.js";

/**
 * Reads a NextMove SBD the way the IP's StandardBusinessDocumentDeserializer does: an object with exactly
 * two members, the header and the business message under the key of the header's type (either may come
 * first), nothing else. Types and coercions follow its Jackson reader (schema.ts); required fields are
 * checked later, by validateRequest/validateOutgoing, as the IP checks them by Bean Validation.
 */

export interface ParseOptions {
  /** The instant date-times without an offset are given Europe/Oslo's offset at. */
  readonly clock?: Clock;
  readonly zone?: string;
}

/** Parses JSON text; see {@link parseSbd}. */
export function parseSbdJson(text: string, options: ParseOptions = {}): StandardBusinessDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SbdUnreadableError([{ path: "", message: `JSON parse error: ${e instanceof Error ? e.message : String(e)}` }]);
  }
  return parseSbd(value, options);
}

/**
 * Turns a JSON value into a {@link StandardBusinessDocument}, or throws {@link SbdUnreadableError} or
 * {@link UnknownMessageTypeError}.
 */
export function parseSbd(input: unknown, options: ParseOptions = {}): StandardBusinessDocument {
  const clock = options.clock ?? systemClock;
  return withParseClock(clock, options.zone ?? DEFAULT_ZONE, () => read(input));
}

function read(input: unknown): StandardBusinessDocument {
  if (!isRecord(input)) throw unreadable("", "expected a JSON object");
  const keys = Object.keys(input);
  const [first, second] = keys;
  if (first === undefined) throw unreadable("", "Missing type!");

  let header: StandardBusinessDocumentHeader;
  let type: BusinessMessageType;
  if (first === HEADER_KEY) {
    header = readHeader(input[HEADER_KEY]);
    type = businessMessageTypeOfHeader(header);
    if (second !== type) throw unreadable("", `Expected to find field named ${type}, but found ${second ?? "the end of the object"}`);
  } else {
    // The business message first: its key names the type, ignoring case (BusinessMessageType.fromType).
    const keyType = messageTypeOf(first);
    if (keyType === undefined || keyType === "feil") throw unreadable("", unknownBusinessMessageType(first));
    if (second !== HEADER_KEY) throw unreadable("", `Expected to find field named ${HEADER_KEY}, but found ${second ?? "the end of the object"}`);
    header = readHeader(input[HEADER_KEY]);
    type = businessMessageTypeOfHeader(header);
    // The IP does not compare the two; a body of another type than the header's is of no use to it either.
    if (type !== keyType) throw unreadable(first, `the business message is under ${first} but documentIdentification.type is ${header.documentIdentification?.type}`);
  }
  if (keys.length > 2) throw unreadable(keys[2]!, "Expected token END_OBJECT, but found FIELD_NAME");

  const key = first === HEADER_KEY ? second! : first;
  const body = input[key];
  if (!isRecord(body)) throw unreadable(key, `Expected token START_OBJECT, but found ${jsonTokenName(body)}`);
  const businessMessage = readWith(BUSINESS_MESSAGE_SCHEMAS[type], body, type);
  return { type, header, businessMessage } as StandardBusinessDocument;
}

function readHeader(value: unknown): StandardBusinessDocumentHeader {
  if (!isRecord(value)) throw unreadable(HEADER_KEY, `Expected token START_OBJECT, but found ${jsonTokenName(value)}`);
  return readWith(standardBusinessDocumentHeaderSchema, value, HEADER_KEY);
}

function businessMessageTypeOfHeader(header: StandardBusinessDocumentHeader): BusinessMessageType {
  const declared = header.documentIdentification?.type;
  if (declared === undefined) throw unreadable(`${HEADER_KEY}.documentIdentification.type`, "Missing type!");
  const type = messageTypeOf(declared);
  if (type === undefined) throw new UnknownMessageTypeError(declared, nonReceiptTypes());
  if (type === "feil") throw unreadable(`${HEADER_KEY}.documentIdentification.type`, unknownBusinessMessageType(declared));
  return type;
}

/** BusinessMessageType.fromType's refusal: every type but `feil` has a business message class. */
function unknownBusinessMessageType(type: string): string {
  const known = MESSAGE_TYPES.filter((t: MessageType) => t !== "feil");
  return `Unknown BusinessMessageType = ${type}. Expecting one of ${known.join(",")}`;
}

function unreadable(path: string, message: string): SbdUnreadableError {
  return new SbdUnreadableError([{ path, message }]);
}

function jsonTokenName(value: unknown): string {
  if (value === null) return "VALUE_NULL";
  if (value === undefined) return "the end of the object";
  if (Array.isArray(value)) return "START_ARRAY";
  switch (typeof value) {
    case "string":
      return "VALUE_STRING";
    case "number":
      return Number.isInteger(value) ? "VALUE_NUMBER_INT" : "VALUE_NUMBER_FLOAT";
    case "boolean":
      return value ? "VALUE_TRUE" : "VALUE_FALSE";
    default:
      return "START_OBJECT";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
