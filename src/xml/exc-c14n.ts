/**
 * Exclusive XML Canonicalization 1.0 without comments (http://www.w3.org/2001/10/xml-exc-c14n#) of an element
 * and its subtree, as XML-DSig digests a `#id` reference and SignedInfo, on the DOM the message was parsed into.
 *
 * Why our own: xml-crypto's canonicaliser works, but its verification path serialises and re-parses the
 * signature and the whole envelope and resolves every reference by XPath, which made signature checks the
 * largest single item of an access point's CPU per letter. This module is the one canonicaliser both signing and
 * verification use; the differential test against xml-crypto and the interop tests (Santuario, lxml, phase4 and
 * Governikus vectors) guard it.
 *
 * The rules (exc-c14n §3, C14N 1.0 §2): an element's namespace declarations are those it *visibly utilizes* (its
 * own prefix, or the default namespace when it has none, and the prefixes of its attributes), plus the prefixes of
 * the InclusiveNamespaces PrefixList that are in scope, each written only when no output ancestor already wrote
 * the same prefix with the same value; an unprefixed element in no namespace under an output ancestor that wrote a
 * default namespace gets `xmlns=""`. Declarations sort by prefix (default first), attributes by namespace URI
 * then local name (no namespace first), both by code point. Text escapes `& < > CR`, attribute values
 * `& < " TAB LF CR`; empty elements get an end tag; comments are dropped; processing instructions are kept.
 */
import { compareCodePoints } from "./c14n-fix.js";

const XMLNS = "http://www.w3.org/2000/xmlns/";
const XML = "http://www.w3.org/XML/1998/namespace";

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const PI = 7;
const COMMENT = 8;

export interface ExcC14nOptions {
  /** The InclusiveNamespaces PrefixList (`#default` names the default namespace). */
  inclusivePrefixes?: readonly string[] | undefined;
}

/**
 * The prefixes of the InclusiveNamespaces list (by key, "" for #default), the names of the attributes that declare
 * them, and the namespace each is bound to at the element being rendered (null when it is not bound), from the
 * declarations on it and its ancestors: kept up to date on the way down instead of looked up per element.
 */
interface InclusiveScope {
  readonly keys: readonly string[];
  readonly names: readonly string[];
  readonly uris: readonly (string | null)[];
}

const NO_INCLUSIVE: InclusiveScope = { keys: [], names: [], uris: [] };
/** What an output ancestor has rendered above the apex: the default namespace as empty. */
const NOTHING_RENDERED: ReadonlyMap<string, string> = new Map([["", ""]]);

/**
 * The canonical form of `element` and its descendants, as UTF-8 text. Built by string concatenation (V8 joins the
 * pieces when the text is first read, for the digest) rather than an array of pieces joined at the end.
 */
export function excC14n(element: Element, options: ExcC14nOptions = {}): string {
  const inclusive = new Set(options.inclusivePrefixes ?? []);
  let scope = NO_INCLUSIVE;
  if (inclusive.size > 0) {
    const keys: string[] = [];
    const names: string[] = [];
    const uris: (string | null)[] = [];
    for (const p of inclusive) {
      const key = p === "#default" ? "" : p;
      if (key === "xml" || key === "xmlns") continue;
      keys.push(key);
      names.push(key === "" ? "xmlns" : `xmlns:${key}`);
      uris.push(inScope(element, key));
    }
    scope = { keys, names, uris };
  }
  // Prefix ("" for the default namespace) → the value the nearest output ancestor rendered for it.
  return render(element, NOTHING_RENDERED, scope);
}

/** `scope` for a child of the element it describes: updated by the child's own declarations of those prefixes. */
function scopeOf(el: Element, scope: InclusiveScope): InclusiveScope {
  if (scope.keys.length === 0 || !el.hasAttributes()) return scope;
  let uris: (string | null)[] | null = null;
  for (let k = 0; k < scope.names.length; k++) {
    const a = el.getAttributeNode(scope.names[k]!);
    if (a) (uris ??= scope.uris.slice())[k] = a.value;
  }
  return uris === null ? scope : { keys: scope.keys, names: scope.names, uris };
}

/**
 * Adds the declaration of `prefix` unless the nearest output ancestor rendered it so, or `decls` has it already.
 * Shared with the canonicaliser of element trees (xml-text.ts canonicalXml), which must write the same bytes.
 */
export function wantDeclaration(decls: [prefix: string, uri: string][] | null, rendered: ReadonlyMap<string, string>, prefix: string, uri: string): [prefix: string, uri: string][] | null {
  if (rendered.get(prefix) === uri) return decls;
  if (decls === null) return [[prefix, uri]];
  for (let i = 0; i < decls.length; i++) if (decls[i]![0] === prefix) return decls;
  decls.push([prefix, uri]);
  return decls;
}

function render(el: Element, rendered: ReadonlyMap<string, string>, inclusiveScope: InclusiveScope): string {
  let decls = wantDeclaration(null, rendered, el.prefix ?? "", el.namespaceURI ?? "");
  let attrs: Attr[] | null = null;
  const list = el.attributes;
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    const ns = a.namespaceURI;
    if (ns === XMLNS) continue;
    (attrs ??= []).push(a);
    // Unprefixed attributes are in no namespace and use no declaration; xml: is never declared.
    if (a.prefix && ns !== XML) decls = wantDeclaration(decls, rendered, a.prefix, ns ?? "");
  }
  const { keys, uris } = inclusiveScope;
  for (let k = 0; k < keys.length; k++) {
    // A prefix of the list that is not in scope here is not rendered; the default namespace when absent is "".
    const key = keys[k]!;
    const uri = uris[k]!;
    if (uri === null && key !== "") continue;
    decls = wantDeclaration(decls, rendered, key, uri ?? "");
  }

  const name = el.nodeName;
  let out = "<" + name;
  let scope = rendered;
  if (decls !== null) {
    if (decls.length > 1) decls.sort(compareDeclarations);
    const next = new Map(rendered);
    for (const [p, uri] of decls) {
      out += (p === "" ? ' xmlns="' : " xmlns:" + p + '="') + escapeAttribute(uri) + '"';
      next.set(p, uri);
    }
    scope = next;
  }
  if (attrs !== null) {
    if (attrs.length > 1) attrs.sort(compareAttributes);
    for (const a of attrs) out += " " + a.nodeName + '="' + escapeAttribute(a.value) + '"';
  }
  out += ">";
  for (let c = el.firstChild; c; c = c.nextSibling) {
    switch (c.nodeType) {
      case ELEMENT:
        out += render(c as Element, scope, scopeOf(c as Element, inclusiveScope));
        break;
      case TEXT:
      case CDATA:
        out += escapeText((c as CharacterData).data);
        break;
      case PI: {
        const pi = c as ProcessingInstruction;
        out += "<?" + pi.target + (pi.data ? " " + pi.data : "") + "?>";
        break;
      }
      case COMMENT:
        break;
      default:
        // Entity references are expanded by our parser (src/xml/safe-parse.ts refuses DTDs).
        throw new Error(`cannot canonicalise a node of type ${c.nodeType}`);
    }
  }
  return out + "</" + name + ">";
}

/** The namespace `prefix` ("" for the default) is bound to at `el`, from the declarations on it and its ancestors. */
function inScope(el: Element, prefix: string): string | null {
  const name = prefix === "" ? "xmlns" : `xmlns:${prefix}`;
  for (let n: Node | null = el; n && n.nodeType === ELEMENT; n = n.parentNode) {
    const a = (n as Element).getAttributeNode(name);
    if (a) return a.value;
  }
  return null;
}

export function compareDeclarations(a: [prefix: string, uri: string], b: [prefix: string, uri: string]): number {
  return byCodePoint(a[0], b[0]);
}

function compareAttributes(a: Attr, b: Attr): number {
  const na = a.namespaceURI ?? "";
  const nb = b.namespaceURI ?? "";
  if (na === "" && nb !== "") return -1;
  if (nb === "" && na !== "") return 1;
  return byCodePoint(na, nb) || byCodePoint(a.localName ?? a.nodeName, b.localName ?? b.nodeName);
}

/**
 * compareCodePoints, without its string iterators where the strings first differ outside the surrogate range: there
 * the code units are the code points, and everything before them was equal.
 */
export function byCodePoint(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if ((x >= 0xd800 && x <= 0xdfff) || (y >= 0xd800 && y <= 0xdfff)) return compareCodePoints(a, b);
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

const TEXT_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;" };
const ATTRIBUTE_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#x9;", "\n": "&#xA;", "\r": "&#xD;" };

/** Text as exclusive C14N writes it (also xml-text.ts canonicalXml's). */
export function escapeText(s: string): string {
  return /[&<>\r]/.test(s) ? s.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!) : s;
}

/** An attribute value as exclusive C14N writes it (also xml-text.ts canonicalXml's). */
export function escapeAttribute(s: string): string {
  return /[&<"\t\n\r]/.test(s) ? s.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c]!) : s;
}
