import { HEADER_KEY, type StandardBusinessDocument, type StandardBusinessDocumentJson } from "./model.js";
import { normaliseSbd } from "./normalise.js";

/**
 * The SBD as the IP writes it (StandardBusinessDocumentSerializer with its Jackson settings): the header,
 * then the business message under `documentIdentification.type` as written in the header; fields in
 * Jackson's order, nulls left out; text pretty-printed by Jackson's DefaultPrettyPrinter (INDENT_OUTPUT).
 */

/** The SBD as a JSON value, keys in the IP's order. */
export function toSbdJson(sbd: StandardBusinessDocument): StandardBusinessDocumentJson {
  const normal = normaliseSbd(sbd);
  const key = normal.header.documentIdentification?.type ?? normal.type;
  const json: Record<string, unknown> = { [HEADER_KEY]: normal.header };
  Object.defineProperty(json, key, { value: normal.businessMessage, enumerable: true, writable: true, configurable: true });
  return json as StandardBusinessDocumentJson;
}

/** The SBD as the IP's HTTP responses and Altinn `sbd.json` files carry it. */
export function serialiseSbd(sbd: StandardBusinessDocument): string {
  return jacksonPrettyJson(toSbdJson(sbd));
}

/**
 * JSON text as Jackson's DefaultPrettyPrinter writes it: two spaces per object level, `"key" : value`,
 * arrays on one line (`[ a, b ]`, `[ {` … `} ]`), `{ }` and `[ ]` when empty, no newline at the end.
 */
export function jacksonPrettyJson(value: unknown): string {
  return write(value, 0);
}

function write(value: unknown, depth: number): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) {
    const items = value.map((v) => write(v === undefined ? null : v, depth));
    return items.length === 0 ? "[ ]" : `[ ${items.join(", ")} ]`;
  }
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
      return Number.isFinite(value) ? String(value) : quote(String(value));
    case "boolean":
      return String(value);
    case "object": {
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      if (entries.length === 0) return "{ }";
      const indent = "  ".repeat(depth + 1);
      const body = entries.map(([k, v]) => `${indent}${quote(k)} : ${write(v, depth + 1)}`).join(",\n");
      return `{\n${body}\n${"  ".repeat(depth)}}`;
    }
    default:
      return "null";
  }
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** Jackson escapes `"`, `\` and control characters (upper-case hex); everything else is written as is. */
function quote(s: string): string {
  return `"${s.replace(/["\\\u0000-\u001f]/g, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`)}"`;
}
