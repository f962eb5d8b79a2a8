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
  const r = Router();
  r.post(path, async (req, res) => {
    // A stopped inbound source takes nothing in (the access point is shutting down): the sender retries.
    if (!accepting()) {
      res.status(503).set("Retry-After", "5").end();
      return;
    }
    // The remote address is all we know of the sender until its message is parsed; refusals before that log it.
    const answer = await receiveAs4(req.get("content-type"), req, deps, { remoteAddress: req.ip ?? req.socket.remoteAddress, log: requestLogger(deps.log, res) });
    sendBytes(res, answer.status, answer.contentType, answer.body);
  });
  return r;
}
