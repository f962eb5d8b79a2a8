import { expect } from "chai";
import { MalformedCertificateError } from "../../src/pki/errors.js";
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

  it("throws ERR_PKI_CERT_MALFORMED for bytes that are not a certificate, every time", () => {
    // The cause's message is OpenSSL's wording (e.g. "error:0480006C:PEM routines::no start line"), which
    // differs between OpenSSL builds; its code is Node's and stable. Ours only puts a fixed prefix before it.
    const failure = (der: Uint8Array) => {
      try {
        x509FromDer(der);
      } catch (err) {
        const e = err as MalformedCertificateError;
        const cause = e.cause as { code?: string; message: string };
        expect(e.message).to.equal(`not an X.509 certificate: ${cause.message}`);
        return { class: e.constructor, code: e.code, cause: cause.code };
      }
      return undefined;
    };
    const junk = Buffer.from("not a certificate");
    const expected = {
      class: MalformedCertificateError,
      code: "ERR_PKI_CERT_MALFORMED",
      cause: "ERR_OSSL_PEM_NO_START_LINE",
    };
    expect(failure(junk)).to.deep.equal(expected);
    expect(failure(junk), "the second time, not from a cache").to.deep.equal(expected);
    // The start of a real certificate, cut short: Node tries DER, then PEM, and reports the PEM failure.
    const { leaf } = testPki();
    expect(failure(leaf.cert.raw.subarray(0, 100))).to.deep.equal(expected);
  });
});
