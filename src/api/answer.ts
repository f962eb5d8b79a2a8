import type { IncomingMessage, ServerResponse } from "node:http";
import type { Response } from "express";

/**
 * Ends the answer with `value` as JSON and the headers res.json would give it (`Content-Type: application/json;
 * charset=utf-8`, `Content-Length`), without res.json's work on every call: settings look-ups, parsing the
 * Content-Type back to add its charset, and copying a body of 1000 characters or more into a Buffer only to
 * measure it. A conditional GET (If-None-Match, If-Modified-Since), or an answer whose Content-Type was set
 * already, still goes through res.json, so what express does there (a 304, keeping that type) is kept. Such a
 * request never reaches here without express: the front dispatcher (front-dispatch.ts) hands conditional
 * requests to express, and none of its handlers sets a Content-Type before answering JSON.
 */
export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, value: object): void {
  if (isConditional(req) || res.hasHeader("content-type")) {
    (res as Response).status(status).json(value);
    return;
  }
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", String(Buffer.byteLength(body)));
  res.end(body);
}

/** Whether `req` asks for a conditional answer (If-None-Match, If-Modified-Since), which express's res.json handles. */
export function isConditional(req: IncomingMessage): boolean {
  const h = req.headers;
  return h["if-none-match"] !== undefined || h["if-modified-since"] !== undefined;
}

/**
 * Ends the answer with a body whose media type is known exactly (`contentType` carries its charset, if any), with
 * the headers res.type(contentType).send(body) gives a Buffer: the type as it is and Content-Length. For the
 * answers to POSTs, which are never conditional.
 */
export function sendBytes(res: ServerResponse, status: number, contentType: string, body: Buffer): void {
  res.statusCode = status;
  res.setHeader("Content-Type", contentType);
  res.setHeader("Content-Length", String(body.length));
  res.end(body);
}

/** Answers to authenticated calls hold letters, receipts and statuses: no cache keeps them, no browser sniffs them. */
export function markPrivate(res: ServerResponse): void {
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("X-Content-Type-Options", "nosniff");
}
