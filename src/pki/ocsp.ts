/**
 * OCSP client (RFC 6960) on pkijs: build a request for (certificate, issuer) with a SHA-1 CertID and a
 * nonce, POST it, and turn the answer into a typed status, or an OcspResponseError saying why the answer
 * cannot be trusted.
 *
 * Trust in the answer is decided here, not by pkijs' `BasicOCSPResponse.verify` (which wants a trust store
 * and chain-validates the signer): the response must be signed by the certificate's issuer itself, or by a
 * delegated responder certificate that the issuer signed directly and that carries id-kp-OCSPSigning
 * (RFC 6960 4.2.2.2). The delegated responder's own revocation is not checked (the usual id-pkix-ocsp-nocheck
 * practice). A nonce is checked when the responder echoes one; pre-signed responses without it are
 * accepted, as CAs such as DigiCert send them.
 */
import * as pkijs from "pkijs";
import * as asn1js from "asn1js";
import { createHash, randomBytes, X509Certificate } from "node:crypto";
import { PkiError } from "./errors.js";
import { validityOf } from "./certificate-fields.js";
import { crlReasonName, DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_MAX_SKEW_MS, nameToString, normaliseSerial, pkijsCertificate } from "./crl.js";
import type { CrlReason } from "./crl.js";
import { fetchRevocationBytes, undiciRevocationFetch } from "./revocation-http.js";
import type { RevocationFetch } from "./revocation-http.js";

const OID = {
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  adOcsp: "1.3.6.1.5.5.7.48.1",
  ocspBasic: "1.3.6.1.5.5.7.48.1.1",
  ocspNonce: "1.3.6.1.5.5.7.48.1.2",
  kpOcspSigning: "1.3.6.1.5.5.7.3.9",
} as const;

const RESPONSE_STATUS = ["successful", "malformedRequest", "internalError", "tryLater", "(4)", "sigRequired", "unauthorized"];

export const DEFAULT_OCSP_MAX_BYTES = 1024 * 1024;
/** How long an answer without nextUpdate counts as current after its thisUpdate. */
export const DEFAULT_MAX_AGE_WITHOUT_NEXT_UPDATE_MS = 60 * 60_000;

/** A verified OCSP answer for one certificate. */
export interface OcspAnswer {
  readonly status: "good" | "revoked" | "unknown";
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly producedAt: Date;
  /** Set when status is "revoked". */
  readonly revokedAt?: Date;
  readonly reason?: CrlReason;
  /** The certificate whose key signed the response: the issuer or its delegated responder. */
  readonly signer: X509Certificate;
  readonly url?: string;
  /** The OCSPResponse exactly as received (DER): what is kept as evidence of the answer. */
  readonly der: Uint8Array;
}

export type OcspFailure =
  | "malformed"
  | "responder-status"
  | "unauthorized-responder"
  | "bad-signature"
  | "nonce-mismatch"
  | "no-matching-response"
  | "not-yet-valid"
  | "stale"
  | "unsupported";

/** An OCSP response that cannot be trusted or used; `reason` says which check failed. */
export class OcspResponseError extends PkiError {
  readonly code = "ERR_PKI_OCSP_RESPONSE";
  readonly kind = "upstream";
  constructor(
    readonly reason: OcspFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface OcspRequestOptions {
  /** Include a nonce (default true). */
  nonce?: boolean;
  /** CertID hash; SHA-1 is what every responder understands (default). */
  hashAlgorithm?: "SHA-1" | "SHA-256";
  /** Source of the nonce bytes (tests). */
  randomBytes?: (size: number) => Uint8Array;
}

export interface OcspRequest {
  readonly der: Uint8Array;
  /** The nonce extension value (DER OCTET STRING) sent, to compare with the echo. */
  readonly nonce: Uint8Array | undefined;
}

/** A DER OCSPRequest for `cert` issued by `issuer`. */
export async function buildOcspRequest(
  cert: X509Certificate,
  issuer: X509Certificate,
  options: OcspRequestOptions = {},
): Promise<OcspRequest> {
  const request = new pkijs.OCSPRequest();
  await request.createForCertificate(pkijsCertificate(cert), {
    hashAlgorithm: options.hashAlgorithm ?? "SHA-1",
    issuerCertificate: pkijsCertificate(issuer),
  });
  let nonce: Uint8Array | undefined;
  if (options.nonce !== false) {
    const bytes = (options.randomBytes ?? randomBytes)(16);
    nonce = new Uint8Array(new asn1js.OctetString({ valueHex: toArrayBuffer(bytes) }).toBER(false));
    request.tbsRequest.requestExtensions = [
      new pkijs.Extension({ extnID: OID.ocspNonce, extnValue: toArrayBuffer(nonce) }),
    ];
  }
  return { der: new Uint8Array(request.toSchema(true).toBER(false)), nonce };
}

export interface VerifyOcspOptions {
  /** The certificate asked about; only its serial number is needed (with `issuer` it makes the CertID). */
  cert: Pick<X509Certificate, "serialNumber">;
  issuer: X509Certificate;
  /** Validation time: thisUpdate may not be after it, nextUpdate not before it (both with skew). */
  at: Date;
  /** The nonce sent; checked when the response carries one. */
  nonce?: Uint8Array;
  maxSkewMs?: number;
  /** For answers without nextUpdate (default one hour). */
  maxAgeWithoutNextUpdateMs?: number;
  url?: string;
}

/** Parses a DER OCSPResponse and returns the verified answer for `cert`; throws OcspResponseError. */
export async function verifyOcspResponse(der: Uint8Array, options: VerifyOcspOptions): Promise<OcspAnswer> {
  const basic = parseBasicResponse(der);
  const data = basic.tbsResponseData;
  const signer = await authenticate(basic, options.issuer, options.at, options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS);

  for (const ext of data.responseExtensions ?? []) {
    if (ext.extnID === OID.ocspNonce) {
      if (options.nonce && !equalBytes(ext.extnValue.valueBlock.valueHexView, options.nonce)) {
        throw new OcspResponseError("nonce-mismatch", "the response nonce differs from the request nonce");
      }
    } else if (ext.critical) {
      throw new OcspResponseError("unsupported", `unsupported critical response extension ${ext.extnID}`);
    }
  }

  const single = await matchingResponse(data.responses, options.cert, options.issuer);
  for (const ext of single.singleExtensions ?? []) {
    if (ext.critical) throw new OcspResponseError("unsupported", `unsupported critical single extension ${ext.extnID}`);
  }
  const answer: OcspAnswer = {
    ...statusOf(single),
    thisUpdate: single.thisUpdate,
    nextUpdate: single.nextUpdate,
    producedAt: data.producedAt,
    signer,
    ...(options.url ? { url: options.url } : {}),
    der,
  };
  assertCurrent(answer, options.at, options);
  return answer;
}

/**
 * Throws OcspResponseError("not-yet-valid" | "stale") unless the answer is current at `at`. Used again on
 * cached answers, which may have been fetched for an earlier time.
 */
export function assertCurrent(
  answer: Pick<OcspAnswer, "thisUpdate" | "nextUpdate">,
  at: Date,
  options: { maxSkewMs?: number; maxAgeWithoutNextUpdateMs?: number } = {},
): void {
  const skew = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (answer.thisUpdate.getTime() > at.getTime() + skew) {
    throw new OcspResponseError("not-yet-valid", `thisUpdate ${answer.thisUpdate.toISOString()} is after ${at.toISOString()}`);
  }
  const expires = answer.nextUpdate
    ? answer.nextUpdate.getTime()
    : answer.thisUpdate.getTime() + (options.maxAgeWithoutNextUpdateMs ?? DEFAULT_MAX_AGE_WITHOUT_NEXT_UPDATE_MS);
  if (expires < at.getTime() - skew) {
    const what = answer.nextUpdate ? `nextUpdate ${answer.nextUpdate.toISOString()}` : `thisUpdate ${answer.thisUpdate.toISOString()} (no nextUpdate)`;
    throw new OcspResponseError("stale", `response is stale: ${what} at ${at.toISOString()}`);
  }
}

export interface CheckOcspOptions extends OcspRequestOptions {
  /** Responder URL (normally from {@link ocspUrlsOf}). */
  url: string;
  at: Date;
  fetch?: RevocationFetch;
  timeoutMs?: number;
  maxBytes?: number;
  maxSkewMs?: number;
  maxAgeWithoutNextUpdateMs?: number;
}

/** Asks the responder at `url` about `cert`. Throws RevocationFetchError or OcspResponseError. */
export async function checkOcsp(cert: X509Certificate, issuer: X509Certificate, options: CheckOcspOptions): Promise<OcspAnswer> {
  const request = await buildOcspRequest(cert, issuer, options);
  const body = await fetchRevocationBytes(
    options.fetch ?? undiciRevocationFetch,
    {
      url: options.url,
      method: "POST",
      headers: { "content-type": "application/ocsp-request", accept: "application/ocsp-response" },
      body: request.der,
      timeoutMs: options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
      maxBytes: options.maxBytes ?? DEFAULT_OCSP_MAX_BYTES,
    },
    ["application/ocsp-response", "application/octet-stream"],
  );
  return verifyOcspResponse(body, {
    cert,
    issuer,
    at: options.at,
    ...(request.nonce ? { nonce: request.nonce } : {}),
    ...(options.maxSkewMs !== undefined ? { maxSkewMs: options.maxSkewMs } : {}),
    ...(options.maxAgeWithoutNextUpdateMs !== undefined ? { maxAgeWithoutNextUpdateMs: options.maxAgeWithoutNextUpdateMs } : {}),
    url: options.url,
  });
}

/** HTTP(S) OCSP responder URLs from the certificate's authorityInfoAccess, in certificate order. */
export function ocspUrlsOf(cert: X509Certificate): string[] {
  const ext = pkijsCertificate(cert).extensions?.find((e) => e.extnID === OID.authorityInfoAccess);
  const access = (ext?.parsedValue as pkijs.InfoAccess | undefined)?.accessDescriptions ?? [];
  return access
    .filter((d) => d.accessMethod === OID.adOcsp && d.accessLocation.type === 6)
    .map((d) => d.accessLocation.value as unknown)
    .filter((v): v is string => typeof v === "string" && /^https?:\/\//i.test(v));
}

// ---------------------------------------------------------------------------------------------------------

function parseBasicResponse(der: Uint8Array): pkijs.BasicOCSPResponse {
  let response: pkijs.OCSPResponse;
  try {
    response = pkijs.OCSPResponse.fromBER(toArrayBuffer(der));
  } catch (cause) {
    throw new OcspResponseError("malformed", "OCSP response cannot be decoded", { cause });
  }
  const status = response.responseStatus.valueBlock.valueDec;
  if (status !== 0) {
    throw new OcspResponseError("responder-status", `responder answered ${RESPONSE_STATUS[status] ?? `status ${status}`}`);
  }
  if (!response.responseBytes || response.responseBytes.responseType !== OID.ocspBasic) {
    throw new OcspResponseError("unsupported", "response is not a BasicOCSPResponse");
  }
  try {
    return pkijs.BasicOCSPResponse.fromBER(new Uint8Array(response.responseBytes.response.valueBlock.valueHexView));
  } catch (cause) {
    throw new OcspResponseError("malformed", "BasicOCSPResponse cannot be decoded", { cause });
  }
}

/** The certificate that signed the response, after checking it is entitled to answer for `issuer`. */
async function authenticate(
  basic: pkijs.BasicOCSPResponse,
  issuer: X509Certificate,
  at: Date,
  skew: number,
): Promise<X509Certificate> {
  const responderId: unknown = basic.tbsResponseData.responderID;
  const embedded: X509Certificate[] = [];
  for (const c of basic.certs ?? []) {
    try {
      embedded.push(new X509Certificate(Buffer.from(c.toSchema(true).toBER(false))));
    } catch {
      // an undecodable extra certificate cannot be the signer; ignore it
    }
  }
  const candidates = [issuer, ...embedded.filter((c) => c.fingerprint256 !== issuer.fingerprint256)].filter((c) =>
    matchesResponderId(c, responderId),
  );
  if (candidates.length === 0) {
    throw new OcspResponseError("unauthorized-responder", "no known certificate matches the responder id");
  }

  let unauthorized: string | undefined;
  let signatureError: unknown;
  for (const candidate of candidates) {
    const problem = candidate === issuer ? undefined : delegationProblem(candidate, issuer, at, skew);
    let verified: boolean;
    try {
      verified = await pkijs
        .getCrypto(true)
        .verifyWithPublicKey(
          new Uint8Array(basic.tbsResponseData.tbsView),
          basic.signature,
          pkijsCertificate(candidate).subjectPublicKeyInfo,
          basic.signatureAlgorithm,
        );
    } catch (cause) {
      signatureError ??= cause;
      continue;
    }
    if (!verified) continue;
    if (problem) {
      unauthorized ??= `responder "${oneLine(candidate.subject)}" ${problem}`;
      continue;
    }
    return candidate;
  }
  if (unauthorized) throw new OcspResponseError("unauthorized-responder", unauthorized);
  throw new OcspResponseError(
    "bad-signature",
    "the response signature does not verify with the issuer's or a delegated responder's key",
    signatureError ? { cause: signatureError } : undefined,
  );
}

/** Why `responder` may not sign for `issuer` (RFC 6960 4.2.2.2), or undefined when it may. */
function delegationProblem(responder: X509Certificate, issuer: X509Certificate, at: Date, skew: number): string | undefined {
  if (!responder.checkIssued(issuer) || !responder.verify(issuer.publicKey)) return "is not issued by the certificate's issuer";
  if (!(responder.keyUsage ?? []).includes(OID.kpOcspSigning)) return "lacks the id-kp-OCSPSigning extended key usage";
  const { notBefore, notAfter } = validityOf(responder);
  if (notBefore.getTime() > at.getTime() + skew || notAfter.getTime() < at.getTime() - skew) {
    return `is not valid at ${at.toISOString()}`;
  }
  return undefined;
}

function matchesResponderId(cert: X509Certificate, responderId: unknown): boolean {
  const parsed = pkijsCertificate(cert);
  if (responderId instanceof pkijs.RelativeDistinguishedNames) return parsed.subject.isEqual(responderId);
  if (responderId instanceof asn1js.OctetString) {
    const keyBits = parsed.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
    return equalBytes(createHash("sha1").update(keyBits).digest(), responderId.valueBlock.valueHexView);
  }
  return false;
}

/** The SingleResponse whose CertID names `cert` (any hash algorithm the responder chose). */
async function matchingResponse(
  responses: readonly pkijs.SingleResponse[],
  cert: Pick<X509Certificate, "serialNumber">,
  issuer: X509Certificate,
): Promise<pkijs.SingleResponse> {
  const crypto = pkijs.getCrypto(true);
  const serial = normaliseSerial(cert.serialNumber);
  const ids = new Map<string, pkijs.CertID>();
  for (const response of responses) {
    const responseSerial = normaliseSerial(Buffer.from(response.certID.serialNumber.valueBlock.valueHexView).toString("hex"));
    if (responseSerial !== serial) continue;
    const algorithm = crypto.getAlgorithmByOID(response.certID.hashAlgorithm.algorithmId, false) as { name?: string };
    if (!algorithm.name) continue;
    let expected = ids.get(algorithm.name);
    if (!expected) {
      expected = new pkijs.CertID();
      // Only the issuer's name and key are hashed here (the serial was compared above): the issuer stands in
      // for the certificate, so a serial number is all that is needed of it.
      await expected.createForCertificate(pkijsCertificate(issuer), {
        hashAlgorithm: algorithm.name,
        issuerCertificate: pkijsCertificate(issuer),
      });
      ids.set(algorithm.name, expected);
    }
    if (
      equalBytes(expected.issuerNameHash.valueBlock.valueHexView, response.certID.issuerNameHash.valueBlock.valueHexView) &&
      equalBytes(expected.issuerKeyHash.valueBlock.valueHexView, response.certID.issuerKeyHash.valueBlock.valueHexView)
    ) {
      return response;
    }
  }
  throw new OcspResponseError(
    "no-matching-response",
    `the response has no status for serial ${cert.serialNumber} of "${nameToString(pkijsCertificate(issuer).subject)}"`,
  );
}

function statusOf(single: pkijs.SingleResponse): Pick<OcspAnswer, "status" | "revokedAt" | "reason"> {
  const status = single.certStatus as asn1js.BaseBlock;
  const tag = status.idBlock.tagNumber;
  if (tag === 0) return { status: "good" };
  if (tag === 2) return { status: "unknown" };
  if (tag === 1 && status instanceof asn1js.Constructed) {
    const [time, reasonBlock] = status.valueBlock.value;
    if (!(time instanceof asn1js.GeneralizedTime)) throw new OcspResponseError("malformed", "revoked status without a revocation time");
    let reason: CrlReason | undefined;
    if (reasonBlock instanceof asn1js.Constructed) {
      const inner = reasonBlock.valueBlock.value[0];
      if (inner instanceof asn1js.Enumerated) reason = crlReasonName(inner.valueBlock.valueDec) ?? "unspecified";
    }
    return { status: "revoked", revokedAt: time.toDate(), ...(reason ? { reason } : {}) };
  }
  throw new OcspResponseError("malformed", `unknown certStatus tag ${tag}`);
}

function equalBytes(a: ArrayBufferView | ArrayBuffer, b: ArrayBufferView | ArrayBuffer): boolean {
  const x = toBuffer(a);
  const y = toBuffer(b);
  return x.length === y.length && x.equals(y);
}

function toBuffer(v: ArrayBufferView | ArrayBuffer): Buffer {
  return v instanceof ArrayBuffer ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function oneLine(name: string): string {
  return name.replace(/\n/g, ", ");
}
