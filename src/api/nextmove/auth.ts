import { timingSafeEqual, createHash } from "node:crypto";
import type { RequestHandler } from "express";
import type { NextMoveUser } from "../../config.js";
import { TokenError, TokenMissingError } from "../../maskinporten/errors.js";
import { bearerChallenge } from "../auth.js";
import type { NextMoveCaller } from "./caller.js";
import { BasicCredentialsInvalidError } from "./errors.js";

export const NEXTMOVE_REALM = "nextmove";

export interface NextMoveAuthOptions {
  /** Configured HTTP Basic users (the integrasjonspunkt's spring.security.user, one per archive system). */
  users: readonly NextMoveUser[];
  /** Verifies a Maskinporten bearer token with the NextMove scope; absent: only Basic is accepted. */
  verifyToken?: ((bearer: string) => Promise<{ consumer: string }>) | undefined;
  /** Scope named in the challenge of a token that lacks it. */
  scope?: string | undefined;
}

/**
 * HTTP Basic against the configured users, or a Maskinporten token whose consumer then acts for itself. The
 * caller and its organisations go to res.locals.nextMoveCaller. Password comparison takes the same time
 * whatever the guess (both sides hashed first, so the lengths match too).
 */
export function requireNextMoveCaller(o: NextMoveAuthOptions): RequestHandler {
  const users = o.users.map((u) => ({ ...u, digest: sha256(u.password) }));
  const challenges = [`Basic realm="${NEXTMOVE_REALM}", charset="UTF-8"`, ...(o.verifyToken ? [`Bearer realm="${NEXTMOVE_REALM}"`] : [])];
  return async (req, res, next) => {
    const header = req.headers.authorization ?? "";
    const [scheme = "", credentials = ""] = header.split(/\s+/, 2);
    try {
      if (/^basic$/i.test(scheme)) {
        res.locals.nextMoveCaller = basicCaller(users, credentials);
      } else if (/^bearer$/i.test(scheme) && o.verifyToken) {
        const { consumer } = await o.verifyToken(credentials);
        res.locals.nextMoveCaller = { name: consumer, orgs: [consumer.replace(/^0192:/, "")] } satisfies NextMoveCaller;
      } else {
        throw header ? new BasicCredentialsInvalidError(`Authorization scheme ${JSON.stringify(scheme)} is not accepted here`) : new TokenMissingError("The request has no Authorization header");
      }
      next();
    } catch (err) {
      if (err instanceof TokenError && /^bearer$/i.test(scheme)) {
        const c = bearerChallenge(err, NEXTMOVE_REALM, o.scope);
        if (c) res.set("WWW-Authenticate", c);
      } else if (err instanceof BasicCredentialsInvalidError || err instanceof TokenMissingError) {
        res.set("WWW-Authenticate", challenges.join(", "));
      }
      next(err);
    }
  };
}

function basicCaller(users: readonly (NextMoveUser & { digest: Buffer })[], credentials: string): NextMoveCaller {
  const decoded = Buffer.from(credentials, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) throw new BasicCredentialsInvalidError("Basic credentials are not user:password");
  const name = decoded.slice(0, colon);
  const digest = sha256(decoded.slice(colon + 1));
  // Compare against every user so the time does not tell which names exist.
  let found: (NextMoveUser & { digest: Buffer }) | undefined;
  for (const u of users) if (timingSafeEqual(u.digest, digest) && u.name === name) found = u;
  if (!found) throw new BasicCredentialsInvalidError("Unknown user or wrong password");
  return { name: found.name, orgs: found.orgs };
}

function sha256(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}
