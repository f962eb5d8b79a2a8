import { expect } from "chai";
import { CompactSign, exportJWK } from "jose";
import type { JSONWebKeySet } from "jose";
import { createPublicKey } from "node:crypto";
import {
  ServiceRegistryBadSignatureError,
  ServiceRegistryMalformedResponseError,
  ServiceRegistryUnsignedResponseError,
} from "../../src/routing/service-registry/errors.js";
import { createSignedPayloadVerifier } from "../../src/routing/service-registry/signed-payload.js";
import { businessSigner } from "../helpers/certs.js";

const A = businessSigner("991825827");
const B = businessSigner("910076787");

async function jwk(signer: typeof A, kid?: string) {
  return { ...(await exportJWK(createPublicKey(signer.privateKey))), use: "sig", alg: "RS256", ...(kid ? { kid } : {}) };
}

const sign = (signer: typeof A, payload: string | Uint8Array, header: Record<string, unknown> = {}) =>
  new CompactSign(typeof payload === "string" ? new TextEncoder().encode(payload) : payload).setProtectedHeader({ alg: "RS256", ...header }).sign(signer.privateKey);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

describe("routing/service-registry signed payloads (JWS against the registry's JWK set)", () => {
  it("without a kid, the signature picks among the keys", async () => {
    const set: JSONWebKeySet = { keys: [await jwk(A), await jwk(B)] };
    const v = createSignedPayloadVerifier({ fetchJwks: async () => set });
    expect(await v.verify(await sign(B, '{"b":1}'))).to.deep.equal({ payload: '{"b":1}', kid: undefined });
    expect(await v.verify(`  ${await sign(A, '{"a":1}')}\n`)).to.deep.equal({ payload: '{"a":1}', kid: undefined });
    expect(v.fetches()).to.equal(1);
  });

  it("refuses a signature by none of the keys, and a payload that is not UTF-8", async () => {
    const v = createSignedPayloadVerifier({ fetchJwks: async () => ({ keys: [await jwk(A, "a")] }) });
    const other = await rejection(v.verify(await sign(B, "{}", { kid: "a" })));
    expect(other).to.be.instanceOf(ServiceRegistryBadSignatureError);
    const binary = await rejection(v.verify(await sign(A, new Uint8Array([0xff, 0xfe]), { kid: "a" })));
    expect(binary).to.be.instanceOf(ServiceRegistryBadSignatureError);
    expect(binary.message).to.equal("The JWS payload is not UTF-8 text");
  });

  it("refuses other algorithms and text that is not a compact JWS", async () => {
    const v = createSignedPayloadVerifier({ fetchJwks: async () => ({ keys: [await jwk(A, "a")] }) });
    const ps = await new CompactSign(new TextEncoder().encode("{}")).setProtectedHeader({ alg: "PS256", kid: "a" }).sign(A.privateKey);
    expect((await rejection(v.verify(ps))).message).to.equal('The JWS is signed with "PS256"; only RS256 is accepted');
    for (const text of ['{"infoRecord":null}', "a.b", "a.b.c.d.e", ""]) {
      expect(await rejection(v.verify(text))).to.be.instanceOf(ServiceRegistryUnsignedResponseError);
    }
    expect(v.fetches()).to.equal(0);
  });

  it("a key set that is not one is a malformed answer", async () => {
    const v = createSignedPayloadVerifier({ fetchJwks: async () => ({ keys: "none" }) });
    const e = await rejection(v.verify(await sign(A, "{}")));
    expect(e).to.be.instanceOf(ServiceRegistryMalformedResponseError);
    expect(e.message).to.match(/^The Service Registry's JWK set is malformed: /);
  });

  it("the key set is fetched again when its TTL ends", async () => {
    let now = 0;
    let fetched = 0;
    const v = createSignedPayloadVerifier({
      fetchJwks: async () => {
        fetched++;
        return { keys: [await jwk(A, "a")] };
      },
      clock: () => new Date(now),
      ttlMs: 1000,
    });
    const jws = await sign(A, "{}", { kid: "a" });
    await v.verify(jws);
    now = 999;
    await v.verify(jws);
    expect(fetched).to.equal(1);
    now = 1000;
    await v.verify(jws);
    expect(fetched).to.equal(2);
  });
});
