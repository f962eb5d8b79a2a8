import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from "node:crypto";
import { CompactSign, compactVerify } from "jose";
import { expect } from "chai";
import {
  decodeBase64urlSegment,
  decodeProtectedHeaderSegment,
  JwsError,
  signRsCompact,
  verifyRsSignature,
  type RsJwsAlgorithm,
} from "../../src/jws/rs-compact.js";
import { businessSigner } from "../helpers/certs.js";

const signer = businessSigner("991825827");
const other = businessSigner("910076787");
const rsa1024 = generateKeyPairSync("rsa", { modulusLength: 1024 });
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const pss = generateKeyPairSync("rsa-pss", { modulusLength: 2048 });
const b64u = (s: string | Buffer) => Buffer.from(s).toString("base64url");

/** A compact JWS over exactly these segments, signed with node:crypto (so segments jose would never write). */
function rawJws(headerSegment: string, payloadSegment: string, alg: RsJwsAlgorithm = "RS256", key: KeyObject = signer.privateKey): string {
  const digest = { RS256: "sha256", RS384: "sha384", RS512: "sha512" }[alg];
  return `${headerSegment}.${payloadSegment}.${cryptoSign(digest, Buffer.from(`${headerSegment}.${payloadSegment}`), key).toString("base64url")}`;
}

/** Our verification of a compact JWS as jose's compactVerify would be asked: outcome as "ok <payload>" or "<class> <code>: <message>". */
function ours(jws: string, key: KeyObject): string {
  const [h, p, s] = jws.split(".") as [string, string, string];
  try {
    verifyRsSignature(decodeProtectedHeaderSegment(h)!["alg"] as RsJwsAlgorithm, `${h}.${p}`, s, key);
    const payload = decodeBase64urlSegment(p);
    if (payload === undefined) throw new JwsError("ERR_JWS_INVALID", "Failed to base64url decode the payload");
    return `ok ${payload.toString("latin1")}`;
  } catch (err) {
    return err instanceof JwsError ? `JOSEError ${err.code}: ${err.message}` : `${(err as Error).name} ${(err as Error).message}`;
  }
}

async function jose(jws: string, key: KeyObject): Promise<string> {
  try {
    const { payload } = await compactVerify(jws, key, { algorithms: ["RS256", "RS384", "RS512"] });
    return `ok ${Buffer.from(payload).toString("latin1")}`;
  } catch (err) {
    const e = err as Error & { code?: string };
    return e.code?.startsWith("ERR_J") ? `JOSEError ${e.code}: ${e.message}` : `${e.name} ${e.message}`;
  }
}

describe("RS* compact JWS on node:crypto", () => {
  it("signs the very bytes jose signs, for each algorithm and with an x5c header", async () => {
    const payload = new TextEncoder().encode(JSON.stringify({ a: "æøå", b: [1, 2, 3] }));
    const x5c = [signer.certificate.raw.toString("base64")];
    for (const alg of ["RS256", "RS384", "RS512"] as const) {
      const mine = await signRsCompact({ x5c, alg }, payload, signer.privateKey);
      const theirs = await new CompactSign(payload).setProtectedHeader({ x5c, alg }).sign(signer.privateKey);
      expect(mine).to.equal(theirs);
      expect((await compactVerify(mine, signer.certificate.publicKey)).protectedHeader).to.deep.equal({ x5c, alg });
    }
  });

  it("refuses to sign with a public, short, EC or RSA-PSS key, with jose's errors", async () => {
    const payload = new Uint8Array([123, 125]);
    const outcome = (p: Promise<unknown>) => p.then(() => "signed", (e: Error & { code?: string }) => `${e.constructor.name} ${e.code ?? ""}: ${e.message}`);
    expect(await outcome(signRsCompact({ alg: "RS256" }, payload, signer.certificate.publicKey))).to.equal('TypeError : KeyObject instances must be of type "private" for the RS256 algorithm');
    expect(await outcome(signRsCompact({ alg: "RS512" }, payload, rsa1024.privateKey))).to.equal("TypeError : RS512 requires key modulusLength to be 2048 bits or larger");
    for (const key of [ec.privateKey, pss.privateKey]) {
      expect(await outcome(signRsCompact({ alg: "RS256" }, payload, key))).to.equal('JwsError ERR_JOSE_NOT_SUPPORTED: Invalid or unsupported JWK "alg" (Algorithm) Parameter value');
    }
    expect(await outcome(signRsCompact({ alg: "RS256", crit: ["b64"], b64: false }, payload, signer.privateKey))).to.equal("TypeError : signRsCompact writes neither crit nor b64 headers");
  });

  it("verifies and refuses exactly as jose's compactVerify does", async () => {
    const header = b64u(JSON.stringify({ alg: "RS256" }));
    const payload = b64u("{}");
    const good = rawJws(header, payload);
    const [h, p, s] = good.split(".") as [string, string, string];
    const flipped = `${s.slice(0, 10)}${s[10] === "A" ? "B" : "A"}${s.slice(11)}`;
    const cases: [string, string, KeyObject, string][] = [
      ["a good signature", good, signer.certificate.publicKey, "ok {}"],
      ["RS384", rawJws(b64u(JSON.stringify({ alg: "RS384" })), payload, "RS384"), signer.certificate.publicKey, "ok {}"],
      ["RS512", rawJws(b64u(JSON.stringify({ alg: "RS512" })), payload, "RS512"), signer.certificate.publicKey, "ok {}"],
      ["a tampered payload", `${h}.${b64u("[]")}.${s}`, signer.certificate.publicKey, "JOSEError ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed"],
      ["a tampered header", `${b64u(JSON.stringify({ alg: "RS256", x: 1 }))}.${p}.${s}`, signer.certificate.publicKey, "JOSEError ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed"],
      ["a changed signature", `${h}.${p}.${flipped}`, signer.certificate.publicKey, "JOSEError ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed"],
      ["a short signature", `${h}.${p}.${s.slice(0, 40)}`, signer.certificate.publicKey, "JOSEError ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed"],
      ["an empty signature", `${h}.${p}.`, signer.certificate.publicKey, "JOSEError ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed"],
      ["another key", good, other.certificate.publicKey, "JOSEError ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed"],
      ["the alg of another hash", rawJws(header, payload, "RS512"), signer.certificate.publicKey, "JOSEError ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed"],
      ["a signature of 4n+1 characters", `${h}.${p}.${s}AAA`, signer.certificate.publicKey, "JOSEError ERR_JWS_INVALID: Failed to base64url decode the signature"],
      ["a payload of 4n+1 characters", rawJws(header, "e30xA"), signer.certificate.publicKey, "JOSEError ERR_JWS_INVALID: Failed to base64url decode the payload"],
      ["a payload with unused bits set", rawJws(header, "e31"), signer.certificate.publicKey, "ok {}"],
      ["a signature of 4n+2 characters (trailing bits dropped)", `${h}.${p}.${s}AA`, signer.certificate.publicKey, "JOSEError ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed"],
      ["a private key", good, signer.privateKey, 'TypeError KeyObject instances must be of type "public" for the RS256 algorithm'],
      ["a 1024-bit key", rawJws(header, payload, "RS256", rsa1024.privateKey), rsa1024.publicKey, "TypeError RS256 requires key modulusLength to be 2048 bits or larger"],
      ["an EC key", good, ec.publicKey, 'JOSEError ERR_JOSE_NOT_SUPPORTED: Invalid or unsupported JWK "alg" (Algorithm) Parameter value'],
    ];
    for (const [name, jws, key, outcome] of cases) {
      expect([name, ours(jws, key)]).to.deep.equal([name, outcome]);
      expect([name, await jose(jws, key)]).to.deep.equal([name, outcome]);
    }
    // jose made Node refuse an RSA-PSS key with its own error (not a JOSEError); it is refused as another key type here.
    expect(ours(good, pss.publicKey)).to.equal('JOSEError ERR_JOSE_NOT_SUPPORTED: Invalid or unsupported JWK "alg" (Algorithm) Parameter value');
    expect(await jose(good, pss.publicKey)).to.equal("Error Unsupported JWK Key Type.");
  });

  it("decodes protected headers where jose's decodeProtectedHeader does, and refuses the rest", () => {
    expect(decodeProtectedHeaderSegment(b64u('{"alg":"RS256"}'))).to.deep.equal({ alg: "RS256" });
    expect(decodeProtectedHeaderSegment(b64u(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"alg":"RS256"}')])))).to.deep.equal({ alg: "RS256" });
    for (const bad of ["", b64u("[1]"), b64u("null"), b64u('"x"'), b64u("{"), b64u(Buffer.from([0x7b, 0xff, 0x7d])), "e30xA", "e3+9", "e30="]) {
      expect([bad, decodeProtectedHeaderSegment(bad)]).to.deep.equal([bad, undefined]);
    }
  });
});
