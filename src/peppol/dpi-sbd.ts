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
import { Base64Decoder, Base64Encoder } from "./base64-stream.js";

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
      if (size === 0) throw emptyDokumentpakkeError();
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
  if (dokumentpakke !== undefined && dokumentpakke.length === 0) throw emptyDokumentpakkeError();
  const text = dokumentpakke === undefined ? "" : Buffer.from(dokumentpakke.buffer, dokumentpakke.byteOffset, dokumentpakke.byteLength).toString("base64");
  return Buffer.from(head + text + tail, "utf8");
}

/** The refusal of a dokumentpakke of no bytes, however it was given. */
export function emptyDokumentpakkeError(): SbdhPayloadError {
  return new SbdhPayloadError("Innbyggerpost/Dokumentpakke", "the dokumentpakke is empty");
}

/**
 * {@link dpiSbdParts}, and the letter's dokumentpakke required (a receipt's refused) by whether `dokumentpakke`
 * is given: the checks every way of building the SBD makes before its first byte.
 */
export function checkedParts(input: Omit<DpiSbdInput, "dokumentpakke"> & { dokumentpakke?: unknown }): { head: string; tail: string } {
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

/** Base64 of a byte stream (base64-stream.ts), counting the bytes read. */
async function* base64Encode(source: AsyncIterable<Uint8Array>, count: (n: number) => void): AsyncGenerator<Buffer> {
  const encoder = new Base64Encoder();
  for await (const chunk of source) {
    count(chunk.length);
    const text = encoder.push(chunk);
    if (text.length > 0) yield text;
  }
  const last = encoder.end();
  if (last.length > 0) yield last;
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
  /** Decoded size and SHA-256 (hex) of the dokumentpakke; absent for receipts. No SHA-256 when read with `digest: false`. */
  dokumentpakke?: { size: number; sha256?: string };
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
  /**
   * The source's chunks are the reader's to overwrite: a stream of fresh buffers no one else holds or reads again
   * (a file's read stream, gunzip's output), never content kept elsewhere (a payload held in memory). The
   * dokumentpakke is then decoded into the chunks its base64 came in instead of a new buffer each: 25 MB less
   * short-lived memory for a 25 MB one. Default false; a source given as bytes or a string is never overwritten.
   */
  overwriteChunks?: boolean;
  /**
   * Default true: the result carries the dokumentpakke's SHA-256. False when the sink digests the bytes itself
   * (the payload store does): hashing 25 MB twice costs a letter about 15-30 ms of CPU.
   */
  digest?: boolean;
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
  const hash = options.digest === false ? undefined : createHash("sha256");
  let size = 0;
  const decoder = new Base64Decoder((detail) => new SbdhPayloadError(DOKUMENTPAKKE_PATH, detail));
  const consume = async (bytes: Buffer): Promise<void> => {
    if (bytes.length === 0) return;
    size += bytes.length;
    if (size > limits.maxDokumentpakkeBytes) throw new SbdhTooLargeError("dokumentpakke", limits.maxDokumentpakkeBytes);
    hash?.update(bytes);
    if (sinkError) throw sinkError;
    if (sink && !sink.write(bytes)) await drained(sink);
  };
  try {
    const inPlace = options.overwriteChunks === true && typeof source !== "string" && !(source instanceof Uint8Array);
    const split = await splitAtDokumentpakke(asByteChunks(source), limits, (text) => consume(decoder.push(text, inPlace)));
    if (split.marker) await consume(decoder.end());
    const document = parseSafely(split.skeleton, limits.maxHeadChars + limits.maxTailChars + 1024);
    const result = checkDpiDocument(document, split.marker, size, options);
    if (sink) await endSink(sink);
    if (sinkError) throw sinkError;
    if (size === 0) return result;
    return { ...result, dokumentpakke: hash ? { size, sha256: hash.digest("hex") } : { size } };
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

// The Dokumentpakke start tag, with any prefix and attributes; `/>` ends an empty element. Matched on the bytes
// read one character per byte: every character it names is ASCII, which UTF-8 writes as itself and never uses
// inside a multi-byte sequence, so a match there is a match in the text, at the same byte offsets.
const DOKUMENTPAKKE_START = /<(?:[A-Za-z_][\w.-]*:)?Dokumentpakke(?=[ \t\r\n/>])[^<>]*>/;
/** Bytes of the head searched per string (see base64-stream.ts on the size of strings). */
const SEARCH_PIECE = 64 * 1024;

/** Text decoded as it streams in (strict UTF-8), refused once it passes its budget of characters. */
class TextPart {
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });
  text = "";

  constructor(
    private readonly part: "head" | "tail",
    private readonly maxChars: number,
  ) {}

  push(bytes: Uint8Array | undefined): void {
    try {
      this.text += bytes === undefined ? this.#decoder.decode() : this.#decoder.decode(bytes, { stream: true });
    } catch (e) {
      throw new SbdhMalformedError("the SBD is not valid UTF-8", { cause: e });
    }
    if (this.text.length > this.maxChars) throw new SbdhTooLargeError(this.part, this.maxChars);
  }

  end(): string {
    this.push(undefined);
    return this.text;
  }
}

/**
 * Splits the document at the text content of the first Dokumentpakke start tag: `onContent` receives that
 * text's bytes chunk by chunk (up to the next `<`), never decoded to a string whole; the returned skeleton is
 * everything else, with a comment carrying a fresh random marker in place of the text. Without such a tag the
 * skeleton is the whole document.
 */
async function splitAtDokumentpakke(
  chunks: AsyncIterable<Buffer>,
  limits: { maxHeadChars: number; maxTailChars: number },
  onContent: (text: Buffer) => Promise<void>,
): Promise<{ skeleton: string; marker?: string }> {
  // Declared wide: the branches below change it, which flow analysis cannot see.
  let state = "head" as "head" | "content" | "tail" | "whole";
  const head = new TextPart("head", limits.maxHeadChars);
  const tail = new TextPart("tail", limits.maxTailChars);
  // The head's bytes from its last "<" on, one character per byte: where a start tag split across chunks begins.
  let window = "";

  const content = async (bytes: Buffer): Promise<void> => {
    const lt = bytes.indexOf(0x3c);
    if (lt < 0) return onContent(bytes);
    await onContent(bytes.subarray(0, lt));
    state = "tail";
    tail.push(bytes.subarray(lt));
  };

  for await (const chunk of chunks) {
    if (state === "content") await content(chunk);
    else if (state === "tail") tail.push(chunk);
    else if (state === "whole") head.push(chunk);
    else {
      for (let at = 0; at < chunk.length && state === "head"; at += SEARCH_PIECE) {
        const piece = chunk.subarray(at, at + SEARCH_PIECE);
        const before = window.length;
        window += piece.toString("latin1");
        const m = DOKUMENTPAKKE_START.exec(window);
        if (!m) {
          head.push(piece);
          window = window.slice(Math.max(0, window.lastIndexOf("<")));
        } else if (m[0].endsWith("/>")) {
          head.push(chunk.subarray(at));
          state = "whole";
        } else {
          // The match ends in this piece: the last one searched without it had no whole tag.
          const cut = at + m.index + m[0].length - before;
          head.push(chunk.subarray(at, cut));
          state = "content";
          await content(chunk.subarray(cut));
        }
      }
    }
  }
  if (state === "content") throw new SbdhMalformedError("the document ends inside Dokumentpakke");
  if (state === "head" || state === "whole") return { skeleton: head.end() };
  const marker = `dpi-ap-dokumentpakke-${randomUUID()}`;
  return { skeleton: `${head.end()}<!--${marker}-->${tail.end()}`, marker };
}

/** The source as byte chunks; a string is read as its UTF-8 bytes. */
async function* asByteChunks(source: Uint8Array | string | AsyncIterable<Uint8Array | string>): AsyncGenerator<Buffer> {
  if (typeof source === "string") {
    yield Buffer.from(source, "utf8");
    return;
  }
  if (source instanceof Uint8Array) {
    yield Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    return;
  }
  for await (const chunk of source) {
    if (typeof chunk === "string") throw new TypeError("SBD streams must yield bytes, not strings");
    yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
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
