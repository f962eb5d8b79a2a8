import { DOMImplementation, XMLSerializer } from "@xmldom/xmldom";

/**
 * Small DOM helpers over @xmldom/xmldom. We type nodes with the standard DOM interfaces (lib.dom), which
 * xmldom implements; the casts live here so callers never see xmldom's own declaration types.
 */

/** DOM node type numbers; Node.js has no global `Node` to read them from. */
export const NodeType = {
  ELEMENT: 1,
  ATTRIBUTE: 2,
  TEXT: 3,
  CDATA_SECTION: 4,
  ENTITY_REFERENCE: 5,
  ENTITY: 6,
  PROCESSING_INSTRUCTION: 7,
  COMMENT: 8,
  DOCUMENT: 9,
  DOCUMENT_TYPE: 10,
  DOCUMENT_FRAGMENT: 11,
  NOTATION: 12,
} as const;

export function isElement(node: Node | null | undefined): node is Element {
  return node != null && node.nodeType === NodeType.ELEMENT;
}

/** The element children of `parent`, in document order. */
export function elementChildren(parent: Node): Element[] {
  const out: Element[] = [];
  for (let c = parent.firstChild; c; c = c.nextSibling) if (isElement(c)) out.push(c);
  return out;
}

/** Element children with the given namespace and local name (the prefix is irrelevant). */
export function childElements(parent: Node, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (isElement(c) && c.namespaceURI === ns && c.localName === localName) out.push(c);
  }
  return out;
}

export function isNamed(el: Element, ns: string, localName: string): boolean {
  return el.namespaceURI === ns && el.localName === localName;
}

/** Text content with surrounding whitespace removed; senders pretty-print values. */
export function trimmedText(el: Element): string {
  return textOf(el).trim();
}

/**
 * `el.textContent` as xmldom computes it: the nodeValue of every descendant that is not an element, a comment or a
 * processing instruction, in document order. xmldom's getter walks with a closure and a frame object per node;
 * this follows the sibling links and allocates nothing but the result. Every header value and base64 text of an
 * AS4 message is read through it.
 */
export function textOf(el: Element): string {
  const first = el.firstChild;
  if (first === null) return "";
  // The common case: one text node.
  if (first.nextSibling === null && (first.nodeType === NodeType.TEXT || first.nodeType === NodeType.CDATA_SECTION)) return first.nodeValue ?? "";
  let out = "";
  let n: Node = first;
  for (;;) {
    const type = n.nodeType;
    const child = n.firstChild;
    if (type === NodeType.ELEMENT && child !== null) {
      n = child;
      continue;
    }
    if (type !== NodeType.ELEMENT && type !== NodeType.COMMENT && type !== NodeType.PROCESSING_INSTRUCTION) out += n.nodeValue ?? "";
    let next = n.nextSibling;
    while (next === null) {
      n = n.parentNode!;
      if (n === el) return out;
      next = n.nextSibling;
    }
    n = next;
  }
}

/** Attribute value or undefined when absent (xmldom returns null or "" inconsistently across versions). */
export function attr(el: Element, name: string, ns?: string): string | undefined {
  // One look-up: has/get each scanned the attribute list.
  const a = ns !== undefined ? el.getAttributeNodeNS(ns, name) : el.getAttributeNode(name);
  return a === null ? undefined : (a.value ?? undefined);
}

export function newDocument(): Document {
  return new DOMImplementation().createDocument(null, "", null) as unknown as Document;
}

export function serialize(node: Node): string {
  return new XMLSerializer().serializeToString(node as never);
}

/**
 * Makes a tree built in memory read as a parse of its serialisation does, so that a signature computed over it
 * holds for the receiver. The serialiser writes a text's carriage returns as they are, and a parser turns them
 * (alone or before a line feed) into line feeds; attribute values survive, as the serialiser escapes their
 * whitespace.
 */
export function asReceiverWillParse(root: Node): void {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.nodeType === NodeType.TEXT) {
      const text = node as Text;
      // replaceData keeps data, nodeValue and length in step (xmldom holds them apart).
      if (text.data.includes("\r")) text.replaceData(0, text.length, text.data.replace(/\r\n?/g, "\n"));
      continue;
    }
    for (let c = node.firstChild; c; c = c.nextSibling) stack.push(c);
  }
}
