import { createHash, X509Certificate } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { EXIT, main } from "../../src/cli/main.js";
import { verifyEvidenceBundle } from "../../src/cli/evidence-verify.js";
import { buildEvidenceBundle, type EvidenceManifest } from "../../src/console/evidence.js";
import { conversationHref } from "../../src/console/pages.js";
import { INSTANCE_NAME } from "../../src/core/worker-lease.js";
import { readZip, writeZip } from "../../src/dpi/zip.js";
import { parseCertificates } from "../../src/pki/pem.js";
import { CERTS } from "../helpers/certs.js";
import { readFileSync } from "node:fs";
import { ConsoleClient, csrfOf } from "../helpers/console-client.js";
import { ConsoleNetwork, OPERATOR, VIEWER } from "../helpers/console-network.js";
import { eventually } from "../helpers/dpi-network.js";

/**
 * The operator console over real HTTP on a real DPI network: corner 2 sends letters to corner 3 over AS4, and the
 * console shows them, refuses forged and unauthorised posts, and retries, cancels and marks handled.
 */
describe("e2e: the operator console", function () {
  this.timeout(120_000);
  let n: ConsoleNetwork;
  let delivered: string;
  let failingA: string;
  let failingB: string;
  let operator: ConsoleClient;

  before(async () => {
    n = await ConsoleNetwork.start();
    ({ delivered, failingA, failingB } = await n.deliveredAndTwoFailing());
    operator = new ConsoleClient(n.c2.url);
  });
  after(async () => n?.close());

  it("sends a visitor without a session to the login page, with the console's security headers", async () => {
    const r = await new ConsoleClient(n.c2.url).get("/console");
    expect([r.status, r.location]).to.deep.equal([303, "/console/login"]);
    const login = await new ConsoleClient(n.c2.url).get("/console/login");
    expect(login.status).to.equal(200);
    expect({
      csp: login.headers.get("content-security-policy"),
      cache: login.headers.get("cache-control"),
      frame: login.headers.get("x-frame-options"),
    }).to.deep.equal({
      csp: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      cache: "no-store",
      frame: "DENY",
    });
  });

  it("logs in with a configured user, setting an HttpOnly, SameSite=Strict session cookie on /console", async () => {
    const r = await operator.login(OPERATOR.user, OPERATOR.password);
    expect([r.status, r.location]).to.deep.equal([303, "/console"]);
    const cookie = r.setCookies.find((c) => c.startsWith("dpi_ap_console="))!;
    expect(cookie.replace(/^dpi_ap_console=[A-Za-z0-9_-]{43}/, "dpi_ap_console=<id>")).to.equal("dpi_ap_console=<id>; Path=/console; HttpOnly; SameSite=Strict; Max-Age=43200");
    expect((await operator.get("/console")).status).to.equal(200);
  });

  it("refuses a wrong password (401), a login form without its token (403), and throttles a guesser (429)", async () => {
    const c = new ConsoleClient(n.c2.url);
    expect((await c.login(VIEWER.user, "wrong password")).status).to.equal(401);
    await c.get("/console/login");
    expect((await c.post("/console/login", { csrf: "forged", user: VIEWER.user, password: VIEWER.password })).status).to.equal(403);
    expect((await new ConsoleClient(n.c2.url).post("/console/login", { csrf: "x", user: OPERATOR.user, password: OPERATOR.password })).status).to.equal(403);
    const guesser = new ConsoleClient(n.c2.url);
    // The operator's name from this address: the right password is refused too, once five guesses failed.
    for (let i = 0; i < 5; i++) expect((await guesser.login(OPERATOR.user, `guess ${i}`)).status).to.equal(401);
    const sixth = await guesser.login(OPERATOR.user, OPERATOR.password);
    expect(sixth.status).to.equal(429);
    expect(Number(sixth.headers.get("retry-after"))).to.be.within(890, 900);
    expect(sixth.setCookies.some((x) => x.startsWith("dpi_ap_console="))).to.equal(false);
    // A session the operator already has is not touched by it.
    expect((await operator.get("/console")).status).to.equal(200);
  });

  it("lists the letter sent in the test and finds it by its message id", async () => {
    const all = await operator.get("/console");
    for (const id of [delivered, failingA, failingB]) expect(all.text).to.include(`href="${conversationHref("OUT", id)}"`);
    const one = await operator.get(`/console?q=${delivered.toUpperCase()}`);
    expect(one.text).to.include("<strong>1</strong> conversations");
    expect(one.text).to.include(conversationHref("OUT", delivered));
    const sent = await operator.get("/console?channel=DPI&direction=OUT&status=SENDT");
    expect(sent.text).to.include(conversationHref("OUT", delivered));
    expect(sent.text).to.not.include(conversationHref("OUT", failingA));
  });

  it("shows a conversation's timeline, its AS4 exchange with the signed receipt, and its routing", async () => {
    const page = await operator.get(conversationHref("OUT", delivered));
    expect(page.status).to.equal(200);
    expect(page.text).to.match(/<span class="badge ">OPPRETTET<\/span>/);
    expect(page.text).to.match(/<span class="badge ">SENDT<\/span>/);
    expect(page.text).to.include("receipt we got for our UserMessage");
    expect(page.text).to.include("POP000002");
    expect(page.text).to.match(/signed receipt \(\d+ bytes\)/);
    expect(page.text).to.include("NonRepudiationInformation");
    const failing = await operator.get(conversationHref("OUT", failingA));
    expect(failing.text).to.include("Retry now");
    expect(failing.text).to.include("Cancel sending");
    expect(failing.text).to.match(/Last error<\/dt><dd>[^<]+/);
  });

  it("shows each send attempt and the SMP record the letter was routed by, as fetched", async () => {
    const rows = (id: string) =>
      n.db.sendAttempt.findMany({ where: { direction: "OUT", messageId: id }, orderBy: { id: "asc" }, select: { attempt: true, peer: true, outcome: true, error: true, worker: true, routingSha256: true } });
    // Corner 3's AS4 endpoint, where every attempt went (the failing ones recorded it as their last peer).
    const peer = (await n.c2.repo.get("OUT", failingA))!.lastPeer!;
    expect(peer).to.match(/^http:\/\/127\.0\.0\.1:\d+\/as4$/);
    const [record, ...others] = await n.db.routingRecord.findMany();
    expect(others).to.deep.equal([]);
    expect(await rows(delivered)).to.deep.equal([{ attempt: 1, peer, outcome: "sent", error: null, worker: INSTANCE_NAME, routingSha256: record!.sha256 }]);
    const failing = await rows(failingA);
    expect(failing.map((r) => [r.attempt, r.peer, r.outcome, r.routingSha256])).to.deep.equal(failing.map((_r, i) => [i + 1, peer, "retry", record!.sha256]));
    expect(failing.at(-1)!.error).to.equal((await n.c2.repo.get("OUT", failingA))!.lastError);
    // The SMP's SignedServiceMetadata for the receiver, byte for byte: its hash is its key.
    const xml = Buffer.from(record!.body).toString("utf8");
    expect(record).to.deep.include({ kind: "smp", mediaType: "application/xml" });
    expect(record!.sourceUrl.startsWith(`${n.net.sandbox.smp.url}/`)).to.equal(true);
    expect(record!.sourceUrl).to.include("/services/");
    expect(createHash("sha256").update(record!.body).digest("hex")).to.equal(record!.sha256);
    expect(xml).to.match(/<(\w+:)?SignedServiceMetadata\b/);
    expect(xml).to.include(peer);

    const page = (await operator.get(conversationHref("OUT", delivered))).text;
    const attempts = page.slice(page.indexOf("<h2>Send attempts</h2>"), page.indexOf("<h2>Routed by</h2>"));
    expect(attempts).to.include(`<td class="mono">${peer}</td><td><span class="badge ok">sent</span></td><td></td>`);
    expect(attempts).to.include(`<a href="#routing-${record!.sha256.slice(0, 16)}">`);
    const routedBy = page.slice(page.indexOf("<h2>Routed by</h2>"), page.indexOf("<h2>Timeline</h2>"));
    expect(routedBy).to.include("<dd>SMP SignedServiceMetadata</dd>");
    expect(routedBy).to.include(`<dd class="mono">${record!.sha256}</dd>`);
    expect(routedBy).to.include(`<dd class="mono">${record!.sourceUrl.replace(/&/g, "&amp;")}</dd>`);
    expect(routedBy).to.include(`raw record (${record!.body.length} bytes)`);
    expect(routedBy).to.include(xml.slice(0, 200).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;"));
    const failingPage = (await operator.get(conversationHref("OUT", failingA))).text;
    expect(failingPage).to.include(`<td class="mono">${peer}</td><td><span class="badge wait">retry</span></td>`);
  });

  it("refuses a POST without this session's CSRF token, or from another site (403), and does nothing", async () => {
    const path = `${conversationHref("OUT", failingA)}/retry`;
    const token = csrfOf((await operator.get(conversationHref("OUT", failingA))).text);
    const before = await n.c2.repo.get("OUT", failingA);
    expect((await operator.post(path, {})).status).to.equal(403);
    expect((await operator.post(path, { csrf: token + "x" })).status).to.equal(403);
    expect((await operator.post(path, { csrf: token }, { origin: "http://evil.example" })).status).to.equal(403);
    const after = await n.c2.repo.get("OUT", failingA);
    expect(after!.nextAttemptAt?.getTime()).to.equal(before!.nextAttemptAt?.getTime());
    expect(await n.db.consoleAction.count()).to.equal(0);
  });

  it("lets a viewer see but not act: no buttons, and 403 on an action", async () => {
    const viewer = new ConsoleClient(n.c2.url);
    expect((await viewer.login(VIEWER.user, VIEWER.password)).status).to.equal(303);
    const page = await viewer.get(conversationHref("OUT", failingA));
    expect(page.status).to.equal(200);
    expect(page.text).to.include("Read-only: you are logged in as a viewer.");
    expect(page.text).to.not.include("Retry now");
    const r = await viewer.post(`${conversationHref("OUT", failingA)}/retry`, { csrf: csrfOf(page.text) });
    expect(r.status).to.equal(403);
    expect(await n.db.consoleAction.count()).to.equal(0);
  });

  it("cancels a letter in the outbox: FEILET with who and why, and it is never sent", async () => {
    const token = csrfOf((await operator.get(conversationHref("OUT", failingB))).text);
    const r = await operator.post(`${conversationHref("OUT", failingB)}/cancel`, { csrf: token, note: "wrong recipient" });
    expect([r.status, r.location]).to.deep.equal([303, `${conversationHref("OUT", failingB)}?done=cancel`]);
    const row = (await n.c2.repo.get("OUT", failingB))!;
    expect([row.status, row.nextAttemptAt, row.lastError]).to.deep.equal(["FEILET", null, `cancelled in the console by ${OPERATOR.user}: wrong recipient`]);
    const statuses = await n.c2.repo.statuses("OUT", failingB);
    expect(statuses.map((s) => [s.status, s.description])).to.deep.equal([
      ["OPPRETTET", null],
      ["FEILET", `cancelled in the console by ${OPERATOR.user}: wrong recipient`],
    ]);
    // Exactly as a letter the outbox gives up on: corner 1 gets a feil receipt in the letter's conversation.
    const feil = await n.db.conversation.findMany({ where: { conversationId: row.conversationId, direction: "IN" } });
    expect(feil.map((f) => [f.channel, f.documentType])).to.deep.equal([["DPI", "feil"]]);
    const page = await operator.get(`${conversationHref("OUT", failingB)}?done=cancel`);
    expect(page.text).to.include("Sending was cancelled.");
    expect(page.text).to.match(/cancelled<\/span> by <strong>ola\.operator<\/strong>/);
    // A second cancel finds nothing to cancel.
    expect((await operator.post(`${conversationHref("OUT", failingB)}/cancel`, { csrf: token, note: "" })).status).to.equal(409);
  });

  it("retries a failing letter now: corner 3 is back, and it is sent at once instead of after its back-off", async () => {
    const c3 = await n.startC3();
    const waiting = (await n.c2.repo.get("OUT", failingA))!;
    expect(waiting.nextAttemptAt!.getTime()).to.be.greaterThan(Date.now() + 5_000);
    const token = csrfOf((await operator.get(conversationHref("OUT", failingA))).text);
    const r = await operator.post(`${conversationHref("OUT", failingA)}/retry`, { csrf: token });
    expect([r.status, r.location]).to.deep.equal([303, `${conversationHref("OUT", failingA)}?done=retry`]);
    await n.waitFor(failingA, "SENDT");
    const page = await operator.get(conversationHref("OUT", failingA));
    expect(page.text).to.match(/retry now<\/span> by <strong>ola\.operator<\/strong>/);
    // The cancelled letter stayed unsent, though its receiver answers again.
    n.c2.outbox.nudge();
    await new Promise((res) => setTimeout(res, 500));
    expect(await c3.repo.get("IN", failingB)).to.equal(null);
    expect((await n.c2.repo.get("OUT", failingB))!.status).to.equal("FEILET");
    expect((await c3.repo.get("IN", failingA))?.status).to.equal("MOTTATT");
  });

  it("marks the cancelled letter MANUELT_HÅNDTERT with a note, on its timeline, without a status DPI's model lacks", async () => {
    const token = csrfOf((await operator.get(conversationHref("OUT", failingB))).text);
    expect((await operator.post(`${conversationHref("OUT", failingB)}/mark-handled`, { csrf: token, note: "" })).status).to.equal(400);
    const r = await operator.post(`${conversationHref("OUT", failingB)}/mark-handled`, { csrf: token, note: "Sent by post <b>instead</b>" });
    expect([r.status, r.location]).to.deep.equal([303, `${conversationHref("OUT", failingB)}?done=mark-handled`]);
    const actions = await n.db.consoleAction.findMany({ where: { messageId: failingB }, orderBy: { id: "asc" } });
    expect(actions.map((a) => [a.action, a.user, a.note, a.status])).to.deep.equal([
      ["cancel", OPERATOR.user, "wrong recipient", "FEILET"],
      ["mark-handled", OPERATOR.user, "Sent by post <b>instead</b>", null],
    ]);
    expect((await n.c2.repo.statuses("OUT", failingB)).map((s) => s.status)).to.deep.equal(["OPPRETTET", "FEILET"]);
    const page = await operator.get(conversationHref("OUT", failingB));
    expect(page.text).to.match(/MANUELT_HÅNDTERT<\/span> by <strong>ola\.operator<\/strong>/);
    expect(page.text).to.include("Sent by post &lt;b&gt;instead&lt;/b&gt;");
    expect(page.text).to.not.include("Mark MANUELT_HÅNDTERT");
    const list = await operator.get(`/console?q=${failingB}`);
    expect(list.text).to.include('<span class="badge handled">MANUELT_HÅNDTERT</span>');
  });

  it("downloads the delivered letter's evidence bundle, which verifies offline and says what it proves", async () => {
    const r = await fetch(`${n.c2.url}${conversationHref("OUT", delivered)}/evidence.zip`, { headers: { cookie: [...operator.cookies].map(([k, v]) => `${k}=${v}`).join("; ") } });
    expect([r.status, r.headers.get("content-type"), r.headers.get("content-disposition")]).to.deep.equal([200, "application/zip", `attachment; filename="evidence-${delivered}.zip"`]);
    const zip = new Uint8Array(await r.arrayBuffer());
    const manifest = JSON.parse(Buffer.from(readZip(zip).entries.find((e) => e.name === "manifest.json")!.data).toString()) as EvidenceManifest;
    expect(manifest.files.map((f) => f.kind).sort()).to.deep.equal([
      "as4-receipt",
      "certificate",
      "certificate",
      "crl",
      "forretningsmelding",
      "issuer-certificate",
      "issuer-certificate",
      "ocsp-response",
      "routing-record",
      "signed-references",
    ]);
    const routing = manifest.files.find((f) => f.kind === "routing-record")!;
    expect(routing.path).to.equal(`routing/${routing.sha256}.xml`);
    expect(routing.routing).to.deep.include({ kind: "smp", mediaType: "application/xml" });
    expect(manifest.createdBy).to.equal(OPERATOR.user);
    // The answers corner 2 relied on: the business CA's CRL for the forretningsmelding's signer (configured, as the
    // sandbox does), and the AP CA responder's OCSP answer for corner 3's certificate before the letter went out.
    const letter = (await n.c2.repo.get("OUT", delivered))!;
    const business = new X509Certificate(readFileSync(path.join(CERTS, "business/910076787.pem")));
    const pop2 = new X509Certificate(readFileSync(path.join(CERTS, "ap/POP000002.pem")));
    const serial = (c: X509Certificate) => c.serialNumber.replace(/^0+/, "").toUpperCase();
    const crl = manifest.files.find((f) => f.kind === "crl")!;
    const ocsp = manifest.files.find((f) => f.kind === "ocsp-response")!;
    const exchange = manifest.files.find((f) => f.kind === "as4-receipt")!;
    expect(crl.path).to.equal(`revocation/${crl.sha256}.crl.der`);
    expect(crl.revocation).to.deep.include({ url: path.join(CERTS, "business/intermediate-ca.crl.pem"), crlNumber: "1" });
    const checkedAt = crl.revocation!.answersFor[0]!.checkedAt;
    expect(crl.revocation!.answersFor).to.deep.equal([
      { serial: serial(business), subject: business.subject.replace(/\n/g, ", "), ca: false, role: "forretningsmelding", checkedAt, document: "forretningsmelding.jws" },
    ]);
    // Checked when the letter was posted, just before it was stored.
    expect(letter.createdAt.getTime() - new Date(checkedAt).getTime()).to.be.within(0, 10_000);
    expect(ocsp.path).to.equal(`revocation/${ocsp.sha256}.ocsp.der`);
    expect(ocsp.revocation!.url).to.equal(`${n.net.sandbox.pki.url}/ocsp`);
    expect(ocsp.revocation!.answersFor.map((u) => [u.serial, u.role, u.document])).to.deep.equal([[serial(pop2), "as4-peer", exchange.path]]);
    expect(new Date(ocsp.revocation!.fetchedAt).getTime()).to.be.at.most(new Date(exchange.at).getTime());
    const zipped = new Map(readZip(zip).entries.map((e) => [e.name, e.data]));
    const stored = await n.db.revocationAnswer.findUniqueOrThrow({ where: { sha256: ocsp.sha256 } });
    expect(Buffer.from(zipped.get(ocsp.path)!).equals(Buffer.from(stored.der))).to.equal(true);
    expect(new X509Certificate(Buffer.from(zipped.get(ocsp.revocation!.issuerCertificate)!)).subject).to.match(/CN=DPI-AP TEST ACCESS POINT CA$/);
    expect(manifest.notIncluded).to.deep.equal(["the AS4 UserMessage envelopes themselves: only the references (digests) signed in each attempt are stored"]);

    const dir = await mkdtemp(path.join(os.tmpdir(), "console-evidence-"));
    try {
      const file = path.join(dir, "evidence.zip");
      await writeFile(file, zip);
      const trust = ["business/root-ca.pem", "business/intermediate-ca.pem", "ap/root-ca.pem", "ap/intermediate-ca.pem"].flatMap((t) => ["--trust", path.join(CERTS, t)]);
      const out = { text: "", err: "" };
      const io = { stdout: (t: string) => void (out.text += t), stderr: (t: string) => void (out.err += t), env: {}, now: () => new Date() };
      expect(await main(["evidence", "verify", file, ...trust], io), out.text + out.err).to.equal(EXIT.ok);
      expect(out.text).to.include("Verdict: verified");
      expect(out.text).to.match(/the receiving access point \(.*POP000002.*\) received AS4 message \S+ with exactly the digests we signed/);
      expect(out.text).to.match(/the forretningsmelding was signed by .*\(0192:910076787\), a certificate issued under a trusted anchor/);
      expect(out.text).to.match(/the certificate that signed forretningsmelding\.jws, ".*910076787.*" \(serial [0-9A-F]+\), was not revoked at \S+: the CRL .*intermediate-ca\.crl\.pem \(number 1\) said so in an answer signed by the CA itself \(.*DPI-AP TEST Business CA\), a CA under a trusted anchor/);
      expect(out.text).to.match(/the certificate that signed as4\/\S+\.receipt\.xml, ".*POP000002" \(serial [0-9A-F]+\), was not revoked at \S+: the OCSP responder http:\/\/127\.0\.0\.1:\d+\/ocsp said so in an answer signed by the CA itself \(.*DPI-AP TEST ACCESS POINT CA\), a CA under a trusted anchor/);
      expect(out.text).to.not.include("OCSP and CRL answers");
      // Without trust anchors the signatures are checked, not whose they are: incomplete, exit 1.
      const untrusted = { ...io, stdout: () => {} };
      expect(await main(["evidence", "verify", file], untrusted)).to.equal(EXIT.failed);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // A changed receipt is caught by its digest; with the manifest changed to match, by its signature.
    const anchors = ["business/root-ca.pem", "business/intermediate-ca.pem", "ap/root-ca.pem", "ap/intermediate-ca.pem"].flatMap((t) => parseCertificates(readFileSync(path.join(CERTS, t))));
    const entries = readZip(zip).entries.map((e) => ({ name: e.name, data: e.data }));
    const receipt = entries.find((e) => e.name.endsWith(".receipt.xml"))!;
    const text = Buffer.from(receipt.data).toString();
    const forged = new Uint8Array(Buffer.from(text.replace(/(<[A-Za-z0-9]+:Timestamp>)(\d{4})/, (_m, tag: string, y: string) => `${tag}${Number(y) - 1}`)));
    expect(Buffer.from(forged).toString()).to.not.equal(text);
    const swap = (over: { name: string; data: Uint8Array }[]) => writeZip(entries.map((e) => over.find((o) => o.name === e.name) ?? e));
    const changed = await verifyEvidenceBundle(swap([{ name: receipt.name, data: forged }]), { anchors });
    expect(changed.verdict).to.equal("failed");
    expect(changed.checks.filter((c) => c.status === "failed")).to.deep.equal([{ file: receipt.name, status: "failed", says: "changed since the bundle was made (SHA-256 differs from the manifest)" }]);
    const m2 = { ...manifest, files: manifest.files.map((f) => (f.path === receipt.name ? { ...f, sha256: createHash("sha256").update(forged).digest("hex") } : f)) };
    const resigned = await verifyEvidenceBundle(swap([{ name: receipt.name, data: forged }, { name: "manifest.json", data: new Uint8Array(Buffer.from(JSON.stringify(m2))) }]), { anchors });
    expect(resigned.verdict).to.equal("failed");
    expect(resigned.checks.find((c) => c.file === receipt.name)!.says).to.match(/^the receipt does not verify: /);
    expect(resigned.proves).to.deep.equal([]);
  });

  it("keeps, at corner 3, the answers an incoming letter relied on: the sending access point's certificate and the signer's", async () => {
    const c3 = await eventually("corner 3", async () => n.c3);
    const db = c3.repo.db;
    const b = (await buildEvidenceBundle(db, "IN", failingA, { user: "test", now: new Date() }))!;
    const pop1 = new X509Certificate(readFileSync(path.join(CERTS, "ap/POP000001.pem")));
    const answers = b.manifest.files.filter((f) => f.kind === "ocsp-response" || f.kind === "crl");
    const receipt = b.manifest.files.find((f) => f.kind === "as4-receipt")!;
    expect(answers.map((f) => [f.kind, f.revocation!.answersFor.map((u) => [u.role, u.document])])).to.deep.equal([
      ["ocsp-response", [["as4-peer", receipt.path]]],
      ["crl", [["forretningsmelding", "forretningsmelding.jws"]]],
    ]);
    expect(answers[0]!.revocation!.answersFor[0]!.serial).to.equal(pop1.serialNumber.replace(/^0+/, "").toUpperCase());
    const anchors = ["business/intermediate-ca.pem", "ap/intermediate-ca.pem"].flatMap((t) => parseCertificates(readFileSync(path.join(CERTS, t))));
    const r = await verifyEvidenceBundle(b.bytes, { anchors });
    expect(r.verdict, JSON.stringify(r.checks, null, 1)).to.equal("verified");
    expect(r.proves.filter((p) => p.includes("was not revoked"))).to.have.length(2);
    expect(r.proves.find((p) => p.includes("POP000001"))).to.match(/^the other access point's certificate ".*CN=POP000001" \(serial [0-9A-F]+\) \(for as4\/\S+\.receipt\.xml\) was not revoked at /);
  });

  it("shows the overview with its plots", async () => {
    const page = await operator.get("/console/overview");
    expect(page.status).to.equal(200);
    expect(page.text.match(/<svg class="chart"/g)).to.have.length(4);
    expect(page.text).to.include('aria-label="Conversations by channel, direction and status"');
    expect(page.text).to.match(/DPI OUT SENDT<\/text>/);
  });

  it("serves its style sheet and script from the app, and logs out", async () => {
    const css = await operator.get("/console/assets/console.css");
    expect([css.status, css.headers.get("content-type")]).to.deep.equal([200, "text/css; charset=utf-8"]);
    const js = await operator.get("/console/assets/console.js");
    expect([js.status, js.headers.get("content-type")]).to.deep.equal([200, "text/javascript; charset=utf-8"]);
    const token = csrfOf((await operator.get("/console")).text);
    expect((await operator.post("/console/logout", {})).status).to.equal(403);
    const out = await operator.post("/console/logout", { csrf: token });
    expect([out.status, out.location]).to.deep.equal([303, "/console/login"]);
    expect((await operator.get("/console")).status).to.equal(303);
  });

  it("is not there when no console user is configured", async () => {
    const r = await eventually("corner 3", async () => n.c3);
    const res = await fetch(`${r.url}/console`);
    expect([res.status, res.headers.get("content-type")]).to.deep.equal([404, "application/problem+json; charset=utf-8"]);
  });
});
