/**
 * A small element tree of plain objects, for XML we build and sign ourselves (the AS4 envelopes we send), with
 * the two renderings that signing and sending need:
 *
 * - {@link serializeXml}: the text xmldom's XMLSerializer writes for the same tree built as a DOM (its attribute
 *   order, its namespace fix-ups, `<a/>` for an element without children, its escaping), so the bytes we send are
 *   those the DOM path sent;
 * - {@link canonicalXml}: the exclusive XML canonicalisation (exc-c14n, without comments) of one element of the
 *   tree, as src/xml/exc-c14n.ts renders the same element of that DOM, for the digests and the signature.
 *
 * Why: building an envelope as an xmldom document, canonicalising its signed parts and serialising it cost more
 * CPU than the rest of signing except the RSA operation itself. test/as4/envelope-text.test.ts compares both
 * renderings with the DOM path's output byte for byte.
 *
 * Text children are stored as a parser will read them back (CR and CRLF become LF; the DOM path makes its tree
 * read that way, dom.ts asReceiverWillParse), so what is signed is what the receiver parses.
 */

import { byCodePoint, compareDeclarations, escapeAttribute, escapeText, wantDeclaration } from "./exc-c14n.js";

const XMLNS = "http://www.w3.org/2000/xmlns/";
const XML = "http://www.w3.org/XML/1998/namespace";

export interface XmlAttr {
  /** Qualified name as written (`wsu:Id`, `xmlns:ds`, `Id`). */
  readonly name: string;
  /** Namespace URI, null for an unprefixed attribute; XMLNS for a namespace declaration. */
  readonly ns: string | null;
  readonly value: string;
}

export interface XmlElement {
  /** Qualified name as written. */
  readonly name: string;
  readonly ns: string | null;
  readonly attrs: XmlAttr[];
  /** Elements and text, in document order; an empty string is an (empty) text node, which an element keeps. */
  readonly children: XmlNode[];
}

export type XmlNode = XmlElement | string;

export function xmlElement(name: string, ns: string | null, attrs: XmlAttr[] = [], children: XmlNode[] = []): XmlElement {
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    if (typeof c === "string" && c.includes("\r")) children[i] = c.replace(/\r\n?/g, "\n");
  }
  return { name, ns, attrs, children };
}

/** An attribute without namespace (`Id="…"`), or with one when `ns` is given (`wsu:Id`). */
export function xmlAttr(name: string, value: string, ns: string | null = null): XmlAttr {
  return { name, ns, value };
}

/** A namespace declaration (`xmlns:prefix`, or `xmlns` for the default namespace). */
export function xmlns(prefix: string, uri: string): XmlAttr {
  return { name: prefix === "" ? "xmlns" : `xmlns:${prefix}`, ns: XMLNS, value: uri };
}

function prefixOf(qname: string): string {
  const colon = qname.indexOf(":");
  return colon < 0 ? "" : qname.slice(0, colon);
}

function localOf(qname: string): string {
  const colon = qname.indexOf(":");
  return colon < 0 ? qname : qname.slice(colon + 1);
}

// -------------------------------------------------------------------------------- xmldom's serialisation

interface Binding {
  prefix: string;
  ns: string;
}

/** The text xmldom's XMLSerializer writes for this tree as a document's root (no XML declaration). */
export function serializeXml(root: XmlElement): string {
  return serializeElement(root, []);
}

/** Whether xmldom would write a declaration for (prefix, ns) given the bindings visible at the element. */
function needsDeclaration(prefix: string, ns: string | null, visible: readonly Binding[]): boolean {
  if (!ns) return false;
  if ((prefix === "xml" && ns === XML) || ns === XMLNS) return false;
  for (let i = visible.length - 1; i >= 0; i--) {
    if (visible[i]!.prefix === prefix) return visible[i]!.ns !== ns;
  }
  return true;
}

// Strings are concatenated rather than pushed and joined: V8 links the pieces without copying until the text is used.
function serializeElement(el: XmlElement, visible: readonly Binding[]): string {
  let name = el.name;
  const prefix = prefixOf(name);
  if (prefix === "" && el.ns) {
    // xmldom gives an unprefixed element in a namespace the prefix bound to that namespace, unless it is the
    // default namespace there.
    let defaultNs: string | undefined;
    for (const a of el.attrs) {
      if (a.name === "xmlns") {
        defaultNs = a.value;
        break;
      }
    }
    if (!defaultNs) {
      for (let i = visible.length - 1; i >= 0; i--) {
        if (visible[i]!.prefix === "" && visible[i]!.ns === el.ns) {
          defaultNs = visible[i]!.ns;
          break;
        }
      }
    }
    if (defaultNs !== el.ns) {
      for (let i = visible.length - 1; i >= 0; i--) {
        if (visible[i]!.ns === el.ns) {
          if (visible[i]!.prefix) name = `${visible[i]!.prefix}:${name}`;
          break;
        }
      }
    }
  }
  let out = `<${name}`;
  const inner = visible.slice();
  for (const a of el.attrs) {
    if (a.name === "xmlns") inner.push({ prefix: "", ns: a.value });
    else if (prefixOf(a.name) === "xmlns") inner.push({ prefix: localOf(a.name), ns: a.value });
  }
  for (const a of el.attrs) {
    const p = prefixOf(a.name);
    if (needsDeclaration(p, a.ns, inner)) {
      out += `${p ? ` xmlns:${p}="` : ' xmlns="'}${serializedAttrValue(a.ns!)}"`;
      inner.push({ prefix: p, ns: a.ns! });
    }
    out += ` ${a.name}="${serializedAttrValue(a.value)}"`;
  }
  if (name === el.name && needsDeclaration(prefix, el.ns, inner)) {
    out += `${prefix ? ` xmlns:${prefix}="` : ' xmlns="'}${serializedAttrValue(el.ns!)}"`;
    inner.push({ prefix, ns: el.ns! });
  }
  if (el.children.length === 0) return `${out}/>`;
  out += ">";
  for (const c of el.children) out += typeof c === "string" ? serializedText(c) : serializeElement(c, inner);
  return `${out}</${name}>`;
}

/** Each character that may need it, as xmldom's serialiser writes it (exclusive C14N's are exc-c14n.ts's). */
const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;" };

/** Replaces the characters `chars` matches by their entity; made once per use. */
function escaper(chars: RegExp): (s: string) => string {
  const any = chars;
  const every = new RegExp(chars.source, "g");
  const entity = (c: string): string => ENTITIES[c]!;
  return (s) => (any.test(s) ? s.replace(every, entity) : s);
}

const serializedText = escaper(/[<&>]/);
const serializedAttrValue = escaper(/[<>&"\t\n\r]/);

// ------------------------------------------------------------------------------------ exclusive C14N

/**
 * The exclusive canonical form of the last element of `path` (the elements from the root down to it: the
 * ancestors' declarations decide which prefixes of `inclusivePrefixes` are in scope).
 */
export function canonicalXml(path: readonly XmlElement[], inclusivePrefixes: readonly string[] = []): string {
  const target = path[path.length - 1]!;
  // Each listed prefix ("" for #default) → the namespace bound to it at the element, or null.
  const scope = new Map<string, string | null>();
  for (const p of inclusivePrefixes) {
    const key = p === "#default" ? "" : p;
    if (key === "xml" || key === "xmlns") continue;
    let bound: string | null = null;
    for (let i = path.length - 1; i >= 0 && bound === null; i--) bound = declaredOn(path[i]!, key);
    scope.set(key, bound);
  }
  return canonicalElement(target, new Map([["", ""]]), scope);
}

function declaredOn(el: XmlElement, prefix: string): string | null {
  const name = prefix === "" ? "xmlns" : `xmlns:${prefix}`;
  for (const a of el.attrs) if (a.name === name) return a.value;
  return null;
}

function canonicalElement(
  el: XmlElement,
  rendered: ReadonlyMap<string, string>,
  scope: ReadonlyMap<string, string | null>,
): string {
  let decls = wantDeclaration(null, rendered, prefixOf(el.name), el.ns ?? "");
  const attrs: XmlAttr[] = [];
  for (const a of el.attrs) {
    if (a.ns === XMLNS) continue;
    attrs.push(a);
    const p = prefixOf(a.name);
    if (p && a.ns !== XML) decls = wantDeclaration(decls, rendered, p, a.ns ?? "");
  }
  for (const [key, uri] of scope) {
    if (uri === null && key !== "") continue;
    decls = wantDeclaration(decls, rendered, key, uri ?? "");
  }
  if (decls !== null && decls.length > 1) decls.sort(compareDeclarations);
  if (attrs.length > 1) attrs.sort(compareAttrs);

  let out = `<${el.name}`;
  let next = rendered;
  if (decls !== null) {
    const m = new Map(rendered);
    for (const [p, uri] of decls) {
      out += `${p === "" ? ' xmlns="' : ` xmlns:${p}="`}${escapeAttribute(uri)}"`;
      m.set(p, uri);
    }
    next = m;
  }
  for (const a of attrs) out += ` ${a.name}="${escapeAttribute(a.value)}"`;
  out += ">";
  for (const c of el.children) out += typeof c === "string" ? escapeText(c) : canonicalElement(c, next, scopeBelow(c, scope));
  return `${out}</${el.name}>`;
}

/** `scope` at a child: its own declarations of the listed prefixes replace the parent's. */
function scopeBelow(el: XmlElement, scope: ReadonlyMap<string, string | null>): ReadonlyMap<string, string | null> {
  if (scope.size === 0) return scope;
  let next: Map<string, string | null> | null = null;
  for (const a of el.attrs) {
    if (a.ns !== XMLNS) continue;
    const key = a.name === "xmlns" ? "" : localOf(a.name);
    if (scope.has(key)) (next ??= new Map(scope)).set(key, a.value);
  }
  return next ?? scope;
}

function compareAttrs(a: XmlAttr, b: XmlAttr): number {
  const na = a.ns ?? "";
  const nb = b.ns ?? "";
  if (na === "" && nb !== "") return -1;
  if (nb === "" && na !== "") return 1;
  return byCodePoint(na, nb) || byCodePoint(localOf(a.name), localOf(b.name));
}


// ------------------------------------------------------------------------------------------ from a DOM

/**
 * A copy of a parsed element and its subtree (elements, attributes with their namespaces, text), or undefined
 * when it holds anything else (comments, processing instructions, CDATA sections): those a caller leaves to the
 * DOM path, whose serialiser and canonicaliser treat them differently, as it does a subtree deeper than
 * `maxDepth` (the renderers here recurse).
 */
export function fromDomElement(source: Element, maxDepth = 64): XmlElement | undefined {
  if (maxDepth <= 0) return undefined;
  const attrs: XmlAttr[] = [];
  const list = source.attributes;
  for (let i = 0; i < list.length; i++) {
    const a = list.item(i)!;
    attrs.push({ name: a.name, ns: a.namespaceURI || null, value: a.value });
  }
  const children: XmlNode[] = [];
  for (let c = source.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 3) children.push((c as Text).data);
    else if (c.nodeType === 1) {
      const copy = fromDomElement(c as Element, maxDepth - 1);
      if (copy === undefined) return undefined;
      children.push(copy);
    } else return undefined;
  }
  return xmlElement(source.nodeName, source.namespaceURI || null, attrs, children);
}

// -------------------------------------------------------------------------------------------- to a DOM

/**
 * The tree as DOM nodes of `doc` (not yet inserted): for the few callers that must put what we build into a
 * document from elsewhere (a foreign envelope's wsse:Security, a receipt that copies references the tree does not
 * model). Attributes and children in the tree's order, so xmldom serialises it as {@link serializeXml} writes it.
 */
export function toDomElement(doc: Document, el: XmlElement): Element {
  const out = doc.createElementNS(el.ns, el.name);
  for (const a of el.attrs) {
    if (a.ns === null) out.setAttribute(a.name, a.value);
    else out.setAttributeNS(a.ns, a.name, a.value);
  }
  for (const c of el.children) out.appendChild(typeof c === "string" ? doc.createTextNode(c) : toDomElement(doc, c));
  return out;
}
