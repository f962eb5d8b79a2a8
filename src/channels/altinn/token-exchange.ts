/**
 * Altinn tokens as the integrasjonspunkt gets them for Altinn 3 ([IP] `altinnv3/token/DpvTokenProducer.java`,
 * `AltinnTokenExchangeService.java`): a Maskinporten token of the organisation's own client, exchanged at
 * Altinn's `GET …/authentication/api/v1/exchange/maskinporten` (the Maskinporten token as bearer; the answer's
 * body is the Altinn token). Each organisation and scope set has its own token, kept until shortly before the
 * `exp` it carries (Altinn's live 30 minutes); concurrent askers share one exchange. Shared by DPV and DPO.
 */
import { request } from "undici";
import { decodeJwt } from "jose";
import { systemClock, type Clock } from "../../clock.js";
import { DomainError } from "../../errors.js";
import { readBodyCapped, transportFailure } from "../../http-body.js";

export interface AltinnTokenExchangeOptions {
  /** Altinn's exchange endpoint (…/authentication/api/v1/exchange/maskinporten). */
  exchangeUrl: string;
  /**
   * A Maskinporten access token of the organisation's client for these scopes, with the grant's
   * authorization_details when there are any (DPO's system user).
   */
  maskinportenToken: (orgno: string, scopes: readonly string[], authorizationDetails?: readonly Record<string, unknown>[]) => Promise<string>;
  clock?: Clock;
  /** A cached token is replaced this long before it expires (default 60 s). */
  refreshMarginSeconds?: number;
  /** Timeout of one exchange (default 10 s). */
  timeoutMs?: number;
}

export interface AltinnTokens {
  /** An Altinn token for the organisation and scopes (and authorization details): cached until shortly before expiry, else exchanged anew. */
  token(orgno: string, scopes: readonly string[], authorizationDetails?: readonly Record<string, unknown>[]): Promise<string>;
  /** Forgets the organisation's tokens (Altinn refused one: the next call exchanges again). */
  forget(orgno: string): void;
}

/** Altinn refused the exchange (status 401/403: the Maskinporten token), failed (5xx), or could not be reached (status 0). */
export class AltinnTokenExchangeError extends DomainError {
  readonly code = "altinn-token-exchange-failed";
  readonly kind: "unauthenticated" | "unavailable" | "upstream";
  constructor(
    readonly status: number,
    detail: string,
    options?: { cause?: unknown; kind?: "unavailable" | "upstream" },
  ) {
    super(detail, options);
    this.kind = options?.kind ?? (status === 401 || status === 403 ? "unauthenticated" : status === 0 || status >= 500 ? "unavailable" : "upstream");
  }
}

const MAX_TOKEN_BYTES = 64 * 1024;

export function createAltinnTokens(options: AltinnTokenExchangeOptions): AltinnTokens {
  const clock = options.clock ?? systemClock;
  const marginMs = (options.refreshMarginSeconds ?? 60) * 1000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const cache = new Map<string, { token: string; expiresAt: number }>();
  const pending = new Map<string, Promise<string>>();

  const exchange = async (orgno: string, scopes: readonly string[], details: readonly Record<string, unknown>[] | undefined, key: string): Promise<string> => {
    const maskinporten = await (details === undefined ? options.maskinportenToken(orgno, scopes) : options.maskinportenToken(orgno, scopes, details));
    const signal = AbortSignal.timeout(timeoutMs);
    let status: number;
    let body: Buffer | undefined;
    try {
      const response = await request(options.exchangeUrl, { method: "GET", headers: { authorization: `Bearer ${maskinporten}`, accept: "text/plain, application/json" }, signal });
      status = response.statusCode;
      body = await readBodyCapped(response, MAX_TOKEN_BYTES);
    } catch (e) {
      const f = transportFailure(e, options.exchangeUrl, timeoutMs, signal.aborted);
      throw new AltinnTokenExchangeError(0, `Altinn token exchange: ${f.detail}`, { cause: e, kind: f.kind });
    }
    if (status !== 200) throw new AltinnTokenExchangeError(status, `Altinn token exchange answered HTTP ${status}${body?.length ? `: ${body.toString("utf8").slice(0, 300)}` : ""}`);
    // Altinn answers the bare JWT; a JSON string of it is read the same.
    const text = body?.toString("utf8").trim().replace(/^"(.*)"$/, "$1") ?? "";
    let exp: number | undefined;
    try {
      exp = decodeJwt(text).exp;
    } catch (e) {
      throw new AltinnTokenExchangeError(status, "Altinn token exchange answered something that is not a JWT", { cause: e, kind: "upstream" });
    }
    if (exp !== undefined) cache.set(key, { token: text, expiresAt: exp * 1000 });
    return text;
  };

  return {
    async token(orgno, scopes, authorizationDetails) {
      const key = `${orgno} ${[...scopes].sort().join(" ")}${authorizationDetails === undefined ? "" : ` ${JSON.stringify(authorizationDetails)}`}`;
      const cached = cache.get(key);
      if (cached && cached.expiresAt - marginMs > clock().getTime()) return cached.token;
      let p = pending.get(key);
      if (!p) {
        p = exchange(orgno, scopes, authorizationDetails, key).finally(() => pending.delete(key));
        pending.set(key, p);
      }
      return p;
    },
    forget(orgno) {
      for (const key of [...cache.keys()]) if (key.startsWith(`${orgno} `)) cache.delete(key);
    },
  };
}
