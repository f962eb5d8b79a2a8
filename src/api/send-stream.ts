import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";

/** The client went away before the whole body was sent. */
export class ResponseClosedError extends Error {
  readonly code = "ERR_STREAM_PREMATURE_CLOSE";
  constructor() {
    super("the response was closed before the body was sent");
    this.name = "ResponseClosedError";
  }
}

/**
 * Sends `source` as the body of `res` and settles when the answer is finished, as stream.pipeline(source, res)
 * does in that case: a source that fails destroys both (the client sees the connection end short of the
 * Content-Length) and rejects with its error; a client that goes away destroys the source, which closes its
 * file, and rejects. Without pipeline's AbortController, which it creates and aborts (building an AbortError
 * with its stack) for every stream it joins.
 */
export function sendStream(source: Readable, res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err === undefined) return resolve();
      source.destroy();
      res.destroy();
      reject(err);
    };
    source.on("error", (err) => settle(err));
    res.once("finish", () => settle());
    res.once("close", () => settle(res.writableFinished ? undefined : new ResponseClosedError()));
    source.pipe(res);
  });
}
