import { sign as cryptoSign, type KeyObject } from "node:crypto";
import { expect } from "chai";
import { fixedClock } from "../../src/clock.js";
import { signForretningsmelding } from "../../src/dpi/build/sign-forretningsmelding.js";
import { createForretningsmeldingVerifier } from "../../src/dpi/signed-forretningsmelding.js";
import { businessSigner, certificate } from "../helpers/certs.js";
import { samplePayload } from "./samples.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const verify = createForretningsmeldingVerifier({
  anchors: [certificate("business/root-ca.pem"), certificate("business/intermediate-ca.pem")],
  clock: fixedClock(NOW),
});
const payload = samplePayload("leveringskvittering");
const senderOrg = (payload.standardBusinessDocument.standardBusinessDocumentHeader.sender[0]!.identifier.value as string).split(":")[1]!;
const signer = businessSigner(senderOrg);
const wrong = businessSigner(senderOrg === "991825827" ? "910076787" : "991825827");
const x5c = [signer.certificate.raw.toString("base64")];
const b64u = (s: string | Buffer) => Buffer.from(s).toString("base64url");
const payloadSegment = b64u(JSON.stringify(payload));

/** A compact JWS over exactly these segments, signed with node:crypto. */
function rawJws(header: unknown, body = payloadSegment, key: KeyObject = signer.privateKey, digest = "sha256"): string {
  const h = typeof header === "string" ? header : b64u(JSON.stringify(header));
  return `${h}.${body}.${cryptoSign(digest, Buffer.from(`${h}.${body}`), key).toString("base64url")}`;
}

async function refusal(jws: string): Promise<string> {
  try {
    await verify(jws);
    return "accepted";
  } catch (err) {
    const e = err as Error & { code?: string };
    return `${e.constructor.name} ${e.code}: ${e.message}`;
  }
}

describe("dpi/signed-forretningsmelding: the JWS checks", () => {
  it("accepts what signForretningsmelding signs, with RS256 and RS512", async () => {
    for (const alg of ["RS256", "RS512"] as const) {
      const jws = await signForretningsmelding(payload, signer, alg);
      const verified = await verify(jws);
      expect(verified.jws).to.equal(jws);
      expect(verified.signer.fingerprint256).to.equal(signer.certificate.fingerprint256);
      expect(verified.signerOrg).to.equal(`0192:${senderOrg}`);
      expect([verified.message.type, verified.message.messageId]).to.deep.equal(["leveringskvittering", payload.standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier]);
    }
  });

  it("ignores a b64 header without crit, as RFC 7797 and jose do (the payload is still base64url)", async () => {
    expect((await verify(rawJws({ x5c, alg: "RS256", b64: false }))).signerOrg).to.equal(`0192:${senderOrg}`);
  });

  const cases: [string, () => string, string][] = [
    ["alg none with an empty signature", () => `${b64u(JSON.stringify({ x5c, alg: "none" }))}.${payloadSegment}.`,
      "ForretningsmeldingMalformedError forretningsmelding-malformed: not a compact JWS with an attached payload (three base64url segments)"],
    ["alg none with a signature", () => rawJws({ x5c, alg: "none" }),
      'ForretningsmeldingAlgorithmError forretningsmelding-algorithm: alg "none" is not one of RS256, RS512'],
    ["HS256", () => rawJws({ x5c, alg: "HS256" }), 'ForretningsmeldingAlgorithmError forretningsmelding-algorithm: alg "HS256" is not one of RS256, RS512'],
    ["RS384 (RSA, but not allowed)", () => rawJws({ x5c, alg: "RS384" }, payloadSegment, signer.privateKey, "sha384"),
      'ForretningsmeldingAlgorithmError forretningsmelding-algorithm: alg "RS384" is not one of RS256, RS512'],
    ["no alg", () => rawJws({ x5c }), "ForretningsmeldingAlgorithmError forretningsmelding-algorithm: alg undefined is not one of RS256, RS512"],
    ["a crit header", () => rawJws({ x5c, alg: "RS256", crit: ["b64"], b64: false }),
      "ForretningsmeldingMalformedError forretningsmelding-malformed: the JWS header has crit parameters, which are not supported"],
    ["two segments", () => rawJws({ x5c, alg: "RS256" }).split(".").slice(0, 2).join("."),
      "ForretningsmeldingMalformedError forretningsmelding-malformed: not a compact JWS with an attached payload (three base64url segments)"],
    ["padding", () => `${rawJws({ x5c, alg: "RS256" })}=`,
      "ForretningsmeldingMalformedError forretningsmelding-malformed: not a compact JWS with an attached payload (three base64url segments)"],
    ["a header that is not JSON", () => rawJws(b64u("{x5c")), "ForretningsmeldingMalformedError forretningsmelding-malformed: the JWS header is not valid base64url JSON"],
    ["a header that is a JSON array", () => rawJws(b64u("[]")), "ForretningsmeldingMalformedError forretningsmelding-malformed: the JWS header is not valid base64url JSON"],
    ["a header of 4n+1 characters", () => rawJws("e30xA"), "ForretningsmeldingMalformedError forretningsmelding-malformed: the JWS header is not valid base64url JSON"],
    ["no x5c", () => rawJws({ alg: "RS256", kid: "k" }),
      "ForretningsmeldingMalformedError forretningsmelding-malformed: the JWS header must carry x5c: the signer's certificate chain, leaf first"],
    ["a tampered payload", () => { const [h, , s] = rawJws({ x5c, alg: "RS256" }).split("."); return `${h}.${b64u(JSON.stringify({ ...payload, x: 1 }))}.${s}`; },
      "ForretningsmeldingSignatureError forretningsmelding-signature-invalid: the signature does not verify with the x5c certificate's key"],
    ["another key than x5c's", () => rawJws({ x5c, alg: "RS256" }, payloadSegment, wrong.privateKey),
      "ForretningsmeldingSignatureError forretningsmelding-signature-invalid: the signature does not verify with the x5c certificate's key"],
    ["RS512 in the header, signed with SHA-256", () => rawJws({ x5c, alg: "RS512" }),
      "ForretningsmeldingSignatureError forretningsmelding-signature-invalid: the signature does not verify with the x5c certificate's key"],
    ["a signature of 4n+1 characters", () => `${rawJws({ x5c, alg: "RS256" })}AAA`,
      "ForretningsmeldingSignatureError forretningsmelding-signature-invalid: ERR_JWS_INVALID: Failed to base64url decode the signature"],
    ["a payload of 4n+1 characters", () => rawJws({ x5c, alg: "RS256" }, `${payloadSegment}${"A".repeat((5 - (payloadSegment.length % 4)) % 4)}`),
      "ForretningsmeldingSignatureError forretningsmelding-signature-invalid: ERR_JWS_INVALID: Failed to base64url decode the payload"],
    ["a payload that is not JSON", () => rawJws({ x5c, alg: "RS256" }, b64u("not json")),
      "ForretningsmeldingMalformedError forretningsmelding-malformed: the JWS payload is not UTF-8 JSON"],
  ];
  for (const [name, make, expected] of cases) {
    it(`refuses ${name}`, async () => {
      expect(await refusal(make())).to.equal(expected);
    });
  }
});
