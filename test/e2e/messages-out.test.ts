import { randomBytes, randomUUID } from "node:crypto";
import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { CompactSign } from "jose";
import { loadIssued, makeCa, makeLeaf } from "../../scripts/lib/cert-factory.js";
import { createGrantClient } from "../../src/maskinporten/grant-client.js";
import { loadExampleSigner } from "../../src/sim/maskinporten/defaults.js";
import { buildMessage } from "../helpers/letters.js";
import { expectProblem } from "../helpers/problem.js";
import { startTestNetwork, type TestNetwork } from "../helpers/test-network.js";
import { businessSigner, CERTS } from "../helpers/certs.js";
import { storeIncoming } from "../../src/dpi/incoming.js";
import { parseForretningsmelding } from "../../src/dpi/sbd.js";
import { silentLogger } from "../../src/log.js";

const AVSENDER = "910076787";
const DATABEHANDLER = "810969342";

describe("e2e: POST /messages/out", function () {
  let net: TestNetwork;
  before(async () => {
    net = await startTestNetwork({ env: { DPI_AP_MAX_DOKUMENTPAKKE_BYTES: String(64 * 1024) } });
  });
  after(async () => {
    await net?.close();
  });

  async function send(opts: Parameters<typeof buildMessage>[0] & { consumer?: string; tokenExtra?: object; kanal?: string; omitCms?: boolean } = {}) {
    const token = await net.token(opts.consumer ?? AVSENDER, opts.tokenExtra ?? {});
    const msg = await buildMessage({ token, ...opts });
    const r = await postMessage(net.ap.url, token, messagesOutForm(msg.jws, opts.omitCms ? undefined : msg.cms), opts.kanal);
    return { ...r, msg, token };
  }

  it("accepts a digital letter: 201 with the id, status OPPRETTET readable back", async () => {
    const r = await send({ kanal: "Skatt_1" });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body).to.deep.equal({ id: r.msg.messageId, conversationId: r.msg.conversationId, documentType: "digital", status: "OPPRETTET" });
    const statuses = await fetch(`${net.ap.url}/messages/out/${r.msg.messageId}/statuses`, { headers: { authorization: `Bearer ${r.token}` } });
    expect(statuses.status).to.equal(200);
    const list = (await statuses.json()) as any[];
    expect(list.map((s) => s.status)).to.deep.equal(["OPPRETTET"]);
    expect(Date.parse(list[0].timestamp)).to.be.a("number").and.not.NaN;
  });

  it("accepts utskrift and flyttet letters, and RS512 signatures", async () => {
    for (const type of ["utskrift", "flyttet"] as const) {
      const r = await send({ type });
      expect(r.status, `${type}: ${JSON.stringify(r.body)}`).to.equal(201);
    }
    const r = await send({ alg: "RS512" });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
  });

  it("accepts a delegated letter (databehandler signs, token consumer = avsender, supplier = databehandler)", async () => {
    const r = await send({ sender: `0192:${DATABEHANDLER}`, tokenExtra: { supplier: DATABEHANDLER } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
  });

  it("accepts a receipt (no dokumentpakke) from a postbox provider for a letter it received here", async () => {
    const letter = await buildMessage({ token: "t" });
    await storeIncoming({ jws: letter.jws, message: parseForretningsmelding(letter.payload) }, { repo: net.ap.repo, clock: () => new Date(), log: silentLogger });
    const r = await send({ type: "leveringskvittering", consumer: "984661185", conversationId: letter.conversationId });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
  });

  it("400 for a receipt that does not fit its letter (wrong type for the process, wrong addressee)", async () => {
    const letter = await buildMessage({ token: "t" });
    await storeIncoming({ jws: letter.jws, message: parseForretningsmelding(letter.payload) }, { repo: net.ap.repo, clock: () => new Date(), log: silentLogger });
    const wrongType = await send({ type: "mottakskvittering", consumer: "984661185", sender: "0192:984661185", avsender: "0192:984661185", conversationId: letter.conversationId, processId: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0" });
    expectProblem(wrongType, 400, "receipt-mismatch");
    const wrongReceiver = await send({ type: "leveringskvittering", consumer: "984661185", conversationId: letter.conversationId, receiver: "0192:991825827" });
    expectProblem(wrongReceiver, 400, "receipt-mismatch");
  });

  it("400 for a receipt in a conversation no letter of the provider's came through", async () => {
    expectProblem(await send({ type: "leveringskvittering", consumer: "984661185" }), 400, "conversation-unknown");
  });

  it("accepts a letter whose token came through the real JWT-grant flow at the Maskinporten simulator", async () => {
    const signer = await loadExampleSigner(AVSENDER);
    const grants = createGrantClient({ ...signer, audience: net.sim.issuer, tokenEndpoint: net.sim.tokenUrl });
    const { access_token: token } = await grants.getToken({ scope: "digitalpostinnbygger:send" });
    const msg = await buildMessage({ token });
    const r = await postMessage(net.ap.url, token, messagesOutForm(msg.jws, msg.cms));
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
  });

  describe("authentication", () => {
    it("401 without a token", async () => {
      const msg = await buildMessage();
      const res = await fetch(`${net.ap.url}/messages/out`, { method: "POST", body: messagesOutForm(msg.jws, msg.cms) });
      expect(res.status).to.equal(401);
      expect(res.headers.get("www-authenticate")).to.match(/^Bearer/);
      expect(((await res.json()) as any).code).to.equal("token-missing");
    });
    it("401 with an expired token", async () => {
      const r = await send({ tokenExtra: { issuedAt: new Date(Date.now() - 3600_000) } });
      expect(r.status).to.equal(401);
    });
    it("401 with a token from another issuer", async () => {
      const r = await send({ tokenExtra: { issuer: "https://evil.example/" } });
      expect(r.status).to.equal(401);
    });
    it("403 with a token lacking the DPI scope", async () => {
      const r = await send({ tokenExtra: { scope: "krr:global/digitalpost.read" } });
      expectProblem(r, 403, "token-scope-missing");
    });
  });

  describe("request shape", () => {
    it("415 when the body is not multipart/form-data", async () => {
      const token = await net.token(AVSENDER);
      const res = await fetch(`${net.ap.url}/messages/out`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/jwt" }, body: "x.y.z" });
      expect(res.status).to.equal(415);
      expect(((await res.json()) as any).code).to.equal("unsupported-media-type");
    });
    it("413 when the dokumentpakke exceeds the limit, and nothing is stored", async () => {
      const r = await send({ cms: randomBytes(70 * 1024) });
      expectProblem(r, 413, "payload-too-large");
      const again = await send({ messageId: r.msg.messageId });
      expect(again.status, "the id must still be free").to.equal(201);
    });
    it("413 when the forretningsmelding exceeds its limit", async () => {
      const token = await net.token(AVSENDER);
      const form = new FormData();
      form.append("forretningsmelding", "x".repeat(600 * 1024));
      expectProblem(await postMessage(net.ap.url, token, form), 413, "payload-too-large");
    });
    it("400 when the forretningsmelding part is missing", async () => {
      const token = await net.token(AVSENDER);
      const form = new FormData();
      form.append("dokumentpakke", new Blob([new Uint8Array(10)]), "asic.cms");
      expectProblem(await postMessage(net.ap.url, token, form), 400, "multipart-malformed");
    });
    it("400 for an invalid kanal", async () => {
      expectProblem(await send({ kanal: "æøå kanal" }), 400, "kanal-invalid");
    });
    it("400 when a letter has no dokumentpakke", async () => {
      expectProblem(await send({ omitCms: true }), 400, "dokumentpakke-missing");
    });
    it("400 when a receipt carries a dokumentpakke", async () => {
      const token = await net.token("984661185");
      const msg = await buildMessage({ type: "leveringskvittering" });
      expectProblem(await postMessage(net.ap.url, token, messagesOutForm(msg.jws, new Uint8Array(16))), 400, "dokumentpakke-unexpected");
    });
  });

  describe("forretningsmelding signature and certificate", () => {
    it("400 for something that is not a compact JWS", async () => {
      const token = await net.token(AVSENDER);
      expectProblem(await postMessage(net.ap.url, token, messagesOutForm("not-a-jws")), 400, "forretningsmelding-malformed");
    });
    it("400 for a tampered payload", async () => {
      const token = await net.token(AVSENDER);
      const msg = await buildMessage({ token });
      const [h, p, s] = msg.jws.split(".");
      const payload = JSON.parse(Buffer.from(p!, "base64url").toString());
      payload.standardBusinessDocument.digital.ikkesensitivtittel = "Endret";
      const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}`;
      expectProblem(await postMessage(net.ap.url, token, messagesOutForm(tampered, msg.cms)), 400, "forretningsmelding-signature-invalid");
    });
    it("400 for a signer certificate that does not chain to a trusted business CA", async () => {
      const ca = makeCa({ subject: { CN: "Rogue CA" } });
      const leaf = makeLeaf({ issuer: ca, subject: { CN: "Rogue", organizationIdentifier: `NTRNO-${AVSENDER}` } });
      const r = await send({ signer: { privateKey: leaf.privateKey, certificate: leaf.cert } });
      expectProblem(r, 400, "signer-certificate-invalid");
    });
    it("400 for a signer certificate that has expired", async () => {
      const ca = loadIssued({
        certPem: readFileSync(path.join(CERTS, "business/intermediate-ca.pem"), "utf8"),
        keyPem: readFileSync(path.join(CERTS, "business/intermediate-ca.key.pem"), "utf8"),
      });
      const leaf = makeLeaf({
        issuer: ca,
        subject: { CN: "Expired", organizationIdentifier: `NTRNO-${AVSENDER}` },
        notBefore: new Date("2025-01-02T00:00:00Z"),
        notAfter: new Date("2025-06-01T00:00:00Z"),
      });
      const r = await send({ signer: { privateKey: leaf.privateKey, certificate: leaf.cert } });
      expectProblem(r, 400, "signer-certificate-invalid");
      expect((r.body as { detail: string }).detail).to.match(/expired/i);
    });
    it("400 for a JWS algorithm other than RS256/RS512", async () => {
      const token = await net.token(AVSENDER);
      const msg = await buildMessage({ token });
      const signer = businessSigner(AVSENDER);
      const payload = Buffer.from(msg.jws.split(".")[1]!, "base64url");
      const rs384 = await new CompactSign(payload).setProtectedHeader({ alg: "RS384", x5c: [signer.certificate.raw.toString("base64")] }).sign(signer.privateKey);
      expectProblem(await postMessage(net.ap.url, token, messagesOutForm(rs384, msg.cms)), 400, "forretningsmelding-algorithm");
    });
    it("403 when the signer's organisation is not the SBDH sender", async () => {
      expectProblem(await send({ signer: businessSigner("991825827") }), 403, "signer-not-sender");
    });
  });

  describe("content", () => {
    it("400 when the body breaks the Digdir schema", async () => {
      const r = await send({ change: (p) => delete p.standardBusinessDocument.digital.spraak });
      expectProblem(r, 400, "sbd-invalid");
    });
    it("400 when standard does not match the type", async () => {
      const r = await send({
        change: (p) => (p.standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.standard = "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:utskrift::1.0"),
      });
      expectProblem(r, 400, "standard-type-mismatch");
    });
    it("400 when the fingerprint is not the SHA-256 of the dokumentpakke", async () => {
      expectProblem(await send({ fingerprintOf: randomBytes(10) }), 400, "fingerprint-mismatch");
    });
    it("400 when the dokumentpakke is not CMS EnvelopedData", async () => {
      expectProblem(await send({ cms: randomBytes(1000) }), 400, "dokumentpakke-not-cms");
    });
  });

  describe("authorisation", () => {
    it("403 when the sender is not served by this access point", async () => {
      const r = await send({ sender: "0192:991825827", avsender: "0192:991825827", consumer: "991825827" });
      expect(r.status, JSON.stringify(r.body)).to.equal(201); // served by default
      const other = await startTestNetwork({ env: { DPI_AP_SERVED_PARTICIPANTS: "984661185" } });
      try {
        const token = await other.token(AVSENDER);
        const msg = await buildMessage({ token });
        expectProblem(await postMessage(other.ap.url, token, messagesOutForm(msg.jws, msg.cms)), 403, "sender-not-served");
      } finally {
        await other.close();
      }
    });
    it("403 when the token consumer is not the avsender", async () => {
      expectProblem(await send({ consumer: "991825827" }), 403, "consumer-not-avsender");
    });
    it("403 when a databehandler sends without a delegated token", async () => {
      expectProblem(await send({ sender: `0192:${DATABEHANDLER}` }), 403, "supplier-not-sender");
    });
    it("403 when the delegated token names another supplier", async () => {
      expectProblem(await send({ sender: `0192:${DATABEHANDLER}`, tokenExtra: { supplier: "991825827" } }), 403, "supplier-not-sender");
    });
    it("403 when the embedded maskinportentoken is not the bearer token", async () => {
      const token = await net.token(AVSENDER);
      const msg = await buildMessage({ token: await net.token(AVSENDER, { jti: randomUUID() }) });
      expectProblem(await postMessage(net.ap.url, token, messagesOutForm(msg.jws, msg.cms)), 403, "maskinportentoken-mismatch");
    });
  });

  it("409 when the message id was used before", async () => {
    const first = await send();
    expect(first.status).to.equal(201);
    expectProblem(await send({ messageId: first.msg.messageId }), 409, "message-id-used");
  });
});
