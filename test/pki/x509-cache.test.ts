import { expect } from "chai";
import { x509FromDer } from "../../src/pki/x509-cache.js";
import { testPki } from "./helpers.js";

describe("pki/x509-cache", () => {
  it("gives the same object for the same DER, even from a different buffer", () => {
    const { leaf } = testPki();
    const a = x509FromDer(Buffer.from(leaf.cert.raw));
    const b = x509FromDer(new Uint8Array(Buffer.from(leaf.cert.raw)));
    expect(a).to.equal(b);
    expect(a.fingerprint256).to.equal(leaf.cert.fingerprint256);
  });

  it("gives different objects for different certificates", () => {
    const { leaf, intermediate } = testPki();
    const a = x509FromDer(leaf.cert.raw);
    const b = x509FromDer(intermediate.cert.raw);
    expect(a).to.not.equal(b);
    expect(b.fingerprint256).to.equal(intermediate.cert.fingerprint256);
  });

  it("reads only the bytes of the view it is given", () => {
    const { leaf } = testPki();
    const padded = Buffer.concat([Buffer.from([1, 2, 3]), leaf.cert.raw, Buffer.from([4])]);
    const view = padded.subarray(3, 3 + leaf.cert.raw.length);
    expect(x509FromDer(view).fingerprint256).to.equal(leaf.cert.fingerprint256);
  });

  it("throws for bytes that are not a certificate, every time", () => {
    const junk = Buffer.from("not a certificate");
    expect(() => x509FromDer(junk)).to.throw();
    expect(() => x509FromDer(junk)).to.throw();
  });
});
