import {
  Attr,
  CDATASection,
  Comment,
  Document,
  DOMImplementation,
  Element,
  NamedNodeMap,
  NodeList,
  ProcessingInstruction,
  Text,
} from "@xmldom/xmldom";

/**
 * The whole object graph of an xmldom document as text: every object reachable through own properties, private
 * ones included (`_nsMap`, `_nsIndex`, `_inc`, the lists' numbered entries), each named by the order in which a
 * breadth-first walk over sorted keys first meets it, with its prototype and its primitive fields. Two documents
 * with equal graphs cannot be told apart by any code that reads them, xmldom's own included; only the order in
 * which an object's own keys were added is not compared.
 */

const PROTOTYPES = new Map<object, string>([
  [Document.prototype, "Document"],
  [Element.prototype, "Element"],
  [Attr.prototype, "Attr"],
  [Text.prototype, "Text"],
  [CDATASection.prototype, "CDATASection"],
  [Comment.prototype, "Comment"],
  [ProcessingInstruction.prototype, "ProcessingInstruction"],
  [NodeList.prototype, "NodeList"],
  [NamedNodeMap.prototype, "NamedNodeMap"],
  [DOMImplementation.prototype, "DOMImplementation"],
  [Object.prototype, "Object"],
]);

function prototypeName(o: object): string {
  const proto = Object.getPrototypeOf(o) as object | null;
  if (proto === null) return "null";
  const name = PROTOTYPES.get(proto);
  if (name === undefined) throw new Error(`an object of an unexpected kind in the document: ${String(proto.constructor?.name)}`);
  return name;
}

/**
 * `ignore`: own keys left out everywhere (xmldom's parser marks nodes with lineNumber and columnNumber);
 * `replace`: values to show instead of the real ones (or in addition to them), per object and key.
 */
export function objectGraph(root: object, ignore: ReadonlySet<string> = new Set(), replace: ReadonlyMap<object, Record<string, unknown>> = new Map()): string[] {
  const ids = new Map<object, number>([[root, 0]]);
  const queue: object[] = [root];
  const out: string[] = [];
  const show = (v: unknown): string => {
    if (typeof v === "string") return JSON.stringify(v);
    if (v === null || (typeof v !== "object" && typeof v !== "function")) return String(v);
    if (typeof v === "function") throw new Error(`a function as an own property: ${v.name}`);
    let id = ids.get(v as object);
    if (id === undefined) {
      id = ids.size;
      ids.set(v as object, id);
      queue.push(v as object);
    }
    return `#${id}`;
  };
  for (let i = 0; i < queue.length; i++) {
    const o = queue[i]!;
    const keys = Reflect.ownKeys(o);
    const symbols = keys.filter((k) => typeof k === "symbol");
    if (symbols.length > 0) throw new Error(`symbol keys on a node: ${symbols.map(String).join(", ")}`);
    const instead = replace.get(o);
    const fields = [...new Set([...(keys as string[]), ...Object.keys(instead ?? {})])].filter((k) => !ignore.has(k)).sort();
    const value = (k: string) => (instead !== undefined && Object.hasOwn(instead, k) ? instead[k] : (o as Record<string, unknown>)[k]);
    out.push(`#${i} ${prototypeName(o)} {${fields.map((k) => `${k}=${show(value(k))}`).join(", ")}}`);
  }
  return out;
}
