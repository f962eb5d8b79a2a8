import type { IncomingMessage } from "node:http";
import * as MultipartParser from "multipasta";
import * as Multipasta from "multipasta/node";
import type { Readable } from "node:stream";
import { ProblemError } from "../problem.js";
import { BlobTooLargeError, type BlobStore, type StoredBlob } from "../store/blob-store.js";

/**
 * Reads POST /messages/out's multipart/form-data body as it streams in: the forretningsmelding (a compact JWS,
 * small) is kept in memory, the dokumentpakke goes straight to the blob store with its size capped and its
 * SHA-256 computed on the way. Nothing beyond those limits is ever buffered, and a request that ends early
 * (the client gave up, the connection broke) leaves no file and no open descriptor behind.
 */

export interface Submission {
  forretningsmelding: string;
  dokumentpakke?: StoredBlob | undefined;
  /**
   * The stored dokumentpakke's bytes, kept on the way to the store when it is no larger than
   * DOKUMENTPAKKE_IN_HAND_BYTES, so the intake checks its structure without reading it back.
   */
  dokumentpakkeBytes?: Buffer | undefined;
}

/** The largest dokumentpakke whose bytes a submission keeps in memory beside storing it (see Submission). */
export const DOKUMENTPAKKE_IN_HAND_BYTES = 256 * 1024;

export interface SubmissionLimits {
  forretningsmeldingBytes: number;
  dokumentpakkeBytes: number;
}

export class UnsupportedMediaTypeError extends ProblemError {
  constructor(got: string | undefined) {
    super(415, "unsupported-media-type", "Unsupported media type", `expected multipart/form-data, got ${got ?? "no Content-Type"}`);
  }
}

export class MalformedMultipartError extends ProblemError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(400, "multipart-malformed", "Malformed multipart body", detail, options);
  }
}

export class PartTooLargeError extends ProblemError {
  constructor(part: string, limit: number) {
    super(413, "payload-too-large", "Payload too large", `${part} exceeds the limit of ${limit} bytes`);
  }
}

/** The client went away before the body was complete. Nobody reads the answer; the code names it in logs and metrics. */
export class UploadAbortedError extends ProblemError {
  constructor() {
    super(400, "upload-aborted", "Upload aborted", "the connection closed before the request body was complete");
  }
}

const MAX_PARTS = 4;
/*
 * What surrounds the two parts' contents: boundaries, part headers (multipasta caps each part's at 16 KiB) and
 * any preamble. Only the whole-body backstop uses it; each part is held to its own limit exactly.
 */
const FRAMING_ALLOWANCE = 64 * 1024;

const noop = () => {};

export async function readSubmission(req: IncomingMessage, blobs: BlobStore, limits: SubmissionLimits): Promise<Submission> {
  checkContentType(req.headers["content-type"]);
  const mp = Multipasta.make({
    headers: req.headers,
    maxParts: MAX_PARTS,
    // Each part is measured on its own content: the forretningsmelding here, the dokumentpakke by the blob
    // store. multipasta's maxPartSize is not used: it also counts part headers and carries a field's size over
    // into the next part, so a dokumentpakke of exactly the limit would be refused.
    maxFieldSize: limits.forretningsmeldingBytes,
    maxTotalSize: limits.dokumentpakkeBytes + limits.forretningsmeldingBytes + FRAMING_ALLOWANCE,
    isFile: (info) => info.name === "dokumentpakke",
  });
  const upload = attach(req, mp);

  let forretningsmelding: string | undefined;
  let dokumentpakke: StoredBlob | undefined;
  let dokumentpakkeBytes: Buffer | undefined;
  const seen = new Set<string>();
  try {
    for await (const part of mp) {
      const name = part.info.name;
      if (seen.has(name)) throw new MalformedMultipartError(`part "${name}" appears twice`);
      seen.add(name);
      if (part._tag === "Field") {
        if (name !== "forretningsmelding") throw new MalformedMultipartError(`unexpected part "${name}"; expected forretningsmelding and dokumentpakke`);
        forretningsmelding = Buffer.from(part.value).toString("utf8").trim();
      } else {
        // multipasta emits its parse errors on the current file part too, even after it ended.
        part.on("error", noop);
        upload.file = part;
        const kept = new KeepSmall(DOKUMENTPAKKE_IN_HAND_BYTES);
        dokumentpakke = await blobs.write(kept.pass(part), limits.dokumentpakkeBytes).catch((err: unknown) => {
          if (err instanceof BlobTooLargeError) throw new PartTooLargeError("dokumentpakke", limits.dokumentpakkeBytes);
          throw err;
        });
        dokumentpakkeBytes = kept.bytes();
        upload.file = undefined;
      }
    }
  } catch (err) {
    const problem = translate(err, limits);
    upload.stop(problem instanceof Error ? problem : new Error(String(problem)));
    // Whatever the client still sends is read and dropped, so it gets our answer instead of a reset connection.
    req.resume();
    if (dokumentpakke) await blobs.delete(dokumentpakke.key);
    throw problem;
  }
  if (forretningsmelding === undefined) {
    if (dokumentpakke) await blobs.delete(dokumentpakke.key);
    throw new MalformedMultipartError('the part "forretningsmelding" is missing');
  }
  return { forretningsmelding, dokumentpakke, ...(dokumentpakkeBytes ? { dokumentpakkeBytes } : {}) };
}

/**
 * Passes a stream's chunks on unchanged and keeps them while their total stays within `max`: afterwards, the
 * whole content when it was that small, else nothing (and from then on nothing is kept).
 */
export class KeepSmall {
  private chunks: Buffer[] | undefined = [];
  private total = 0;

  constructor(private readonly max: number) {}

  async *pass(source: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer | Uint8Array> {
    for await (const chunk of source) {
      if (this.chunks) {
        this.total += chunk.byteLength;
        if (this.total > this.max) this.chunks = undefined;
        else this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      }
      yield chunk;
    }
  }

  /** The content, once the source has ended within the limit; undefined when it was larger. */
  bytes(): Buffer | undefined {
    return this.chunks && Buffer.concat(this.chunks, this.total);
  }
}

/** A request being parsed: the file part being stored now (if any), and how to stop both on a failure. */
export interface Upload {
  file: Readable | undefined;
  stop(err: Error): void;
}

/**
 * Feeds `req` into `mp` and ties their ends together: a client that goes away stops the parser, and a stop
 * also ends the file part being written (its pipeline would otherwise wait forever, holding the temporary file
 * and its descriptor).
 */
export function attach(req: IncomingMessage, mp: Multipasta.MultipastaStream): Upload {
  // multipasta emits a parse error once per chunk that follows it, also after we stopped listening; the
  // caller's async iterator reports the first, the rest must not crash the process as unhandled 'error' events.
  mp.on("error", noop);
  let stopped = false;
  const upload: Upload = {
    file: undefined,
    stop(err) {
      if (stopped) return;
      stopped = true;
      mp.destroy(err);
      upload.file?.destroy(err);
    },
  };
  req.on("error", () => upload.stop(new UploadAbortedError()));
  req.on("close", () => {
    if (!req.complete) upload.stop(new UploadAbortedError());
  });
  feed(req, mp, () => stopped, upload.stop);
  return upload;
}

/** Refuses anything but multipart/form-data with a boundary (as multipasta's own parser judges it). */
export function checkContentType(type: string | undefined): void {
  if (!type || !/^multipart\/form-data\s*(;|$)/i.test(type)) throw new UnsupportedMediaTypeError(type);
  // Asked of multipasta's own parser, so "has a boundary" means the same here as there. (Its stream variant
  // reports a missing boundary as an 'error' event from its constructor, before anyone can listen.)
  let boundary = true;
  MultipartParser.make({
    headers: { "content-type": type },
    onField: noop,
    onFile: () => noop,
    onError: (e) => {
      if (e._tag === "InvalidBoundary") boundary = false;
    },
    onDone: noop,
  });
  if (!boundary) throw new MalformedMultipartError("the Content-Type multipart/form-data names no boundary");
}

/*
 * req.pipe(mp), except that an exception thrown by the parser (multipasta decodes a part's filename* with
 * decodeURIComponent, which throws on bad percent-encoding) ends this request as malformed instead of escaping
 * from the socket's 'data' event and taking the process down.
 */
function feed(req: IncomingMessage, mp: Multipasta.MultipastaStream, stopped: () => boolean, stop: (err: Error) => void): void {
  req.on("data", (chunk: Buffer) => {
    if (stopped()) return;
    let more: boolean;
    try {
      more = mp.write(chunk);
    } catch (err) {
      stop(new MalformedMultipartError(`unreadable multipart body: ${(err as Error).message}`, { cause: err }));
      return;
    }
    if (!more) {
      req.pause();
      mp.once("drain", () => req.resume());
    }
  });
  req.on("end", () => {
    if (!stopped()) mp.end();
  });
}

function translate(err: unknown, limits: SubmissionLimits): unknown {
  if (err instanceof ProblemError) return err;
  const tag = (err as { _tag?: string })?._tag;
  if (tag === "ReachedLimit") {
    const limit = (err as { limit: string }).limit;
    if (limit === "MaxFieldSize") return new PartTooLargeError("forretningsmelding", limits.forretningsmeldingBytes);
    if (limit === "MaxParts") return new MalformedMultipartError(`more than ${MAX_PARTS} parts`);
    return new PartTooLargeError("request body", limits.dokumentpakkeBytes + limits.forretningsmeldingBytes + FRAMING_ALLOWANCE);
  }
  if (tag) return new MalformedMultipartError(`multipart parse error: ${tag}`);
  return err;
}
