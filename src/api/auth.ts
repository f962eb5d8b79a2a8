import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler, Response } from "express";
import { bearerFromAuthorizationHeader } from "../maskinporten/bearer.js";
import { TokenError } from "../maskinporten/errors.js";
import { problemRowOf } from "./problem-map.js";

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
      res.locals.caller = await verifyCaller(verifier, scope, req, res);
      next();
    } catch (err) {
      next(err);
    }
  };
}

/**
 * The caller of the bearer token `req` carries; a refusal sets the RFC 6750 challenge on `res` before it is
 * thrown. What requireCaller does, for the front dispatcher (front-dispatch.ts) as well.
 */
export async function verifyCaller(verifier: CallerVerifier, scope: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<Caller> {
  try {
    return await verifier.verify(bearerFromAuthorizationHeader(req.headers.authorization));
  } catch (err) {
    const challenge = err instanceof TokenError ? bearerChallenge(err, "dpi-ap", scope) : undefined;
    if (challenge) res.setHeader("WWW-Authenticate", challenge);
    throw err;
  }
}

/**
 * The `WWW-Authenticate` value that accompanies a refused token (RFC 6750 section 3), or undefined when the
 * refusal is not the token's fault (Maskinporten's keys unavailable). The description is the problem title,
 * never the detail, so no token content is echoed back.
 */
export function bearerChallenge(err: TokenError, realm: string, scope?: string): string | undefined {
  if (err.kind !== "unauthenticated" && err.kind !== "forbidden") return undefined;
  // RFC 6750 §3.1: a request without any token gets the challenge without an error code.
  const bearerError = err.code === "token-missing" ? undefined : err.kind === "forbidden" ? "insufficient_scope" : "invalid_token";
  const params = [`realm="${realm}"`];
  if (bearerError) params.push(`error="${bearerError}"`, `error_description="${problemRowOf(err)?.title ?? err.code}"`);
  if (scope && bearerError === "insufficient_scope") params.push(`scope="${scope}"`);
  return `Bearer ${params.join(", ")}`;
}

export function callerOf(res: Response): Caller {
  const c = res.locals.caller as Caller | undefined;
  if (!c) throw new Error("requireCaller must run before this handler");
  return c;
}
