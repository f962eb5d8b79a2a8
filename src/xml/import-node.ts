import { addNewAttributeUnchecked, appendChildUnchecked } from "./xmldom-unchecked.js";

/**
 * `doc.importNode(node, true)` for @xmldom/xmldom documents, giving the same nodes with the same fields.
 *
 * Why our own: xmldom copies each node by enumerating every property along its prototype chain (over a hundred
 * methods and constants per node) to find its few own ones, and inserts each copy through the checked DOM
 * methods. Copying the ds:References of a received message into its receipt that way was the largest single
 * item of xmldom's share of an access point's CPU. This copy reads each node's own properties only, creates
 * nodes with the document's factory methods and links them as xmldom's own code does (./xmldom-unchecked.ts).
 * test/xml/import-node.test.ts compares every field of the result, xmldom's private ones included, with
 * importNode's.
 */
export function importNodeDeep<T extends Node>(doc: Document, node: T): T {
  // An HTML document lowercases names and puts elements into the XHTML namespace: left to xmldom.
  if ((doc as unknown as { contentType: string }).contentType !== "application/xml") return doc.importNode(node, true);
  const copy = shallowCopy(doc, node);
  if (copy === null) return doc.importNode(node, true);
  (copy as { parentNode: Node | null }).parentNode = null;
  copyChildren(doc, node, copy);
  return copy as T;
}

/** Copies what is under `root` below `rootCopy`, in document order, with a cursor rather than recursion (any depth). */
function copyChildren(doc: Document, root: Node, rootCopy: Node): void {
  let source: Node | null = root.firstChild;
  let parentCopy: Node = rootCopy;
  while (source !== null) {
    const copy = shallowCopy(doc, source);
    if (copy === null) {
      // A node kind xmldom's insertion checks keep out of elements: xmldom copies it and what is under it.
      parentCopy.appendChild(doc.importNode(source, true));
    } else {
      appendChildUnchecked(parentCopy, copy);
      if (source.firstChild !== null) {
        parentCopy = copy;
        source = source.firstChild;
        continue;
      }
    }
    while (source.nextSibling === null) {
      source = source.parentNode!;
      if (source === root) return;
      parentCopy = parentCopy.parentNode!;
    }
    source = source.nextSibling;
  }
}

/** A copy of `node` without its children, as xmldom's cloneNode(false) makes it, or null for other node kinds. */
function shallowCopy(doc: Document, node: Node): Node | null {
  let copy: Node;
  switch (node.nodeType) {
    case 1: {
      const el = doc.createElement((node as Element).tagName);
      copyOwnValues(node, el);
      const attrs = (node as Element).attributes;
      for (let i = 0; i < attrs.length; i++) {
        const source = attrs.item(i)!;
        const attr = (doc as unknown as { _createAttribute(name: string): Attr })._createAttribute(source.name);
        copyOwnValues(source, attr);
        if (!addNewAttributeUnchecked(el, attr)) el.setAttributeNode(attr);
      }
      return el;
    }
    case 3:
      copy = doc.createTextNode("");
      break;
    case 4:
      copy = doc.createCDATASection("");
      break;
    case 7:
      copy = doc.createProcessingInstruction((node as ProcessingInstruction).target, "");
      break;
    case 8:
      copy = doc.createComment("");
      break;
    default:
      return null;
  }
  copyOwnValues(node, copy);
  return copy;
}

/** What cloneNode copies: each own property whose value is not an object and differs from the copy's. */
function copyOwnValues(from: object, to: object): void {
  const source = from as Record<string, unknown>;
  const target = to as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const value = source[key];
    // Loose inequality, as xmldom compares.
    if (typeof value !== "object" && value != target[key]) target[key] = value;
  }
}
