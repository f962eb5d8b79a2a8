/**
 * Node creation and linking for @xmldom/xmldom documents without the checks of its DOM methods, for a builder
 * that has already established everything they check: src/xml/fast-parse.ts, whose scanner has checked names,
 * namespaces, attribute uniqueness and well-formedness before a node exists.
 *
 * Why: appendChild runs the DOM's pre-insertion validity steps (for a Document child a scan of its children),
 * createAttributeNS matches the qualified name against a Unicode regular expression and splits it again, and
 * setAttributeNode goes through the NamedNodeMap's generic replace-or-append path. Together they were most of
 * xmldom's share of an access point's CPU.
 *
 * Each function writes exactly the fields xmldom 0.9's own code writes for the same operation (`_insertBefore`
 * and `_onUpdateChild` for an append, `_addNamedNode`, `_nnmIndexAdd` and `_onAddAttribute` for an attribute,
 * `createAttributeNS` for an attribute node), including the document's `_inc` change counter that live node
 * lists compare, so the result cannot be told from a document built through the checked methods. Several of
 * those fields are xmldom's private ones: test/xml/fast-parse.test.ts compares the whole object graph of every
 * parsed document with xmldom's own parse of it, and fails if an upgrade of xmldom changes them.
 */

const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

/** The private fields of xmldom's nodes that linking writes. */
interface LinkedNode {
  parentNode: LinkedNode | null;
  previousSibling: LinkedNode | null;
  nextSibling: LinkedNode | null;
  firstChild: LinkedNode | null;
  lastChild: LinkedNode | null;
  childNodes: { length: number; [index: number]: LinkedNode };
  ownerDocument: XmldomDocument;
  nodeType: number;
}

interface XmldomDocument extends LinkedNode {
  _inc: number;
  documentElement: LinkedNode | null;
  _createAttribute(qualifiedName: string): Attr;
}

type Bucket = Record<string, Attr>;

interface XmldomAttributes {
  length: number;
  [index: number]: Attr;
  _nsIndex: Record<string, Bucket>;
  _noNsIndex: Bucket;
}

interface XmldomElement {
  attributes: XmldomAttributes;
  _nsMap: Record<string, string>;
  ownerDocument: XmldomDocument;
}

/** `parent.appendChild(child)` for a child that has no parent yet and may go there (not a fragment). */
export function appendChildUnchecked(parent: Node, child: Node): void {
  const p = parent as unknown as LinkedNode;
  const c = child as unknown as LinkedNode;
  const last = p.lastChild;
  c.previousSibling = last;
  c.nextSibling = null;
  if (last !== null) last.nextSibling = c;
  else p.firstChild = c;
  p.lastChild = c;
  c.parentNode = p;
  // A Document is its own ownerDocument.
  const doc = p.ownerDocument;
  doc._inc++;
  const list = p.childNodes;
  list[list.length++] = c;
  if (p === doc) {
    c.ownerDocument = doc;
    if (doc.documentElement === null && c.nodeType === 1) doc.documentElement = c;
  }
}

/**
 * `doc.createElementNS(namespace, qualifiedName)` for a name and namespace already known to be valid together
 * (prefix = the part before the colon, if any): createElement's node with the namespace fields createElementNS sets.
 */
export function createElementUnchecked(doc: Document, namespace: string | null, qualifiedName: string, prefix: string | null, localName: string): Element {
  const el = doc.createElement(qualifiedName);
  const fields = el as { namespaceURI: string | null; prefix: string | null; localName: string };
  fields.namespaceURI = namespace;
  fields.prefix = prefix;
  fields.localName = localName;
  return el;
}

/**
 * `doc.createAttributeNS(namespace, qualifiedName)` with its value set, for a name and namespace already known to
 * be valid together (prefix = the part before the colon, if any).
 */
export function createAttributeUnchecked(doc: Document, namespace: string | null, qualifiedName: string, prefix: string | null, localName: string, value: string): Attr {
  // createAttributeNS less its name checks: the same constructor, the same fields.
  const attr = (doc as unknown as XmldomDocument)._createAttribute(qualifiedName);
  const fields = attr as { namespaceURI: string | null; prefix: string | null; localName: string; value: string; nodeValue: string | null };
  fields.namespaceURI = namespace;
  fields.prefix = prefix;
  fields.localName = localName;
  fields.value = value;
  fields.nodeValue = value;
  return attr;
}

/**
 * `el.setAttributeNode(attr)` for an attribute of no element yet whose namespace and local name the element does
 * not carry already.
 */
export function addAttributeUnchecked(el: Element, attr: Attr): void {
  // The caller's promise; were it broken, xmldom would have replaced the earlier attribute, not added one.
  if (!addNewAttributeUnchecked(el, attr)) throw new Error(`attribute ${attr.name} is already set on <${el.tagName}>`);
}

/**
 * `el.setAttributeNode(attr)` for an attribute of no element yet, when the element carries no attribute of its
 * namespace and local name; false, and nothing done, when it does.
 */
export function addNewAttributeUnchecked(el: Element, attr: Attr): boolean {
  const owner = el as unknown as XmldomElement;
  const list = owner.attributes;
  const ns = attr.namespaceURI;
  let bucket: Bucket;
  if (!ns) bucket = list._noNsIndex;
  else bucket = list._nsIndex[ns] ??= Object.create(null) as Bucket;
  const local = attr.localName;
  if (bucket[local] !== undefined) return false;
  list[list.length] = attr;
  list.length++;
  bucket[local] = attr;
  (attr as { ownerElement: Element | null }).ownerElement = el;
  owner.ownerDocument._inc++;
  if (ns === XMLNS_NS) owner._nsMap[attr.prefix ? local : ""] = attr.value;
  return true;
}
