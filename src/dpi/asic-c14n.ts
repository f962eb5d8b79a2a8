import "../xml/c14n-fix.js";
import { C14nCanonicalization } from "xml-crypto";
import { isElement } from "../xml/dom.js";
import { AsicUnsupportedAlgorithmError, INCLUSIVE_C14N } from "./asic-profile.js";

// ---- canonicalisation -----------------------------------------------------------------------------------

const XML_NS = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

/**
 * Inclusive canonical XML (1.0 or 1.1, without comments) of the subtree at `el`, as a signature over it
 * sees it: the namespaces in scope from its ancestors are rendered on `el`. xml-crypto's canonicaliser
 * does the rendering; the in-scope namespaces are computed here (nearest declaration wins, undeclarations
 * bind nothing). C14N would also import `xml:*` attributes from the ancestors, which xml-crypto cannot, so
 * a document that has any there is refused rather than digested wrongly. Without them, 1.0 and 1.1 agree.
 */
export function canonicalize(el: Element, algorithm: string): string {
  if (!INCLUSIVE_C14N.has(algorithm)) throw new AsicUnsupportedAlgorithmError(`canonicalisation ${algorithm} is not supported`);
  const declared = new Map<string, string>();
  for (let p = el.parentNode; isElement(p); p = p.parentNode) {
    for (const a of Array.from(p.attributes)) {
      if (a.namespaceURI === XML_NS) {
        throw new AsicUnsupportedAlgorithmError(`an ancestor of ${el.localName} carries ${a.name}, which inclusive c14n would import`);
      }
      if (a.namespaceURI !== XMLNS_NS) continue;
      const prefix = a.name === "xmlns" ? "" : a.localName ?? "";
      if (!declared.has(prefix)) declared.set(prefix, a.value);
    }
  }
  // The element's own declarations and its own prefix are rendered by the canonicaliser itself.
  const own = new Set<string>([el.prefix ?? ""]);
  for (const a of Array.from(el.attributes)) {
    if (a.namespaceURI === XMLNS_NS) own.add(a.name === "xmlns" ? "" : a.localName ?? "");
  }
  const ancestorNamespaces = [...declared]
    .filter(([prefix, uri]) => uri !== "" && !own.has(prefix))
    .map(([prefix, namespaceURI]) => ({ prefix, namespaceURI }));
  return new C14nCanonicalization().process(el as unknown as Node, { ancestorNamespaces });
}

