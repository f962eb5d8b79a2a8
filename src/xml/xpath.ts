import xpath from "xpath";
import { NS } from "../as4/namespaces.js";
import { isElement } from "./dom.js";

/**
 * XPath with a fixed prefix map. Prefixes in expressions are ours (see {@link NS}); the document may use any
 * prefixes it likes, because matching is by namespace URI.
 */

const selectNs = xpath.useNamespaces({ ...NS });

/** Every node the expression selects, or [] when it selects a non-node value. */
export function selectNodes(expression: string, context: Node): Node[] {
  const result = selectNs(expression, context);
  return Array.isArray(result) ? result : [];
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
  const result = selectNs(expression, context);
  if (typeof result === "string") return result;
  if (Array.isArray(result)) return result[0]?.textContent ?? "";
  return result == null ? "" : String(result);
}
