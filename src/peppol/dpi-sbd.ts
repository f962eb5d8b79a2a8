import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable, type Writable } from "node:stream";
import {
  isLetterType,
  processAllowsMessageType,
  processForLetter,
  STANDARD_SPELLINGS,
  type DpiMessageType,
  type DpiProcessId,
  type StandardSpelling,
} from "../dpi/document-types.js";
import { NodeType, elementChildren, trimmedText } from "../xml/dom.js";
import {
  SbdhMalformedError,
  SbdhPayloadError,
  SbdhScopeError,
  SbdhTooLargeError,
  SbdhValueError,
} from "./errors.js";
import {
  DEFAULT_DPI_SPELLING,
  dpiDocumentTypeId,
  dpiProcessId,
  readDpiDocumentTypeId,
  readDpiProcessId,
  type ParticipantId,
} from "./identifiers.js";
import {
  INNBYGGERPOST_NS,
  INNBYGGERPOST_ELEMENT,
  DPI_TYPE_VERSION,
  SCOPE_TYPES,
  type SbdhHeader,
  sbdhHeaderXml,
  sbdOpening,
  SBD_CLOSING,
  H,
  readSbd,
  parseSafely,
  strictChildren,
  qualified,
} from "./sbdh.js";

/** The DPI payload of the Peppol SBDH (innbyggerpost.xsd): built as a stream, read with the dokumentpakke streamed out. */

// ---- DPI payload: build ------------------------------------------------------------------------------

/** The DocumentIdentification/Standard Digdir's C2→C3 example uses: the document type id up to `##`. */
export function dpiStandard(spelling: StandardSpelling = DEFAULT_DPI_SPELLING): string {
  return `urn:fdc:digdir.no:2020:innbyggerpost:xsd::${spelling}`;
}

export interface DpiSbdInput {
  /** SBDH sender: the sender of the forretningsmelding (for letters the avsender or its databehandler). */
  sender: ParticipantId;
  /** SBDH receiver: the postbox or print provider (letters), or the original SBDH sender (receipts). */
  receiver: ParticipantId;
  messageType: DpiMessageType;
  /** Required for receipts (the process of the letter answered); letters default to their own process. */
  process?: DpiProcessId;
  instanceIdentifier: string;
  createdAt: Date;
  /** Spelling of the document type id (DOCUMENTID and Standard). Default {@link DEFAULT_DPI_SPELLING}. */
  spelling?: StandardSpelling;
  /** Override DocumentIdentification/Standard. Default {@link dpiStandard}(spelling). */
  standard?: string;
  /** Default "NO". */
  countryC1?: string;
  /** The signed forretningsmelding as a compact JWS. */
  forretningsmelding: string;
  /** CMS bytes (letters only): a buffer, or a stream of byte chunks such as `fs.createReadStream(path)`. */
  dokumentpakke?: Uint8Array | AsyncIterable<Uint8Array>;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The text before and after the base64 dokumentpakke: `head` ends with `<Dokumentpakke>`, `tail` starts
 * with `</Dokumentpakke>`. For receipts nothing goes between them.
 */
export function dpiSbdParts(input: Omit<DpiSbdInput, "dokumentpakke">): { head: string; tail: string } {
  const spelling = input.spelling ?? DEFAULT_DPI_SPELLING;
  const process = input.process ?? (isLetterType(input.messageType) ? processForLetter(input.messageType) : undefined);
  if (!process) throw new SbdhValueError("", `a ${input.messageType} needs the process of the letter it answers`);
  if (!processAllowsMessageType(process, input.messageType)) {
    throw new SbdhValueError("", `${input.messageType} does not travel on process ${process}`);
  }
  if (!COMPACT_JWS.test(input.forretningsmelding)) {
    throw new SbdhValueError(`${INNBYGGERPOST_ELEMENT}/SignertForretningsmelding`, "is not a compact JWS");
  }
  const header = sbdhHeaderXml({
    sender: input.sender,
    receiver: input.receiver,
    standard: input.standard ?? dpiStandard(spelling),
    typeVersion: DPI_TYPE_VERSION,
    instanceIdentifier: input.instanceIdentifier,
    type: INNBYGGERPOST_ELEMENT,
    createdAt: input.createdAt,
    documentType: dpiDocumentTypeId(input.messageType, spelling),
    process: dpiProcessId(process),
    countryC1: input.countryC1 ?? "NO",
  });
  const head =
    sbdOpening() +
    header +
    `  <${INNBYGGERPOST_ELEMENT} xmlns="${INNBYGGERPOST_NS}">\n` +
    `    <SignertForretningsmelding>${input.forretningsmelding}</SignertForretningsmelding>\n` +
    `    <Dokumentpakke>`;
  const tail = `</Dokumentpakke>\n  </${INNBYGGERPOST_ELEMENT}>\n${SBD_CLOSING}`;
  return { head, tail };
}

/** The whole SBD as a byte stream; the dokumentpakke is base64-encoded on the fly. */
export function dpiSbdStream(input: DpiSbdInput): Readable {
  const { head, tail } = checkedParts(input);
  const dokumentpakke = input.dokumentpakke;
  async function* generate(): AsyncGenerator<Buffer> {
    yield Buffer.from(head, "utf8");
    if (dokumentpakke !== undefined) {
      let size = 0;
      for await (const chunk of base64Encode(asChunks(dokumentpakke), (n) => (size += n))) yield chunk;
      if (size === 0) throw new SbdhPayloadError("Innbyggerpost/Dokumentpakke", "the dokumentpakke is empty");
    }
    yield Buffer.from(tail, "utf8");
  }
  return Readable.from(generate(), { objectMode: false });
}

/**
 * {@link dpiSbdStream}'s bytes in one buffer, built in one go from a dokumentpakke in memory: for a letter small
 * enough to be held whole, which then needs no stream at all. The same checks and errors.
 */
export function dpiSbdBytes(input: Omit<DpiSbdInput, "dokumentpakke"> & { dokumentpakke?: Uint8Array }): Buffer {
  const { head, tail } = checkedParts(input);
  const dokumentpakke = input.dokumentpakke;
  if (dokumentpakke !== undefined && dokumentpakke.length === 0) throw new SbdhPayloadError("Innbyggerpost/Dokumentpakke", "the dokumentpakke is empty");
  const text = dokumentpakke === undefined ? "" : Buffer.from(dokumentpakke.buffer, dokumentpakke.byteOffset, dokumentpakke.byteLength).toString("base64");
  return Buffer.from(head + text + tail, "utf8");
}

function checkedParts(input: Omit<DpiSbdInput, "dokumentpakke"> & { dokumentpakke?: unknown }): { head: string; tail: string } {
  const parts = dpiSbdParts(input);
  const letter = isLetterType(input.messageType);
  if (letter && input.dokumentpakke === undefined) throw new SbdhPayloadError("Innbyggerpost/Dokumentpakke", `a ${input.messageType} letter needs a dokumentpakke`);
  if (!letter && input.dokumentpakke !== undefined) throw new SbdhPayloadError("Innbyggerpost/Dokumentpakke", `a ${input.messageType} carries no dokumentpakke`);
  return parts;
}

/** The whole SBD in memory (small documents and tests; use {@link dpiSbdStream} for real payloads). */
export async function buildDpiSbd(input: DpiSbdInput): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of dpiSbdStream(input)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function* asChunks(source: Uint8Array | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  for await (const chunk of source) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError("dokumentpakke streams must yield bytes, not strings");
    yield chunk;
  }
}

/** Base64 of a byte stream, carrying the 0–2 bytes that do not fill a 3-byte group to the next chunk. */
async function* base64Encode(source: AsyncIterable<Uint8Array>, count: (n: number) => void): AsyncGenerator<Buffer> {
  let carry = Buffer.alloc(0);
  for await (const chunk of source) {
    count(chunk.length);
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const usable = bytes.length - (bytes.length % 3);
    if (usable > 0) yield Buffer.from(bytes.subarray(0, usable).toString("base64"), "ascii");
    carry = Buffer.from(bytes.subarray(usable));
  }
  if (carry.length > 0) yield Buffer.from(carry.toString("base64"), "ascii");
}

// ---- DPI payload: read -------------------------------------------------------------------------------

export interface DpiSbd {
  header: SbdhHeader;
  messageType: DpiMessageType;
  /** Spelling of the DOCUMENTID value. */
  spelling: StandardSpelling;
  process: DpiProcessId;
  /** The compact JWS from SignertForretningsmelding (signature not yet checked). */
  forretningsmelding: string;
  /** Decoded size and SHA-256 (hex) of the dokumentpakke; absent for receipts. */
  dokumentpakke?: { size: number; sha256: string };
}

export interface DpiSbdReadOptions {
  /** Spellings of the document type id accepted in DOCUMENTID (default both). */
  acceptSpellings?: readonly StandardSpelling[];
  /** Default true. Digdir's own C2→C3 example has no COUNTRY_C1; set false to accept such envelopes. */
  requireCountryC1?: boolean;
  /** Where the decoded dokumentpakke bytes go. Ended (and awaited) on success, destroyed on failure. Default: discarded. */
  sink?: Writable;
  /** Characters allowed before the dokumentpakke text (header and forretningsmelding). Default 4 MiB. */
  maxHeadChars?: number;
  /** Characters allowed after it. Default 64 KiB. */
  maxTailChars?: number;
  /** Decoded dokumentpakke bytes allowed. Default 64 MiB. */
  maxDokumentpakkeBytes?: number;
}

const DEFAULTS = { maxHeadChars: 4 * 1024 * 1024, maxTailChars: 64 * 1024, maxDokumentpakkeBytes: 64 * 1024 * 1024 };
const DOKUMENTPAKKE_PATH = `${INNBYGGERPOST_ELEMENT}/Dokumentpakke`;

/** Accepted DocumentIdentification/Standard values: Digdir's (either spelling) or the payload namespace. */
function acceptedStandards(spellings: readonly StandardSpelling[]): string[] {
  return [...spellings.map(dpiStandard), INNBYGGERPOST_NS];
}

/**
 * Reads a DPI SBD from bytes or a byte stream, decoding the dokumentpakke into `options.sink` as it goes,
 * and checks it: the generic Peppol rules of {@link readSbd}, a DPI document type and a process that
 * allows it, the Innbyggerpost payload (a compact JWS, then base64 text only), a non-empty dokumentpakke
 * for letters and none for receipts.
 */
export async function readDpiSbd(
  source: Uint8Array | string | AsyncIterable<Uint8Array | string>,
  options: DpiSbdReadOptions = {},
): Promise<DpiSbd> {
  const limits = { ...DEFAULTS, ...definedOnly(options) };
  const sink = options.sink;
  // Keep the sink's own failures (disk full...) from going unhandled; they end the read instead.
  let sinkError: Error | undefined;
  const onSinkError = (e: Error) => (sinkError ??= e);
  sink?.on("error", onSinkError);
  const hash = createHash("sha256");
  let size = 0;
  const decoder = new Base64Decoder();
  const consume = async (bytes: Buffer): Promise<void> => {
    if (bytes.length === 0) return;
    size += bytes.length;
    if (size > limits.maxDokumentpakkeBytes) throw new SbdhTooLargeError("dokumentpakke", limits.maxDokumentpakkeBytes);
    hash.update(bytes);
    if (sinkError) throw sinkError;
    if (sink && !sink.write(bytes)) await drained(sink);
  };
  try {
    const split = await splitAtDokumentpakke(asTextChunks(source), limits, (text) => consume(decoder.push(text)));
    if (split.marker) await consume(decoder.end());
    const document = parseSafely(split.skeleton, limits.maxHeadChars + limits.maxTailChars + 1024);
    const result = checkDpiDocument(document, split.marker, size, options);
    if (sink) await endSink(sink);
    if (sinkError) throw sinkError;
    return size > 0 ? { ...result, dokumentpakke: { size, sha256: hash.digest("hex") } } : result;
  } catch (e) {
    // Destroyed without an error argument, so a sink without an error listener does not crash the process.
    sink?.destroy();
    throw e;
  } finally {
    sink?.off("error", onSinkError);
  }
}

/** {@link readDpiSbd} from a file, read in chunks. */
export function readDpiSbdFile(path: string, options: DpiSbdReadOptions = {}): Promise<DpiSbd> {
  return readDpiSbd(createReadStream(path, { highWaterMark: 256 * 1024 }), options);
}

function checkDpiDocument(document: Document, marker: string | undefined, size: number, options: DpiSbdReadOptions): Omit<DpiSbd, "dokumentpakke"> {
  const spellings = options.acceptSpellings ?? STANDARD_SPELLINGS;
  const { header, businessMessage } = readSbd(document, { requireCountryC1: options.requireCountryC1 ?? true, checkStandard: false });
  if (businessMessage.namespaceURI !== INNBYGGERPOST_NS || businessMessage.localName !== INNBYGGERPOST_ELEMENT) {
    throw new SbdhPayloadError("StandardBusinessDocument", `the business message must be {${INNBYGGERPOST_NS}}${INNBYGGERPOST_ELEMENT}, not ${qualified(businessMessage)}`);
  }
  if (!acceptedStandards(spellings).includes(header.standard)) {
    throw new SbdhValueError(`${H}/DocumentIdentification/Standard`, `${JSON.stringify(header.standard)} is not a DPI standard (${acceptedStandards(spellings).join(" | ")})`);
  }
  const dpiType = readDpiDocumentTypeId(header.documentType, spellings);
  if (!dpiType) throw new SbdhScopeError(SCOPE_TYPES.documentId, `${header.documentType.scheme}::${header.documentType.value} is not a DPI document type`);
  const process = readDpiProcessId(header.process);
  if (!process) throw new SbdhScopeError(SCOPE_TYPES.processId, `${header.process.scheme}::${header.process.value} is not a DPI process`);
  if (!processAllowsMessageType(process, dpiType.type)) {
    throw new SbdhScopeError(SCOPE_TYPES.processId, `${dpiType.type} does not travel on process ${process}`);
  }

  const children = strictChildren(businessMessage, INNBYGGERPOST_ELEMENT);
  const [jwsEl, pakkeEl, extra] = children;
  if (!jwsEl || jwsEl.namespaceURI !== INNBYGGERPOST_NS || jwsEl.localName !== "SignertForretningsmelding") {
    throw new SbdhPayloadError(INNBYGGERPOST_ELEMENT, "SignertForretningsmelding must be the first child");
  }
  if (pakkeEl && (pakkeEl.namespaceURI !== INNBYGGERPOST_NS || pakkeEl.localName !== "Dokumentpakke")) {
    throw new SbdhPayloadError(INNBYGGERPOST_ELEMENT, `unexpected element ${qualified(pakkeEl)}`);
  }
  if (extra) throw new SbdhPayloadError(INNBYGGERPOST_ELEMENT, `unexpected element ${qualified(extra)}`);
  const forretningsmelding = trimmedText(jwsEl);
  if (elementChildren(jwsEl).length > 0 || !COMPACT_JWS.test(forretningsmelding)) {
    throw new SbdhPayloadError(`${INNBYGGERPOST_ELEMENT}/SignertForretningsmelding`, "is not a compact JWS");
  }

  // The streamed base64 must have come from exactly this element, and it must hold nothing else.
  if (marker !== undefined) {
    const only = pakkeEl?.firstChild;
    const isMarker = only && only.nodeType === NodeType.COMMENT && (only as Comment).data === marker && only === pakkeEl.lastChild;
    if (!isMarker) throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, "must contain base64 text only, directly in Innbyggerpost/Dokumentpakke");
  } else if (pakkeEl && (pakkeEl.textContent ?? "").trim() !== "") {
    throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, "must contain base64 text only");
  } else if (pakkeEl && elementChildren(pakkeEl).length > 0) {
    throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, "must contain base64 text only");
  }

  if (isLetterType(dpiType.type) && size === 0) throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, `a ${dpiType.type} letter needs a non-empty dokumentpakke`);
  if (!isLetterType(dpiType.type) && size > 0) throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, `a ${dpiType.type} carries no dokumentpakke`);
  return { header, messageType: dpiType.type, spelling: dpiType.spelling, process, forretningsmelding };
}

// ---- streaming split ---------------------------------------------------------------------------------

// The Dokumentpakke start tag, with any prefix and attributes; `/>` ends an empty element.
const DOKUMENTPAKKE_START = /<(?:[A-Za-z_][\w.-]*:)?Dokumentpakke(?=[\s/>])[^<>]*>/g;

/**
 * Splits the document at the text content of the first Dokumentpakke start tag: `onContent` receives
 * that text chunk by chunk (up to the next `<`); the returned skeleton is everything else, with a
 * comment carrying a fresh random marker in place of the text. Without such a tag the skeleton is the
 * whole document.
 */
async function splitAtDokumentpakke(
  chunks: AsyncIterable<string>,
  limits: { maxHeadChars: number; maxTailChars: number },
  onContent: (text: string) => Promise<void>,
): Promise<{ skeleton: string; marker?: string }> {
  // Declared wide: `content` below changes it, which flow analysis cannot see.
  let state = "head" as "head" | "content" | "tail" | "whole";
  let head = "";
  let tail = "";
  let searchFrom = 0;

  const content = async (text: string): Promise<void> => {
    const lt = text.indexOf("<");
    if (lt < 0) return onContent(text);
    await onContent(text.slice(0, lt));
    state = "tail";
    tail = text.slice(lt);
  };

  for await (const text of chunks) {
    if (state === "content") {
      await content(text);
    } else if (state === "tail") {
      tail += text;
    } else {
      head += text;
      if (state === "head") {
        DOKUMENTPAKKE_START.lastIndex = searchFrom;
        const m = DOKUMENTPAKKE_START.exec(head);
        if (!m) {
          searchFrom = Math.max(0, head.lastIndexOf("<"));
        } else if (m[0].endsWith("/>")) {
          state = "whole";
        } else {
          const rest = head.slice(m.index + m[0].length);
          head = head.slice(0, m.index + m[0].length);
          state = "content";
          await content(rest);
        }
      }
    }
    if (head.length > limits.maxHeadChars) throw new SbdhTooLargeError("head", limits.maxHeadChars);
    if (tail.length > limits.maxTailChars) throw new SbdhTooLargeError("tail", limits.maxTailChars);
  }
  if (state === "content") throw new SbdhMalformedError("the document ends inside Dokumentpakke");
  if (state === "head" || state === "whole") return { skeleton: head };
  const marker = `dpi-ap-dokumentpakke-${randomUUID()}`;
  return { skeleton: `${head}<!--${marker}-->${tail}`, marker };
}

async function* asTextChunks(source: Uint8Array | string | AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  if (typeof source === "string") {
    yield source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
    return;
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const decode = (bytes: Uint8Array | undefined, stream: boolean): string => {
    try {
      return bytes ? decoder.decode(bytes, { stream }) : decoder.decode();
    } catch (e) {
      throw new SbdhMalformedError("the SBD is not valid UTF-8", { cause: e });
    }
  };
  if (source instanceof Uint8Array) {
    yield decode(source, false);
    return;
  }
  for await (const chunk of source) {
    if (typeof chunk === "string") throw new TypeError("SBD streams must yield bytes, not strings");
    yield decode(chunk, true);
  }
  yield decode(undefined, false);
}

/**
 * Strict streaming base64 (xs:base64Binary): the standard alphabet, XML whitespace anywhere, `=` padding
 * only in the last 4-character group, no unpadded remainder.
 */
class Base64Decoder {
  private pending = "";
  private padded = false;

  push(text: string): Buffer {
    const clean = text.replace(/[ \t\r\n]+/g, "");
    if (clean === "") return Buffer.alloc(0);
    const bad = /[^A-Za-z0-9+/=]/.exec(clean);
    if (bad) throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, `not base64: unexpected character ${JSON.stringify(bad[0])}`);
    if (this.padded && /[^=]/.test(clean)) throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, "not base64: misplaced padding");
    const s = this.pending + clean;
    const eq = s.indexOf("=");
    const usable = eq < 0 ? s.length - (s.length % 4) : eq - (eq % 4);
    this.pending = s.slice(usable);
    if (eq >= 0) {
      this.padded = true;
      if (this.pending.length > 4 || !/^[A-Za-z0-9+/]{2,3}=*$/.test(this.pending)) {
        throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, "not base64: misplaced padding");
      }
    }
    return Buffer.from(s.slice(0, usable), "base64");
  }

  end(): Buffer {
    const rest = this.pending;
    this.pending = "";
    if (rest === "") return Buffer.alloc(0);
    if (!/^(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)$/.test(rest)) {
      throw new SbdhPayloadError(DOKUMENTPAKKE_PATH, "not base64: the last group is incomplete");
    }
    return Buffer.from(rest, "base64");
  }
}

// ---- helpers -----------------------------------------------------------------------------------------

function definedOnly(o: DpiSbdReadOptions): Partial<typeof DEFAULTS> {
  const out: Partial<typeof DEFAULTS> = {};
  if (o.maxHeadChars !== undefined) out.maxHeadChars = o.maxHeadChars;
  if (o.maxTailChars !== undefined) out.maxTailChars = o.maxTailChars;
  if (o.maxDokumentpakkeBytes !== undefined) out.maxDokumentpakkeBytes = o.maxDokumentpakkeBytes;
  return out;
}

function drained(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      sink.off("drain", onDrain);
      sink.off("error", done);
      sink.off("close", onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error("the dokumentpakke sink closed early"));
    sink.once("drain", onDrain);
    sink.once("error", done);
    sink.once("close", onClose);
  });
}

function endSink(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.once("error", reject);
    sink.end(() => resolve());
  });
}
