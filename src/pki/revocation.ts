/**
 * Revocation checking of a validated certification path: the step after `validateChain`, used by the AS4
 * receiver (the signer of an inbound message) and sender (the receiver's certificate from the SMP).
 *
 * Every certificate but the trust anchor is checked against its issuer: OCSP first (the AIA responder),
 * then CRLs (configured static CRLs of the issuer, then the certificate's CRL distribution points), or
 * the other way round with `preferOcsp: false`. An OCSP "unknown" falls through to the CRLs.
 *
 * A revoked certificate always fails with CertificateRevokedError. When no source gives an answer
 * (unreachable, invalid, unknown, or no source at all), "hard-fail" (the default, as phase4 does) throws
 * RevocationUnknownError and "soft-fail" reports a warning in the result.
 *
 * Each "good" names the answer it rests on (the DER as received, cached with the parsed answer), and with a
 * `keep` function that answer is stored before the check returns: once per answer (by content) in this
 * process, however many certificates and messages rely on it. An answer that cannot be kept is not relied on.
 */
import type { X509Certificate } from "node:crypto";
import { systemClock } from "../clock.js";
import type { Clock } from "../clock.js";
import { BrokenChainError, CertificateError } from "./errors.js";
import { checkCrl, crlDistributionPointsOf, crlNamesIssuer, CrlError, crlNumberOf, DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_MAX_SKEW_MS, fetchCrl, normaliseSerial } from "./crl.js";
import type { Crl, CrlAnswer, CrlReason } from "./crl.js";
import { assertCurrent, checkOcsp, ocspUrlsOf, OcspResponseError } from "./ocsp.js";
import type { OcspAnswer } from "./ocsp.js";
import { createRevocationCache } from "./revocation-cache.js";
import type { RevocationCache } from "./revocation-cache.js";
import { sha256Hex } from "./revocation-evidence.js";
import type { RevocationEvidence } from "./revocation-evidence.js";
import { undiciRevocationFetch } from "./revocation-http.js";
import type { RevocationFetch } from "./revocation-http.js";

export type RevocationMode = "hard-fail" | "soft-fail";
export type RevocationSource = "ocsp" | "crl";

export interface RevocationCheckerOptions {
  /** Default "hard-fail". */
  mode?: RevocationMode;
  /** Ask OCSP before CRLs (default true). */
  preferOcsp?: boolean;
  /** Deadline per HTTP exchange (default 5 s). */
  fetchTimeoutMs?: number;
  /** Shared cache; default a private one with default limits on the same clock. */
  cache?: RevocationCache;
  /** Default time for `check` when `at` is not given. */
  clock?: Clock;
  /** CRLs configured up front (e.g. of a root for its intermediates); used when they verify for the issuer. */
  staticCrls?: readonly Crl[];
  /** HTTP transport (default undici). */
  fetch?: RevocationFetch;
  /** Rewrites responder and CRL URLs named in certificates (tests, sandboxes, local mirrors). */
  urlRewrite?: (url: string) => string;
  /** Tolerance for clock differences with responders (default 5 minutes). */
  maxSkewMs?: number;
  /** Send an OCSP nonce (default true). */
  ocspNonce?: boolean;
  /**
   * Stores an answer a "good" rests on (e.g. in the database, for evidence bundles). Called once per answer in
   * this process before any check that relies on it returns; when it fails, the answer is not relied on (the
   * certificate's status is unknown: hard-fail refuses, soft-fail warns) and it is tried again next time.
   */
  keep?: (answer: RevocationEvidence) => Promise<void>;
}

/** The outcome for one certificate of the path. */
export interface CertificateRevocation {
  readonly certificate: X509Certificate;
  readonly status: "good" | "unknown";
  /** Which source answered (absent when unknown). */
  readonly source?: RevocationSource;
  /** Responder URL or CRL location that answered. */
  readonly location?: string;
  readonly thisUpdate?: Date;
  readonly nextUpdate?: Date | undefined;
  /** The answer "good" rests on, as received (absent when unknown). */
  readonly answer?: RevocationEvidence;
  /** Sources that failed before the answer, or every reason the status is unknown. */
  readonly problems: readonly string[];
}

export interface RevocationResult {
  /** "unknown" only in soft-fail mode, when some certificate could not be checked. */
  readonly status: "good" | "unknown";
  /** One entry per checked certificate, leaf first (the anchor is not checked). */
  readonly certificates: readonly CertificateRevocation[];
  /** Soft-fail warnings, one per certificate whose status is unknown. */
  readonly warnings: readonly string[];
}

export interface RevocationChecker {
  readonly mode: RevocationMode;
  /**
   * Checks every certificate of `path` (leaf first, anchor last, as `validateChain` returns it) except the
   * anchor, at `at` (default: the clock's now).
   * @throws CertificateRevokedError when any is revoked (the one nearest the leaf is reported);
   *   RevocationUnknownError in hard-fail mode when any status cannot be established.
   */
  check(path: readonly X509Certificate[], at?: Date): Promise<RevocationResult>;
}

/** The certificate is revoked (by OCSP or CRL). Fails in both modes. */
export class CertificateRevokedError extends CertificateError {
  readonly code = "ERR_PKI_CERT_REVOKED";
  constructor(
    message: string,
    certificate: X509Certificate,
    readonly revokedAt: Date,
    readonly reason: CrlReason | undefined,
    readonly source: RevocationSource,
  ) {
    super(message, certificate);
  }
}

/** No usable revocation answer for the certificate (hard-fail mode); `problems` says what was tried. */
export class RevocationUnknownError extends CertificateError {
  readonly code = "ERR_PKI_REVOCATION_UNKNOWN";
  override readonly kind = "unavailable";
  constructor(
    message: string,
    certificate: X509Certificate,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, certificate, options);
  }
}

type Outcome =
  | { kind: "good"; source: RevocationSource; location: string; thisUpdate: Date; nextUpdate: Date | undefined; answer: RevocationEvidence; problems: string[] }
  | { kind: "revoked"; source: RevocationSource; revokedAt: Date; reason: CrlReason | undefined; location: string }
  | { kind: "unknown"; problems: string[]; cause: unknown };

export function createRevocationChecker(options: RevocationCheckerOptions = {}): RevocationChecker {
  const mode = options.mode ?? "hard-fail";
  const clock = options.clock ?? systemClock;
  const cache = options.cache ?? createRevocationCache({ clock });
  const fetch = options.fetch ?? undiciRevocationFetch;
  const timeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const rewrite = options.urlRewrite ?? ((url: string) => url);
  // A configured CRL counts as fetched when the checker was made (its file was read then).
  const loadedAt = clock();
  const staticCrls: Fetched<Crl>[] = (options.staticCrls ?? []).map((crl) => ({ value: crl, fetchedAt: loadedAt, sha256: sha256Hex(crl.der) }));
  const keeping = new Map<string, Promise<void>>();
  /** A freshly fetched answer with its fetch time and digest, computed once and cached with it. */
  const withEvidence = <T>(value: T, der: (v: T) => Uint8Array): Fetched<T> => ({ value, fetchedAt: clock(), sha256: sha256Hex(der(value)) });

  /** options.keep, once per answer: concurrent checks relying on a new answer share one call. */
  function keepOnce(answer: RevocationEvidence): Promise<void> {
    const keep = options.keep;
    if (!keep) return Promise.resolve();
    let kept = keeping.get(answer.sha256);
    if (!kept) {
      kept = keep(answer).catch((error: unknown) => {
        keeping.delete(answer.sha256);
        throw error;
      });
      keeping.set(answer.sha256, kept);
      // Forgetting an old answer only costs storing it again (the store ignores one it has).
      if (keeping.size > MAX_REMEMBERED_ANSWERS) keeping.delete(keeping.keys().next().value!);
    }
    return kept;
  }

  /** Loads through the cache; a cached value that is no longer current at `at` is dropped and loaded again. */
  async function cached<T>(key: string, load: () => Promise<T>, nextUpdateOf: (v: T) => Date | undefined, current: (v: T) => void): Promise<T> {
    const loader = async () => {
      const value = await load();
      return { value, nextUpdate: nextUpdateOf(value) };
    };
    const value = await cache.get(key, loader);
    try {
      current(value);
      return value;
    } catch {
      cache.delete(key);
      const fresh = await cache.get(key, loader);
      current(fresh);
      return fresh;
    }
  }

  async function viaOcsp(cert: X509Certificate, issuer: X509Certificate, at: Date, problems: string[], causes: unknown[]): Promise<Outcome | undefined> {
    const urls = ocspUrlsOf(cert).map(rewrite);
    const key = `ocsp:${issuer.fingerprint256}:${normaliseSerial(cert.serialNumber)}`;
    for (const url of urls) {
      let fetched: Fetched<OcspAnswer>;
      try {
        fetched = await cached(
          key,
          async () =>
            withEvidence(
              await checkOcsp(cert, issuer, {
                url,
                at,
                fetch,
                timeoutMs,
                maxSkewMs,
                ...(options.ocspNonce === false ? { nonce: false } : {}),
              }),
              (a) => a.der,
            ),
          (f) => f.value.nextUpdate,
          (f) => assertCurrent(f.value, at, { maxSkewMs }),
        );
      } catch (error) {
        problems.push(`OCSP ${url}: ${messageOf(error)}`);
        causes.push(error);
        continue;
      }
      const answer = fetched.value;
      if (answer.status === "revoked") {
        return { kind: "revoked", source: "ocsp", revokedAt: answer.revokedAt ?? answer.thisUpdate, reason: answer.reason, location: url };
      }
      if (answer.status === "good") {
        const evidence: RevocationEvidence = {
          kind: "ocsp",
          der: answer.der,
          sha256: fetched.sha256,
          // The cache is keyed by certificate, not URL: the answer says where it came from.
          url: answer.url ?? url,
          fetchedAt: fetched.fetchedAt,
          thisUpdate: answer.thisUpdate,
          nextUpdate: answer.nextUpdate,
          issuer,
          serial: normaliseSerial(cert.serialNumber),
        };
        return { kind: "good", source: "ocsp", location: url, thisUpdate: answer.thisUpdate, nextUpdate: answer.nextUpdate, answer: evidence, problems };
      }
      problems.push(`OCSP ${url}: responder does not know the certificate (status unknown)`);
      break; // the same responder behind another URL would not know it either
    }
    return undefined;
  }

  async function viaCrl(cert: X509Certificate, issuer: X509Certificate, at: Date, problems: string[], causes: unknown[]): Promise<Outcome | undefined> {
    const fromCrl = (answer: CrlAnswer, fetched: Fetched<Crl>): Outcome => {
      if (answer.status === "revoked") return { kind: "revoked", source: "crl", revokedAt: answer.revokedAt, reason: answer.reason, location: answer.source };
      const crl = fetched.value;
      const crlNumber = crlNumberOf(crl);
      const evidence: RevocationEvidence = {
        kind: "crl",
        der: crl.der,
        sha256: fetched.sha256,
        url: crl.source,
        fetchedAt: fetched.fetchedAt,
        thisUpdate: crl.thisUpdate,
        nextUpdate: crl.nextUpdate,
        issuer,
        ...(crlNumber ? { crlNumber } : {}),
      };
      return { kind: "good", source: "crl", location: answer.source, thisUpdate: answer.thisUpdate, nextUpdate: answer.nextUpdate, answer: evidence, problems };
    };

    for (const fetched of staticCrls.filter((c) => crlNamesIssuer(c.value, issuer))) {
      const crl = fetched.value;
      try {
        return fromCrl(await checkCrl(crl, cert, issuer, at, { maxSkewMs }), fetched);
      } catch (error) {
        problems.push(`CRL ${crl.source}: ${messageOf(error)}`);
        causes.push(error);
      }
    }
    for (const url of crlDistributionPointsOf(cert).map(rewrite)) {
      try {
        const fetched = await cached(
          `crl:${url}`,
          async () => {
            const crl = await fetchCrl(url, { fetch, timeoutMs });
            // Verify before caching so a forged or foreign CRL never occupies the cache.
            await checkCrl(crl, cert, issuer, at, { maxSkewMs });
            return withEvidence(crl, (c) => c.der);
          },
          (f) => f.value.nextUpdate,
          (f) => {
            if (f.value.nextUpdate && f.value.nextUpdate.getTime() < at.getTime() - maxSkewMs) throw new Error("stale");
          },
        );
        return fromCrl(await checkCrl(fetched.value, cert, issuer, at, { maxSkewMs }), fetched);
      } catch (error) {
        problems.push(`CRL ${url}: ${messageOf(error)}`);
        causes.push(error);
      }
    }
    return undefined;
  }

  async function outcomeFor(cert: X509Certificate, issuer: X509Certificate, at: Date): Promise<Outcome> {
    const problems: string[] = [];
    const causes: unknown[] = [];
    const steps = options.preferOcsp === false ? [viaCrl, viaOcsp] : [viaOcsp, viaCrl];
    for (const step of steps) {
      const outcome = await step(cert, issuer, at, problems, causes);
      if (outcome?.kind === "good") {
        try {
          await keepOnce(outcome.answer);
        } catch (error) {
          // An answer we cannot keep as evidence is not one we rely on.
          problems.push(`${outcome.source.toUpperCase()} ${outcome.location}: the answer could not be kept: ${messageOf(error)}`);
          return { kind: "unknown", problems, cause: error };
        }
      }
      if (outcome) return outcome;
    }
    if (problems.length === 0) problems.push("no OCSP responder, no CRL distribution point and no static CRL of its issuer");
    return { kind: "unknown", problems, cause: causes[0] };
  }

  return {
    mode,
    async check(path, at = clock()) {
      for (let i = 0; i + 1 < path.length; i++) {
        if (!path[i]!.checkIssued(path[i + 1]!)) {
          throw new BrokenChainError("revocation check needs a validated path, leaf first and anchor last", path[i]);
        }
      }
      const pairs = path.slice(0, -1).map((cert, i) => [cert, path[i + 1]!] as const);
      const outcomes = await Promise.all(pairs.map(([cert, issuer]) => outcomeFor(cert, issuer, at)));

      const certificates: CertificateRevocation[] = [];
      const warnings: string[] = [];
      let unknown: RevocationUnknownError | undefined;
      outcomes.forEach((outcome, i) => {
        const cert = pairs[i]![0];
        if (outcome.kind === "revoked") {
          const why = outcome.reason ? ` (${outcome.reason})` : "";
          throw new CertificateRevokedError(
            `certificate "${oneLine(cert.subject)}" was revoked at ${outcome.revokedAt.toISOString()}${why} according to ${outcome.source.toUpperCase()} ${outcome.location}`,
            cert,
            outcome.revokedAt,
            outcome.reason,
            outcome.source,
          );
        }
        if (outcome.kind === "good") {
          certificates.push({
            certificate: cert,
            status: "good",
            source: outcome.source,
            location: outcome.location,
            thisUpdate: outcome.thisUpdate,
            nextUpdate: outcome.nextUpdate,
            answer: outcome.answer,
            problems: outcome.problems,
          });
          return;
        }
        const message = `revocation status of "${oneLine(cert.subject)}" is unknown: ${outcome.problems.join("; ")}`;
        unknown ??= new RevocationUnknownError(message, cert, outcome.problems, outcome.cause ? { cause: outcome.cause } : undefined);
        warnings.push(message);
        certificates.push({ certificate: cert, status: "unknown", problems: outcome.problems });
      });
      if (unknown && mode === "hard-fail") throw unknown;
      return { status: warnings.length > 0 ? "unknown" : "good", certificates, warnings };
    },
  };
}

/** Answers whose keeping this process remembers (each a hex digest and a settled promise). */
const MAX_REMEMBERED_ANSWERS = 10_000;

/** A cached answer with what evidence needs beyond it: when it was fetched and the digest of its bytes. */
interface Fetched<T> {
  readonly value: T;
  readonly fetchedAt: Date;
  readonly sha256: string;
}

function messageOf(error: unknown): string {
  if (error instanceof OcspResponseError || error instanceof CrlError) return `${error.reason}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function oneLine(name: string): string {
  return name.replace(/\n/g, ", ");
}
