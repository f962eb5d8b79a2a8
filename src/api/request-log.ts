import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
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
    // Taken now: a router mounted under a prefix (NextMove's /api) strips it from req.path until it is done.
    startRequestLine(log, as4Path, newId, req, res, req.path);
    next();
  };
}

/**
 * What requestLog does for one request whose path (without the query) is `path`: the request id in the
 * X-Request-Id header, and the "http" line when the answer is finished. Also called by the front dispatcher
 * (front-dispatch.ts) for the requests it serves without express. Returns the request id.
 */
export function startRequestLine(log: Logger, as4Path: string, newId: () => string, req: IncomingMessage, res: ServerResponse, path: string): string {
  const started = process.hrtime.bigint();
  const offered = req.headers["x-request-id"];
  const requestId = typeof offered === "string" && SAFE_REQUEST_ID.test(offered) ? offered : newId();
  res.setHeader("X-Request-Id", requestId);
  res.on("finish", () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const line = { requestId, method: req.method ?? "", path, status: res.statusCode, ms: Math.round(ms * 10) / 10 };
    if (requestLineLevel(line, as4Path) === "debug") log.debug(line, "http");
    else log.info(line, "http");
  });
  return requestId;
}

/** What the request id is read from: node's response (getHeader), or an express-like one (get). */
export type ResponseHeaders = { getHeader(name: string): string | number | string[] | undefined } | { get(name: string): string | number | string[] | undefined };

/** `log` with the request id of the request this response answers: what a handler and the code it calls log with. */
export function requestLogger(log: Logger, res: ResponseHeaders): Logger {
  return withRequestId(log, requestIdOf(res));
}

/** The request id requestLog gave this response. */
export function requestIdOf(res: ResponseHeaders): string | undefined {
  const id = "getHeader" in res ? res.getHeader("X-Request-Id") : res.get("X-Request-Id");
  return typeof id === "string" ? id : undefined;
}
