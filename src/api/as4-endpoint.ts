import type { IncomingMessage, ServerResponse } from "node:http";
import { Router } from "express";
import { sendBytes } from "./answer.js";
import { receiveAs4, type As4ReceiverDeps } from "../channels/dpi/as4-receiver.js";
import { requestLogger } from "./request-log.js";

/**
 * The AS4 endpoint other access points POST to (the URL we publish in the SMP). The request body is handed
 * to the AS4 receiver as a stream; the answer is a SOAP signal (receipt or error), or 503 while the inbound
 * source it belongs to (channels/dpi/as4-source.ts) is stopped.
 */
export function as4Router(path: string, deps: As4ReceiverDeps, accepting: () => boolean = () => true): Router {
  return as4Route(path, as4Handler(deps, accepting));
}

/** A router with `handle` (as4Handler's) as the POST of `path`. */
export function as4Route(path: string, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Router {
  const r = Router();
  r.post(path, (req, res) => handle(req, res));
  return r;
}

/** The AS4 endpoint's POST over node's own request and response: what as4Router routes to, and the front dispatcher too. */
export function as4Handler(deps: As4ReceiverDeps, accepting: () => boolean = () => true): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    // A stopped inbound source takes nothing in (the access point is shutting down): the sender retries.
    if (!accepting()) {
      res.statusCode = 503;
      res.setHeader("Retry-After", "5");
      res.end();
      return;
    }
    // The remote address is all we know of the sender until its message is parsed; refusals before that log it.
    // (express's req.ip, with trust proxy off, is the socket's remote address.)
    const answer = await receiveAs4(req.headers["content-type"], req, deps, { remoteAddress: req.socket.remoteAddress, log: requestLogger(deps.log, res) });
    sendBytes(res, answer.status, answer.contentType, answer.body);
  };
}
