/**
 * The answering side of OCSP for one simulated CA: DER OCSPRequest in, signed DER OCSPResponse out.
 * It answers for certificates of `issuer` only (CertID name and key hashes in any hash algorithm pkijs
 * knows), signs with the issuer or a delegated responder, and echoes the request nonce.
 */
import * as pkijs from "pkijs";
import * as asn1js from "asn1js";
import { DEFAULT_REVOKED_AT } from "./crl-builder.js";
import type { RevokedSerial } from "./crl-builder.js";
import { signingKeyOf, wholeSeconds } from "./signing.js";
import type { SigningIdentity } from "./signing.js";

const NONCE = "1.3.6.1.5.5.7.48.1.2";
const BASIC = "1.3.6.1.5.5.7.48.1.1";

/** Deliberate misbehaviour, for testing clients. */
export interface OcspFaults {
  /** "echo" (default) copies the request nonce, "omit" leaves it out, "wrong" sends another one. */
  nonce?: "echo" | "omit" | "wrong";
}

export interface OcspResponderOptions {
  issuer: SigningIdentity;
  /** Who signs; default the issuer itself. A delegated responder should carry id-kp-OCSPSigning. */
  responder?: SigningIdentity;
  /** Current revocations, looked up on every request (so they may change). */
  revoked: () => readonly RevokedSerial[];
  /** When set, serials outside this list answer "unknown". */
  known?: () => readonly string[] | undefined;
  /** nextUpdate = thisUpdate + this; null omits nextUpdate. */
  validityMs: number | null;
  now: () => Date;
  faults?: OcspFaults;
}

export type OcspResponderStatus = "successful" | "malformedRequest" | "unauthorized";

export interface OcspResponder {
  respond(request: Uint8Array): Promise<{ status: OcspResponderStatus; der: Uint8Array }>;
}

export function createOcspResponder(options: OcspResponderOptions): OcspResponder {
  const issuer = pkijs.Certificate.fromBER(options.issuer.cert.raw);
  const signer = options.responder ?? options.issuer;
  const signerCert = pkijs.Certificate.fromBER(signer.cert.raw);
  let signingKey: Promise<CryptoKey> | undefined;

  return {
    async respond(requestDer) {
      let request: pkijs.OCSPRequest;
      try {
        request = pkijs.OCSPRequest.fromBER(toArrayBuffer(requestDer));
      } catch {
        return { status: "malformedRequest", der: errorResponse(1) };
      }
      const requests = request.tbsRequest.requestList;
      if (requests.length === 0) return { status: "malformedRequest", der: errorResponse(1) };

      const now = wholeSeconds(options.now());
      const revoked = options.revoked();
      const known = options.known?.();
      const responses: pkijs.SingleResponse[] = [];
      let authoritative = false;
      for (const { reqCert } of requests) {
        const ours = await issuedByUs(reqCert, issuer);
        authoritative ||= ours;
        const serial = normalise(Buffer.from(reqCert.serialNumber.valueBlock.valueHexView).toString("hex"));
        const entry = revoked.find((r) => normalise(r.serialNumber) === serial);
        const isKnown = known === undefined || known.some((s) => normalise(s) === serial);
        const certStatus = !ours || !isKnown ? unknownStatus() : entry ? revokedStatus(entry) : goodStatus();
        responses.push(
          new pkijs.SingleResponse({
            certID: reqCert,
            certStatus,
            thisUpdate: now,
            ...(options.validityMs === null ? {} : { nextUpdate: new Date(now.getTime() + options.validityMs) }),
          }),
        );
      }
      if (!authoritative) return { status: "unauthorized", der: errorResponse(6) };

      const basic = new pkijs.BasicOCSPResponse();
      basic.tbsResponseData.responderID = signerCert.subject;
      basic.tbsResponseData.producedAt = now;
      basic.tbsResponseData.responses = responses;
      const nonce = nonceFor(request, options.faults?.nonce ?? "echo");
      if (nonce) basic.tbsResponseData.responseExtensions = [nonce];
      basic.certs = [signerCert];
      signingKey ??= signingKeyOf(signer.privateKey);
      await basic.sign(await signingKey, "SHA-256");

      const response = new pkijs.OCSPResponse({
        responseStatus: new asn1js.Enumerated({ value: 0 }),
        responseBytes: new pkijs.ResponseBytes({
          responseType: BASIC,
          response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }),
        }),
      });
      return { status: "successful", der: new Uint8Array(response.toSchema().toBER(false)) };
    },
  };
}

async function issuedByUs(certId: pkijs.CertID, issuer: pkijs.Certificate): Promise<boolean> {
  const algorithm = pkijs.getCrypto(true).getAlgorithmByOID(certId.hashAlgorithm.algorithmId, false) as { name?: string };
  if (!algorithm.name) return false;
  const expected = new pkijs.CertID();
  // Only the issuer's name and key are hashed; the "certificate" argument contributes its serial alone.
  await expected.createForCertificate(issuer, { hashAlgorithm: algorithm.name, issuerCertificate: issuer });
  return (
    equal(expected.issuerNameHash.valueBlock.valueHexView, certId.issuerNameHash.valueBlock.valueHexView) &&
    equal(expected.issuerKeyHash.valueBlock.valueHexView, certId.issuerKeyHash.valueBlock.valueHexView)
  );
}

function nonceFor(request: pkijs.OCSPRequest, mode: "echo" | "omit" | "wrong"): pkijs.Extension | undefined {
  const sent = request.tbsRequest.requestExtensions?.find((e) => e.extnID === NONCE);
  if (!sent || mode === "omit") return undefined;
  if (mode === "echo") return new pkijs.Extension({ extnID: NONCE, extnValue: toArrayBuffer(sent.extnValue.valueBlock.valueHexView) });
  const other = new asn1js.OctetString({ valueHex: new Uint8Array(16).fill(0x5a).buffer }).toBER(false);
  return new pkijs.Extension({ extnID: NONCE, extnValue: other });
}

function goodStatus(): asn1js.Primitive {
  return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
}

function unknownStatus(): asn1js.Primitive {
  return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
}

function revokedStatus(entry: RevokedSerial): asn1js.Constructed {
  const value: asn1js.BaseBlock[] = [new asn1js.GeneralizedTime({ valueDate: wholeSeconds(entry.revokedAt ?? DEFAULT_REVOKED_AT) })];
  if (entry.reason !== undefined) {
    value.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Enumerated({ value: entry.reason })] }));
  }
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value });
}

function errorResponse(status: number): Uint8Array {
  return new Uint8Array(new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) }).toSchema().toBER(false));
}

function normalise(hex: string): string {
  return hex.replace(/[^0-9a-f]/gi, "").toUpperCase().replace(/^0+/, "") || "0";
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
