/**
 * Certificate revocation lists (RFC 5280 section 5): parse (PEM or DER), fetch from a distribution point,
 * verify against the issuing CA at a time, and look a certificate up.
 *
 * Only complete, direct CRLs are used: delta CRLs, indirect CRLs and CRLs partitioned by reason are
 * refused (a reason-partitioned CRL could say "not revoked" while another partition says otherwise), as
 * are CRLs with critical extensions we do not understand.
 */
import * as pkijs from "pkijs";
import * as asn1js from "asn1js";
import type { X509Certificate } from "node:crypto";
import { decodeCertificate } from "./certificate-fields.js";
import { PkiError } from "./errors.js";
import { keyUsageOf } from "./key-usage.js";
import { fetchRevocationBytes, undiciRevocationFetch } from "./revocation-http.js";
import type { RevocationFetch } from "./revocation-http.js";

/** RFC 5280 5.3.1 CRLReason names, indexed by code (7 is unused). */
export type CrlReason =
  | "unspecified"
  | "keyCompromise"
  | "cACompromise"
  | "affiliationChanged"
  | "superseded"
  | "cessationOfOperation"
  | "certificateHold"
  | "removeFromCRL"
  | "privilegeWithdrawn"
  | "aACompromise";

const REASONS: ReadonlyArray<CrlReason | undefined> = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  undefined,
  "removeFromCRL",
  "privilegeWithdrawn",
  "aACompromise",
];

/** The reason name for a CRLReason code; undefined for unassigned codes. */
export function crlReasonName(code: number): CrlReason | undefined {
  return REASONS[code];
}

const OID = {
  cRLNumber: "2.5.29.20",
  authorityKeyIdentifier: "2.5.29.35",
  issuingDistributionPoint: "2.5.29.28",
  deltaCRLIndicator: "2.5.29.27",
  reasonCode: "2.5.29.21",
  invalidityDate: "2.5.29.24",
  crlDistributionPoints: "2.5.29.31",
} as const;

const UNDERSTOOD_CRL_EXTENSIONS = new Set<string>([OID.cRLNumber, OID.authorityKeyIdentifier, OID.issuingDistributionPoint]);
const UNDERSTOOD_ENTRY_EXTENSIONS = new Set<string>([OID.reasonCode, OID.invalidityDate]);

export const DEFAULT_CRL_MAX_BYTES = 20 * 1024 * 1024;
export const DEFAULT_FETCH_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

/** A parsed, not yet verified CRL. Verify it with {@link verifyCrl} before trusting anything in it. */
export interface Crl {
  readonly der: Uint8Array;
  /** Issuer name for logs (RFC 4514-ish, one line). */
  readonly issuerName: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** Where it came from: a URL, a file name, or "static". */
  readonly source: string;
  /** @internal the pkijs structure. */
  readonly asn1: pkijs.CertificateRevocationList;
}

export type CrlFailure =
  | "malformed"
  | "issuer-mismatch"
  | "issuer-not-crl-signer"
  | "bad-signature"
  | "not-yet-valid"
  | "expired"
  | "unsupported";

/** A CRL that cannot be used: unreadable, not from this issuer, badly signed, out of date or unsupported. */
export class CrlError extends PkiError {
  readonly code = "ERR_PKI_CRL";
  readonly kind = "upstream";
  constructor(
    readonly reason: CrlFailure,
    message: string,
    readonly source?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What a CRL needs of the certificate it is consulted for: its serial number, and whether it is a CA. */
export type CertificateRef = Pick<X509Certificate, "serialNumber" | "ca">;

/** An entry of a verified CRL. */
export interface CrlEntry {
  readonly revokedAt: Date;
  readonly reason: CrlReason | undefined;
}

/** What a verified CRL says about one certificate. */
export type CrlAnswer =
  | { readonly status: "good"; readonly thisUpdate: Date; readonly nextUpdate: Date | undefined; readonly source: string }
  | {
      readonly status: "revoked";
      readonly revokedAt: Date;
      readonly reason: CrlReason | undefined;
      readonly thisUpdate: Date;
      readonly nextUpdate: Date | undefined;
      readonly source: string;
    };

const PEM_CRL = /-----BEGIN X509 CRL-----([^-]*)-----END X509 CRL-----/;

/** Parses a CRL from DER or PEM ("X509 CRL" block); throws CrlError("malformed"). */
export function parseCrl(input: string | Uint8Array, source = "static"): Crl {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : Buffer.from(input);
  let der: Buffer = bytes;
  if (bytes[0] !== 0x30) {
    const match = PEM_CRL.exec(bytes.toString("utf8"));
    if (!match) throw new CrlError("malformed", `${source}: neither a DER CRL nor a PEM X509 CRL block`, source);
    der = Buffer.from((match[1] ?? "").replace(/\s+/g, ""), "base64");
  }
  let asn1: pkijs.CertificateRevocationList;
  try {
    asn1 = pkijs.CertificateRevocationList.fromBER(new Uint8Array(der));
  } catch (cause) {
    throw new CrlError("malformed", `${source}: CRL cannot be decoded`, source, { cause });
  }
  return {
    der: new Uint8Array(der),
    issuerName: nameToString(asn1.issuer),
    thisUpdate: asn1.thisUpdate.value,
    nextUpdate: asn1.nextUpdate?.value,
    source,
    asn1,
  };
}

export interface FetchCrlOptions {
  fetch?: RevocationFetch;
  timeoutMs?: number;
  maxBytes?: number;
}

/** Downloads and parses the CRL at an http(s) URL. Throws RevocationFetchError or CrlError("malformed"). */
export async function fetchCrl(url: string, options: FetchCrlOptions = {}): Promise<Crl> {
  const body = await fetchRevocationBytes(options.fetch ?? undiciRevocationFetch, {
    url,
    method: "GET",
    headers: { accept: "application/pkix-crl, application/x-pkcs7-crl, */*" },
    timeoutMs: options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
    maxBytes: options.maxBytes ?? DEFAULT_CRL_MAX_BYTES,
  });
  return parseCrl(body, url);
}

/** Whether the CRL names `issuer` as its issuer (the cheap pre-filter for static CRLs). */
export function crlNamesIssuer(crl: Crl, issuer: X509Certificate): boolean {
  return crl.asn1.issuer.isEqual(pkijsCertificate(issuer).subject);
}

export interface VerifyCrlOptions {
  /** Tolerance for thisUpdate in the future and nextUpdate in the past (default 5 minutes). */
  maxSkewMs?: number;
  /**
   * The certificate the CRL will be consulted for, to honour an issuingDistributionPoint that covers only
   * end-entity or only CA certificates.
   */
  subject?: CertificateRef;
}

/**
 * Checks that `crl` is a usable complete CRL of `issuer` at `at`: issuer name, cRLSign key usage, signature
 * (verified once per issuer and remembered), thisUpdate/nextUpdate, and the extensions we rely on.
 */
export async function verifyCrl(crl: Crl, issuer: X509Certificate, at: Date, options: VerifyCrlOptions = {}): Promise<void> {
  const skew = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const issuerAsn1 = pkijsCertificate(issuer);
  if (!crl.asn1.issuer.isEqual(issuerAsn1.subject)) {
    throw new CrlError("issuer-mismatch", `CRL of "${crl.issuerName}" is not from "${oneLine(issuer.subject)}"`, crl.source);
  }
  const usage = keyUsageOf(issuer);
  if (usage && !usage.has("cRLSign")) {
    throw new CrlError("issuer-not-crl-signer", `issuer "${oneLine(issuer.subject)}" may not sign CRLs`, crl.source);
  }
  checkExtensions(crl, options.subject);
  await verifySignatureOnce(crl, issuer, issuerAsn1);

  if (crl.thisUpdate.getTime() > at.getTime() + skew) {
    throw new CrlError("not-yet-valid", `CRL thisUpdate ${crl.thisUpdate.toISOString()} is after ${at.toISOString()}`, crl.source);
  }
  if (crl.nextUpdate && crl.nextUpdate.getTime() < at.getTime() - skew) {
    throw new CrlError("expired", `CRL nextUpdate ${crl.nextUpdate.toISOString()} is before ${at.toISOString()}`, crl.source);
  }
}

/** The CRL entry for `cert`, matched by serial number. Only meaningful on a CRL verified for its issuer. */
export function crlEntryFor(crl: Crl, cert: Pick<X509Certificate, "serialNumber">): CrlEntry | undefined {
  return entriesOf(crl).get(normaliseSerial(cert.serialNumber));
}

/** verifyCrl + crlEntryFor: what this CRL of `issuer` says about `cert` at `at`. */
export async function checkCrl(
  crl: Crl,
  cert: CertificateRef,
  issuer: X509Certificate,
  at: Date,
  options: Omit<VerifyCrlOptions, "subject"> = {},
): Promise<CrlAnswer> {
  await verifyCrl(crl, issuer, at, { ...options, subject: cert });
  const entry = crlEntryFor(crl, cert);
  const times = { thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, source: crl.source };
  // removeFromCRL only appears in delta CRLs, which we refuse; on a complete CRL it would mean "not revoked".
  if (!entry || entry.reason === "removeFromCRL") return { status: "good", ...times };
  return { status: "revoked", revokedAt: entry.revokedAt, reason: entry.reason, ...times };
}

/** The CRL's cRLNumber as upper-case hex without leading zeros; undefined when it has none. */
export function crlNumberOf(crl: Crl): string | undefined {
  const ext = crl.asn1.crlExtensions?.extensions.find((e) => e.extnID === OID.cRLNumber);
  if (!ext) return undefined;
  const value: unknown = ext.parsedValue ?? asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result;
  return value instanceof asn1js.Integer ? normaliseSerial(Buffer.from(value.valueBlock.valueHexView).toString("hex")) : undefined;
}

/** HTTP(S) URLs of the certificate's CRL distribution points (full names only), in certificate order. */
export function crlDistributionPointsOf(cert: X509Certificate): string[] {
  const ext = pkijsCertificate(cert).extensions?.find((e) => e.extnID === OID.crlDistributionPoints);
  const points = (ext?.parsedValue as pkijs.CRLDistributionPoints | undefined)?.distributionPoints ?? [];
  const urls: string[] = [];
  for (const point of points) {
    // A DP with a cRLIssuer names an indirect CRL; we do not support those.
    if (point.cRLIssuer && point.cRLIssuer.length > 0) continue;
    const names = point.distributionPoint;
    if (!Array.isArray(names)) continue; // nameRelativeToCRLIssuer: no URL to fetch
    for (const name of names) {
      if (name.type === 6 && typeof name.value === "string" && /^https?:\/\//i.test(name.value)) urls.push(name.value);
    }
  }
  return urls;
}

/** Serial numbers as upper-case hex without leading zeros, the form both sides are compared in. */
export function normaliseSerial(hex: string): string {
  const clean = hex.replace(/[^0-9a-f]/gi, "").toUpperCase().replace(/^0+/, "");
  return clean === "" ? "0" : clean;
}

// ---------------------------------------------------------------------------------------------------------

const verifiedBy = new WeakMap<Crl, Set<string>>();
const entryIndex = new WeakMap<Crl, Map<string, CrlEntry>>();
/** @internal the pkijs view of a node certificate, parsed once per content (certificate-fields.ts). */
export function pkijsCertificate(cert: X509Certificate): pkijs.Certificate {
  return decodeCertificate(cert);
}

async function verifySignatureOnce(crl: Crl, issuer: X509Certificate, issuerAsn1: pkijs.Certificate): Promise<void> {
  const done = verifiedBy.get(crl);
  if (done?.has(issuer.fingerprint256)) return;
  let ok: boolean;
  try {
    ok = await pkijs
      .getCrypto(true)
      .verifyWithPublicKey(new Uint8Array(crl.asn1.tbsView), crl.asn1.signatureValue, issuerAsn1.subjectPublicKeyInfo, crl.asn1.signatureAlgorithm);
  } catch (cause) {
    throw new CrlError("bad-signature", `CRL signature cannot be checked: ${messageOf(cause)}`, crl.source, { cause });
  }
  if (!ok) throw new CrlError("bad-signature", `CRL signature does not verify with the key of "${oneLine(issuer.subject)}"`, crl.source);
  if (done) done.add(issuer.fingerprint256);
  else verifiedBy.set(crl, new Set([issuer.fingerprint256]));
}

function checkExtensions(crl: Crl, subject: CertificateRef | undefined): void {
  for (const ext of crl.asn1.crlExtensions?.extensions ?? []) {
    if (ext.extnID === OID.deltaCRLIndicator) throw new CrlError("unsupported", "delta CRLs are not supported", crl.source);
    if (ext.critical && !UNDERSTOOD_CRL_EXTENSIONS.has(ext.extnID)) {
      throw new CrlError("unsupported", `unsupported critical CRL extension ${ext.extnID}`, crl.source);
    }
    if (ext.extnID === OID.issuingDistributionPoint) checkIssuingDistributionPoint(crl, ext, subject);
  }
  for (const entry of crl.asn1.revokedCertificates ?? []) {
    for (const ext of entry.crlEntryExtensions?.extensions ?? []) {
      if (ext.critical && !UNDERSTOOD_ENTRY_EXTENSIONS.has(ext.extnID)) {
        throw new CrlError("unsupported", `unsupported critical CRL entry extension ${ext.extnID}`, crl.source);
      }
    }
  }
}

function checkIssuingDistributionPoint(crl: Crl, ext: pkijs.Extension, subject: CertificateRef | undefined): void {
  const idp = ext.parsedValue as pkijs.IssuingDistributionPoint | undefined;
  if (!(idp instanceof pkijs.IssuingDistributionPoint)) {
    throw new CrlError("malformed", "issuingDistributionPoint cannot be decoded", crl.source);
  }
  if (idp.indirectCRL) throw new CrlError("unsupported", "indirect CRLs are not supported", crl.source);
  if (idp.onlySomeReasons !== undefined) throw new CrlError("unsupported", "CRLs partitioned by reason are not supported", crl.source);
  if (idp.onlyContainsAttributeCerts) throw new CrlError("unsupported", "attribute certificate CRL", crl.source);
  if (subject && idp.onlyContainsUserCerts && subject.ca) {
    throw new CrlError("unsupported", "CRL covers only end-entity certificates, not this CA", crl.source);
  }
  if (subject && idp.onlyContainsCACerts && !subject.ca) {
    throw new CrlError("unsupported", "CRL covers only CA certificates, not this end entity", crl.source);
  }
}

function entriesOf(crl: Crl): Map<string, CrlEntry> {
  let index = entryIndex.get(crl);
  if (index) return index;
  index = new Map();
  for (const revoked of crl.asn1.revokedCertificates ?? []) {
    const serial = normaliseSerial(Buffer.from(revoked.userCertificate.valueBlock.valueHexView).toString("hex"));
    index.set(serial, { revokedAt: revoked.revocationDate.value, reason: entryReason(revoked) });
  }
  entryIndex.set(crl, index);
  return index;
}

function entryReason(revoked: pkijs.RevokedCertificate): CrlReason | undefined {
  const ext = revoked.crlEntryExtensions?.extensions.find((e) => e.extnID === OID.reasonCode);
  if (!ext) return undefined;
  const value: unknown = ext.parsedValue;
  const parsed = value instanceof asn1js.Enumerated ? value : asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result;
  return parsed instanceof asn1js.Enumerated ? crlReasonName(parsed.valueBlock.valueDec) ?? "unspecified" : "unspecified";
}

/** @internal one-line name for messages. */
export function nameToString(name: pkijs.RelativeDistinguishedNames): string {
  const short: Record<string, string> = { "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.7": "L" };
  return name.typesAndValues
    .map((tv) => {
      const value: unknown = (tv.value as { getValue?: () => unknown }).getValue?.();
      return `${short[tv.type] ?? tv.type}=${typeof value === "string" ? value : "?"}`;
    })
    .join(", ");
}

function oneLine(name: string): string {
  return name.replace(/\n/g, ", ");
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
