import type { Request } from "express";
import * as Multipasta from "multipasta/node";
import type { Readable } from "node:stream";
import { BlobTooLargeError, type BlobStore, type StoredBlob } from "../../store/blob-store.js";
import { attach, checkContentType, MalformedMultipartError, PartTooLargeError } from "../multipart-submission.js";
import { ProblemError } from "../../problem.js";
import { DomainError } from "../../errors.js";
import { DuplicateFilenameError } from "../../sbd/index.js";
import { MultipartFileTooLargeError } from "./errors.js";

/**
 * Reads POST /api/messages/out/multipart as it streams in: the part `sbd` (the StandardBusinessDocument JSON, as
 * a field or a file part) in memory, every other file part straight to the blob store, each capped at the
 * per-file limit (the integrasjonspunkt's 5 MiB). A part's name is the file's title, its filename the file
 * name. Two files of one name are refused, as the integrasjonspunkt refuses them. On any failure every blob
 * written so far is removed.
 */

export interface UploadedPart {
  filename: string;
  /** The part name, which the integrasjonspunkt takes as the document title. */
  title: string | undefined;
  contentType: string | undefined;
  blob: StoredBlob;
}

export interface MultipartMessage {
  sbd: string;
  files: UploadedPart[];
}

export interface MultipartMessageLimits {
  sbdBytes: number;
  fileBytes: number;
  maxParts: number;
}


const noop = () => {};

export async function readMultipartMessage(req: Request, blobs: BlobStore, limits: MultipartMessageLimits): Promise<MultipartMessage> {
  checkContentType(req.get("content-type"));
  const mp = Multipasta.make({
    headers: req.headers,
    maxParts: limits.maxParts,
    maxFieldSize: limits.sbdBytes,
    maxTotalSize: Number.POSITIVE_INFINITY,
    isFile: (info) => info.filename !== undefined,
  });
  const upload = attach(req, mp);

  let sbd: string | undefined;
  const files: UploadedPart[] = [];
  try {
    for await (const part of mp) {
      const name = part.info.name;
      if (name === "sbd") {
        if (sbd !== undefined) throw new MalformedMultipartError('part "sbd" appears twice');
        if (part._tag === "Field") sbd = Buffer.from(part.value).toString("utf8");
        else {
          part.on("error", noop);
          sbd = await readSmall(part, limits.sbdBytes);
        }
        continue;
      }
      if (part._tag === "Field") throw new MalformedMultipartError(`part "${name}" is not a file (it has no filename) and is not "sbd"`);
      part.on("error", noop);
      upload.file = part;
      const filename = part.info.filename!;
      const blob = await blobs.write(part, limits.fileBytes).catch((err: unknown) => {
        if (err instanceof BlobTooLargeError) throw new MultipartFileTooLargeError(filename, limits.fileBytes);
        throw err;
      });
      upload.file = undefined;
      files.push({ filename, title: name || undefined, contentType: part.info.contentType || undefined, blob });
    }
    if (sbd === undefined) throw new MalformedMultipartError('the part "sbd" is missing');
    // As the integrasjonspunkt names them: every occurrence of a name that occurs more than once.
    const names = files.map((f) => f.filename);
    const duplicates = names.filter((n) => names.indexOf(n) !== names.lastIndexOf(n));
    if (duplicates.length) throw new DuplicateFilenameError(duplicates.join(", "));
    return { sbd, files };
  } catch (err) {
    const problem = translate(err, limits);
    upload.stop(problem instanceof Error ? problem : new Error(String(problem)));
    req.resume();
    await Promise.all(files.map((f) => blobs.delete(f.blob.key)));
    throw problem;
  }
}

async function readSmall(stream: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > max) throw new PartTooLargeError("sbd", max);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function translate(err: unknown, limits: MultipartMessageLimits): unknown {
  if (err instanceof ProblemError || err instanceof DomainError) return err;
  const tag = (err as { _tag?: string })?._tag;
  if (tag === "ReachedLimit") {
    const limit = (err as { limit: string }).limit;
    if (limit === "MaxFieldSize") return new PartTooLargeError("sbd", limits.sbdBytes);
    if (limit === "MaxParts") return new MalformedMultipartError(`more than ${limits.maxParts} parts`);
  }
  if (tag) return new MalformedMultipartError(`multipart parse error: ${tag}`);
  return err;
}
