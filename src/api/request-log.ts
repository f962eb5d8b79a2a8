import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import { withRequestId, type Logger } from "../log.js";
import { requestLineLevel } from "./request-line-level.js";

/** An incoming X-Request-Id we adopt: a short token that is safe in a header, a log line and a URL. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Gives each request an id — the caller's X-Request-Id when it is a short safe token, else a new UUID —
 * echoes it in the X-Request-Id response header, where the problem documents (problem-middleware.ts) and the
 * loggers handlers log with (requestLogger) take it from.
 * Then one line per request with its outcome and duration, at the level request-line-level.ts gives it (polls
 * and requests another line already records at debug when they succeed). `as4Path` is the AS4 endpoint's path.
 */
export function requestLog(log: Logger, o: { as4Path?: string; newId?: () => string } = {}): RequestHandler {
  const newId = o.newId ?? randomUUID;
  const as4Path = o.as4Path ?? "/as4";
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    // Taken now: a router mounted under a prefix (NextMove's /api) strips it from req.path until it is done.
    const path = req.path;
    const offered = req.get("x-request-id");
    const requestId = offered !== undefined && SAFE_REQUEST_ID.test(offered) ? offered : newId();
    res.set("X-Request-Id", requestId);
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = { requestId, method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 };
      if (requestLineLevel(line, as4Path) === "debug") log.debug(line, "http");
      else log.info(line, "http");
    });
    next();
  };
}

/** `log` with the request id of the request this response answers: what a handler and the code it calls log with. */
export function requestLogger(log: Logger, res: { get(name: string): string | number | string[] | undefined }): Logger {
  return withRequestId(log, requestIdOf(res));
}

/** The request id requestLog gave this response. */
export function requestIdOf(res: { get(name: string): string | number | string[] | undefined }): string | undefined {
  const id = res.get("X-Request-Id");
  return typeof id === "string" ? id : undefined;
}
