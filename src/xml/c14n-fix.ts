import {
  C14nCanonicalization,
  C14nCanonicalizationWithComments,
  ExclusiveCanonicalization,
  ExclusiveCanonicalizationWithComments,
} from "xml-crypto";

/**
 * xml-crypto 6.3 orders namespace declarations with `String.localeCompare`, whose ICU collation puts `eb`
 * before `S12`. Canonical XML (C14N 1.0 §2.2, exc-c14n §3) requires lexicographic order by code point
 * (`S12` < `eb`), so phase4's messages, which put `S12:mustUnderstand` on `eb:Messaging`, would digest
 * differently here than everywhere else. We replace the comparator on the shared prototypes.
 *
 * Attributes are ordered by namespace URI then local name. xml-crypto compares the concatenation
 * `namespaceURI + localName`, which misorders when one URI is a prefix of another; we fix that while here.
 *
 * Importing this module installs the fix; installing twice is harmless.
 */

interface NsDecl {
  prefix: string;
}
interface AttrLike {
  namespaceURI: string | null;
  localName: string | null;
}

/** Compare strings by Unicode code point (JavaScript's `<` compares UTF-16 code units). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

function nsCompare(a: NsDecl, b: NsDecl): number {
  return compareCodePoints(a.prefix ?? "", b.prefix ?? "");
}

function attrCompare(a: AttrLike, b: AttrLike): number {
  // Attributes without a namespace come first (C14N §2.2).
  const na = a.namespaceURI ?? "";
  const nb = b.namespaceURI ?? "";
  if (na === "" && nb !== "") return -1;
  if (nb === "" && na !== "") return 1;
  return compareCodePoints(na, nb) || compareCodePoints(a.localName ?? "", b.localName ?? "");
}

const INSTALLED = Symbol.for("dpi-ap.xml-crypto.c14n-fix");

type Patchable = { prototype: object };
const CANONICALIZERS: Patchable[] = [
  ExclusiveCanonicalization,
  ExclusiveCanonicalizationWithComments,
  C14nCanonicalization,
  C14nCanonicalizationWithComments,
];

/** Install the code-point comparators on every xml-crypto canonicaliser. Idempotent. */
export function installC14nFix(): void {
  for (const C of CANONICALIZERS) {
    const proto = C.prototype as Record<PropertyKey, unknown>;
    if (proto[INSTALLED]) continue;
    proto.nsCompare = nsCompare;
    proto.attrCompare = attrCompare;
    proto[INSTALLED] = true;
  }
}

/** True when every canonicaliser carries the fix (a regression guard for tests and start-up checks). */
export function isC14nFixInstalled(): boolean {
  return CANONICALIZERS.every((C) => {
    const proto = C.prototype as Record<PropertyKey, unknown>;
    return proto[INSTALLED] === true && proto.nsCompare === nsCompare && proto.attrCompare === attrCompare;
  });
}

installC14nFix();
