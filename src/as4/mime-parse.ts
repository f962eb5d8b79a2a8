import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as Multipasta from "multipasta/node";
import { EbmsError } from "./ebms-errors.js";
import { ByteBudget, limitBytes, SizeLimitError } from "./limits.js";
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
function keepDashesTogether(): Transform {
  let pending: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      const data = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let end = data.length;
      while (end > 0 && data[end - 1] === 0x2d) end--;
      pending = Buffer.from(data.subarray(end));
      cb(null, end > 0 ? data.subarray(0, end) : undefined);
    },
    flush(cb: TransformCallback) {
      cb(null, pending.length ? pending : undefined);
    },
  });
}

/**
 * Passes bytes up to and including the close delimiter (`CRLF--boundary--`) and drops the epilogue:
 * multipasta would read epilogue text as the headers of another part and fail.
 */
function stopAtCloseDelimiter(boundary: string): Transform {
  const needle = Buffer.from(`\r\n--${boundary}--`, "latin1");
  let carry: Buffer = Buffer.alloc(0);
  let closed = false;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      if (closed) return cb();
      const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const at = data.indexOf(needle);
      if (at >= 0) {
        closed = true;
        carry = Buffer.alloc(0);
        return cb(null, data.subarray(0, at + needle.length));
      }
      // keep a possible start of the delimiter for the next chunk
      const keep = Math.min(data.length, needle.length - 1);
      carry = Buffer.from(data.subarray(data.length - keep));
      cb(null, keep < data.length ? data.subarray(0, data.length - keep) : undefined);
    },
    flush(cb: TransformCallback) {
      // A body that ends before its close delimiter is refused here: multipasta reports one that ends inside a
      // part's content, but one that ends inside a part's headers it never finishes, which would hang the request.
      if (!closed) return cb(new MimeError("multipart body ended without closing boundary"));
      cb();
    },
  });
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
  const chunks = part[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
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
        const rest = async function* () {
          yield* held.splice(0);
          for (let n = await chunks.next(); !n.done; n = await chunks.next()) yield n.value;
        };
        await pipeline(rest(), content.sink, { signal });
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
  const source = body instanceof Readable ? body : Readable.from(body);
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

  const total = limitBytes(new ByteBudget(limits.maxTotalBytes, "message", EBMS_OTHER)); // epilogue included
  const feeding = pipeline(source, total, stopAtCloseDelimiter(boundary), keepDashesTogether(), mp, { signal: abort.signal });
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
