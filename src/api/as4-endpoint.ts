import { Router } from "express";
import { receiveAs4, type As4ReceiverDeps } from "../channels/dpi/as4-receiver.js";

/**
 * The AS4 endpoint other access points POST to (the URL we publish in the SMP). The request body is handed
 * to the AS4 receiver as a stream; the answer is always a SOAP signal (receipt or error).
 */
export function as4Router(path: string, deps: As4ReceiverDeps): Router {
  const r = Router();
  r.post(path, async (req, res) => {
    // The remote address is all we know of the sender until its message is parsed; refusals before that log it.
    const answer = await receiveAs4(req.get("content-type"), req, deps, { remoteAddress: req.ip ?? req.socket.remoteAddress });
    res.status(answer.status).type(answer.contentType).send(answer.body);
  });
  return r;
}
