import type { Request } from "express";
import * as Multipasta from "multipasta/node";
import { ProblemError } from "../problem.js";
import { BlobTooLargeError, type BlobStore, type StoredBlob } from "../store/blob-store.js";

/**
 * Reads POST /messages/out's multipart/form-data body as it streams in: the forretningsmelding (a compact JWS,
 * small) is kept in memory, the dokumentpakke goes straight to the blob store with its size capped and its
 * SHA-256 computed on the way. Nothing beyond those limits is ever buffered.
 */

export interface Submission {
  forretningsmelding: string;
  dokumentpakke?: StoredBlob | undefined;
}

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
  constructor(detail: string) {
    super(400, "multipart-malformed", "Malformed multipart body", detail);
  }
}

export class PartTooLargeError extends ProblemError {
  constructor(part: string, limit: number) {
    super(413, "payload-too-large", "Payload too large", `${part} exceeds the limit of ${limit} bytes`);
  }
}

const MAX_PARTS = 4;

export async function readSubmission(req: Request, blobs: BlobStore, limits: SubmissionLimits): Promise<Submission> {
  const type = req.get("content-type");
  if (!type || !/^multipart\/form-data\s*;/i.test(type)) throw new UnsupportedMediaTypeError(type);
  const mp = Multipasta.make({
    headers: req.headers,
    maxParts: MAX_PARTS,
    maxFieldSize: limits.forretningsmeldingBytes,
    // The blob store enforces the dokumentpakke limit with a precise error; this is the parser's backstop.
    maxPartSize: limits.dokumentpakkeBytes + 1,
    maxTotalSize: limits.dokumentpakkeBytes + limits.forretningsmeldingBytes + 64 * 1024,
    isFile: (info) => info.name === "dokumentpakke",
  });
  let forretningsmelding: string | undefined;
  let dokumentpakke: StoredBlob | undefined;
  const seen = new Set<string>();
  req.pipe(mp);
  req.on("error", (err) => mp.destroy(err));
  try {
    for await (const part of mp) {
      const name = part.info.name;
      if (seen.has(name)) throw new MalformedMultipartError(`part "${name}" appears twice`);
      seen.add(name);
      if (part._tag === "Field") {
        if (name !== "forretningsmelding") throw new MalformedMultipartError(`unexpected part "${name}"; expected forretningsmelding and dokumentpakke`);
        forretningsmelding = Buffer.from(part.value).toString("utf8").trim();
      } else {
        dokumentpakke = await blobs.write(part, limits.dokumentpakkeBytes).catch((err: unknown) => {
          if (err instanceof BlobTooLargeError) throw new PartTooLargeError("dokumentpakke", limits.dokumentpakkeBytes);
          throw err;
        });
      }
    }
  } catch (err) {
    req.unpipe(mp);
    req.resume();
    if (dokumentpakke) await blobs.delete(dokumentpakke.key);
    throw translate(err, limits);
  }
  if (forretningsmelding === undefined) {
    if (dokumentpakke) await blobs.delete(dokumentpakke.key);
    throw new MalformedMultipartError('the part "forretningsmelding" is missing');
  }
  return { forretningsmelding, dokumentpakke };
}

function translate(err: unknown, limits: SubmissionLimits): unknown {
  if (err instanceof ProblemError) return err;
  const tag = (err as { _tag?: string })?._tag;
  if (tag === "ReachedLimit") {
    const limit = (err as { limit: string }).limit;
    if (limit === "MaxFieldSize") return new PartTooLargeError("forretningsmelding", limits.forretningsmeldingBytes);
    if (limit === "MaxParts") return new MalformedMultipartError(`more than ${MAX_PARTS} parts`);
    return new PartTooLargeError("request body", limits.dokumentpakkeBytes + limits.forretningsmeldingBytes);
  }
  if (tag) return new MalformedMultipartError(`multipart parse error: ${tag}`);
  return err;
}
