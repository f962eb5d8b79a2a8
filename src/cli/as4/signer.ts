import type { X509Certificate } from "node:crypto";
import { validityOf } from "../../pki/certificate-fields.js";
import { validateChain } from "../../pki/chain.js";
import { PkiError } from "../../pki/errors.js";
import { peppolSeatIdOf } from "../../pki/peppol-certificate.js";
import type { CertificateReport, Finding, SignerReport } from "./report-types.js";
import { oneLine } from "./signature.js";

/**
 * The signer's certificate and, with trust anchors, its validated path (src/pki validateChain) at `at`.
 * Revocation is not checked: this is an offline tool, and the receiver's OCSP/CRL verdict depends on the
 * moment it is asked.
 */

export interface SignerAnalysis {
  report: SignerReport;
  findings: Finding[];
}

export function analyseSigner(
  leaf: X509Certificate,
  anchors: readonly X509Certificate[] | undefined,
  at: Date,
  messageTime: Date | undefined,
): SignerAnalysis {
  const findings: Finding[] = [];
  const isAnchor = (c: X509Certificate) => anchors?.some((a) => a.fingerprint256 === c.fingerprint256) ?? false;
  const describe = (c: X509Certificate, i: number) => certificateReport(c, at, i === 0, isAnchor(c));

  let trust: SignerReport["trust"];
  let path: X509Certificate[];
  if (anchors === undefined) {
    trust = { status: "skipped", reason: "no --trust anchors given" };
    path = [leaf];
  } else {
    try {
      path = validateChain(leaf, [], anchors, at);
      trust = { status: "ok", anchor: oneLine(path[path.length - 1]!.subject) };
    } catch (e) {
      if (!(e instanceof PkiError)) throw e;
      path = displayPath(leaf, anchors);
      const subject = "subject" in e && typeof e.subject === "string" ? e.subject : undefined;
      const expired = e.code === "ERR_PKI_CERT_EXPIRED" || e.code === "ERR_PKI_CERT_NOT_YET_VALID";
      trust = {
        status: "failed",
        code: e.code,
        message: e.message,
        ...(subject !== undefined ? { certificate: subject } : {}),
        ...(expired && messageTime ? { hint: `the message is dated ${messageTime.toISOString()}; try --at ${messageTime.toISOString()}` } : {}),
      };
    }
  }

  const certificates = path.map(describe);
  const leafReport = certificates[0]!;
  if (leafReport.seatIdError !== undefined) {
    findings.push({ severity: "warning", code: "NO_PEPPOL_SEAT_ID", message: `the signer certificate has no Peppol seat id: ${leafReport.seatIdError}` });
  }
  let validAtMessageTime: boolean | undefined;
  if (messageTime) {
    validAtMessageTime = isValidAt(leaf, messageTime);
    if (!validAtMessageTime) {
      findings.push({
        severity: "warning",
        code: "CERTIFICATE_NOT_VALID_AT_MESSAGE_TIME",
        message: `the signer certificate (valid ${leafReport.notBefore} to ${leafReport.notAfter}) was not valid at the message's timestamp ${messageTime.toISOString()}`,
      });
    }
  }
  return {
    report: {
      certificates,
      at: at.toISOString(),
      trust,
      ...(validAtMessageTime !== undefined ? { validAtMessageTime } : {}),
      revocation: "not checked",
    },
    findings,
  };
}

/** For display when validation failed: follow issuers among the anchors as far as they link. */
function displayPath(leaf: X509Certificate, anchors: readonly X509Certificate[]): X509Certificate[] {
  const path = [leaf];
  for (let current = leaf; path.length < 8; ) {
    if (current.checkIssued(current)) break;
    const issuer = anchors.find((a) => current.checkIssued(a) && !path.includes(a) && safeVerify(current, a));
    if (!issuer) break;
    path.push(issuer);
    current = issuer;
  }
  return path;
}

function safeVerify(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

export function certificateReport(c: X509Certificate, at: Date, isLeaf: boolean, anchor: boolean): CertificateReport {
  const { notBefore, notAfter } = validityOf(c);
  let seat: { seatId: string } | { seatIdError: string } | Record<string, never> = {};
  if (isLeaf) {
    try {
      seat = { seatId: peppolSeatIdOf(c) };
    } catch (e) {
      seat = { seatIdError: e instanceof Error ? e.message : String(e) };
    }
  }
  return {
    subject: oneLine(c.subject),
    issuer: oneLine(c.issuer),
    serialNumber: c.serialNumber,
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    fingerprintSha256: c.fingerprint256,
    isCa: c.ca,
    validAt: notBefore.getTime() <= at.getTime() && at.getTime() <= notAfter.getTime(),
    ...seat,
    anchor,
  };
}

function isValidAt(c: X509Certificate, at: Date): boolean {
  const { notBefore, notAfter } = validityOf(c);
  return notBefore.getTime() <= at.getTime() && at.getTime() <= notAfter.getTime();
}
