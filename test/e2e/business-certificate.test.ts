import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { generateKeyPem, makeCa, makeLeaf, type Issued, type KeyUsageFlag } from "../../scripts/lib/cert-factory.js";
import { startPkiResponder, type PkiResponder } from "../../src/sim/pki/index.js";
import { capturingLogger, type LogLine } from "../api/app-fixture.js";
import { buildMessage } from "../helpers/letters.js";
import { CERTS } from "../helpers/certs.js";
import { postMessagesOut } from "../helpers/messages-out.js";
import { expectProblem } from "../helpers/problem.js";
import { startTestNetwork, type TestNetwork } from "../helpers/test-network.js";
import { closedUrl } from "../pki/revocation-fixtures.js";

/**
 * The business certificate (x5c) of a forretningsmelding is checked like an AS4 certificate: key usage, then
 * revocation with the access point's DPI_AP_REVOCATION mode. The CA here is made for the test and publishes its
 * CRL through the PKI simulator over HTTP; its certificates name no OCSP responder, so the CRL is what answers.
 */

const AVSENDER = "910076787";
const REVOKED_AT = new Date("2026-01-15T08:30:00Z");
const WARN = 40;

/** A certificate's subject on one line, as the access point writes it in details and log lines. */
const subjectOf = (cert: Issued) => cert.cert.subject.replace(/\n/g, ", ");

/**
 * `text` is exactly `ours` followed by the words of the failed connection's error, which Node writes (e.g.
 * "connect ECONNREFUSED 127.0.0.1:4711"): those are not the access point's to pin, so only their presence is asserted.
 */
function expectOursThenNodes(text: string, ours: string): void {
  expect(text.slice(0, ours.length), text).to.equal(ours);
  expect(text.length, text).to.be.above(ours.length);
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
    return postMessagesOut(net.ap.url, token, msg.jws, msg.cms);
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
      pki.revoke({ serialNumber: revoked.cert.serialNumber, revokedAt: REVOKED_AT });
      const before = pki.stats().crlRequests;
      const r = await post(net, revoked);
      expectProblem(r, 400, "signer-certificate-revoked");
      expect(r.body.detail).to.equal(`x5c certificate: certificate "${subjectOf(revoked)}" was revoked at 2026-01-15T08:30:00.000Z according to CRL ${pki.crlUrl("business")}`);
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
      expect(r.body.detail).to.equal("x5c certificate: the certificate may not sign: its key usage is keyEncipherment, signing needs digitalSignature or nonRepudiation");
      expect(pki.stats().crlRequests).to.equal(before);
    });

    it("503 signer-certificate-revocation-unavailable with Retry-After when no CRL can be had", async () => {
      const crlUrl = await closedUrl("/business.crl");
      const cert = businessCert({ crlUrl });
      const r = await post(net, cert);
      expectProblem(r, 503, "signer-certificate-revocation-unavailable");
      expectOursThenNodes(r.body.detail, `x5c certificate: revocation status of "${subjectOf(cert)}" is unknown: CRL ${crlUrl}: GET ${crlUrl} failed: `);
      expect(r.headers.get("retry-after")).to.equal("60");
    });
  });

  describe("with DPI_AP_REVOCATION=soft-fail", () => {
    let net: TestNetwork;
    let lines: LogLine[];
    before(async () => {
      const captured = capturingLogger("info");
      lines = captured.lines;
      net = await startTestNetwork({ env: { DPI_AP_BUSINESS_TRUST_ANCHORS: anchors, DPI_AP_REVOCATION: "soft-fail" }, log: captured.log });
    });
    after(async () => {
      await net?.close();
    });

    it("accepts a certificate whose revocation status cannot be established, and logs a warning saying so", async () => {
      const crlUrl = await closedUrl("/business.crl");
      const cert = businessCert({ crlUrl });
      const from = lines.length;
      const r = await post(net, cert);
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const logged = lines.slice(from).filter((l) => l.level === WARN);
      expect(logged.map(({ msg, signer, requestId }) => ({ msg, signer, requestId }))).to.deep.equal([
        {
          msg: "forretningsmelding accepted although its certificate's revocation status is unknown (soft-fail)",
          signer: subjectOf(cert),
          requestId: r.headers.get("x-request-id"),
        },
      ]);
      const warnings = logged[0]!.warnings as string[];
      expect(warnings).to.have.length(1);
      expectOursThenNodes(warnings[0]!, `revocation status of "${subjectOf(cert)}" is unknown: CRL ${crlUrl}: GET ${crlUrl} failed: `);
    });

    it("still refuses a revoked certificate (400 signer-certificate-revoked)", async () => {
      const revoked = businessCert();
      pki.revoke({ serialNumber: revoked.cert.serialNumber, revokedAt: REVOKED_AT });
      const r = await post(net, revoked);
      expectProblem(r, 400, "signer-certificate-revoked");
      expect(r.body.detail).to.equal(`x5c certificate: certificate "${subjectOf(revoked)}" was revoked at 2026-01-15T08:30:00.000Z according to CRL ${pki.crlUrl("business")}`);
    });
  });
});
