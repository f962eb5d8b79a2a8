import {
  C14nCanonicalization,
  C14nCanonicalizationWithComments,
  ExclusiveCanonicalization,
  ExclusiveCanonicalizationWithComments,
} from "xml-crypto";
import "../../xml/c14n-fix.js";
import { isElement } from "../../xml/dom.js";

/**
 * Canonicalisation of one element for the diagnosis, with xml-crypto's canonicalisers (carrying our
 * code-point namespace-order fix) applied to a deep copy, so the document being analysed never changes
 * (xml-crypto writes the InclusiveNamespaces declarations onto the element it is given).
 *
 * The `locale-order` variant reproduces xml-crypto without the fix (namespace declarations sorted with
 * `localeCompare`): a digest that matches only that way was made by a signer with the unfixed library.
 */

export const C14N = {
  exclusive: "http://www.w3.org/2001/10/xml-exc-c14n#",
  exclusiveWithComments: "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
  inclusive: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
  inclusiveWithComments: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
} as const;

export type C14nVariant = "standard" | "locale-order";

interface NsBinding {
  prefix: string;
  namespaceURI: string;
}

interface Canonicalizer {
  process(elem: Element, options: { inclusiveNamespacesPrefixList?: string[]; ancestorNamespaces?: NsBinding[] }): string;
}

const localeOrder = (a: NsBinding, b: NsBinding): number => (a.prefix ?? "").localeCompare(b.prefix ?? "");

class LocaleOrderExclusive extends ExclusiveCanonicalization {
  override nsCompare(a: NsBinding, b: NsBinding): number {
    return localeOrder(a, b);
  }
}
class LocaleOrderExclusiveWithComments extends ExclusiveCanonicalizationWithComments {
  override nsCompare(a: NsBinding, b: NsBinding): number {
    return localeOrder(a, b);
  }
}

export function isSupportedC14n(algorithm: string): boolean {
  return (Object.values(C14N) as string[]).includes(algorithm);
}

function canonicalizer(algorithm: string, variant: C14nVariant): Canonicalizer {
  const locale = variant === "locale-order";
  switch (algorithm) {
    case C14N.exclusive:
      return (locale ? new LocaleOrderExclusive() : new ExclusiveCanonicalization()) as unknown as Canonicalizer;
    case C14N.exclusiveWithComments:
      return (locale ? new LocaleOrderExclusiveWithComments() : new ExclusiveCanonicalizationWithComments()) as unknown as Canonicalizer;
    case C14N.inclusive:
      return new C14nCanonicalization() as unknown as Canonicalizer;
    case C14N.inclusiveWithComments:
      return new C14nCanonicalizationWithComments() as unknown as Canonicalizer;
    default:
      throw new Error(`unsupported canonicalisation ${algorithm}`);
  }
}

/**
 * The canonical form of `el` (and its subtree) under `algorithm`. `prepare` may change the copy first (the
 * enveloped-signature transform removes the signature); namespaces in scope still come from `el`.
 */
export function canonicalize(
  el: Element,
  algorithm: string,
  prefixList: readonly string[] = [],
  variant: C14nVariant = "standard",
  prepare?: (copy: Element) => void,
): string {
  const copy = el.cloneNode(true) as Element;
  prepare?.(copy);
  return canonicalizer(algorithm, variant).process(copy, {
    inclusiveNamespacesPrefixList: [...prefixList],
    ancestorNamespaces: ancestorNamespaces(el),
  });
}

/**
 * Namespace bindings in scope at `el` that are declared on its ancestors (the nearest declaration wins),
 * leaving out prefixes `el` declares itself and undeclarations.
 */
export function ancestorNamespaces(el: Element): NsBinding[] {
  const own = new Set(declarations(el).map((d) => d.prefix));
  const seen = new Set<string>();
  const out: NsBinding[] = [];
  for (let p = el.parentNode; p && isElement(p); p = p.parentNode) {
    for (const d of declarations(p)) {
      if (seen.has(d.prefix)) continue;
      seen.add(d.prefix);
      if (!own.has(d.prefix) && d.namespaceURI !== "") out.push(d);
    }
  }
  return out;
}

function declarations(el: Element): NsBinding[] {
  const out: NsBinding[] = [];
  for (let i = 0; i < el.attributes.length; i++) {
    const a = el.attributes.item(i)!;
    if (a.name === "xmlns") out.push({ prefix: "", namespaceURI: a.value });
    else if (a.name.startsWith("xmlns:")) out.push({ prefix: a.name.slice(6), namespaceURI: a.value });
  }
  return out;
}
