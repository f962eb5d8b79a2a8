import type { RequestHandler, Response } from "express";
import { bearerFromAuthorizationHeader } from "../maskinporten/bearer.js";
import { TokenError } from "../maskinporten/errors.js";

/** What the API needs to know about a verified Maskinporten token. */
export interface Caller {
  /** The bearer token exactly as presented. */
  token: string;
  /** "0192:<orgno>" of the organisation the token was issued for. */
  consumer: string;
  /** "0192:<orgno>" of the organisation acting for the consumer, when the token is delegated. */
  supplier?: string | undefined;
}

export interface CallerVerifier {
  verify(bearer: string): Promise<Caller>;
}

/**
 * Verifies the bearer token and leaves the caller in res.locals.caller; failures carry an RFC 6750 challenge.
 * It runs before any body is read: the problem handler answers a refusal with `Connection: close`, so a
 * refused upload is not read to its end.
 */
export function requireCaller(verifier: CallerVerifier, scope?: string): RequestHandler {
  return async (req, res, next) => {
    try {
      res.locals.caller = await verifier.verify(bearerFromAuthorizationHeader(req.headers.authorization));
      next();
    } catch (err) {
      if (err instanceof TokenError && err.status < 500) res.set("WWW-Authenticate", err.challenge("dpi-ap", scope));
      next(err);
    }
  };
}

export function callerOf(res: Response): Caller {
  const c = res.locals.caller as Caller | undefined;
  if (!c) throw new Error("requireCaller must run before this handler");
  return c;
}
