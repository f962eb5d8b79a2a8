import * as asn1js from "asn1js";

/**
 * Reading asn1js' parse tree without a schema, by position: how packaging read CMS before our BER reader
 * (src/asn1/ber.ts) replaced asn1js there. Only the asn1js references of the differential tests use it now.
 */

/** The elements of a constructed value (SEQUENCE, SET, or a constructed context-tagged one); none otherwise. */
export function childrenOf(el: asn1js.AsnType | undefined): asn1js.AsnType[] {
  if (el === undefined) return [];
  const value = (el.valueBlock as { value?: unknown }).value;
  return Array.isArray(value) ? (value as asn1js.AsnType[]) : [];
}

export function isContext(el: asn1js.AsnType | undefined, tagNumber: number): el is asn1js.AsnType {
  return el !== undefined && el.idBlock.tagClass === 3 && el.idBlock.tagNumber === tagNumber;
}

export function isOctetString(el: asn1js.AsnType | undefined): el is asn1js.AsnType {
  return el !== undefined && el.idBlock.tagClass === 1 && el.idBlock.tagNumber === 4;
}

export function oidOf(el: asn1js.AsnType | undefined): string | undefined {
  return el instanceof asn1js.ObjectIdentifier ? el.valueBlock.toString() : undefined;
}

/**
 * The bytes of an OCTET STRING or an IMPLICIT-tagged one: primitive (a view of the input, no copy) or
 * constructed from pieces (joined). Undefined when a piece is not an OCTET STRING.
 */
export function octetsOf(el: asn1js.AsnType): Uint8Array | undefined {
  if (!el.idBlock.isConstructed) return (el.valueBlock as unknown as { valueHexView: Uint8Array }).valueHexView;
  const pieces: Uint8Array[] = [];
  for (const piece of childrenOf(el)) {
    const bytes = isOctetString(piece) ? octetsOf(piece) : undefined;
    if (bytes === undefined) return undefined;
    pieces.push(bytes);
  }
  return joinBytes(pieces);
}

/** The encoding of an element as it arrived, with its tag replaced (an IMPLICIT [n] SET back to a SET). */
export function retagged(el: asn1js.AsnType, tag: number): Uint8Array {
  const der = new Uint8Array(el.valueBeforeDecodeView);
  der[0] = tag;
  return der;
}

export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const joined = Buffer.concat(parts);
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
}
