import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";

/**
 * A small ZIP (PKWARE APPNOTE 6.3) writer and reader for ASiC-E containers, in memory: a dokumentpakke is at
 * most 30 MB. Methods STORE and DEFLATE, UTF-8 names, no ZIP64, no encryption, one disk.
 *
 * The reader treats its input as hostile. It trusts only the central directory, checks every local header
 * against it, refuses overlapping entries (the "overlapping files" zip bomb), unsafe names (absolute paths,
 * `..`, backslashes, drive letters, control characters), duplicates, and bounds both the number of entries
 * and the total declared size before inflating anything; inflation itself stops at the declared size, and
 * size and CRC-32 must then match exactly.
 */

// ---- errors ---------------------------------------------------------------------------------------------

export abstract class ZipError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Not a well-formed ZIP archive (truncated, bad signatures, inconsistent headers, overlapping entries). */
export class ZipFormatError extends ZipError {
  readonly code = "ZIP_MALFORMED";
}

/** Well-formed, but uses a feature we do not read: ZIP64, encryption, several disks, another method. */
export class ZipUnsupportedError extends ZipError {
  readonly code = "ZIP_UNSUPPORTED";
}

/** Too many entries, or more bytes (declared or inflated) than allowed. */
export class ZipLimitError extends ZipError {
  readonly code = "ZIP_LIMIT_EXCEEDED";
}

/** An entry name that is not UTF-8 or could escape a directory when extracted. */
export class ZipUnsafeNameError extends ZipError {
  readonly code = "ZIP_UNSAFE_NAME";
  constructor(
    readonly entryName: string,
    reason: string,
  ) {
    super(`unsafe entry name ${JSON.stringify(entryName)}: ${reason}`);
  }
}

export class ZipDuplicateEntryError extends ZipError {
  readonly code = "ZIP_DUPLICATE_ENTRY";
  constructor(readonly entryName: string) {
    super(`the archive holds ${JSON.stringify(entryName)} more than once`);
  }
}

/** An entry's content does not inflate to its declared size or CRC-32. */
export class ZipCorruptEntryError extends ZipError {
  readonly code = "ZIP_CORRUPT_ENTRY";
  constructor(
    readonly entryName: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`entry ${JSON.stringify(entryName)} is corrupt: ${reason}`, options);
  }
}

// ---- shared ---------------------------------------------------------------------------------------------

export type ZipMethod = "store" | "deflate";

const METHOD_CODE: Record<ZipMethod, number> = { store: 0, deflate: 8 };

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;

const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

const FLAG_ENCRYPTED = 0x0001;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const FLAG_STRONG_ENCRYPTION = 0x0040;

const utf8 = new TextEncoder();

// ---- writer ---------------------------------------------------------------------------------------------

export interface ZipEntryInput {
  readonly name: string;
  readonly data: Uint8Array;
  /** Default "deflate". */
  readonly method?: ZipMethod;
}

export interface ZipWriteOptions {
  /** Modification time of every entry, written as MS-DOS local time from the UTC fields (default 1980-01-01). */
  readonly modified?: Date;
  /** Archive comment (ASiC recommends `mimetype=<media type>`). */
  readonly comment?: string;
}

/**
 * Writes the entries in the given order. Sizes and CRC go into the local headers (no data descriptors), so
 * the first entry's content starts at the fixed offset ASiC readers sniff for `mimetype`.
 */
export function writeZip(entries: readonly ZipEntryInput[], options: ZipWriteOptions = {}): Uint8Array {
  if (entries.length > 0xfffe) throw new ZipUnsupportedError("more than 65534 entries needs ZIP64");
  const { time, date } = dosDateTime(options.modified ?? new Date(Date.UTC(1980, 0, 1)));
  const comment = utf8.encode(options.comment ?? "");
  if (comment.length > MAX_COMMENT) throw new ZipUnsupportedError("archive comment longer than 65535 bytes");

  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const entry of entries) {
    const name = utf8.encode(entry.name);
    if (name.length === 0 || name.length > 0xffff) throw new ZipUnsupportedError(`entry name length ${name.length}`);
    if (seen.has(entry.name)) throw new ZipDuplicateEntryError(entry.name);
    seen.add(entry.name);
    const method = entry.method ?? "deflate";
    const body = method === "deflate" ? deflateRawSync(entry.data) : entry.data;
    if (entry.data.length > 0xfffffffe || body.length > 0xfffffffe || offset > 0xfffffffe) {
      throw new ZipUnsupportedError(`entry ${JSON.stringify(entry.name)} needs ZIP64`);
    }
    const crc = crc32(entry.data);
    const versionNeeded = method === "deflate" ? 20 : 10;

    const local = Buffer.alloc(LOCAL_HEADER_SIZE);
    local.writeUInt32LE(SIG_LOCAL, 0);
    local.writeUInt16LE(versionNeeded, 4);
    local.writeUInt16LE(FLAG_UTF8, 6);
    local.writeUInt16LE(METHOD_CODE[method], 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    chunks.push(local, name, body);

    const cd = Buffer.alloc(CENTRAL_HEADER_SIZE);
    cd.writeUInt32LE(SIG_CENTRAL, 0);
    cd.writeUInt16LE(20, 4); // made by: MS-DOS attributes, spec version 2.0
    cd.writeUInt16LE(versionNeeded, 6);
    cd.writeUInt16LE(FLAG_UTF8, 8);
    cd.writeUInt16LE(METHOD_CODE[method], 10);
    cd.writeUInt16LE(time, 12);
    cd.writeUInt16LE(date, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(entry.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    // extra length, comment length, disk number, internal and external attributes: all 0
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);

    offset += LOCAL_HEADER_SIZE + name.length + body.length;
  }
  const centralSize = central.reduce((n, c) => n + c.length, 0);
  if (offset > 0xfffffffe) throw new ZipUnsupportedError("archive needs ZIP64");
  const eocd = Buffer.alloc(EOCD_SIZE);
  eocd.writeUInt32LE(SIG_EOCD, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(centralSize, 12);
  eocd.writeUInt32LE(offset, 16);
  eocd.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...chunks, ...central, eocd, comment]);
}

function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.min(Math.max(d.getUTCFullYear(), 1980), 2107);
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

// ---- reader ---------------------------------------------------------------------------------------------

export interface ZipReadLimits {
  /** Most entries, directories included (default 1000). */
  readonly maxEntries?: number;
  /** Most bytes all entries may inflate to together (default 100 MiB). */
  readonly maxTotalSize?: number;
  /** Longest entry name in UTF-8 bytes (default 1024). */
  readonly maxNameLength?: number;
}

export const DEFAULT_ZIP_LIMITS: Required<ZipReadLimits> = {
  maxEntries: 1000,
  maxTotalSize: 100 * 1024 * 1024,
  maxNameLength: 1024,
};

export interface ZipEntry {
  /** The entry name as stored (UTF-8), `/`-separated; directories end with `/`. */
  readonly name: string;
  readonly method: ZipMethod;
  readonly isDirectory: boolean;
  /** Offset of the entry's local header in the archive. */
  readonly localHeaderOffset: number;
  /** Offset of the entry's (possibly compressed) content in the archive. */
  readonly dataOffset: number;
  /** Whether the local header has an extra field (ASiC wants none on `mimetype`). */
  readonly hasLocalExtra: boolean;
  readonly compressedSize: number;
  /** The inflated content, checked against the declared size and CRC-32. */
  readonly data: Uint8Array;
}

export interface ZipArchive {
  /** Entries in central directory order. */
  readonly entries: readonly ZipEntry[];
  readonly comment: string;
}

interface CentralRecord {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/**
 * Reads and inflates every entry. Throws ZipFormatError, ZipUnsupportedError, ZipLimitError,
 * ZipUnsafeNameError, ZipDuplicateEntryError or ZipCorruptEntryError.
 */
export function readZip(bytes: Uint8Array, limits: ZipReadLimits = {}): ZipArchive {
  const lim = { ...DEFAULT_ZIP_LIMITS, ...limits };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocdAt = findEndOfCentralDirectory(buf);

  const disk = buf.readUInt16LE(eocdAt + 4);
  const cdDisk = buf.readUInt16LE(eocdAt + 6);
  const entriesOnDisk = buf.readUInt16LE(eocdAt + 8);
  const entryCount = buf.readUInt16LE(eocdAt + 10);
  const cdSize = buf.readUInt32LE(eocdAt + 12);
  const cdOffset = buf.readUInt32LE(eocdAt + 16);
  const commentLength = buf.readUInt16LE(eocdAt + 20);
  if (entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new ZipUnsupportedError("ZIP64 archives are not supported");
  }
  if (eocdAt >= 20 && buf.readUInt32LE(eocdAt - 20) === SIG_ZIP64_LOCATOR) {
    throw new ZipUnsupportedError("ZIP64 archives are not supported");
  }
  if (disk !== 0 || cdDisk !== 0 || entriesOnDisk !== entryCount) {
    throw new ZipUnsupportedError("multi-disk archives are not supported");
  }
  if (entryCount > lim.maxEntries) {
    throw new ZipLimitError(`the archive has ${entryCount} entries, more than the limit of ${lim.maxEntries}`);
  }
  if (cdOffset + cdSize !== eocdAt) {
    throw new ZipFormatError("the central directory does not end where the end-of-central-directory record starts");
  }
  const comment = decodeUtf8(buf.subarray(eocdAt + EOCD_SIZE, eocdAt + EOCD_SIZE + commentLength));
  if (comment === undefined) throw new ZipFormatError("the archive comment is not UTF-8");

  const records = readCentralDirectory(buf, cdOffset, cdSize, entryCount, lim);
  const declaredTotal = records.reduce((n, r) => n + r.size, 0);
  if (declaredTotal > lim.maxTotalSize) {
    throw new ZipLimitError(`the entries declare ${declaredTotal} bytes, more than the limit of ${lim.maxTotalSize}`);
  }

  const located = records.map((r) => ({ record: r, ...locate(buf, r, cdOffset) }));
  assertNoOverlap(located);
  const entries = located.map(({ record, dataOffset, hasLocalExtra }) => ({
    name: record.name,
    method: record.method === 0 ? ("store" as const) : ("deflate" as const),
    isDirectory: record.name.endsWith("/"),
    localHeaderOffset: record.localHeaderOffset,
    dataOffset,
    hasLocalExtra,
    compressedSize: record.compressedSize,
    data: extract(buf.subarray(dataOffset, dataOffset + record.compressedSize), record),
  }));
  return { entries, comment };
}

function findEndOfCentralDirectory(buf: Buffer): number {
  if (buf.length < EOCD_SIZE) throw new ZipFormatError("too short to be a ZIP archive");
  const lowest = Math.max(0, buf.length - EOCD_SIZE - MAX_COMMENT);
  for (let at = buf.length - EOCD_SIZE; at >= lowest; at--) {
    // The comment must end exactly at the end of the data, which rules out a signature inside the comment.
    if (buf.readUInt32LE(at) === SIG_EOCD && at + EOCD_SIZE + buf.readUInt16LE(at + 20) === buf.length) return at;
  }
  throw new ZipFormatError("no end-of-central-directory record");
}

function readCentralDirectory(
  buf: Buffer,
  cdOffset: number,
  cdSize: number,
  entryCount: number,
  lim: Required<ZipReadLimits>,
): CentralRecord[] {
  const records: CentralRecord[] = [];
  const names = new Set<string>();
  let at = cdOffset;
  const end = cdOffset + cdSize;
  for (let i = 0; i < entryCount; i++) {
    if (at + CENTRAL_HEADER_SIZE > end || buf.readUInt32LE(at) !== SIG_CENTRAL) {
      throw new ZipFormatError(`central directory entry ${i} is missing or truncated`);
    }
    const flags = buf.readUInt16LE(at + 8);
    const method = buf.readUInt16LE(at + 10);
    const crc = buf.readUInt32LE(at + 16);
    const compressedSize = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const diskStart = buf.readUInt16LE(at + 34);
    const localHeaderOffset = buf.readUInt32LE(at + 42);
    const next = at + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (next > end) throw new ZipFormatError(`central directory entry ${i} runs past the directory`);
    if (nameLength > lim.maxNameLength) {
      throw new ZipLimitError(`entry ${i} has a name of ${nameLength} bytes, more than ${lim.maxNameLength}`);
    }
    const nameBytes = buf.subarray(at + CENTRAL_HEADER_SIZE, at + CENTRAL_HEADER_SIZE + nameLength);
    const name = decodeUtf8(nameBytes);
    if (name === undefined) throw new ZipUnsafeNameError(nameBytes.toString("latin1"), "not UTF-8");
    checkEntryName(name);
    if (names.has(name)) throw new ZipDuplicateEntryError(name);
    names.add(name);
    if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) throw new ZipUnsupportedError(`entry ${JSON.stringify(name)} is encrypted`);
    if (method !== 0 && method !== 8) {
      throw new ZipUnsupportedError(`entry ${JSON.stringify(name)} uses compression method ${method}`);
    }
    if (size === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      throw new ZipUnsupportedError(`entry ${JSON.stringify(name)} needs ZIP64`);
    }
    if (diskStart !== 0) throw new ZipUnsupportedError("multi-disk archives are not supported");
    if (method === 0 && compressedSize !== size) {
      throw new ZipFormatError(`stored entry ${JSON.stringify(name)} declares different sizes`);
    }
    records.push({ name, flags, method, crc, compressedSize, size, localHeaderOffset });
    at = next;
  }
  if (at !== end) throw new ZipFormatError("the central directory holds more than its entries");
  return records;
}

/** Checks the local header against the central record; returns where the content starts. */
function locate(buf: Buffer, r: CentralRecord, cdOffset: number): { dataOffset: number; hasLocalExtra: boolean; end: number } {
  const at = r.localHeaderOffset;
  const where = `local header of ${JSON.stringify(r.name)}`;
  if (at + LOCAL_HEADER_SIZE > cdOffset || buf.readUInt32LE(at) !== SIG_LOCAL) throw new ZipFormatError(`${where} is missing`);
  const flags = buf.readUInt16LE(at + 6);
  const method = buf.readUInt16LE(at + 8);
  const nameLength = buf.readUInt16LE(at + 26);
  const extraLength = buf.readUInt16LE(at + 28);
  if (method !== r.method) throw new ZipFormatError(`${where} names another compression method`);
  if ((flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0) throw new ZipUnsupportedError(`${where} is encrypted`);
  if ((flags & FLAG_DATA_DESCRIPTOR) === 0) {
    // Without a data descriptor the local header carries the real sizes and CRC; they must agree.
    if (buf.readUInt32LE(at + 14) !== r.crc || buf.readUInt32LE(at + 18) !== r.compressedSize || buf.readUInt32LE(at + 22) !== r.size) {
      throw new ZipFormatError(`${where} disagrees with the central directory on size or CRC`);
    }
  }
  const nameStart = at + LOCAL_HEADER_SIZE;
  const dataOffset = nameStart + nameLength + extraLength;
  const end = dataOffset + r.compressedSize;
  if (end > cdOffset) throw new ZipFormatError(`content of ${JSON.stringify(r.name)} runs into the central directory`);
  if (!buf.subarray(nameStart, nameStart + nameLength).equals(Buffer.from(r.name, "utf8"))) {
    throw new ZipFormatError(`${where} names another file`);
  }
  return { dataOffset, hasLocalExtra: extraLength > 0, end };
}

function assertNoOverlap(located: ReadonlyArray<{ record: CentralRecord; end: number }>): void {
  const byOffset = [...located].sort((a, b) => a.record.localHeaderOffset - b.record.localHeaderOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1]!;
    const cur = byOffset[i]!;
    if (cur.record.localHeaderOffset < prev.end) {
      throw new ZipFormatError(`entries ${JSON.stringify(prev.record.name)} and ${JSON.stringify(cur.record.name)} overlap`);
    }
  }
}

function extract(body: Buffer, r: CentralRecord): Uint8Array {
  let data: Buffer;
  if (r.method === 0) {
    data = body;
  } else {
    try {
      // maxOutputLength stops a lying size field from inflating past what we agreed to hold.
      data = inflateRawSync(body, { maxOutputLength: Math.max(1, r.size) });
    } catch (cause) {
      throw new ZipCorruptEntryError(r.name, "content does not inflate to its declared size", { cause });
    }
  }
  if (data.length !== r.size) throw new ZipCorruptEntryError(r.name, `inflates to ${data.length} bytes, declared ${r.size}`);
  if (crc32(data) !== r.crc) throw new ZipCorruptEntryError(r.name, "CRC-32 mismatch");
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Names must stay inside the extraction directory on every platform: relative, `/`-separated, no `.` or
 * `..` segments, no empty segments except a directory's trailing slash, no backslash, colon or control
 * character.
 */
export function checkEntryName(name: string): void {
  if (name === "") throw new ZipUnsafeNameError(name, "empty");
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new ZipUnsafeNameError(name, "control character");
  if (name.includes("\\")) throw new ZipUnsafeNameError(name, "backslash");
  if (name.includes(":")) throw new ZipUnsafeNameError(name, "colon (drive letter or stream name)");
  if (name.startsWith("/")) throw new ZipUnsafeNameError(name, "absolute path");
  const segments = (name.endsWith("/") ? name.slice(0, -1) : name).split("/");
  for (const s of segments) {
    if (s === "") throw new ZipUnsafeNameError(name, "empty path segment");
    if (s === "." || s === "..") throw new ZipUnsafeNameError(name, `"${s}" path segment`);
  }
}
