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

/** The canonical form of `element` and its descendants, as UTF-8 text. */
export function excC14n(element: Element, options: ExcC14nOptions = {}): string {
  const inclusive = new Set(options.inclusivePrefixes ?? []);
  const out: string[] = [];
  // Each prefix of the list (by its key, "" for #default) → the namespace bound to it at the element, from the
  // declarations on it and its ancestors; kept up to date on the way down instead of looked up per element.
  const inclusiveScope = new Map<string, string | null>();
  for (const p of inclusive) {
    const key = p === "#default" ? "" : p;
    if (key !== "xml" && key !== "xmlns") inclusiveScope.set(key, inScope(element, key));
  }
  // Prefix ("" for the default namespace) → the value the nearest output ancestor rendered for it.
  render(element, new Map([["", ""]]), inclusiveScope, out);
  return out.join("");
}

/** `scope` for a child of the element it describes: updated by the child's own declarations of those prefixes. */
function scopeOf(el: Element, scope: ReadonlyMap<string, string | null>): ReadonlyMap<string, string | null> {
  if (scope.size === 0 || !el.hasAttributes()) return scope;
  let next: Map<string, string | null> | null = null;
  for (const key of scope.keys()) {
    const a = el.getAttributeNode(key === "" ? "xmlns" : `xmlns:${key}`);
    if (a) (next ??= new Map(scope)).set(key, a.value);
  }
  return next ?? scope;
}

function render(el: Element, rendered: ReadonlyMap<string, string>, inclusiveScope: ReadonlyMap<string, string | null>, out: string[]): void {
  const decls: [prefix: string, uri: string][] = [];
  const attrs: Attr[] = [];
  const want = (prefix: string, uri: string) => {
    if (rendered.get(prefix) === uri || decls.some(([p]) => p === prefix)) return;
    decls.push([prefix, uri]);
  };

  const prefix = el.prefix ?? "";
  want(prefix, el.namespaceURI ?? "");
  const list = el.attributes;
  for (let i = 0; i < list.length; i++) {
    const a = list.item(i)!;
    if (a.namespaceURI === XMLNS) continue;
    attrs.push(a);
    // Unprefixed attributes are in no namespace and use no declaration; xml: is never declared.
    if (a.prefix && a.namespaceURI !== XML) want(a.prefix, a.namespaceURI ?? "");
  }
  for (const [key, uri] of inclusiveScope) {
    // A prefix of the list that is not in scope here is not rendered; the default namespace when absent is "".
    if (uri === null && key !== "") continue;
    want(key, uri ?? "");
  }

  decls.sort((a, b) => compareCodePoints(a[0], b[0]));
  attrs.sort(compareAttributes);

  const name = el.nodeName;
  out.push("<", name);
  let scope = rendered;
  if (decls.length > 0) {
    const next = new Map(rendered);
    for (const [p, uri] of decls) {
      out.push(p === "" ? ' xmlns="' : ` xmlns:${p}="`, escapeAttribute(uri), '"');
      next.set(p, uri);
    }
    scope = next;
  }
  for (const a of attrs) out.push(" ", a.nodeName, '="', escapeAttribute(a.value), '"');
  out.push(">");
  for (let c = el.firstChild; c; c = c.nextSibling) {
    switch (c.nodeType) {
      case ELEMENT:
        render(c as Element, scope, scopeOf(c as Element, inclusiveScope), out);
        break;
      case TEXT:
      case CDATA:
        out.push(escapeText((c as CharacterData).data));
        break;
      case PI: {
        const pi = c as ProcessingInstruction;
        out.push("<?", pi.target, pi.data ? ` ${pi.data}` : "", "?>");
        break;
      }
      case COMMENT:
        break;
      default:
        // Entity references are expanded by our parser (src/xml/safe-parse.ts refuses DTDs).
        throw new Error(`cannot canonicalise a node of type ${c.nodeType}`);
    }
  }
  out.push("</", name, ">");
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

function compareAttributes(a: Attr, b: Attr): number {
  const na = a.namespaceURI ?? "";
  const nb = b.namespaceURI ?? "";
  if (na === "" && nb !== "") return -1;
  if (nb === "" && na !== "") return 1;
  return compareCodePoints(na, nb) || compareCodePoints(a.localName ?? a.nodeName, b.localName ?? b.nodeName);
}

const TEXT_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;" };
const ATTRIBUTE_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#x9;", "\n": "&#xA;", "\r": "&#xD;" };

function escapeText(s: string): string {
  return /[&<>\r]/.test(s) ? s.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!) : s;
}

function escapeAttribute(s: string): string {
  return /[&<"\t\n\r]/.test(s) ? s.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c]!) : s;
}
