import { timingSafeEqual } from "node:crypto";
import { NS } from "../as4/namespaces.js";
import { attr, childElements, textOf } from "./dom.js";

/**
 * An XML-DSig `ds:Reference` as a value: what a signature's SignedInfo lists, and what an AS4 receipt
 * copies into its NonRepudiationInformation.
 */
export interface DsTransform {
  algorithm: string;
  /** `ec:InclusiveNamespaces/@PrefixList` of an exclusive canonicalisation transform, when present. */
  inclusiveNamespaces?: string[];
}

export interface DsReference {
  uri: string;
  transforms: DsTransform[];
  digestMethod: string;
  /** Base64 with any whitespace removed. */
  digestValue: string;
}

export class DsReferenceFormatError extends Error {
  readonly code = "DS_REFERENCE_MALFORMED";
  constructor(message: string) {
    super(message);
    this.name = "DsReferenceFormatError";
  }
}

/** Read a `ds:Reference` element, or throw {@link DsReferenceFormatError}. */
export function readDsReference(el: Element): DsReference {
  if (el.namespaceURI !== NS.ds || el.localName !== "Reference") {
    throw new DsReferenceFormatError(`expected ds:Reference, found ${el.nodeName}`);
  }
  const uri = attr(el, "URI");
  if (uri === undefined) throw new DsReferenceFormatError("ds:Reference has no URI");

  const transformsEls = childElements(el, NS.ds, "Transforms");
  if (transformsEls.length > 1) throw new DsReferenceFormatError("ds:Reference has several ds:Transforms");
  const transforms = transformsEls[0]
    ? childElements(transformsEls[0], NS.ds, "Transform").map((t): DsTransform => {
        const algorithm = attr(t, "Algorithm");
        if (!algorithm) throw new DsReferenceFormatError("ds:Transform has no Algorithm");
        const inclusive = childElements(t, NS.ec, "InclusiveNamespaces")[0];
        const prefixList = inclusive ? attr(inclusive, "PrefixList") : undefined;
        return {
          algorithm,
          ...(prefixList !== undefined ? { inclusiveNamespaces: prefixList.split(/\s+/).filter((p) => p !== "") } : {}),
        };
      })
    : [];

  const methods = childElements(el, NS.ds, "DigestMethod");
  const values = childElements(el, NS.ds, "DigestValue");
  if (methods.length !== 1 || values.length !== 1) {
    throw new DsReferenceFormatError("ds:Reference needs exactly one DigestMethod and one DigestValue");
  }
  const digestMethod = attr(methods[0]!, "Algorithm");
  if (!digestMethod) throw new DsReferenceFormatError("ds:DigestMethod has no Algorithm");
  const digestValue = textOf(values[0]!).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(digestValue)) throw new DsReferenceFormatError("ds:DigestValue is not base64");
  return { uri, transforms, digestMethod, digestValue };
}

/** Same reference: URI, transforms (with prefix lists as sets), digest method and digest bytes. */
export function sameDsReference(a: DsReference, b: DsReference): boolean {
  if (a.uri !== b.uri || a.digestMethod !== b.digestMethod || a.transforms.length !== b.transforms.length) return false;
  const sameTransforms = a.transforms.every((t, i) => {
    const u = b.transforms[i]!;
    const pa = [...(t.inclusiveNamespaces ?? [])].sort().join(" ");
    const pb = [...(u.inclusiveNamespaces ?? [])].sort().join(" ");
    return t.algorithm === u.algorithm && pa === pb;
  });
  if (!sameTransforms) return false;
  const da = Buffer.from(a.digestValue, "base64");
  const db = Buffer.from(b.digestValue, "base64");
  return da.length === db.length && timingSafeEqual(da, db);
}
