/**
 * Just enough of a DER writer to assemble CMS structures from parts, some of which are already DER (a
 * certificate's issuer name, a ciphertext). Parts are kept as separate chunks until the caller joins them once,
 * so a large ciphertext is copied a single time on its way into the envelope.
 */

export type Der = Uint8Array;

export const TAG = {
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  sequence: 0x30,
  set: 0x31,
  utcTime: 0x17,
  generalizedTime: 0x18,
} as const;

/** Identifier and length octets for `length` content bytes (definite form, as DER requires). */
export function header(tag: number, length: number): Der {
  if (length < 0x80) return Uint8Array.of(tag, length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(tag, 0x80 | bytes.length, ...bytes);
}

const byteLength = (parts: readonly Der[]): number => parts.reduce((n, p) => n + p.byteLength, 0);

/** The chunks of one TLV: its header, then the content parts as given (not copied). */
export function tlvChunks(tag: number, parts: readonly Der[]): Der[] {
  return [header(tag, byteLength(parts)), ...parts];
}

export function join(parts: readonly Der[]): Der {
  const joined = Buffer.concat(parts);
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
}

export const tlv = (tag: number, ...parts: Der[]): Der => join(tlvChunks(tag, parts));
export const sequence = (...parts: Der[]): Der => tlv(TAG.sequence, ...parts);
export const octetString = (bytes: Uint8Array): Der => tlv(TAG.octetString, bytes);
export const derNull = (): Der => Uint8Array.of(TAG.null, 0);
/** [n] EXPLICIT: the tagged value keeps its own tag inside. */
export const explicit = (n: number, ...parts: Der[]): Der => tlv(0xa0 | n, ...parts);

/** SET OF in DER order: elements sorted by their encodings (X.690 §11.6). */
export function setOf(elements: readonly Der[]): Der {
  const sorted = [...elements].sort((a, b) => Buffer.compare(a, b));
  return tlv(TAG.set, ...sorted);
}

/** OBJECT IDENTIFIER from dotted decimal: the first two arcs as one subidentifier, each in base 128 (X.690 8.19). */
export function oid(dotted: string): Der {
  const arcs = dotted.split(".").map((arc) => BigInt(arc));
  if (arcs.length < 2 || arcs[0]! > 2n || (arcs[0]! < 2n && arcs[1]! >= 40n)) throw new RangeError(`${dotted} is no object identifier`);
  const octets: number[] = [];
  for (const subidentifier of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const base128: number[] = [];
    for (let n = subidentifier; ; n >>= 7n) {
      base128.unshift(Number(n & 0x7fn) | (base128.length > 0 ? 0x80 : 0));
      if (n < 0x80n) break;
    }
    octets.push(...base128);
  }
  return tlv(0x06, Uint8Array.from(octets));
}

/** INTEGER in its shortest two's complement form (X.690 8.3). */
export function integer(value: number): Der {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is no safe integer`);
  const octets: number[] = [];
  let n = BigInt(value);
  do {
    octets.unshift(Number(n & 0xffn));
    n >>= 8n;
  } while (!(n === 0n && (octets[0]! & 0x80) === 0) && !(n === -1n && (octets[0]! & 0x80) !== 0));
  return tlv(TAG.integer, Uint8Array.from(octets));
}

/** AlgorithmIdentifier with the parameters given, or none. */
export function algorithm(algorithmOid: string, parameters?: Der): Der {
  return parameters === undefined ? sequence(oid(algorithmOid)) : sequence(oid(algorithmOid), parameters);
}

/** RFC 5280's Time: UTCTime through 2049, GeneralizedTime after; whole seconds, UTC, as CMS requires. */
export function time(at: Date): Der {
  const iso = at.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "");
  const year = at.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(TAG.utcTime, Buffer.from(`${digits.slice(2)}Z`, "ascii"));
  return tlv(TAG.generalizedTime, Buffer.from(`${digits}Z`, "ascii"));
}
