import type { Request, Response } from "express";

/**
 * Ends the answer with `value` as JSON and the headers res.json would give it (`Content-Type: application/json;
 * charset=utf-8`, `Content-Length`), without res.json's work on every call: settings look-ups, parsing the
 * Content-Type back to add its charset, and copying a body of 1000 characters or more into a Buffer only to
 * measure it. A conditional GET (If-None-Match, If-Modified-Since), or an answer whose Content-Type was set
 * already, still goes through res.json, so what express does there (a 304, keeping that type) is kept.
 */
export function sendJson(req: Request, res: Response, status: number, value: object): void {
  const h = req.headers;
  if (h["if-none-match"] !== undefined || h["if-modified-since"] !== undefined || res.hasHeader("content-type")) {
    res.status(status).json(value);
    return;
  }
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", String(Buffer.byteLength(body)));
  res.end(body);
}

/**
 * Ends the answer with a body whose media type is known exactly (`contentType` carries its charset, if any), with
 * the headers res.type(contentType).send(body) gives a Buffer: the type as it is and Content-Length. For the
 * answers to POSTs, which are never conditional.
 */
export function sendBytes(res: Response, status: number, contentType: string, body: Buffer): void {
  res.statusCode = status;
  res.setHeader("Content-Type", contentType);
  res.setHeader("Content-Length", String(body.length));
  res.end(body);
}
