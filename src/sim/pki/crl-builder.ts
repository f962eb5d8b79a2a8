/** Signed v2 CRLs for the simulated CA. */
import * as pkijs from "pkijs";
import * as asn1js from "asn1js";
import { signingKeyOf, wholeSeconds } from "./signing.js";
import type { SigningIdentity } from "./signing.js";

/** A revoked certificate: hex serial (as `X509Certificate.serialNumber`), time and RFC 5280 reason code. */
export interface RevokedSerial {
  readonly serialNumber: string;
  /** Default 2025-01-02T00:00:00Z (the example PKI's revocation date). */
  readonly revokedAt?: Date;
  /** CRLReason code, e.g. 1 keyCompromise; omitted when absent. */
  readonly reason?: number;
}

export const DEFAULT_REVOKED_AT = new Date("2025-01-02T00:00:00Z");

export interface BuildCrlOptions {
  issuer: SigningIdentity;
  revoked: readonly RevokedSerial[];
  thisUpdate: Date;
  nextUpdate?: Date;
  crlNumber: number;
}

/** A DER CRL signed with SHA-256 by `issuer`, with a CRL number and reason codes. */
export async function buildCrl(options: BuildCrlOptions): Promise<Uint8Array> {
  const issuer = pkijs.Certificate.fromBER(options.issuer.cert.raw);
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1; // v2
  crl.issuer = issuer.subject;
  crl.thisUpdate = timeOf(options.thisUpdate);
  if (options.nextUpdate) crl.nextUpdate = timeOf(options.nextUpdate);
  if (options.revoked.length > 0) {
    crl.revokedCertificates = options.revoked.map((entry) => {
      const extensions =
        entry.reason === undefined
          ? undefined
          : new pkijs.Extensions({
              extensions: [
                new pkijs.Extension({
                  extnID: "2.5.29.21",
                  extnValue: new asn1js.Enumerated({ value: entry.reason }).toBER(false),
                }),
              ],
            });
      return new pkijs.RevokedCertificate({
        userCertificate: serialInteger(entry.serialNumber),
        revocationDate: timeOf(entry.revokedAt ?? DEFAULT_REVOKED_AT),
        ...(extensions ? { crlEntryExtensions: extensions } : {}),
      });
    });
  }
  crl.crlExtensions = new pkijs.Extensions({
    extensions: [new pkijs.Extension({ extnID: "2.5.29.20", extnValue: new asn1js.Integer({ value: options.crlNumber }).toBER(false) })],
  });
  await crl.sign(await signingKeyOf(options.issuer.privateKey), "SHA-256");
  return new Uint8Array(crl.toSchema(true).toBER(false));
}

/** A positive DER INTEGER from a hex serial number. */
export function serialInteger(hex: string): asn1js.Integer {
  let clean = hex.replace(/[^0-9a-f]/gi, "");
  if (clean.length % 2) clean = `0${clean}`;
  if (clean === "") clean = "00";
  if (Number.parseInt(clean.slice(0, 2), 16) >= 0x80) clean = `00${clean}`;
  const bytes = Buffer.from(clean, "hex");
  return new asn1js.Integer({ valueHex: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function timeOf(date: Date): pkijs.Time {
  const value = wholeSeconds(date);
  return new pkijs.Time({ type: value.getUTCFullYear() < 2050 ? 0 : 1, value });
}
