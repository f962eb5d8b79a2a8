import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import { runWithRequestId, type Logger } from "../log.js";

/** An incoming X-Request-Id we adopt: a short token that is safe in a header, a log line and a URL. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Gives each request an id — the caller's X-Request-Id when it is a short safe token, else a new UUID —
 * echoes it in the X-Request-Id response header, and runs the rest of the request inside it, so every line
 * logged while serving it carries `requestId` (see src/log.ts) and every problem document names it.
 * Then one line per request with its outcome and duration. An empty poll of the inbox (GET /messages/in
 * answered 204, several a second from polling providers) is logged at debug, every other request at info.
 */
export function requestLog(log: Logger, newId: () => string = randomUUID): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const offered = req.get("x-request-id");
    const requestId = offered !== undefined && SAFE_REQUEST_ID.test(offered) ? offered : newId();
    res.set("X-Request-Id", requestId);
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = { requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 };
      if (res.statusCode === 204 && req.method === "GET" && req.path === "/messages/in") log.debug(line, "http");
      else log.info(line, "http");
    });
    runWithRequestId(requestId, next);
  };
}

/** The request id requestLog gave this response. */
export function requestIdOf(res: { get(name: string): string | number | string[] | undefined }): string | undefined {
  const id = res.get("X-Request-Id");
  return typeof id === "string" ? id : undefined;
}
