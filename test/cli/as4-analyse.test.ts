import { expect } from "chai";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildErrorEnvelope } from "../../src/as4/signal-message.js";
import { signEnvelope } from "../../src/as4/wss-sign.js";
import { analyseAs4Message, type AnalyseOptions } from "../../src/cli/as4/analyse.js";
import type { As4Report, Finding, ReceiptReport, UserMessageReport } from "../../src/cli/as4/report-types.js";
import {
  AFTER_EXPIRY,
  apAnchors,
  apKey,
  composeUserMessage,
  g2Anchors,
  makeUserMessage,
  PAYLOAD,
  PAYLOAD_CID,
  RECEIPTS,
  replaceOnce,
  USER_MESSAGE,
  vectorBytes,
  type MadeMessage,
} from "./fixtures.js";

const codes = (r: As4Report, severity?: Finding["severity"]) => r.findings.filter((f) => severity === undefined || f.severity === severity).map((f) => f.code);
const statuses = (r: As4Report) => r.signature!.references.map((x) => [x.target, x.status]);

describe("cli as4 verify: analysis", function () {
  this.timeout(30_000);
  let tmpParent: string;
  let opts: (extra?: Partial<AnalyseOptions>) => AnalyseOptions;

  before(async () => {
    tmpParent = await mkdtemp(join(tmpdir(), "cli-as4-test-"));
    opts = (extra = {}) => ({ at: AFTER_EXPIRY, tempDir: { parent: tmpParent }, ...extra });
  });
  afterEach(async () => {
    // every run removes its temp dir (spooled parts and plaintext), whatever the outcome
    expect(await readdir(tmpParent)).to.deep.equal([]);
  });
  after(async () => rm(tmpParent, { recursive: true, force: true }));

  describe("third-party receipts", () => {
    for (const r of RECEIPTS) {
      it(`${r.file}: verifies with the G2 test CA at a time inside the signer's validity`, async function () {
        const anchors = await g2Anchors(this);
        const report = await analyseAs4Message({ bytes: vectorBytes(this, `as4/${r.file}`) }, opts({ anchors, at: r.at }));
        expect(report.verdict, JSON.stringify(report.verdict)).to.deep.equal({ status: "verified", failures: [], unchecked: [] });
        expect(report.input?.framing).to.equal("http-headers");
        const signal = (report.message as { signals: ReceiptReport[] }).signals[0]!;
        expect([signal.kind, signal.refToMessageId, signal.nonRepudiation, signal.references.length]).to.deep.equal(["Receipt", r.refTo, true, 3]);
        expect(signal.references[2]!.uri).to.match(/^cid:phase4-att-/);
        if (r.messageId) expect(signal.messageId).to.equal(r.messageId);
        expect(statuses(report)).to.deep.equal([["eb:Messaging", "ok"], ["S12:Body", "ok"]]);
        expect(report.signature!.signatureValue.status).to.equal("ok");
        expect(report.signature!.coverage).to.deep.equal({ status: "ok", problems: [] });
        expect(report.receiver).to.deep.equal({ status: "ok", assumedAttachments: [] });
        const signer = report.signer!;
        expect(signer.trust.status).to.equal("ok");
        expect(signer.certificates[0]!.seatId).to.equal(r.cn);
        expect(signer.certificates.at(-1)!.anchor).to.equal(true);
        expect(codes(report, "error")).to.deep.equal([]);
      });

      it(`${r.file}: fails chain validation at a later time, the signature itself still verifies`, async function () {
        const anchors = await g2Anchors(this);
        const report = await analyseAs4Message({ bytes: vectorBytes(this, `as4/${r.file}`) }, opts({ anchors, at: AFTER_EXPIRY }));
        expect(report.verdict.status).to.equal("failed");
        const trust = report.signer!.trust;
        expect(trust.status).to.equal("failed");
        if (trust.status !== "failed") return;
        expect(trust.code).to.equal("ERR_PKI_CERT_EXPIRED");
        expect(trust.hint).to.match(/^the message is dated 2022-03-07T.*; try --at 2022-03-07T/);
        expect(report.verdict.failures).to.deep.equal([`signer chain: ERR_PKI_CERT_EXPIRED ${trust.message}`]);
        expect(report.signer!.validAtMessageTime).to.equal(true);
        expect(statuses(report)).to.deep.equal([["eb:Messaging", "ok"], ["S12:Body", "ok"]]);
        expect(report.receiver!.status).to.equal("ok");
      });
    }

    it("without --trust the chain is shown but the verdict is incomplete", async function () {
      const report = await analyseAs4Message({ bytes: vectorBytes(this, "as4/governikus-receipt.as4in") }, opts({ at: RECEIPTS[0].at }));
      expect(report.verdict.status).to.equal("incomplete");
      expect(report.verdict.unchecked).to.have.length(1);
      expect(report.signer!.trust).to.deep.equal({ status: "skipped", reason: "no --trust anchors given" });
      expect(report.signer!.certificates.map((c) => c.seatId)).to.deep.equal(["POP000260"]);
    });

    it("a one-byte change in the signed header fails that reference only; the rest still shows OK", async function () {
      const anchors = await g2Anchors(this);
      const original = vectorBytes(this, "as4/governikus-receipt.as4in");
      const tampered = replaceOnce(original, "2022-03-07T17:41:28.705Z", "2022-03-07T17:41:28.706Z");
      expect(tampered.length).to.equal(original.length);
      const report = await analyseAs4Message({ bytes: tampered }, opts({ anchors, at: RECEIPTS[0].at }));
      expect(statuses(report)).to.deep.equal([["eb:Messaging", "mismatch"], ["S12:Body", "ok"]]);
      const messaging = report.signature!.references[0]!;
      expect(messaging.expected).to.equal("0wVRKbrw9nnrsPAN7prhDazZtlcq20mo8xkeIRCrQz4=");
      expect(messaging.computed).to.be.a("string").and.not.equal(messaging.expected);
      expect(report.signature!.signatureValue.status).to.equal("ok"); // SignedInfo itself is untouched
      expect(report.signer!.trust.status).to.equal("ok");
      expect(report.receiver).to.include({ status: "failed", code: "EBMS:0101" });
      expect(report.receiver!.detail).to.contain(messaging.uri);
      expect(report.verdict.status).to.equal("failed");
      expect(report.verdict.failures).to.include(`reference ${messaging.uri} (eb:Messaging): digest mismatch`);
      // a content change is not explained by a prefix rewrite: the trap is mentioned as a possibility only
      const trap = report.findings.find((f) => f.code === "PREFIX_REWRITTEN_AFTER_SIGNING");
      expect(trap?.severity).to.equal("warning");
      expect(codes(report)).to.not.include("RECEIVER_DISAGREES");
    });

    it("a one-byte change in the SignatureValue fails it while every digest is OK", async function () {
      const original = vectorBytes(this, "as4/governikus-receipt.as4in");
      const tampered = replaceOnce(original, "<ds:SignatureValue>fwgD", "<ds:SignatureValue>fwgE");
      const report = await analyseAs4Message({ bytes: tampered }, opts({ at: RECEIPTS[0].at }));
      expect(statuses(report)).to.deep.equal([["eb:Messaging", "ok"], ["S12:Body", "ok"]]);
      expect(report.signature!.signatureValue.status).to.equal("failed");
      expect(report.receiver).to.include({ status: "failed", code: "EBMS:0101" });
      expect(report.verdict.status).to.equal("failed");
    });

    it("recognises a mustUnderstand prefix rewritten after signing (the Holodeck trap) and confirms it", async function () {
      const original = vectorBytes(this, "as4/governikus-receipt.as4in");
      // Governikus signed `mustUnderstand:mustUnderstand` with its own declaration; rewrite it as Holodeck 4.1 did
      const rewritten = replaceOnce(
        replaceOnce(original, ' xmlns:mustUnderstand="http://www.w3.org/2003/05/soap-envelope"', ""),
        'mustUnderstand:mustUnderstand="true"',
        'soapenv:mustUnderstand="true"',
      );
      const report = await analyseAs4Message({ bytes: rewritten }, opts({ at: RECEIPTS[0].at }));
      expect(statuses(report)).to.deep.equal([["eb:Messaging", "mismatch"], ["S12:Body", "ok"]]);
      expect(report.signature!.references[0]!.hints).to.deep.equal([
        'matches when the SOAP attribute(s) soapenv:mustUnderstand are written with prefix "mustUnderstand"',
      ]);
      const trap = report.findings.find((f) => f.code === "PREFIX_REWRITTEN_AFTER_SIGNING")!;
      expect(trap.severity).to.equal("error");
      expect(trap.message).to.match(/signed with mustUnderstand:mustUnderstand .* rewritten to soapenv:mustUnderstand/);
    });

    it("de-chunks a dump that kept HTTP chunking", async function () {
      const anchors = await g2Anchors(this);
      const raw = vectorBytes(this, "as4/governikus-receipt.as4in");
      const split = raw.indexOf("\n\n") + 2;
      const body = raw.subarray(split);
      const chunked = Buffer.concat([
        raw.subarray(0, split),
        ...[body.subarray(0, 1000), body.subarray(1000)].flatMap((c) => [Buffer.from(`${c.length.toString(16)};ext=1\r\n`), c, Buffer.from("\r\n")]),
        Buffer.from("0\r\nX-Trailer: 1\r\n\r\n"),
      ]);
      const report = await analyseAs4Message({ bytes: chunked }, opts({ anchors, at: RECEIPTS[0].at }));
      expect(report.verdict.status).to.equal("verified");
      expect(codes(report)).to.include("HTTP_BODY_STILL_CHUNKED");
    });

    it("points out a processing instruction, and still analyses the rest", async function () {
      const original = vectorBytes(this, "as4/governikus-receipt.as4in");
      const withPi = replaceOnce(original, "<soapenv:Envelope ", '<?xml-stylesheet href="x.xsl"?><soapenv:Envelope ');
      const report = await analyseAs4Message({ bytes: withPi }, opts({ at: RECEIPTS[0].at }));
      const pi = report.findings.find((f) => f.code === "PROCESSING_INSTRUCTION_PRESENT")!;
      expect(pi.severity).to.equal("error");
      expect(pi.message).to.contain("<?xml-stylesheet ...?> outside the root element");
      // outside the signed elements it breaks no digest, only the receiver's policy
      expect(statuses(report)).to.deep.equal([["eb:Messaging", "ok"], ["S12:Body", "ok"]]);
      expect(report.receiver).to.include({ status: "failed", code: "EBMS:0009" });
      expect(report.verdict.status).to.equal("failed");
    });

    it("points out a DOCTYPE and stops there", async function () {
      const original = vectorBytes(this, "as4/governikus-receipt.as4in");
      const withDoctype = replaceOnce(original, "<soapenv:Envelope ", "<!DOCTYPE soapenv:Envelope><soapenv:Envelope ");
      const report = await analyseAs4Message({ bytes: withDoctype }, opts());
      expect(codes(report, "error")).to.deep.equal(["DOCTYPE_PRESENT"]);
      expect(report.signature).to.equal(undefined);
      expect(report.verdict.status).to.equal("failed");
    });
  });

  describe("a UserMessage from our sender (signed by POP000001, encrypted for POP000002)", () => {
    let made: MadeMessage;
    before(async () => {
      made = await makeUserMessage();
    });

    it("verifies fully with --key: every reference, decryption, decompression and the chain", async () => {
      const report = await analyseAs4Message({ bytes: made.dump }, opts({ anchors: await apAnchors(), key: apKey("POP000002") }));
      expect(report.verdict, JSON.stringify(report.verdict)).to.deep.equal({ status: "verified", failures: [], unchecked: [] });
      expect(report.input).to.include({ framing: "http-request", startLine: "POST /as4 HTTP/1.1", contentTypeSource: "http-header" });
      const um = report.message as UserMessageReport;
      expect(um).to.deep.include({
        kind: "UserMessage",
        messageId: USER_MESSAGE.messageId,
        timestamp: "2026-03-01T12:00:00.000Z",
        conversationId: USER_MESSAGE.conversationId,
        originalSender: { value: "0192:987464291", type: "iso6523-actorid-upis" },
        finalRecipient: { value: "0192:123456789", type: "iso6523-actorid-upis" },
        profile: { status: "ok" },
      });
      expect(um.from!.partyIds).to.deep.equal([{ value: "POP000001", type: "urn:fdc:peppol.eu:2017:identifiers:ap" }]);
      expect(um.parts.map((p) => [p.href, p.mimeType, p.compressionType])).to.deep.equal([[`cid:${PAYLOAD_CID}`, "application/xml", "application/gzip"]]);
      expect(statuses(report)).to.deep.equal([["eb:Messaging", "ok"], ["S12:Body", "ok"], ["attachment", "ok"]]);
      expect(report.receiver).to.deep.equal({ status: "ok", assumedAttachments: [] });
      const ek = report.encryption!.encryptedKeys[0]!;
      expect(ek.unwrap.status).to.equal("ok");
      expect(ek.recipient?.matchesKey).to.equal(true);
      const p = report.payloads[0]!;
      expect(p.decryption.status).to.equal("ok");
      expect(p.decompression).to.deep.equal({ status: "ok", bytes: PAYLOAD.length });
      expect(p.signedBytesSha256).to.equal(report.signature!.references[2]!.expected);
      // the path ends at the first anchor reached: the issuing CA given with --trust
      expect(report.signer!.certificates.map((c) => [c.seatId ?? c.subject, c.anchor])).to.deep.equal([
        ["POP000001", false],
        ["C=NO, O=dpi-ap test, CN=DPI-AP TEST ACCESS POINT CA", true],
      ]);
      // our sender omits the root Content-ID like phase4; pointed out, not held against it
      expect(codes(report, "warning")).to.deep.equal(["ROOT_WITHOUT_CONTENT_ID"]);
    });

    it("without --key reports the attachment reference as needing the key; the rest is verified", async () => {
      const report = await analyseAs4Message({ bytes: made.mime }, opts({ anchors: await apAnchors() }));
      expect(report.input).to.include({ framing: "mime", contentTypeSource: "detected" });
      expect(statuses(report)).to.deep.equal([["eb:Messaging", "ok"], ["S12:Body", "ok"], ["attachment", "needs-key"]]);
      expect(report.signature!.references[2]!.detail).to.equal("encrypted, needs --key");
      expect(report.signature!.signatureValue.status).to.equal("ok");
      expect(report.receiver).to.deep.equal({ status: "ok", assumedAttachments: [PAYLOAD_CID] });
      expect(report.payloads[0]!.decryption).to.deep.equal({ status: "needs-key" });
      expect(report.encryption!.encryptedKeys[0]!.unwrap).to.deep.equal({ status: "needs-key" });
      expect(report.verdict.status).to.equal("incomplete");
      expect(report.verdict.failures).to.deep.equal([]);
      expect(report.verdict.unchecked[0]).to.match(/give --key/);
    });

    it("reports a flipped ciphertext byte as a GCM failure", async () => {
      const mime = Buffer.from(made.mime);
      mime[made.attachmentOffset + 20]! ^= 0x01;
      const report = await analyseAs4Message({ bytes: mime }, opts({ anchors: await apAnchors(), key: apKey("POP000002") }));
      const p = report.payloads[0]!;
      expect(p.decryption.status).to.equal("failed");
      expect(p.decryption.status === "failed" && p.decryption.detail).to.match(/AES-GCM authentication failed.*GCM tag mismatch/);
      expect(report.encryption!.encryptedKeys[0]!.unwrap.status).to.equal("ok");
      expect(statuses(report)).to.deep.equal([["eb:Messaging", "ok"], ["S12:Body", "ok"], ["attachment", "unavailable"]]);
      expect(report.verdict.status).to.equal("failed");
      expect(report.verdict.failures.some((f) => f.startsWith(`decryption of cid:${PAYLOAD_CID}: AES-GCM authentication failed`))).to.equal(true);
      expect(codes(report)).to.not.include("RECEIVER_DISAGREES");
    });

    it("with the wrong key says whom the message was encrypted for", async () => {
      const report = await analyseAs4Message({ bytes: made.mime }, opts({ anchors: await apAnchors(), key: apKey("POP000001") }));
      expect(codes(report, "warning")).to.include("KEY_NOT_RECIPIENT");
      const ek = report.encryption!.encryptedKeys[0]!;
      expect(ek.recipient?.matchesKey).to.equal(false);
      expect(ek.recipient?.subject).to.contain("CN=POP000002");
      expect(ek.unwrap.status).to.equal("failed");
      expect(report.verdict.status).to.equal("failed");
    });

    it("recognises a signer that digested the payload before compressing it", async () => {
      const wrong = await composeUserMessage({ digestOf: "uncompressed", rootContentId: "soap-root@sender.test" });
      const dump = Buffer.concat([Buffer.from(`Content-Type: ${wrong.contentType}\r\n\r\n`), wrong.mime]);
      const report = await analyseAs4Message({ bytes: dump }, opts({ key: apKey("POP000002") }));
      const ref = report.signature!.references[2]!;
      expect([ref.target, ref.status]).to.deep.equal(["attachment", "mismatch"]);
      expect(ref.hints).to.deep.equal(["matches the SHA-256 of the decompressed payload (the signer digested before compressing)"]);
      expect(codes(report, "error")).to.include("DIGEST_OF_WRONG_BYTES");
      expect(report.receiver).to.include({ status: "failed", code: "EBMS:0101" });
      // with a root Content-ID and start parameter there is nothing to say about the root part
      expect(report.input).to.include({ rootContentId: "soap-root@sender.test", start: "<soap-root@sender.test>" });
      expect(codes(report)).to.not.include("ROOT_WITHOUT_CONTENT_ID");
    });

    it("the same composition with the right digest verifies (control for the test above)", async () => {
      const right = await composeUserMessage({ digestOf: "compressed", rootContentId: "soap-root@sender.test" });
      const report = await analyseAs4Message({ bytes: right.mime }, opts({ key: apKey("POP000002"), anchors: await apAnchors() }));
      expect(report.verdict.status, JSON.stringify(report.verdict)).to.equal("verified");
    });

    it("points out an attachment that is not encrypted", async () => {
      const plain = await composeUserMessage({ digestOf: "compressed", encrypt: false });
      const report = await analyseAs4Message({ bytes: plain.mime }, opts({ anchors: await apAnchors() }));
      expect(statuses(report)).to.deep.equal([["eb:Messaging", "ok"], ["S12:Body", "ok"], ["attachment", "ok"]]);
      expect(report.payloads[0]!.decryption).to.deep.equal({ status: "not-encrypted" });
      expect(report.payloads[0]!.decompression).to.deep.equal({ status: "ok", bytes: PAYLOAD.length });
      expect(codes(report, "error")).to.deep.equal(["ATTACHMENT_NOT_ENCRYPTED"]);
      expect(report.verdict.status).to.equal("failed");
    });

    it("recognises a signer that sorts namespaces with localeCompare (xml-crypto without the c14n fix)", async () => {
      const bad = await makeUserMessage({ localeOrder: true });
      const report = await analyseAs4Message({ bytes: bad.mime }, opts({ key: apKey("POP000002") }));
      const messaging = report.signature!.references[0]!;
      expect([messaging.target, messaging.status]).to.deep.equal(["eb:Messaging", "mismatch"]);
      expect(messaging.hints[0]).to.match(/^matches with namespace declarations sorted by localeCompare/);
      expect(report.signature!.signatureValue.detail).to.match(/verifies over SignedInfo canonicalised with localeCompare/);
      expect(codes(report, "error")).to.include("LOCALE_NAMESPACE_ORDER");
      expect(codes(report)).to.not.include("PREFIX_REWRITTEN_AFTER_SIGNING");
      expect(report.receiver!.status).to.equal("failed");
    });
  });

  describe("signals and framing", () => {
    it("describes an Error signal: each error's code, severity and detail", async () => {
      const xml = signEnvelope(
        buildErrorEnvelope({
          messageId: "e1@receiver.test",
          timestamp: new Date("2026-03-01T12:00:01Z"),
          refToMessageId: USER_MESSAGE.messageId,
          errors: [
            { errorCode: "EBMS:0004", severity: "failure", category: "Content", origin: "ebMS", shortDescription: "Other", errorDetail: "PEPPOL:NOT_SERVICED", refToMessageInError: USER_MESSAGE.messageId },
            { errorCode: "EBMS:0303", severity: "failure", shortDescription: "DecompressionFailure", description: { lang: "en", text: "bad gzip" } },
          ],
        }),
        apKey("POP000002"),
        [],
      );
      const report = await analyseAs4Message({ bytes: Buffer.from(`  \n${xml}`) }, opts({ anchors: await apAnchors() }));
      expect(report.input?.framing).to.equal("soap");
      expect(report.message).to.deep.equal({
        kind: "SignalMessage",
        signals: [
          {
            kind: "Error",
            messageId: "e1@receiver.test",
            timestamp: "2026-03-01T12:00:01.000Z",
            refToMessageId: USER_MESSAGE.messageId,
            errors: [
              { errorCode: "EBMS:0004", severity: "failure", category: "Content", origin: "ebMS", refToMessageInError: USER_MESSAGE.messageId, shortDescription: "Other", errorDetail: "PEPPOL:NOT_SERVICED" },
              { errorCode: "EBMS:0303", severity: "failure", shortDescription: "DecompressionFailure", description: "bad gzip" },
            ],
          },
        ],
      });
      expect(report.verdict.status).to.equal("verified");
    });

    it("an unsigned message fails with NOT_SIGNED, and the receiver agrees", async () => {
      const xml = buildErrorEnvelope({ messageId: "e2@x", timestamp: new Date("2026-03-01T00:00:00Z"), errors: [{ errorCode: "EBMS:0004", severity: "failure" }] });
      const report = await analyseAs4Message({ bytes: Buffer.from(xml) }, opts());
      expect(codes(report, "error")).to.deep.equal(["NOT_SIGNED"]);
      expect(report.receiver).to.include({ status: "failed", code: "EBMS:0101" });
      expect(report.verdict.status).to.equal("failed");
    });

    it("says what it cannot read instead of throwing", async () => {
      const report = await analyseAs4Message({ bytes: Buffer.from("this is not a message\n") }, opts());
      expect(codes(report)).to.deep.equal(["INPUT_UNREADABLE"]);
      expect(report.verdict.status).to.equal("failed");

      const badMime = await analyseAs4Message({ bytes: Buffer.from("--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n") }, opts());
      expect(codes(badMime)).to.deep.equal(["MIME_UNREADABLE"]);
      expect(badMime.findings[0]!.message).to.match(/EBMS:0007.*root part has Content-Type text\/plain/);
    });

    it("reads SOAP sent as text/xml, and says the receiver refuses that Content-Type", async function () {
      const raw = vectorBytes(this, "as4/governikus-receipt.as4in");
      const report = await analyseAs4Message({ bytes: raw }, opts({ contentType: "text/xml; charset=UTF-8", at: RECEIPTS[0].at }));
      expect(report.input?.contentTypeSource).to.equal("option");
      expect(codes(report, "error")).to.deep.equal(["SOAP_CONTENT_TYPE"]);
      expect(statuses(report)).to.deep.equal([["eb:Messaging", "ok"], ["S12:Body", "ok"]]);
    });
  });
});
