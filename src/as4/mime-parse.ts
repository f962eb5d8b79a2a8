import { IncomingMessage } from "node:http";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as Multipasta from "multipasta/node";
import { EbmsError } from "./ebms-errors.js";
import { ByteBudget, SizeLimitError } from "./limits.js";
import type { Spool, SpooledContent, TempDir } from "./temp-files.js";

/**
 * Parses an inbound AS4 HTTP request body: either a bare SOAP envelope or `multipart/related` with the
 * envelope as root part (the `start` part if given, else the first) and attachments, which are streamed into
 * spools of the message's temp dir: in memory while the message is small, in files past its memory threshold.
 */

export const EBMS_MIME_INCONSISTENCY = "EBMS:0007";
/** Size limits have no EBMS code of their own; they are reported as EBMS:0004 (Other). */
export const EBMS_OTHER = "EBMS:0004";

/** Malformed or inconsistent MIME packaging: EBMS:0007 MimeInconsistency. */
export class MimeError extends EbmsError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(EBMS_MIME_INCONSISTENCY, detail, options);
    this.name = "MimeError";
  }
}

export interface MimeLimits {
  /** All parts including the root. */
  maxParts: number;
  maxRootBytes: number;
  maxPartBytes: number;
  maxTotalBytes: number;
}

export const DEFAULT_MIME_LIMITS: MimeLimits = {
  maxParts: 21,
  maxRootBytes: 4 * 1024 * 1024,
  maxPartBytes: 2 * 1024 ** 3,
  maxTotalBytes: 2 * 1024 ** 3,
};

export interface ReceivedAttachment {
  /** Content-ID without angle brackets. */
  contentId: string;
  /** Lower-cased media type without parameters. */
  contentType: string;
  headers: Readonly<Record<string, string>>;
  /** The part body exactly as received. */
  content: SpooledContent;
  size: number;
}

export interface ParsedRequest {
  soapXml: string;
  /** Root Content-ID when the root part had one. */
  rootContentId: string | undefined;
  attachments: ReceivedAttachment[];
}

export interface MediaType {
  type: string;
  params: Record<string, string>;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
// Unquoted values are read leniently (up to `;` or whitespace): senders write `type=application/soap+xml`.
const PARAM_RE = new RegExp(`^\\s*;\\s*(${TOKEN})\\s*=\\s*(?:([^\\s;"]+)|"((?:[^"\\\\\\r\\n]|\\\\.)*)")`);
const TYPE_RE = new RegExp(`^\\s*(${TOKEN}/${TOKEN})`);

/** Parses a Content-Type value; returns undefined when it is malformed. Parameter names are lower-cased. */
export function parseMediaType(value: string): MediaType | undefined {
  const m = TYPE_RE.exec(value);
  if (!m) return undefined;
  const params: Record<string, string> = Object.create(null);
  let rest = value.slice(m[0].length);
  while (rest.trim() !== "") {
    const p = PARAM_RE.exec(rest);
    if (!p) {
      if (/^\s*;\s*$/.test(rest)) break; // tolerate a trailing semicolon
      return undefined;
    }
    params[p[1]!.toLowerCase()] = p[2] ?? p[3]!.replace(/\\(.)/g, "$1");
    rest = rest.slice(p[0].length);
  }
  return { type: m[1]!.toLowerCase(), params };
}

/** `<abc@x>` → `abc@x`; tolerates a missing pair of brackets. */
export function stripContentId(value: string): string {
  const v = value.trim();
  return v.startsWith("<") && v.endsWith(">") ? v.slice(1, -1).trim() : v;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeSoap(bytes: Uint8Array, charset: string | undefined): string {
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) throw new MimeError(`unsupported SOAP charset ${charset}`);
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw new MimeError("SOAP part is not valid UTF-8", { cause: err });
  }
}

function isSoapType(type: string): boolean {
  return type === "application/soap+xml";
}

export async function parseAs4Request(
  contentType: string | undefined,
  body: Readable | AsyncIterable<Uint8Array>,
  tmp: TempDir,
  limits: MimeLimits = DEFAULT_MIME_LIMITS,
): Promise<ParsedRequest> {
  const media = contentType === undefined ? undefined : parseMediaType(contentType);
  if (media === undefined) throw new MimeError(`missing or malformed Content-Type: ${contentType ?? "(none)"}`);
  if (isSoapType(media.type)) {
    const bytes = await readAll(body, new ByteBudget(limits.maxRootBytes, "SOAP envelope", EBMS_OTHER));
    return { soapXml: decodeSoap(bytes, media.params["charset"]), rootContentId: undefined, attachments: [] };
  }
  if (media.type !== "multipart/related") throw new MimeError(`unexpected Content-Type ${media.type}`);
  if (media.params["boundary"] === undefined) throw new MimeError("multipart/related without boundary");
  const start = media.params["start"] === undefined ? undefined : stripContentId(media.params["start"]);
  // multipasta only needs the boundary, and its own parameter parser is stricter than senders are.
  const normalized = `multipart/related; boundary="${media.params["boundary"].replace(/["\\]/g, "\\$&")}"`;
  return parseMultipart(normalized, media.params["boundary"], start, body, tmp, limits);
}

async function readAll(body: Readable | AsyncIterable<Uint8Array>, budget: ByteBudget): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    budget.take(b.length);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  if (Array.isArray(v)) return v.length === 1 ? v[0] : undefined;
  return v;
}

function flatHeaders(h: Record<string, string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

function mapMultipartError(err: unknown, limits: MimeLimits): Error {
  if (err instanceof Error) return err;
  const e = err as Multipasta.MultipartError;
  switch (e?._tag) {
    case "ReachedLimit": {
      const [what, limit] = {
        MaxParts: ["number of MIME parts", limits.maxParts],
        MaxTotalSize: ["message", limits.maxTotalBytes],
        MaxPartSize: ["MIME part", limits.maxPartBytes],
        MaxFieldSize: ["SOAP envelope", limits.maxRootBytes],
      }[e.limit] as [string, number];
      return new SizeLimitError(what, limit, EBMS_OTHER);
    }
    case "InvalidBoundary":
      return new MimeError("invalid multipart boundary");
    case "BadHeaders":
      return new MimeError(`malformed MIME part headers (${e.error.reason})`);
    case "EndNotReached":
      return new MimeError("multipart body ended without closing boundary");
    default:
      return new MimeError(`malformed multipart body (${String(e?._tag ?? err)})`);
  }
}

/**
 * multipasta decides that a part is the closing one by looking at the two bytes after the boundary in the
 * same chunk; a chunk that ends between those two dashes would be misread. Holding back trailing dashes
 * until the next chunk keeps "--" together whatever the network did.
 */
class DashKeeper {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer | undefined {
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let end = data.length;
    while (end > 0 && data[end - 1] === 0x2d) end--;
    this.pending = Buffer.from(data.subarray(end));
    return end > 0 ? data.subarray(0, end) : undefined;
  }

  end(): Buffer | undefined {
    return this.pending.length ? this.pending : undefined;
  }
}

/**
 * Passes bytes up to and including the close delimiter (`CRLF--boundary--`) and drops the epilogue:
 * multipasta would read epilogue text as the headers of another part and fail.
 */
class CloseDelimiterCut {
  private readonly needle: Buffer;
  private carry: Buffer = Buffer.alloc(0);
  private closed = false;

  constructor(boundary: string) {
    this.needle = Buffer.from(`\r\n--${boundary}--`, "latin1");
  }

  /** The bytes to pass on, in order (none, one or two pieces): a long chunk is passed on as it is, not copied. */
  push(chunk: Buffer): Buffer[] {
    if (this.closed) return [];
    const keep = this.needle.length - 1;
    if (chunk.length < keep) {
      // A short chunk: joining it to the held-back bytes copies less than two delimiters.
      const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
      const at = data.indexOf(this.needle);
      if (at >= 0) return this.close(data.subarray(0, at + this.needle.length));
      const held = Math.min(data.length, keep);
      this.carry = Buffer.from(data.subarray(data.length - held));
      return held < data.length ? [data.subarray(0, data.length - held)] : [];
    }
    // A long chunk is searched where it is: only a delimiter that starts in the held-back bytes needs them joined.
    if (this.carry.length) {
      const joined = Buffer.concat([this.carry, chunk.subarray(0, keep)]);
      const at = joined.indexOf(this.needle);
      if (at >= 0 && at < this.carry.length) return this.close(joined.subarray(0, at + this.needle.length));
    }
    const out = this.carry.length ? [this.carry] : [];
    const at = chunk.indexOf(this.needle);
    if (at >= 0) return [...out, ...this.close(chunk.subarray(0, at + this.needle.length))];
    // keep a possible start of the delimiter for the next chunk
    this.carry = Buffer.from(chunk.subarray(chunk.length - keep));
    if (chunk.length > keep) out.push(chunk.subarray(0, chunk.length - keep));
    return out;
  }

  private close(last: Buffer): Buffer[] {
    this.closed = true;
    this.carry = Buffer.alloc(0);
    return [last];
  }

  end(): void {
    // A body that ends before its close delimiter is refused here: multipasta reports one that ends inside a
    // part's content, but one that ends inside a part's headers it never finishes, which would hang the request.
    if (!this.closed) throw new MimeError("multipart body ended without closing boundary");
  }
}

/**
 * Feeds the body into the parser: counted against the message's limit (epilogue included), cut after the close
 * delimiter, trailing dashes kept together. One loop with the parser's backpressure, instead of a pipeline of
 * three Transforms (and its AbortController and DOMException) per request. Resolves once the parser has taken
 * everything; rejects with the first failure of the body, the framing or the parser, or with an abort, which
 * also destroys the body and the parser (as a pipeline's would).
 */
async function feedParser(body: AsyncIterable<Uint8Array>, mp: Writable, budget: ByteBudget, boundary: string, signal: AbortSignal): Promise<void> {
  const cut = new CloseDelimiterCut(boundary);
  const dashes = new DashKeeper();
  let fail!: (err: unknown) => void;
  const failure = new Promise<never>((_, reject) => (fail = reject));
  failure.catch(() => undefined);
  const onError = (err: unknown) => fail(err);
  const onClose = () => fail(new Error("the multipart parser closed before it took the whole body"));
  const onAbort = () => fail(signal.reason);
  mp.on("error", onError);
  mp.on("close", onClose);
  signal.addEventListener("abort", onAbort, { once: true });
  // Not destroyed when we stop reading: see the catch below.
  const input = body instanceof Readable ? body.iterator({ destroyOnReturn: false }) : body[Symbol.asyncIterator]();
  const write = async (bytes: Buffer | undefined) => {
    if (bytes === undefined || mp.write(bytes)) return;
    await Promise.race([new Promise((resolve) => mp.once("drain", resolve)), failure]);
  };
  try {
    if (signal.aborted) onAbort();
    for (;;) {
      const next = await Promise.race([input.next(), failure]);
      if (next.done) break;
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      budget.take(chunk.length);
      for (const passed of cut.push(chunk)) await write(dashes.push(passed));
    }
    cut.end();
    await write(dashes.end());
    const finished = new Promise((resolve) => mp.once("finish", resolve));
    mp.end();
    await Promise.race([finished, failure]);
  } catch (err) {
    mp.destroy(err instanceof Error ? err : undefined);
    // The iterator lets go of the body once a read still under way ends. Then an HTTP request keeps its
    // connection for our answer (the EBMS error): what the sender still sends is read and dropped, as a pipeline
    // does with a server request. Any other body stream is destroyed.
    const released = Promise.resolve(input.return?.()).catch(() => undefined);
    if (body instanceof IncomingMessage) void released.then(() => body.resume());
    else if (body instanceof Readable) body.destroy();
    throw err;
  } finally {
    mp.off("error", onError);
    mp.off("close", onClose);
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * The largest attachment collected and handed to its spool whole (and never more than the message's spools
 * may still keep in memory); a larger one is piped into its spool.
 */
export const PART_IN_ONE_PIECE_BYTES = 256 * 1024;

/**
 * Copies an attachment into its spool. A small one (nearly all of them) is collected and put in one call: a
 * pipeline per part costs an AbortController, a DOMException when it finishes and the spool's Writable. A part
 * that grows past `inOnePiece` is piped into the spool from there on, as every part was before. A failure or an
 * abort also ends the part, so the parser never waits for a reader that is gone.
 */
async function spoolPart(part: Readable, content: Spool, inOnePiece: number, signal: AbortSignal): Promise<void> {
  // Not destroyed when we stop iterating: a large part is piped on from where the iterator left it.
  const chunks = part.iterator({ destroyOnReturn: false }) as AsyncIterator<Buffer>;
  const held: Buffer[] = [];
  let heldBytes = 0;
  const stop = () => part.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
  signal.addEventListener("abort", stop, { once: true });
  try {
    if (signal.aborted) stop();
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      held.push(next.value);
      heldBytes += next.value.length;
      if (heldBytes > inOnePiece) {
        // The rest is piped, chunk by chunk as the parser emits them: a stream's async iterator hands out all it
        // has buffered joined into one new buffer, which copied nearly every byte of a large attachment.
        await chunks.return?.();
        const sink = content.sink;
        for (const c of held.splice(0)) sink.write(c);
        await pipeline(part, sink, { signal });
        return;
      }
    }
    await content.put(held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes));
  } catch (err) {
    part.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

async function parseMultipart(
  contentType: string,
  boundary: string,
  start: string | undefined,
  body: Readable | AsyncIterable<Uint8Array>,
  tmp: TempDir,
  limits: MimeLimits,
): Promise<ParsedRequest> {
  let partIndex = 0;
  let rootSeen = false;
  const isRoot = (info: Multipasta.PartInfo): boolean => {
    const first = partIndex === 0;
    partIndex += 1;
    if (rootSeen) return false;
    const cid = headerValue(info.headers["content-id"]);
    const root = start === undefined ? first : cid !== undefined && stripContentId(cid) === start;
    if (root) rootSeen = true;
    return root;
  };

  const mp = Multipasta.make({
    headers: { "content-type": contentType },
    isFile: (info) => !isRoot(info),
    maxParts: limits.maxParts,
    maxTotalSize: limits.maxTotalBytes,
    maxPartSize: limits.maxPartBytes,
    maxFieldSize: limits.maxRootBytes,
  });
  // multipasta emits its error on the current part too, even one already consumed; keep that from
  // becoming an uncaught 'error' event (the same error reaches us through the parser stream).
  mp.on("file", (f: Multipasta.FileStream) => f.on("error", () => undefined));
  // The parser itself, destroyed when the message fails or is aborted, may emit its error after the feeder has
  // stopped listening; the feeder and the part iterator report errors while they matter.
  mp.on("error", () => undefined);
  // Aborting is the reliable way to stop every pipeline: destroying a part that already pushed its end
  // can leave a pipeline waiting forever (Node 20).
  const abort = new AbortController();

  let root: { info: Multipasta.PartInfo; value: Uint8Array } | undefined;
  const attachments: ReceivedAttachment[] = [];
  const writes: Promise<void>[] = [];
  const seen = new Set<string>();

  // Each attachment is piped to its spool as soon as it starts; the parser waits (backpressure) until the
  // spool takes the bytes, so memory holds at most a few chunks beyond the spools' memory threshold.
  const consumeParts = async (): Promise<void> => {
    // multipasta ends its readable side at the closing boundary, possibly before the input ended; the
    // default iterator would then destroy the parser mid-write, so it must not destroy on return.
    for await (const part of mp.iterator({ destroyOnReturn: false }) as AsyncIterable<Multipasta.Part>) {
      if (part._tag === "Field") {
        root = part;
        continue;
      }
      const cidHeader = headerValue(part.info.headers["content-id"]);
      const cte = headerValue(part.info.headers["content-transfer-encoding"])?.trim().toLowerCase();
      const problem =
        cidHeader === undefined
          ? "attachment part without a single Content-ID"
          : seen.has(stripContentId(cidHeader))
            ? `duplicate Content-ID ${cidHeader}`
            : cte !== undefined && !["binary", "8bit", "7bit"].includes(cte)
              ? `unsupported Content-Transfer-Encoding ${cte}`
              : undefined;
      if (problem !== undefined) throw new MimeError(problem);
      const contentId = stripContentId(cidHeader!);
      seen.add(contentId);
      const content = tmp.spool(`part-${contentId}`);
      const att: ReceivedAttachment = {
        contentId,
        contentType: part.info.contentType,
        headers: flatHeaders(part.info.headers),
        content,
        size: 0,
      };
      attachments.push(att);
      const w = spoolPart(part, content, Math.min(PART_IN_ONE_PIECE_BYTES, tmp.memoryFree), abort.signal).then(() => {
        att.size = content.size;
      });
      w.catch(() => undefined); // observed through `writes`
      writes.push(w);
    }
  };

  const feeding = feedParser(body, mp, new ByteBudget(limits.maxTotalBytes, "message", EBMS_OTHER), boundary, abort.signal);
  feeding.catch(() => undefined); // observed below
  try {
    // Both at once: a body that ends inside a part's headers fails the feeding pipeline while multipasta's
    // part iterator never ends, so waiting for the parts first would wait forever.
    await Promise.all([consumeParts(), feeding]);
    await Promise.all(writes);
  } catch (err) {
    abort.abort();
    await Promise.allSettled([feeding, ...writes]);
    throw mapMultipartError(err, limits);
  }

  if (root === undefined) {
    throw new MimeError(start === undefined ? "multipart body without parts" : `no MIME part with Content-ID <${start}>`);
  }
  const rootType = root.info.contentType;
  if (!isSoapType(rootType)) throw new MimeError(`root part has Content-Type ${rootType}, expected application/soap+xml`);
  const rootCid = headerValue(root.info.headers["content-id"]);
  return {
    soapXml: decodeSoap(root.value, root.info.contentTypeParameters["charset"]),
    rootContentId: rootCid === undefined ? undefined : stripContentId(rootCid),
    attachments,
  };
}
