import { constants, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from "node:crypto";

/**
 * Compact JWS with RSASSA-PKCS1-v1_5 (RS256, RS384, RS512) on node:crypto's one-shot sign and verify.
 *
 * jose's build for Node 20 goes through WebCrypto: a CryptoKey made from the KeyObject (cached by jose per
 * KeyObject), its checks, and the signature run as a WebCrypto job on the thread pool behind several promises,
 * which was more than half of the CPU of verifying a forretningsmelding (a postbox's signed receipt per letter).
 * A 2048-bit RSA verification is some 25 µs, so it is done here on the calling thread, one call. This does the
 * same checks in the same order with the same outcomes (jose's error codes and messages, see JwsError) and
 * produces the same bytes (PKCS#1 v1.5 signatures are deterministic; test/jws/ compares both ways with jose).
 */

export type RsJwsAlgorithm = "RS256" | "RS384" | "RS512";

const DIGEST: Record<RsJwsAlgorithm, string> = { RS256: "sha256", RS384: "sha384", RS512: "sha512" };

/**
 * A refusal jose would give as a JOSEError, with jose's `code` and message, so that callers which report
 * `${code}: ${message}` report what they did with jose.
 */
export class JwsError extends Error {
  constructor(
    readonly code: "ERR_JWS_INVALID" | "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" | "ERR_JOSE_NOT_SUPPORTED",
    message: string,
  ) {
    super(message);
    this.name = "JwsError";
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The bytes of a base64url segment without padding, or undefined where jose's decoder (WHATWG forgiving
 * base64) refuses it: a character outside the alphabet, or a length that leaves 1 over a multiple of 4.
 * Like it, bits left over in the last character are ignored.
 */
export function decodeBase64urlSegment(segment: string): Buffer | undefined {
  if (segment.length % 4 === 1 || !BASE64URL.test(segment)) return undefined;
  return Buffer.from(segment, "base64url");
}

/**
 * A JWS protected header segment as a JSON object, or undefined where jose's decodeProtectedHeader refuses
 * it (not base64url, not UTF-8, not JSON, or JSON that is not an object). A leading byte order mark is
 * dropped as jose's decoder drops it.
 */
export function decodeProtectedHeaderSegment(segment: string): Record<string, unknown> | undefined {
  if (segment === "") return undefined;
  const bytes = decodeBase64urlSegment(segment);
  if (bytes === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return undefined;
  }
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}

/** jose's key checks for RS* (prepareKey, then checkModulusLength), with its errors. */
function assertRsaKey(alg: RsJwsAlgorithm, key: KeyObject, usage: "sign" | "verify"): void {
  const expectedType = usage === "sign" ? "private" : "public";
  if (key.type !== expectedType) throw new TypeError(`KeyObject instances must be of type "${expectedType}" for the ${alg} algorithm`);
  // An EC or EdDSA key: jose fails to import it for RSASSA-PKCS1-v1_5 with this. An RSA-PSS key made jose
  // throw Node's own ERR_CRYPTO_JWK_UNSUPPORTED_KEY_TYPE, not a JOSEError; it is refused here the same way
  // as other key types (node:crypto would otherwise verify a PSS signature with it).
  if (key.asymmetricKeyType !== "rsa") throw new JwsError("ERR_JOSE_NOT_SUPPORTED", 'Invalid or unsupported JWK "alg" (Algorithm) Parameter value');
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (typeof bits !== "number" || bits < 2048) throw new TypeError(`${alg} requires key modulusLength to be 2048 bits or larger`);
}

export function isRsJwsAlgorithm(alg: unknown): alg is RsJwsAlgorithm {
  return alg === "RS256" || alg === "RS384" || alg === "RS512";
}

/**
 * Verifies the signature segment of a compact JWS over `signingInput` (the header and payload segments with
 * their dot, ASCII) with an RSA public key, in jose's order: the signature segment must decode
 * (ERR_JWS_INVALID "Failed to base64url decode the signature"), the key must be an RSA public key of 2048
 * bits or more (TypeError, or ERR_JOSE_NOT_SUPPORTED for another key type), and the signature must verify
 * (ERR_JWS_SIGNATURE_VERIFICATION_FAILED "signature verification failed").
 */
export function verifyRsSignature(alg: RsJwsAlgorithm, signingInput: string, signatureSegment: string, key: KeyObject): void {
  const signature = decodeBase64urlSegment(signatureSegment);
  if (signature === undefined) throw new JwsError("ERR_JWS_INVALID", "Failed to base64url decode the signature");
  assertRsaKey(alg, key, "verify");
  let verified = false;
  try {
    verified = cryptoVerify(DIGEST[alg], Buffer.from(signingInput, "latin1"), { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    verified = false;
  }
  if (!verified) throw new JwsError("ERR_JWS_SIGNATURE_VERIFICATION_FAILED", "signature verification failed");
}

/**
 * A compact JWS of `payload` with `header` as its protected header (JSON.stringify of it, as jose writes it),
 * signed with an RSA private key of 2048 bits or more. The signature runs on libuv's thread pool as jose's
 * WebCrypto signing did, so the event loop does not wait the millisecond or so of an RSA private-key operation.
 */
export async function signRsCompact(header: Record<string, unknown> & { alg: RsJwsAlgorithm }, payload: Uint8Array, privateKey: KeyObject): Promise<string> {
  const { alg } = header;
  if (!isRsJwsAlgorithm(alg)) throw new JwsError("ERR_JOSE_NOT_SUPPORTED", `alg ${String(alg)} is not supported either by JOSE or your javascript runtime`);
  if (header["crit"] !== undefined || header["b64"] !== undefined) throw new TypeError("signRsCompact writes neither crit nor b64 headers");
  const signingInput = `${Buffer.from(JSON.stringify(header), "utf8").toString("base64url")}.${Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("base64url")}`;
  assertRsaKey(alg, privateKey, "sign");
  const signature = await new Promise<Buffer>((resolve, reject) => {
    cryptoSign(DIGEST[alg], Buffer.from(signingInput, "latin1"), { key: privateKey, padding: constants.RSA_PKCS1_PADDING }, (err, sig) => (err ? reject(err) : resolve(sig)));
  });
  return `${signingInput}.${signature.toString("base64url")}`;
}
