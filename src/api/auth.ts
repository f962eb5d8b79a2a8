import type { RequestHandler, Response } from "express";
import { ProblemError } from "../problem.js";

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

export class MissingTokenError extends ProblemError {
  constructor(detail: string) {
    super(401, "token-missing", "Bearer token required", detail);
  }
}

export function bearerToken(header: string | undefined): string {
  if (!header) throw new MissingTokenError("no Authorization header");
  const m = /^Bearer[ ]+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(header);
  if (!m) throw new MissingTokenError("Authorization header is not a Bearer token");
  return m[1]!;
}

/** Verifies the bearer token and leaves the caller in res.locals.caller. */
export function requireCaller(verifier: CallerVerifier): RequestHandler {
  return async (req, res, next) => {
    try {
      res.locals.caller = await verifier.verify(bearerToken(req.get("authorization")));
      next();
    } catch (err) {
      if (err instanceof ProblemError && err.status === 401) {
        res.set("WWW-Authenticate", `Bearer error="invalid_token", error_description="${err.code}"`);
      }
      next(err);
    }
  };
}

export function callerOf(res: Response): Caller {
  const c = res.locals.caller as Caller | undefined;
  if (!c) throw new Error("requireCaller must run before this handler");
  return c;
}

/** The organisations whose messages the caller may read: the token's consumer (the org it speaks for). */
export function readerOrgs(c: Caller): string[] {
  return [c.consumer];
}
