import { Router, type Request } from "express";
import { ProblemError } from "../problem.js";
import type { BlobStore } from "../store/blob-store.js";
import { acceptOutgoing, type IntakeDeps } from "../dpi/intake.js";
import { sendJson } from "./answer.js";
import { callerOf } from "./auth.js";
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

/** POST /messages/out: a business system (or, at corner 3, a postbox provider with a receipt) submits a message. */
export function messagesOutRouter(deps: { intake: IntakeDeps; blobs: BlobStore; limits: MessagesOutLimits; publicUrl: (path: string, req: Request) => string }): Router {
  const r = Router();
  const maxUploads = deps.limits.concurrentUploads ?? Number.POSITIVE_INFINITY;
  let uploads = 0;
  r.post("/messages/out", async (req, res) => {
    // Each upload holds a temporary file, a descriptor and some memory until it is checked: refuse before
    // reading any of the body, so a burst cannot exhaust them. The slot is held until the submission is stored
    // or refused, and its files are gone.
    if (uploads >= maxUploads) throw new TooManyUploadsError(maxUploads);
    uploads++;
    try {
      const kanal = req.query.kanal;
      if (kanal !== undefined && (typeof kanal !== "string" || !KANAL_PATTERN.test(kanal))) throw new KanalInvalidError(kanal);
      const caller = callerOf(res);
      const submission = await readSubmission(req, deps.blobs, deps.limits);
      const accepted = await acceptOutgoing({ ...submission, kanal: kanal as string | undefined, caller }, { ...deps.intake, log: requestLogger(deps.intake.log, res) });
      res.location(deps.publicUrl(`/messages/out/${accepted.id}/statuses`, req));
      sendJson(req, res, 201, accepted);
    } finally {
      uploads--;
    }
  });
  return r;
}
