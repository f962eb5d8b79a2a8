import { DomainError } from "./errors.js";

/** Node and undici error codes that mean the peer could not be reached or did not answer (in time). */
const NETWORK_CODE = /^(UND_ERR|ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)/;

/** A connection to another party failed (refused, reset, timed out, name not resolved): try again later. */
export class NetworkError extends DomainError {
  readonly code = "network-failure";
  readonly kind = "unavailable";
  constructor(
    /** The Node/undici code, e.g. ECONNREFUSED or UND_ERR_HEADERS_TIMEOUT. */
    readonly networkCode: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${networkCode} ${message}`.trim(), options);
  }
}

/**
 * The one place that reads Node's and undici's error codes: an HTTP client's failure becomes a NetworkError
 * when it is one, else undefined (the caller rethrows it as it is).
 */
export function networkFailure(err: unknown): NetworkError | undefined {
  if (err instanceof NetworkError) return err;
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code !== "string" || !NETWORK_CODE.test(e.code)) return undefined;
  return new NetworkError(e.code, typeof e.message === "string" ? e.message : "", { cause: err });
}
