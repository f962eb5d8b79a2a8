import xpath from "xpath";
import { NS } from "../as4/namespaces.js";
import { isElement } from "./dom.js";

/**
 * XPath with a fixed prefix map. Prefixes in expressions are ours (see {@link NS}); the document may use any
 * prefixes it likes, because matching is by namespace URI.
 */

const NAMESPACES: Record<string, string> = { ...NS };

/** What the xpath package's parse() gives: an expression compiled once, evaluated as often as wanted. */
interface Compiled {
  evaluate(options: { node: Node; namespaces: Record<string, string> }): XPathValue;
}
/** The xpath package's result values (XNodeSet, XString, XNumber, XBoolean). */
interface XPathValue {
  toArray?: () => Node[];
  stringValue(): string;
}

// xpath's select() parses its expression anew on every call (1–2 % of an access point's CPU per letter). Ours
// are constants of the code, so each is compiled once; the bound only guards against a caller building them.
const compiled = new Map<string, Compiled>();
const MAX_COMPILED = 1000;

function evaluate(expression: string, context: Node): XPathValue {
  let c = compiled.get(expression);
  if (!c) {
    c = (xpath as unknown as { parse(e: string): Compiled }).parse(expression);
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(expression, c);
  }
  return c.evaluate({ node: context, namespaces: NAMESPACES });
}

/** Every node the expression selects, or [] when it selects a non-node value. */
export function selectNodes(expression: string, context: Node): Node[] {
  const result = evaluate(expression, context);
  return result.toArray ? result.toArray() : [];
}

export function selectElements(expression: string, context: Node): Element[] {
  return selectNodes(expression, context).filter(isElement);
}

/** The single element the expression selects; undefined when none, an error when several. */
export function selectOneElement(expression: string, context: Node): Element | undefined {
  const found = selectElements(expression, context);
  if (found.length > 1) throw new Error(`${expression} selects ${found.length} elements, expected at most one`);
  return found[0];
}

/** String value of an expression such as `string(@URI)` or `eb:MessageId`. */
export function selectString(expression: string, context: Node): string {
  const result = evaluate(expression, context);
  if (result.toArray) return result.toArray()[0]?.textContent ?? "";
  return result.stringValue();
}
