import type { IncomingMessage, ServerResponse } from "node:http";
import type { ParsedUrlQuery } from "node:querystring";
import { Router, type Response } from "express";
import { ProblemError } from "../problem.js";
import type { BlobStore } from "../store/blob-store.js";
import { acceptOutgoing, type IntakeDeps } from "../dpi/intake.js";
import { sendJson } from "./answer.js";
import { callerOf, type Caller } from "./auth.js";
import { KANAL_PATTERN } from "./kanal.js";
import { requestLogger } from "./request-log.js";
import { readSubmission, type SubmissionLimits } from "./multipart-submission.js";

export class KanalInvalidError extends ProblemError {
  constructor(kanal: unknown) {
    super(400, "kanal-invalid", "Invalid kanal", `kanal ${JSON.stringify(kanal)} must be 1-64 characters of a-z A-Z 0-9 _ -`);
  }
}

/** Seconds a client refused for too many uploads is asked to wait: long enough for a typical upload to finish. */
export const UPLOAD_RETRY_AFTER_SECONDS = 5;

export class TooManyUploadsError extends ProblemError {
  constructor(max: number) {
    super(503, "too-many-uploads", "Too many uploads", `the limit of ${max} concurrent uploads is reached; try again in ${UPLOAD_RETRY_AFTER_SECONDS} seconds`, {
      headers: { "Retry-After": String(UPLOAD_RETRY_AFTER_SECONDS) },
    });
  }
}

export interface MessagesOutLimits extends SubmissionLimits {
  /** Uploads read at the same time; more are answered 503 at once. Unset: no cap. */
  concurrentUploads?: number | undefined;
}

/** What POST /messages/out is given besides node's request and response: the parsed query and the verified caller. */
export type MessagesOutHandler = (req: IncomingMessage, res: ServerResponse, query: ParsedUrlQuery | Record<string, unknown>, caller: Caller) => Promise<void>;

export interface MessagesOutDeps {
  intake: IntakeDeps;
  blobs: BlobStore;
  limits: MessagesOutLimits;
  /** The absolute URL of `path` on this access point, as the client of `req` reaches it. */
  publicUrl: (path: string, req: IncomingMessage) => string;
}

/** POST /messages/out: a business system (or, at corner 3, a postbox provider with a receipt) submits a message. */
export function messagesOutRouter(deps: MessagesOutDeps, handle: MessagesOutHandler = messagesOutHandler(deps)): Router {
  const r = Router();
  r.post("/messages/out", (req, res) => handle(req, res, req.query, callerOf(res)));
  return r;
}

/**
 * The submission itself, over node's own request and response. One handler serves both express's route and
 * the front dispatcher (front-dispatch.ts), so the cap on concurrent uploads counts the uploads of both.
 */
export function messagesOutHandler(deps: MessagesOutDeps): MessagesOutHandler {
  const maxUploads = deps.limits.concurrentUploads ?? Number.POSITIVE_INFINITY;
  let uploads = 0;
  return async (req, res, query, caller) => {
    // Each upload holds a temporary file, a descriptor and some memory until it is checked: refuse before
    // reading any of the body, so a burst cannot exhaust them. The slot is held until the submission is stored
    // or refused, and its files are gone.
    if (uploads >= maxUploads) throw new TooManyUploadsError(maxUploads);
    uploads++;
    try {
      const kanal = query.kanal;
      if (kanal !== undefined && (typeof kanal !== "string" || !KANAL_PATTERN.test(kanal))) throw new KanalInvalidError(kanal);
      const submission = await readSubmission(req, deps.blobs, deps.limits);
      const accepted = await acceptOutgoing({ ...submission, kanal: kanal as string | undefined, caller }, { ...deps.intake, log: requestLogger(deps.intake.log, res) });
      setLocation(res, deps.publicUrl(`/messages/out/${accepted.id}/statuses`, req));
      sendJson(req, res, 201, accepted);
    } finally {
      uploads--;
    }
  };
}

/**
 * Characters express's res.location leaves as they are (it percent-encodes every other one, and a `%` not
 * followed by two hex digits): the URL delimiters and unreserved characters of RFC 3986, `%`, `|`.
 */
const LOCATION_AS_IS = /^(?:[\x21\x23-\x24\x26-\x3B\x3D\x3F-\x5F\x61-\x7A\x7C\x7E]|%[0-9A-Fa-f]{2})*$/;

/** Whether `url` is a Location value express's res.location would send unchanged. */
export function locationIsPlain(url: string): boolean {
  return LOCATION_AS_IS.test(url);
}

/**
 * Sets the Location header as express's res.location does. The front dispatcher serves a submission only when
 * its Location needs no encoding (locationIsPlain), so a URL to encode is always answered through express.
 */
function setLocation(res: ServerResponse, url: string): void {
  if (locationIsPlain(url)) res.setHeader("Location", url);
  else (res as Response).location(url);
}
