/**
 * Certification path building and validation with node:crypto primitives.
 *
 * The path runs from the leaf to the first trust anchor reached; an anchor may be an intermediate (pinning
 * an issuing CA directly is allowed). Every link is checked with OpenSSL's issuer match (name, authority
 * key identifier, keyCertSign), the issuer's signature, cA=true and pathLenConstraint; every certificate on
 * the path, the anchor included, must be valid at `at`. Revocation is not checked here: callers check the
 * returned path (OCSP/CRL) afterwards.
 */
import type { X509Certificate } from "node:crypto";
import { pathLengthConstraintOf, validityOf } from "./certificate-fields.js";
import {
  BrokenChainError,
  CertificateExpiredError,
  CertificateNotYetValidError,
  UntrustedCertificateError,
} from "./errors.js";
import type { CertificateError } from "./errors.js";
import { uniqueCertificates } from "./pem.js";

export interface ChainOptions {
  /** Most certificates a path may hold, leaf and anchor included (default 8). */
  maxPathLength?: number;
}

const DEFAULT_MAX_PATH_LENGTH = 8;
/**
 * Candidate links tried before giving up. Intermediates may come from the wire (x5c, BinarySecurityToken),
 * and many look-alike issuers would otherwise make the search exponential.
 */
const MAX_LINK_CHECKS = 64;

/**
 * Builds and validates a path from `leaf` to one of `anchors` at time `at`.
 *
 * @param intermediates untrusted certificates that may complete the path (order does not matter)
 * @returns the path, leaf first and anchor last (just `[leaf]` when the leaf itself is an anchor)
 * @throws CertificateExpiredError / CertificateNotYetValidError when the only complete paths hold a
 *   certificate outside its validity; BrokenChainError when an issuer was found but a link is unsound or the
 *   path is too long; UntrustedCertificateError when no issuer leads to an anchor.
 */
export function validateChain(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  at: Date,
  options: ChainOptions = {},
): X509Certificate[] {
  const maxPathLength = options.maxPathLength ?? DEFAULT_MAX_PATH_LENGTH;
  const anchorPrints = new Set(anchors.map((a) => a.fingerprint256));
  const pool = uniqueCertificates([...anchors, ...intermediates]);
  const isAnchor = (c: X509Certificate) => anchorPrints.has(c.fingerprint256);

  let linkChecks = 0;
  let timeFailure: CertificateError | undefined;
  let brokenLink: BrokenChainError | undefined;
  let deadEnd: X509Certificate | undefined;

  const search = (path: X509Certificate[]): X509Certificate[] | undefined => {
    const current = path[path.length - 1]!;
    if (isAnchor(current)) {
      const failure = firstTimeFailure(path, at);
      if (!failure) return path;
      timeFailure ??= failure;
      return undefined;
    }
    if (path.length >= maxPathLength) {
      brokenLink ??= new BrokenChainError(`path longer than ${maxPathLength} certificates`, current);
      return undefined;
    }
    const candidates = issuerCandidates(current, pool, at, isAnchor).filter(
      (c) => !path.some((p) => p.fingerprint256 === c.fingerprint256), // self-signed or a loop
    );
    if (candidates.length === 0) deadEnd ??= current;
    for (const issuer of candidates) {
      if (++linkChecks > MAX_LINK_CHECKS) {
        brokenLink ??= new BrokenChainError("too many candidate issuers", current);
        return undefined;
      }
      const problem = linkProblem(path, issuer);
      if (problem) {
        brokenLink ??= new BrokenChainError(`${problem} (issuer ${oneLine(issuer.subject)})`, current);
        continue;
      }
      const found = search([...path, issuer]);
      if (found) return found;
    }
    return undefined;
  };

  const path = search([leaf]);
  if (path) return path;
  throw timeFailure ?? brokenLink ?? untrusted(deadEnd ?? leaf, pool);
}

/** Certificates that OpenSSL accepts as issuer of `child`: anchors first, then those valid at `at`. */
function issuerCandidates(
  child: X509Certificate,
  pool: readonly X509Certificate[],
  at: Date,
  isAnchor: (c: X509Certificate) => boolean,
): X509Certificate[] {
  const rank = (c: X509Certificate) => (isAnchor(c) ? 0 : 1) + (isValidAt(c, at) ? 0 : 2);
  return pool.filter((c) => linkFact(checkedIssued, child, c, () => child.checkIssued(c))).sort((a, b) => rank(a) - rank(b));
}

/*
 * Whether one certificate names another as its issuer, and whether the other's key verifies its signature, are
 * facts of the two certificates' bytes: the same every time they are asked. Every AS4 message and
 * forretningsmelding brings its signer's chain, almost always one of a handful (the same objects, from
 * x509-cache.ts), and an RSA verification per link per message was about 1 % of an access point's CPU. Times are
 * not remembered: validity is checked at each call's `at`.
 */
const checkedIssued = new WeakMap<X509Certificate, WeakMap<X509Certificate, boolean>>();
const checkedSignature = new WeakMap<X509Certificate, WeakMap<X509Certificate, boolean>>();

function linkFact(
  facts: WeakMap<X509Certificate, WeakMap<X509Certificate, boolean>>,
  child: X509Certificate,
  issuer: X509Certificate,
  establish: () => boolean,
): boolean {
  let byIssuer = facts.get(child);
  if (!byIssuer) facts.set(child, (byIssuer = new WeakMap()));
  let fact = byIssuer.get(issuer);
  if (fact === undefined) byIssuer.set(issuer, (fact = establish()));
  return fact;
}

/** Why `issuer` cannot sign the last certificate of `path`, or undefined when the link is sound. */
function linkProblem(path: readonly X509Certificate[], issuer: X509Certificate): string | undefined {
  const child = path[path.length - 1]!;
  if (!linkFact(checkedSignature, child, issuer, () => child.verify(issuer.publicKey))) return "signature does not verify with the issuer's key";
  if (!issuer.ca) return "issuer is not a CA";
  const pathLength = pathLengthConstraintOf(issuer);
  if (pathLength !== undefined) {
    // CA certificates below this issuer, not counting the leaf nor self-issued ones (RFC 5280 6.1.4).
    const below = path.slice(1).filter((c) => c.subject !== c.issuer).length;
    if (below > pathLength) return `issuer allows ${pathLength} intermediate CA(s) below it, found ${below}`;
  }
  return undefined;
}

function firstTimeFailure(path: readonly X509Certificate[], at: Date): CertificateError | undefined {
  for (const cert of path) {
    const { notBefore, notAfter } = validityOf(cert);
    if (at.getTime() < notBefore.getTime()) {
      return new CertificateNotYetValidError(`certificate not valid before ${notBefore.toISOString()}`, cert);
    }
    if (at.getTime() > notAfter.getTime()) {
      return new CertificateExpiredError(`certificate expired at ${notAfter.toISOString()}`, cert);
    }
  }
  return undefined;
}

function isValidAt(cert: X509Certificate, at: Date): boolean {
  const { notBefore, notAfter } = validityOf(cert);
  return notBefore.getTime() <= at.getTime() && at.getTime() <= notAfter.getTime();
}

/** The error for `cert`, the highest certificate for which no issuer was found. */
function untrusted(cert: X509Certificate, pool: readonly X509Certificate[]): UntrustedCertificateError {
  const sameName = pool.some((c) => c.subject === cert.issuer && c.fingerprint256 !== cert.fingerprint256);
  const detail = sameName
    ? "a certificate named like its issuer is known, but its key identifier or key usage does not match"
    : "its issuer is not a trust anchor nor issued by one";
  return new UntrustedCertificateError(`untrusted certificate: ${detail} (issuer ${oneLine(cert.issuer)})`, cert);
}

function oneLine(name: string): string {
  return name.replace(/\n/g, ", ");
}
