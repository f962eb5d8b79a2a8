import type { IncomingMessage, ServerResponse } from "node:http";
import type { ErrorRequestHandler, RequestHandler } from "express";
import { DomainError } from "../errors.js";
import { ProblemError } from "../problem.js";
import type { Logger } from "../log.js";
import { problemOf } from "./problem-map.js";
import { requestIdOf, requestLogger, type ResponseHeaders } from "./request-log.js";

/**
 * Every error leaves as application/problem+json carrying the request id: a ProblemError born at the HTTP
 * edge as it is, a domain error as the REST table (problem-map.ts) says; unexpected ones are logged and
 * reported without internals. A request refused before its body was read (a 401 ahead of a large upload)
 * is answered with `Connection: close`, so the server closes the connection once the answer is flushed
 * instead of reading and discarding the rest of the body.
 */
export function problemHandler(log: Logger, onProblem?: (code: string) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const problem = noteProblem(log, onProblem, err, req.method, req.path, res);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (!req.complete) res.set("Connection", "close");
    res.set("X-Content-Type-Options", "nosniff");
    res.set(problem.headers).status(problem.status).type("application/problem+json").send(JSON.stringify(problem.toProblem(req.originalUrl, requestIdOf(res))));
  };
}

/**
 * What problemHandler answers to `err`, over node's own request and response, for the front dispatcher
 * (front-dispatch.ts): `path` is the request's path without the query (express's req.path), `url` the whole
 * request target (req.originalUrl). The headers, status and body are those express's res.set(headers)
 * .status(status).type("application/problem+json").send(string) gives (test/api/front-dispatch.test.ts
 * compares the two).
 */
export function answerProblem(log: Logger, onProblem: ((code: string) => void) | undefined, err: unknown, req: IncomingMessage, res: ServerResponse, path: string, url: string): void {
  const problem = noteProblem(log, onProblem, err, req.method, path, res);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (!req.complete) res.setHeader("Connection", "close");
  res.setHeader("X-Content-Type-Options", "nosniff");
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, String(value));
  res.statusCode = problem.status;
  const body = JSON.stringify(problem.toProblem(url, requestIdOf(res)));
  res.setHeader("Content-Type", "application/problem+json; charset=utf-8");
  res.setHeader("Content-Length", String(Buffer.byteLength(body)));
  // As res.send: a HEAD request is answered with the headers alone.
  if (req.method === "HEAD") res.end();
  else res.end(body);
}

/** The problem `err` is answered with, counted and logged: at error with the error for a 5xx, else at info. */
function noteProblem(log: Logger, onProblem: ((code: string) => void) | undefined, err: unknown, method: string | undefined, path: string, res: ResponseHeaders): ProblemError {
  const problem =
    (err instanceof ProblemError ? err : undefined) ??
    (err instanceof DomainError ? problemOf(err) : undefined) ??
    pathDecodeProblem(err) ??
    new ProblemError(500, "internal-error", "Internal server error", "The request could not be processed; see the server log.");
  onProblem?.(problem.code);
  const rlog = requestLogger(log, res);
  if (problem.status >= 500) rlog.error({ err, method, path }, "request failed");
  else rlog.info({ code: problem.code, status: problem.status, method, path, detail: problem.message }, "request rejected");
  return problem;
}

/*
 * Express decodes route parameters with decodeURIComponent and passes the URIError on (marked status 400) when
 * a path holds invalid percent-encoding, e.g. /messages/in/%zz: the client's mistake, not ours.
 */
function pathDecodeProblem(err: unknown): ProblemError | undefined {
  if (!(err instanceof URIError) || (err as { status?: number }).status !== 400) return undefined;
  return new ProblemError(400, "path-invalid", "Invalid path", `the path is not valid percent-encoding: ${err.message}`);
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new ProblemError(404, "not-found", "Not found", `no route for ${req.method} ${req.path}`));
};
