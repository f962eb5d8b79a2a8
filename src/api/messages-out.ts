import { Router, type Request } from "express";
import { ProblemError } from "../problem.js";
import type { BlobStore } from "../store/blob-store.js";
import { acceptOutgoing, type IntakeDeps } from "../dpi/intake.js";
import { callerOf } from "./auth.js";
import { KANAL_PATTERN } from "./kanal.js";
import { readSubmission, type SubmissionLimits } from "./multipart-submission.js";

export class KanalInvalidError extends ProblemError {
  constructor(kanal: unknown) {
    super(400, "kanal-invalid", "Invalid kanal", `kanal ${JSON.stringify(kanal)} must be 1-64 characters of a-z A-Z 0-9 _ -`);
  }
}

/** POST /messages/out: a business system (or, at corner 3, a postbox provider with a receipt) submits a message. */
export function messagesOutRouter(deps: { intake: IntakeDeps; blobs: BlobStore; limits: SubmissionLimits; publicUrl: (path: string, req: Request) => string }): Router {
  const r = Router();
  r.post("/messages/out", async (req, res) => {
    const kanal = req.query.kanal;
    if (kanal !== undefined && (typeof kanal !== "string" || !KANAL_PATTERN.test(kanal))) throw new KanalInvalidError(kanal);
    const caller = callerOf(res);
    const submission = await readSubmission(req, deps.blobs, deps.limits);
    const accepted = await acceptOutgoing({ ...submission, kanal: kanal as string | undefined, caller }, deps.intake);
    res
      .status(201)
      .location(deps.publicUrl(`/messages/out/${accepted.id}/statuses`, req))
      .json(accepted);
  });
  return r;
}
