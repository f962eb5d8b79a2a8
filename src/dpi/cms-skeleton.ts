import { BerError, BerReader } from "../asn1/ber.js";
import { CMS_OIDS } from "./cms-oids.js";
import { DokumentpakkeNotCmsError } from "./errors.js";

/**
 * The structure of a CMS ContentInfo with EnvelopedData, read without its encrypted content. Everything the
 * structure check needs (content type, version, recipientInfos, the content encryption algorithm) sits in a
 * few hundred bytes around the encrypted content, which is nearly all of a dokumentpakke. The walk reads the
 * element headers on the path ContentInfo → [0] → EnvelopedData → EncryptedContentInfo → [0] encryptedContent,
 * reads every other element whole (bounded in total), and steps over the encrypted content chunk by chunk
 * without holding it. It returns a "skeleton": the same structure with definite lengths and the encrypted
 * content replaced by an empty one, small enough to judge whole (cms-summary.ts) as pkijs would judge the
 * whole package. Only the elements on that path are re-encoded; everything else is copied as it came, so the
 * skeleton can still hold BER (indefinite lengths, constructed strings) inside them.
 *
 * The walk is written once, as a generator that asks for bytes, and driven either from memory or from a file
 * through one fixed window, so both kinds of caller get the same acceptances and refusals.
 */

/** Bytes read from a file per window refill; element headers are read through it. */
export const CMS_READ_WINDOW_BYTES = 64 * 1024;
/**
 * The most bytes of the structure outside the encrypted content (originatorInfo, recipientInfos, algorithm
 * identifiers, unprotectedAttrs, ...). One DPI recipient takes under 1 KiB; more than this is not a dokumentpakke.
 */
export const CMS_STRUCTURE_MAX_BYTES = 64 * 1024;

/** Identifier octets (up to 5) and length octets (up to 7) of one element. */
const MAX_HEADER_BYTES = 12;

/** A request for bytes: `peek` ones are used at once and may share a buffer; `take` ones are kept. */
interface Need {
  readonly kind: "peek" | "take";
  readonly position: number;
  readonly length: number;
}
type Walk<T> = Generator<Need, T, Uint8Array>;

interface Tlv {
  readonly start: number;
  readonly identifier: Uint8Array;
  /** 0 universal, 1 application, 2 context-specific, 3 private */
  readonly tagClass: number;
  readonly constructed: boolean;
  readonly tagNumber: number;
  readonly contentStart: number;
  /** undefined: indefinite length, ended by end-of-contents octets */
  readonly length: number | undefined;
}

/** An element as it goes into the skeleton, and where it ended in the input. */
interface Piece {
  readonly end: number;
  readonly bytes: Uint8Array;
}

function notCms(detail: string): DokumentpakkeNotCmsError {
  return new DokumentpakkeNotCmsError(`not a CMS structure: ${detail}`);
}

const isUniversal = (t: Tlv, tagNumber: number) => t.tagClass === 0 && t.tagNumber === tagNumber;
const isContext = (t: Tlv, tagNumber: number) => t.tagClass === 2 && t.tagNumber === tagNumber;

/** The header at `position`, or "eoc" for end-of-contents octets; the element must end by `limit`. */
function* header(position: number, limit: number): Walk<Tlv | "eoc"> {
  const available = limit - position;
  if (available < 2) throw notCms(`truncated at byte ${position}`);
  const b = yield { kind: "peek", position, length: Math.min(MAX_HEADER_BYTES, available) };
  if (b[0] === 0) {
    if (b[1] !== 0) throw notCms(`malformed end-of-contents at byte ${position}`);
    return "eoc";
  }
  const first = b[0]!;
  let i = 1;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (;;) {
      if (i >= b.length || i > 4) throw notCms(`malformed tag at byte ${position}`);
      const octet = b[i++]!;
      tagNumber = tagNumber * 128 + (octet & 0x7f);
      if ((octet & 0x80) === 0) break;
    }
  }
  const identifier = b.slice(0, i);
  const constructed = (first & 0x20) !== 0;
  if (i >= b.length) throw notCms(`truncated at byte ${position}`);
  const lengthOctet = b[i++]!;
  let length: number | undefined;
  if (lengthOctet < 0x80) length = lengthOctet;
  else if (lengthOctet === 0x80) {
    if (!constructed) throw notCms(`indefinite length on a primitive element at byte ${position}`);
    length = undefined;
  } else {
    const count = lengthOctet & 0x7f;
    // Six octets reach 2^48, far beyond any package; 0xff is reserved.
    if (count > 6) throw notCms(`length of ${count} octets at byte ${position}`);
    if (i + count > b.length) throw notCms(`truncated at byte ${position}`);
    length = 0;
    for (let k = 0; k < count; k++) length = length * 256 + b[i++]!;
  }
  const contentStart = position + i;
  if (length !== undefined && contentStart + length > limit) {
    throw notCms(`the element at byte ${position} runs ${contentStart + length - limit} bytes past its end`);
  }
  return { start: position, identifier, tagClass: first >> 6, constructed, tagNumber, contentStart, length };
}

/** Runs `each` over the children of a constructed element; returns the position after the element. */
function* eachChild(tlv: Tlv, outerLimit: number, each: (child: Tlv, limit: number, index: number) => Walk<number>): Walk<number> {
  const limit = tlv.length === undefined ? outerLimit : tlv.contentStart + tlv.length;
  let position = tlv.contentStart;
  for (let index = 0; ; index++) {
    if (tlv.length !== undefined && position === limit) return position;
    const child = yield* header(position, limit);
    if (child === "eoc") {
      if (tlv.length === undefined) return position + 2;
      throw notCms(`end-of-contents inside a definite-length element at byte ${position}`);
    }
    position = yield* each(child, limit, index);
  }
}

/** What may still be read whole, out of CMS_STRUCTURE_MAX_BYTES. */
class Budget {
  private remaining = CMS_STRUCTURE_MAX_BYTES;
  check(bytes: number): void {
    if (bytes > this.remaining) throw notCms(`the structure around the encrypted content exceeds ${CMS_STRUCTURE_MAX_BYTES} bytes`);
  }
  spend(bytes: number): void {
    this.check(bytes);
    this.remaining -= bytes;
  }
}

/** Where an indefinite-length element ends, found from headers alone (no recursion: nesting depth is the input's). */
function* endOfIndefinite(tlv: Tlv, limit: number, budget: Budget): Walk<number> {
  let depth = 1;
  let position = tlv.contentStart;
  while (depth > 0) {
    budget.check(position - tlv.start);
    const next = yield* header(position, limit);
    if (next === "eoc") {
      depth--;
      position += 2;
    } else if (next.length === undefined) {
      depth++;
      position = next.contentStart;
    } else {
      position = next.contentStart + next.length;
    }
  }
  return position;
}

/** The whole element, as it is (asn1js parses it later). */
function* take(tlv: Tlv, limit: number, budget: Budget): Walk<Piece> {
  const end = tlv.length === undefined ? yield* endOfIndefinite(tlv, limit, budget) : tlv.contentStart + tlv.length;
  budget.spend(end - tlv.start);
  const bytes = yield { kind: "take", position: tlv.start, length: end - tlv.start };
  return { end, bytes };
}

/** A constructed element re-encoded with a definite length around what `each` makes of its children. */
function* container(tlv: Tlv, limit: number, each: (child: Tlv, limit: number, index: number) => Walk<Piece>): Walk<Piece> {
  const pieces: Uint8Array[] = [];
  const end = yield* eachChild(tlv, limit, function* (child, childLimit, index) {
    const piece = yield* each(child, childLimit, index);
    pieces.push(piece.bytes);
    return piece.end;
  });
  return { end, bytes: encode(tlv.identifier, pieces) };
}

/*
 * The encrypted content: primitive, or constructed from primitive OCTET STRINGs (BER, as BouncyCastle and
 * pkijs write it), the only forms pkijs accepts. Only the chunk headers are read; the skeleton gets an empty
 * element of the same kind, which pkijs accepts as it would the real one.
 */
function* skipEncryptedContent(tlv: Tlv, limit: number): Walk<Piece> {
  if (!tlv.constructed) return { end: tlv.contentStart + tlv.length!, bytes: encode(tlv.identifier, []) };
  const end = tlv.length === undefined ? limit : tlv.contentStart + tlv.length;
  let position = tlv.contentStart;
  for (let index = 0; ; index++) {
    if (tlv.length !== undefined && position === end) break;
    // pkijs writes 1 KiB chunks, 24 000 in a 25 MB package: their headers are read a window at a time.
    const run = yield* plainChunks(position, end, tlv.length !== undefined);
    if (run.count > 0) {
      position = run.end;
      index += run.count - 1;
      continue;
    }
    // Anything else (the end-of-contents, a chunk to refuse) as eachChild reads a child, with its checks and errors.
    const chunk = yield* header(position, end);
    if (chunk === "eoc") {
      if (tlv.length === undefined) {
        position += 2;
        break;
      }
      throw notCms(`end-of-contents inside a definite-length element at byte ${position}`);
    }
    if (!isUniversal(chunk, 4) || chunk.constructed) {
      throw notCms(`chunk ${index} of the encrypted content (byte ${chunk.start}) is not a primitive OCTET STRING`);
    }
    position = chunk.contentStart + chunk.length!;
  }
  return { end: position, bytes: encode(tlv.identifier, []) };
}

/** Bytes of chunk headers and contents asked for at once by {@link plainChunks}: one read window. */
const CHUNK_RUN_BYTES = CMS_READ_WINDOW_BYTES;

/**
 * Steps over the chunks from `position` that `header` would read as primitive OCTET STRINGs of definite length ending
 * by `end`, with their headers within one peek, and stops before anything else (which the caller then reads as it
 * always did, so a chunk is refused with the same words). `definite`: the content ends at `end` rather than at an
 * end-of-contents. Answers how many chunks it stepped over and where the last ended.
 */
function* plainChunks(position: number, end: number, definite: boolean): Walk<{ count: number; end: number }> {
  const length = Math.min(CHUNK_RUN_BYTES, end - position);
  if (length < 2) return { count: 0, end: position };
  const b = yield { kind: "peek", position, length };
  let at = 0;
  let count = 0;
  while (at + 2 <= b.length && !(definite && position + at === end)) {
    // Identifier 0x04: universal, primitive, tag number 4.
    if (b[at] !== 0x04) break;
    const lengthOctet = b[at + 1]!;
    let contentLength: number;
    let headerLength: number;
    if (lengthOctet < 0x80) {
      contentLength = lengthOctet;
      headerLength = 2;
    } else {
      const octets = lengthOctet & 0x7f;
      // 0x80 (indefinite) and more than six octets are refused by header; so is a header cut short.
      if (octets === 0 || octets > 6 || at + 2 + octets > b.length) break;
      contentLength = 0;
      for (let k = 0; k < octets; k++) contentLength = contentLength * 256 + b[at + 2 + k]!;
      headerLength = 2 + octets;
    }
    if (position + at + headerLength + contentLength > end) break;
    at += headerLength + contentLength;
    count++;
  }
  return { count, end: position + at };
}

function* walkContentInfo(size: number): Walk<Uint8Array> {
  if (size === 0) throw new DokumentpakkeNotCmsError("the dokumentpakke is empty");
  const budget = new Budget();
  const contentInfo = yield* header(0, size);
  if (contentInfo === "eoc" || !isUniversal(contentInfo, 16) || !contentInfo.constructed) {
    throw new DokumentpakkeNotCmsError("not a CMS ContentInfo: it does not start with a SEQUENCE");
  }
  // Descend along ContentInfo → [0] → EnvelopedData → EncryptedContentInfo; take everything else whole.
  const encryptedContentInfo = (child: Tlv, limit: number): Walk<Piece> =>
    isContext(child, 0) ? skipEncryptedContent(child, limit) : take(child, limit, budget);
  const envelopedData = (child: Tlv, limit: number): Walk<Piece> =>
    isUniversal(child, 16) && child.constructed ? container(child, limit, encryptedContentInfo) : take(child, limit, budget);
  const explicitContent = (child: Tlv, limit: number, index: number): Walk<Piece> =>
    index === 0 && isUniversal(child, 16) && child.constructed ? container(child, limit, envelopedData) : take(child, limit, budget);
  const top = yield* container(contentInfo, size, function* (child, limit, index) {
    if (index === 0) {
      const piece = yield* take(child, limit, budget);
      checkContentType(piece.bytes);
      return piece;
    }
    return index === 1 && isContext(child, 0) && child.constructed ? yield* container(child, limit, explicitContent) : yield* take(child, limit, budget);
  });
  if (top.end !== size) throw new DokumentpakkeNotCmsError(`${size - top.end} bytes follow the CMS ContentInfo`);
  return top.bytes;
}

/* Refuse another content type before walking it: SignedData, say, has no encrypted content to step over. */
function checkContentType(der: Uint8Array): void {
  const r = new BerReader(der);
  let contentType: string;
  try {
    contentType = r.oid(r.element(0, der.byteLength, 0, "contentType"), "contentType");
  } catch (err) {
    if (err instanceof BerError) throw new DokumentpakkeNotCmsError(`not a CMS ContentInfo: ${err.message}`, { cause: err });
    throw err;
  }
  if (contentType !== CMS_OIDS.envelopedData) {
    throw new DokumentpakkeNotCmsError(`ContentInfo content type is ${contentType}, not EnvelopedData (${CMS_OIDS.envelopedData})`);
  }
}

function encode(identifier: Uint8Array, pieces: readonly Uint8Array[]): Uint8Array {
  const length = pieces.reduce((n, p) => n + p.byteLength, 0);
  const lengthOctets: number[] = [];
  if (length < 0x80) lengthOctets.push(length);
  else {
    for (let n = length; n > 0; n = Math.floor(n / 256)) lengthOctets.unshift(n % 256);
    lengthOctets.unshift(0x80 | lengthOctets.length);
  }
  const out = new Uint8Array(identifier.byteLength + lengthOctets.length + length);
  out.set(identifier, 0);
  out.set(lengthOctets, identifier.byteLength);
  let offset = identifier.byteLength + lengthOctets.length;
  for (const p of pieces) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

// ---- drivers ------------------------------------------------------------------------------------------

/** The skeleton of a CMS in memory. Throws DokumentpakkeNotCmsError. */
export function cmsSkeleton(bytes: Uint8Array): Uint8Array {
  const walk = walkContentInfo(bytes.byteLength);
  let step = walk.next();
  while (!step.done) {
    const { position, length } = step.value;
    step = walk.next(bytes.subarray(position, position + length));
  }
  return step.value;
}

/** Random access to bytes, in the shape of fs.promises.FileHandle.read. */
export interface RandomAccessSource {
  readonly size: number;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/**
 * The skeleton of a CMS read from `source`. Headers are read through one window of CMS_READ_WINDOW_BYTES;
 * whole elements into buffers of their own, together at most CMS_STRUCTURE_MAX_BYTES. So memory stays below
 * their sum whatever the size of the package. Throws DokumentpakkeNotCmsError.
 */
export async function cmsSkeletonFrom(source: RandomAccessSource): Promise<Uint8Array> {
  const window = new Uint8Array(Math.min(CMS_READ_WINDOW_BYTES, source.size));
  let windowStart = 0;
  let windowLength = 0;
  const walk = walkContentInfo(source.size);
  let step = walk.next();
  while (!step.done) {
    const { kind, position, length } = step.value;
    let bytes: Uint8Array;
    if (kind === "take" || length > window.byteLength) {
      bytes = new Uint8Array(length);
      await readFully(source, bytes, length, position);
    } else {
      if (position < windowStart || position + length > windowStart + windowLength) {
        windowStart = position;
        windowLength = Math.min(window.byteLength, source.size - position);
        await readFully(source, window, windowLength, position);
      }
      bytes = window.subarray(position - windowStart, position - windowStart + length);
    }
    step = walk.next(bytes);
  }
  return step.value;
}

async function readFully(source: RandomAccessSource, buffer: Uint8Array, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await source.read(buffer, done, length - done, position + done);
    // The size was taken before the walk; a file that shrinks under us is not the one that was uploaded.
    if (bytesRead === 0) throw new Error(`the dokumentpakke ended at byte ${position + done}, before its recorded size ${source.size}`);
    done += bytesRead;
  }
}
