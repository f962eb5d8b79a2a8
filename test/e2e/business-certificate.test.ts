import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { generateKeyPem, makeCa, makeLeaf, type Issued, type KeyUsageFlag } from "../../scripts/lib/cert-factory.js";
import { messagesOutForm } from "../../src/client/messages-out-client.js";
import { startPkiResponder, type PkiResponder } from "../../src/sim/pki/index.js";
import { buildMessage } from "../helpers/letters.js";
import { CERTS } from "../helpers/certs.js";
import { startTestNetwork, type TestNetwork } from "../helpers/test-network.js";
import { closedUrl } from "../pki/revocation-fixtures.js";

/**
 * The business certificate (x5c) of a forretningsmelding is checked like an AS4 certificate: key usage, then
 * revocation with the access point's DPI_AP_REVOCATION mode. The CA here is made for the test and publishes its
 * CRL through the PKI simulator over HTTP; its certificates name no OCSP responder, so the CRL is what answers.
 */

const AVSENDER = "910076787";

function expectProblem(r: { status: number; contentType: string | null; body: any }, status: number, code: string) {
  expect(r.contentType, JSON.stringify(r.body)).to.match(/^application\/problem\+json/);
  expect({ status: r.status, code: r.body.code }).to.deep.equal({ status, code });
  expect(r.body.type).to.equal(`urn:dpi-ap:problem:${code}`);
}

describe("e2e: the forretningsmelding's business certificate", function () {
  const keys = { ca: generateKeyPem(), leaf: generateKeyPem() };
  let dir: string;
  let ca: Issued;
  let pki: PkiResponder;
  let anchors: string;

  /** A virksomhetssertifikat of the avsender from the test CA, with a CRL distribution point. */
  function businessCert(o: { keyUsage?: KeyUsageFlag[]; crlUrl?: string } = {}): Issued {
    return makeLeaf({
      subject: { C: "NO", O: "DPI-AP TEST REVOCATION", organizationIdentifier: `NTRNO-${AVSENDER}`, CN: "DPI-AP TEST REVOCATION" },
      issuer: ca,
      keyPem: keys.leaf,
      keyUsage: o.keyUsage ?? ["digitalSignature", "nonRepudiation", "keyEncipherment"],
      crlUrl: o.crlUrl ?? pki.crlUrl("business"),
    });
  }

  async function post(net: TestNetwork, cert: Issued) {
    const token = await net.token(AVSENDER);
    const msg = await buildMessage({ token, signer: { privateKey: cert.privateKey, certificate: cert.cert } });
    const res = await fetch(`${net.ap.url}/messages/out`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: messagesOutForm(msg.jws, msg.cms) });
    return { status: res.status, contentType: res.headers.get("content-type"), headers: res.headers, body: (await res.json()) as any };
  }

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-bizcert-"));
    ca = makeCa({ subject: { C: "NO", O: "dpi-ap test", CN: "DPI-AP TEST Business CA (revocation)" }, keyPem: keys.ca });
    pki = await startPkiResponder({ issuer: ca });
    await writeFile(path.join(dir, "ca.pem"), ca.certPem);
    // The example business CA stays trusted too, with its static CRL, so the example certificates still work.
    anchors = [path.join(CERTS, "business/root-ca.pem"), path.join(CERTS, "business/intermediate-ca.pem"), path.join(dir, "ca.pem")].join(",");
  });
  after(async () => {
    await pki?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe("with DPI_AP_REVOCATION=hard-fail (the default)", () => {
    let net: TestNetwork;
    before(async () => {
      net = await startTestNetwork({ env: { DPI_AP_BUSINESS_TRUST_ANCHORS: anchors } });
    });
    after(async () => {
      await net?.close();
    });

    it("400 signer-certificate-revoked for a certificate its CA's CRL revokes, fetched from the CRL server", async () => {
      const revoked = businessCert();
      pki.revoke(revoked.cert.serialNumber);
      const before = pki.stats().crlRequests;
      const r = await post(net, revoked);
      expectProblem(r, 400, "signer-certificate-revoked");
      expect(r.body.detail).to.match(/revoked at .* according to CRL http:\/\/127\.0\.0\.1:\d+\/business\.crl/);
      expect(pki.stats().crlRequests - before, "the CRL was fetched over HTTP").to.equal(1);
    });

    it("accepts a certificate of the same CA that the CRL does not list", async () => {
      const r = await post(net, businessCert());
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
    });

    it("accepts signing certificates with digitalSignature only or nonRepudiation only", async () => {
      for (const keyUsage of [["digitalSignature"], ["nonRepudiation"]] as KeyUsageFlag[][]) {
        const r = await post(net, businessCert({ keyUsage }));
        expect(r.status, `${keyUsage}: ${JSON.stringify(r.body)}`).to.equal(201);
      }
    });

    it("400 signer-certificate-key-usage for an encryption-only certificate, before asking the CRL server", async () => {
      const before = pki.stats().crlRequests;
      const r = await post(net, businessCert({ keyUsage: ["keyEncipherment"], crlUrl: pki.crlUrl("encryption-only") }));
      expectProblem(r, 400, "signer-certificate-key-usage");
      expect(r.body.detail).to.include("keyEncipherment");
      expect(pki.stats().crlRequests).to.equal(before);
    });

    it("503 signer-certificate-revocation-unavailable with Retry-After when no CRL can be had", async () => {
      const r = await post(net, businessCert({ crlUrl: await closedUrl("/business.crl") }));
      expectProblem(r, 503, "signer-certificate-revocation-unavailable");
      expect(r.headers.get("retry-after")).to.equal("60");
    });
  });

  describe("with DPI_AP_REVOCATION=soft-fail", () => {
    let net: TestNetwork;
    before(async () => {
      net = await startTestNetwork({ env: { DPI_AP_BUSINESS_TRUST_ANCHORS: anchors, DPI_AP_REVOCATION: "soft-fail" } });
    });
    after(async () => {
      await net?.close();
    });

    it("accepts a certificate whose revocation status cannot be established", async () => {
      const r = await post(net, businessCert({ crlUrl: await closedUrl("/business.crl") }));
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
    });

    it("still refuses a revoked certificate (400 signer-certificate-revoked)", async () => {
      const revoked = businessCert();
      pki.revoke(revoked.cert.serialNumber);
      expectProblem(await post(net, revoked), 400, "signer-certificate-revoked");
    });
  });
});
