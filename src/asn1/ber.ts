/**
 * Reading BER (X.690) element by element, for the dokumentpakke's CMS structure check (dpi/cms-summary.ts) and
 * the decryption of eFormidling's CMS envelopes (packaging/cms-envelope.ts). Nothing is decoded that the caller
 * does not ask for: an element is where its header says it is, and its content is checked only when the caller
 * reads it as a type or checks it as ANY. BER, not just DER: producers use indefinite lengths, long-form lengths
 * and constructed strings. What X.690 forbids even in BER is refused: a primitive element of indefinite length, a
 * tag number in needless high-tag form, padded INTEGERs and OID subidentifiers, a SEQUENCE or SET in primitive
 * form, children that run past their parent, end-of-contents octets where an element belongs.
 */

/** Refusal of malformed input; the caller turns it into its own error with context. */
export class BerError extends Error {}

/** Nesting deeper than this is refused (the root is at depth 0), as asn1js refuses it by default. */
export const MAX_DEPTH = 100;

/** X.690 tag classes, as the two high bits of the identifier octet. */
export const UNIVERSAL = 0;
export const CONTEXT = 2;

export const TAG = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  enumerated: 10,
  relativeOid: 13,
  sequence: 16,
  set: 17,
  utcTime: 23,
  generalizedTime: 24,
  universalString: 28,
  bmpString: 30,
} as const;

export interface Element {
  /** 0 universal, 1 application, 2 context-specific, 3 private */
  readonly tagClass: number;
  readonly constructed: boolean;
  readonly tagNumber: number;
  readonly start: number;
  readonly contentStart: number;
  /** For an indefinite length, where its end-of-contents octets start. */
  readonly contentEnd: number;
  readonly end: number;
  readonly depth: number;
}

/* X.690 8.1.2.2, 8.2-8.20: these universal types have a primitive encoding only (asn1js' list, plus ENUMERATED). */
const PRIMITIVE_ONLY: ReadonlySet<number> = new Set([1, 2, 5, 6, 9, 10, 13, 14, 23, 24, 31, 32, 33, 34]);
/* EXTERNAL, EMBEDDED PDV, SEQUENCE, SET and CHARACTER STRING are sequences: constructed only. */
const CONSTRUCTED_ONLY: ReadonlySet<number> = new Set([8, 11, 16, 17, 29]);
/* Restricted character strings: a constructed one is made of OCTET STRING segments (X.690 8.23.6). */
const CHARACTER_STRINGS: ReadonlySet<number> = new Set([7, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, 30]);

const UNIVERSAL_NAMES: Readonly<Record<number, string>> = {
  1: "BOOLEAN",
  2: "INTEGER",
  3: "BIT STRING",
  4: "OCTET STRING",
  5: "NULL",
  6: "OBJECT IDENTIFIER",
  10: "ENUMERATED",
  12: "UTF8String",
  13: "RELATIVE-OID",
  16: "SEQUENCE",
  17: "SET",
  19: "PrintableString",
  22: "IA5String",
  23: "UTCTime",
  24: "GeneralizedTime",
  30: "BMPString",
};

const CLASS_NAMES = ["UNIVERSAL", "APPLICATION", "", "PRIVATE"] as const;

/** The element's tag as a reader would write it: "SEQUENCE", "[0]", "[APPLICATION 3]", "UNIVERSAL 7". */
export function describe(e: Element): string {
  if (e.tagClass === UNIVERSAL) return UNIVERSAL_NAMES[e.tagNumber] ?? `UNIVERSAL ${e.tagNumber}`;
  return e.tagClass === CONTEXT ? `[${e.tagNumber}]` : `[${CLASS_NAMES[e.tagClass]} ${e.tagNumber}]`;
}

export const isUniversal = (e: Element, tagNumber: number): boolean => e.tagClass === UNIVERSAL && e.tagNumber === tagNumber;
export const isContext = (e: Element, tagNumber: number): boolean => e.tagClass === CONTEXT && e.tagNumber === tagNumber;

/*
 * UTCTime YYMMDDhhmm[ss](Z|±hhmm) and GeneralizedTime YYYYMMDDhh[mm[ss]][.f+][Z|±hh[mm]] (X.680 46, 47). X.680 also
 * allows a comma before the fraction; asn1js refuses it, and so does this.
 */
const UTC_TIME = /^\d{10}(?:\d{2})?(?:Z|[+-]\d{4})$/;
const GENERALIZED_TIME = /^\d{10}(?:\d{2}(?:\d{2})?)?(?:\.\d+)?(?:Z|[+-]\d{2}(?:\d{2})?)?$/;

export class BerReader {
  /** Where the contents of indefinite-length elements end, by header position, as endOfContents found them. */
  private readonly indefiniteEnds = new Map<number, number>();

  constructor(readonly bytes: Uint8Array) {}

  /** The element whose header starts at `position`; it must end by `limit`. */
  element(position: number, limit: number, depth: number, where: string): Element {
    if (depth > MAX_DEPTH) throw new BerError(`${where}: nested deeper than ${MAX_DEPTH} levels`);
    const bytes = this.bytes;
    if (position >= limit) throw new BerError(`${where}: truncated`);
    const first = bytes[position]!;
    let i = position + 1;
    let tagNumber = first & 0x1f;
    if (tagNumber === 0x1f) {
      if (i < limit && bytes[i] === 0x80) throw new BerError(`${where}: a tag number padded with a zero octet`);
      tagNumber = 0;
      for (;;) {
        if (i >= limit) throw new BerError(`${where}: truncated in a tag`);
        if (i - position > 4) throw new BerError(`${where}: a tag number of more than 28 bits`);
        const octet = bytes[i++]!;
        tagNumber = tagNumber * 128 + (octet & 0x7f);
        if ((octet & 0x80) === 0) break;
      }
      if (tagNumber < 0x1f) throw new BerError(`${where}: tag number ${tagNumber} in high-tag-number form`);
    }
    const tagClass = first >> 6;
    const constructed = (first & 0x20) !== 0;
    if (tagClass === UNIVERSAL) {
      if (tagNumber === 0) throw new BerError(`${where}: end-of-contents octets where an element belongs`);
      if (tagNumber === 15 || tagNumber > 36) throw new BerError(`${where}: reserved tag UNIVERSAL ${tagNumber}`);
      if (constructed && PRIMITIVE_ONLY.has(tagNumber)) throw new BerError(`${where}: a constructed ${describeTag(tagNumber)}`);
      if (!constructed && CONSTRUCTED_ONLY.has(tagNumber)) throw new BerError(`${where}: a primitive ${describeTag(tagNumber)}`);
    }
    if (i >= limit) throw new BerError(`${where}: truncated before its length`);
    const lengthOctet = bytes[i++]!;
    let contentStart: number;
    let contentEnd: number;
    let end: number;
    if (lengthOctet === 0x80) {
      if (!constructed) throw new BerError(`${where}: indefinite length on a primitive element`);
      contentStart = i;
      contentEnd = this.indefiniteEnds.get(position) ?? this.endOfContents(i, limit, depth, where);
      end = contentEnd + 2;
    } else {
      let length = lengthOctet;
      if (lengthOctet > 0x80) {
        const count = lengthOctet & 0x7f;
        // 0xFF is reserved (X.690 8.1.3.5); eight octets is already far past any input.
        if (count > 8) throw new BerError(`${where}: a length of ${count} octets`);
        if (i + count > limit) throw new BerError(`${where}: truncated in its length`);
        length = 0;
        for (let k = 0; k < count; k++) length = length * 256 + bytes[i++]!;
      }
      contentStart = i;
      if (length > limit - contentStart) throw new BerError(`${where}: runs ${length - (limit - contentStart)} bytes past its end`);
      contentEnd = contentStart + length;
      end = contentEnd;
    }
    return { tagClass, constructed, tagNumber, start: position, contentStart, contentEnd, end, depth };
  }

  /*
   * Where the end-of-contents octets of an indefinite-length element are, found from headers alone: definite
   * elements are stepped over whole (their insides are checked when they are read), nested indefinite ones
   * opened and closed. Without recursion; and the ends of the nested ones are kept, so reading them later
   * does not scan their contents again and crafted nesting costs one pass, not one per level.
   */
  private endOfContents(position: number, limit: number, depth: number, where: string): number {
    const bytes = this.bytes;
    const open: number[] = [];
    for (;;) {
      if (position + 2 > limit) throw new BerError(`${where}: no end-of-contents octets before its end`);
      if (bytes[position] === 0 && bytes[position + 1] === 0) {
        const start = open.pop();
        if (start === undefined) return position;
        this.indefiniteEnds.set(start, position);
        position += 2;
        continue;
      }
      const inner = this.header(position, limit, depth + 1 + open.length, where);
      if (inner.indefinite) {
        open.push(position);
        position = inner.contentStart;
      } else {
        position = inner.contentEnd;
      }
    }
  }

  /* The header alone, for endOfContents; element() checks the same rules again when it reads the element. */
  private header(position: number, limit: number, depth: number, where: string): { indefinite: boolean; contentStart: number; contentEnd: number } {
    if (depth > MAX_DEPTH) throw new BerError(`${where}: nested deeper than ${MAX_DEPTH} levels`);
    const bytes = this.bytes;
    const first = bytes[position]!;
    let i = position + 1;
    if ((first & 0x1f) === 0x1f) {
      for (;;) {
        if (i >= limit || i - position > 4) throw new BerError(`${where}: malformed tag`);
        if ((bytes[i++]! & 0x80) === 0) break;
      }
    }
    if (i >= limit) throw new BerError(`${where}: truncated before a length`);
    const lengthOctet = bytes[i++]!;
    if (lengthOctet === 0x80) {
      if ((first & 0x20) === 0) throw new BerError(`${where}: indefinite length on a primitive element`);
      return { indefinite: true, contentStart: i, contentEnd: -1 };
    }
    let length = lengthOctet;
    if (lengthOctet > 0x80) {
      const count = lengthOctet & 0x7f;
      if (count > 8) throw new BerError(`${where}: a length of ${count} octets`);
      if (i + count > limit) throw new BerError(`${where}: truncated in a length`);
      length = 0;
      for (let k = 0; k < count; k++) length = length * 256 + bytes[i++]!;
    }
    if (length > limit - i) throw new BerError(`${where}: an element runs ${length - (limit - i)} bytes past its end`);
    return { indefinite: false, contentStart: i, contentEnd: i + length };
  }

  /** The children of a constructed element, read one at a time. */
  items(parent: Element, where: string): Items {
    return new Items(this, parent, where);
  }

  /** Checks an element of any type: well-formed BER throughout, and the content of universal types well encoded. */
  any(e: Element, where: string): void {
    if (e.constructed) {
      if (e.tagClass === UNIVERSAL && (e.tagNumber === TAG.octetString || e.tagNumber === TAG.bitString || CHARACTER_STRINGS.has(e.tagNumber))) {
        this.segments(e, where);
        return;
      }
      for (let position = e.contentStart; position < e.contentEnd; ) {
        const child = this.element(position, e.contentEnd, e.depth + 1, where);
        this.any(child, where);
        position = child.end;
      }
      return;
    }
    if (e.tagClass !== UNIVERSAL) return;
    const length = e.contentEnd - e.contentStart;
    switch (e.tagNumber) {
      case TAG.boolean:
        if (length !== 1) throw new BerError(`${where}: a BOOLEAN of ${length} octets`);
        return;
      case TAG.integer:
      case TAG.enumerated:
        this.checkInteger(e, where);
        return;
      case TAG.null:
        if (length !== 0) throw new BerError(`${where}: a NULL with content`);
        return;
      case TAG.oid:
      case TAG.relativeOid:
        this.checkSubidentifiers(e, where);
        return;
      case TAG.bitString:
        this.checkBitString(e, where);
        return;
      case TAG.utcTime:
      case TAG.generalizedTime: {
        const text = String.fromCharCode(...this.bytes.subarray(e.contentStart, e.contentEnd));
        if (!(e.tagNumber === TAG.utcTime ? UTC_TIME : GENERALIZED_TIME).test(text)) {
          throw new BerError(`${where}: ${JSON.stringify(text)} is not a ${describeTag(e.tagNumber)}`);
        }
        return;
      }
      default:
        this.checkStringLength(e.tagNumber, length, where);
    }
  }

  /* A constructed string: segments of its own kind (OCTET STRINGs for character strings); returns the octet count. */
  private segments(e: Element, where: string): number {
    const segmentTag = e.tagNumber === TAG.bitString ? TAG.bitString : TAG.octetString;
    let total = 0;
    let unusedBitsSeen = false;
    for (let position = e.contentStart; position < e.contentEnd; ) {
      const segment = this.element(position, e.contentEnd, e.depth + 1, where);
      if (!isUniversal(segment, segmentTag)) {
        throw new BerError(`${where}: a constructed ${describeTag(e.tagNumber)} holds ${describe(segment)}, not ${describeTag(segmentTag)}`);
      }
      // Only the last segment of a BIT STRING may leave bits unused.
      if (unusedBitsSeen) throw new BerError(`${where}: a BIT STRING segment with unused bits before the last`);
      if (segment.constructed) total += this.segments(segment, where);
      else {
        if (segmentTag === TAG.bitString) {
          this.checkBitString(segment, where);
          unusedBitsSeen = this.bytes[segment.contentStart] !== 0;
        }
        total += segment.contentEnd - segment.contentStart;
      }
      position = segment.end;
    }
    if (e.tagNumber !== TAG.octetString && e.tagNumber !== TAG.bitString) this.checkStringLength(e.tagNumber, total, where);
    return total;
  }

  private checkStringLength(tagNumber: number, length: number, where: string): void {
    if (tagNumber === TAG.bmpString && length % 2 !== 0) throw new BerError(`${where}: a BMPString of ${length} octets`);
    if (tagNumber === TAG.universalString && length % 4 !== 0) throw new BerError(`${where}: a UniversalString of ${length} octets`);
  }

  private checkInteger(e: Element, where: string): void {
    const { bytes } = this;
    const length = e.contentEnd - e.contentStart;
    if (length === 0) throw new BerError(`${where}: an INTEGER without content`);
    if (length > 1) {
      const a = bytes[e.contentStart]!;
      const b = bytes[e.contentStart + 1]!;
      if ((a === 0 && b < 0x80) || (a === 0xff && b >= 0x80)) throw new BerError(`${where}: an INTEGER padded with a needless octet`);
    }
  }

  private checkBitString(e: Element, where: string): void {
    const length = e.contentEnd - e.contentStart;
    if (length === 0) throw new BerError(`${where}: a BIT STRING without its unused-bits octet`);
    const unused = this.bytes[e.contentStart]!;
    if (unused > 7 || (length === 1 && unused !== 0)) throw new BerError(`${where}: a BIT STRING with ${unused} unused bits`);
  }

  private checkSubidentifiers(e: Element, where: string): void {
    const { bytes } = this;
    if (e.contentEnd === e.contentStart) throw new BerError(`${where}: an empty ${describe(e)}`);
    let startOfArc = true;
    for (let i = e.contentStart; i < e.contentEnd; i++) {
      if (startOfArc && bytes[i] === 0x80) throw new BerError(`${where}: an arc padded with a zero octet in an ${describe(e)}`);
      startOfArc = (bytes[i]! & 0x80) === 0;
    }
    if (!startOfArc) throw new BerError(`${where}: the last arc cut off in an ${describe(e)}`);
  }

  /** An OBJECT IDENTIFIER, in dotted decimal. */
  oid(e: Element, where: string): string {
    if (!isUniversal(e, TAG.oid)) throw new BerError(`${where}: ${describe(e)}, not an OBJECT IDENTIFIER`);
    this.checkSubidentifiers(e, where);
    const { bytes } = this;
    let text = "";
    let value = 0;
    let big: bigint | undefined;
    for (let i = e.contentStart; i < e.contentEnd; i++) {
      const octet = bytes[i]!;
      // Arcs past 2^53 are rare but legal; BigInt keeps them exact.
      if (big !== undefined) big = big * 128n + BigInt(octet & 0x7f);
      else if (value >= 2 ** 45) big = BigInt(value) * 128n + BigInt(octet & 0x7f);
      else value = value * 128 + (octet & 0x7f);
      if (octet & 0x80) continue;
      if (text === "") {
        // The first subidentifier holds the first two arcs: 40 × first + second, the first at most 2.
        if (big !== undefined) text = `2.${big - 80n}`;
        else text = value < 40 ? `0.${value}` : value < 80 ? `1.${value - 40}` : `2.${value - 80}`;
      } else {
        text += `.${big ?? value}`;
      }
      value = 0;
      big = undefined;
    }
    return text;
  }

  /** Checks an INTEGER of any size. */
  integer(e: Element, where: string): void {
    if (!isUniversal(e, TAG.integer)) throw new BerError(`${where}: ${describe(e)}, not an INTEGER`);
    this.checkInteger(e, where);
  }

  /** An INTEGER that must lie in 0 .. 2^23 - 1, such as a version (asn1js reads longer ones as 0). */
  smallInteger(e: Element, where: string): number {
    this.integer(e, where);
    const { bytes } = this;
    const length = e.contentEnd - e.contentStart;
    if (bytes[e.contentStart]! & 0x80) throw new BerError(`${where}: a negative INTEGER`);
    if (length > 3) throw new BerError(`${where}: an INTEGER of ${length} octets`);
    let value = 0;
    for (let i = e.contentStart; i < e.contentEnd; i++) value = value * 256 + bytes[i]!;
    return value;
  }

  /** Checks an OCTET STRING that must be primitive (as pkijs' schemas have it); returns its length. */
  primitiveOctetString(e: Element, where: string): number {
    if (!isUniversal(e, TAG.octetString) || e.constructed) {
      throw new BerError(`${where}: ${e.constructed ? "constructed " : ""}${describe(e)}, not a primitive OCTET STRING`);
    }
    return e.contentEnd - e.contentStart;
  }

  /** The length of an OCTET STRING in either form. */
  octetStringLength(e: Element, where: string): number {
    if (!isUniversal(e, TAG.octetString)) throw new BerError(`${where}: ${describe(e)}, not an OCTET STRING`);
    return e.constructed ? this.segments(e, where) : e.contentEnd - e.contentStart;
  }

  /** The children of an element, all of them; none for a primitive one. */
  children(e: Element, where: string): Element[] {
    if (!e.constructed) return [];
    const out: Element[] = [];
    const items = this.items(e, where);
    for (let child = items.take(); child !== undefined; child = items.take()) out.push(child);
    return out;
  }

  /**
   * The octets of an OCTET STRING or of an IMPLICIT-tagged one: primitive (a view of the input, no copy), or
   * constructed from OCTET STRING pieces at any depth (joined).
   */
  octets(e: Element, where: string): Uint8Array {
    if (!e.constructed) return this.bytes.subarray(e.contentStart, e.contentEnd);
    const pieces: Uint8Array[] = [];
    const collect = (parent: Element): void => {
      const items = this.items(parent, where);
      for (let piece = items.take(); piece !== undefined; piece = items.take()) {
        if (!isUniversal(piece, TAG.octetString)) throw new BerError(`${where}: a constructed ${describe(e)} holds ${describe(piece)}, not OCTET STRING`);
        if (piece.constructed) collect(piece);
        else pieces.push(this.bytes.subarray(piece.contentStart, piece.contentEnd));
      }
    };
    collect(e);
    if (pieces.length === 1) return pieces[0]!;
    const joined = Buffer.concat(pieces);
    return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
  }

  /** The element's encoding as it arrived, header included (a view of the input). */
  encoding(e: Element): Uint8Array {
    return this.bytes.subarray(e.start, e.end);
  }

  /** Checks a GeneralizedTime. */
  generalizedTime(e: Element, where: string): void {
    if (!isUniversal(e, TAG.generalizedTime)) throw new BerError(`${where}: ${describe(e)}, not a GeneralizedTime`);
    this.any(e, where);
  }
}

function describeTag(tagNumber: number): string {
  return UNIVERSAL_NAMES[tagNumber] ?? `UNIVERSAL ${tagNumber}`;
}

/** The children of a constructed element, in order, each read when it is asked for. */
export class Items {
  private position: number;
  private ahead: Element | undefined;

  constructor(
    private readonly reader: BerReader,
    private readonly parent: Element,
    private readonly where: string,
  ) {
    this.position = parent.contentStart;
  }

  /** The next child without taking it; undefined after the last. */
  peek(): Element | undefined {
    if (this.ahead === undefined && this.position < this.parent.contentEnd) {
      this.ahead = this.reader.element(this.position, this.parent.contentEnd, this.parent.depth + 1, this.where);
    }
    return this.ahead;
  }

  /** The next child, or undefined after the last. */
  take(): Element | undefined {
    const e = this.peek();
    if (e !== undefined) {
      this.ahead = undefined;
      this.position = e.end;
    }
    return e;
  }

  /** The next child, which must be there. */
  next(what: string): Element {
    const e = this.take();
    if (e === undefined) throw new BerError(`${this.where}: ${what} is missing`);
    return e;
  }

  /** Requires that no child is left; `after` names the last one read. */
  end(after: string): void {
    const e = this.peek();
    if (e !== undefined) throw new BerError(`${this.where}: ${describe(e)} after ${after}`);
  }
}
