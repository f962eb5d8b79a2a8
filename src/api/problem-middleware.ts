import type { ErrorRequestHandler, RequestHandler } from "express";
import { DomainError } from "../errors.js";
import { ProblemError } from "../problem.js";
import type { Logger } from "../log.js";
import { problemOf } from "./problem-map.js";
import { requestIdOf, requestLogger } from "./request-log.js";

/**
 * Every error leaves as application/problem+json carrying the request id: a ProblemError born at the HTTP
 * edge as it is, a domain error as the REST table (problem-map.ts) says; unexpected ones are logged and
 * reported without internals. A request refused before its body was read (a 401 ahead of a large upload)
 * is answered with `Connection: close`, so the server closes the connection once the answer is flushed
 * instead of reading and discarding the rest of the body.
 */
export function problemHandler(log: Logger, onProblem?: (code: string) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const problem =
      (err instanceof ProblemError ? err : undefined) ??
      (err instanceof DomainError ? problemOf(err) : undefined) ??
      pathDecodeProblem(err) ??
      new ProblemError(500, "internal-error", "Internal server error", "The request could not be processed; see the server log.");
    onProblem?.(problem.code);
    const rlog = requestLogger(log, res);
    if (problem.status >= 500) rlog.error({ err, method: req.method, path: req.path }, "request failed");
    else rlog.info({ code: problem.code, status: problem.status, method: req.method, path: req.path, detail: problem.message }, "request rejected");
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (!req.complete) res.set("Connection", "close");
    res.set("X-Content-Type-Options", "nosniff");
    res.set(problem.headers).status(problem.status).type("application/problem+json").send(JSON.stringify(problem.toProblem(req.originalUrl, requestIdOf(res))));
  };
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
