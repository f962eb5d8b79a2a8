import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { EbmsError } from "../../src/as4/ebms-errors.js";
import { addEncryptionHeader, generateContentKey } from "../../src/as4/encrypt.js";
import { gcmEncryptStream } from "../../src/as4/gcm-stream.js";
import { receiveUserMessage } from "../../src/as4/inbound.js";
import { buildMultipartRelated } from "../../src/as4/mime-build.js";
import { buildUserMessageEnvelope } from "../../src/as4/user-message.js";
import { verifyEnvelope } from "../../src/as4/wss-verify.js";
import { sha256, testSigner, testUserMessage } from "../as4/sign-fixtures.js";
import { run, SANTUARIO_JARS } from "../helpers/tools.js";

/**
 * The reverse of sign-interop.test.ts for Java: an AS4 message signed by Apache Santuario (SignAs4.java, shaped
 * like WSS4J/phase4 output) must be accepted by verifyEnvelope and, encrypted and packed as MIME, by the whole
 * receiver (receiveUserMessage). Skips cleanly when java/javac or the Debian libxml-security-java jars are absent.
 */

const HERE = fileURLToPath(new URL(".", import.meta.url));
const JARS = SANTUARIO_JARS;

const CID = "payload-1-5b0e8c3a-8d4e-4c59-9a57-2f1d0c3b4a59@santuario.test";
const IDS = { messagingId: "msg-santuario-1", bodyId: "body-santuario-1" };
const PAYLOAD = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<doc>hei fra Santuario \u00e6\u00f8\u00e5 ${"z".repeat(2000)}</doc>\n`, "utf8");
/** The attachment as sent, before encryption: what the cid: reference digests. */
const GZ = gzipSync(PAYLOAD);
const CONVERSATION = "c0ffee00-0000-4000-8000-000000000001";


function flipOneByte(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const i = out.length >> 1;
  out[i] = out[i]! ^ 0x01;
  return out;
}

function catchEbms(fn: () => unknown): EbmsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EbmsError) return e;
    throw e;
  }
  throw new Error("expected an EbmsError, nothing was thrown");
}

describe("interop: Apache Santuario signs, our receiver verifies", function () {
  this.timeout(120_000);
  let dir: string;
  let classpath: string;
  const sender = testSigner("POP000001");
  const receiver = testSigner("POP000002");

  before(function () {
    if (!JARS.every(existsSync) || run("javac", ["-version"]).status !== 0 || run("java", ["-version"]).status !== 0) this.skip();
    dir = mkdtempSync(join(tmpdir(), "as4-santuario-reverse-"));
    const classes = join(dir, "classes");
    const compiled = run("javac", ["-nowarn", "-cp", JARS.join(":"), "-d", classes, join(HERE, "SignAs4.java")]);
    expect(compiled.status, compiled.out).to.equal(0);
    classpath = [classes, ...JARS].join(":");
    // The example PKI's PKCS#8 key and certificate (or the fixtures' throwaway pair when it was not generated).
    writeFileSync(join(dir, "key.pem"), sender.privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "cert.pem"), sender.certificate.toString());
    writeFileSync(join(dir, "att.gz"), GZ);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function unsignedEnvelope(): string {
    return buildUserMessageEnvelope(testUserMessage([{ contentId: CID, bytes: GZ }]), IDS);
  }

  /** Sign `unsigned` with SignAs4.java over the attachment GZ; returns the signed envelope text. */
  function santuarioSign(unsigned: string, flags: string[] = []): string {
    const path = join(dir, `unsigned-${flags.join("") || "plain"}.xml`);
    writeFileSync(path, unsigned);
    const r = spawnSync(
      "java",
      ["-cp", classpath, "SignAs4", ...flags, join(dir, "key.pem"), join(dir, "cert.pem"), path, `${CID}=${join(dir, "att.gz")}`],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(r.status, r.stderr).to.equal(0);
    return r.stdout;
  }

  let phase4Shaped: string | undefined;
  const signed = (): string => (phase4Shaped ??= santuarioSign(unsignedEnvelope()));
  const digestOf = (bytes: Buffer) => (cid: string) => (cid === CID ? sha256(bytes) : undefined);

  describe("verifyEnvelope", () => {
    it("accepts a WSS4J/phase4-shaped Santuario signature and reports the signer certificate", () => {
      const xml = signed();
      // The shape phase4 sends: ec-prefixed PrefixList="S12" on SignedInfo, bare exc-c14n on the references,
      // unwrapped base64, a wsu:Id on the SecurityTokenReference.
      expect(xml).to.match(/^<\?xml version="1\.0" encoding="UTF-8"/);
      expect(xml).to.contain('<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="S12"/>');
      expect(xml).to.contain(`<ds:Reference URI="#${IDS.messagingId}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>`);
      expect(xml).to.match(/<wsse:SecurityTokenReference wsu:Id="STR-[^"]+"><wsse:Reference URI="#X509-/);
      expect(xml).to.not.contain("&#13;");

      const v = verifyEnvelope(xml, { attachmentDigest: digestOf(GZ) });
      expect(v.signerCertificate.raw.equals(sender.certificate.raw)).to.equal(true);
      expect(v.references.map((r) => [r.target, r.uri])).to.deep.equal([
        ["messaging", `#${IDS.messagingId}`],
        ["body", `#${IDS.bodyId}`],
        ["attachment", `cid:${CID}`],
      ]);
      expect(v.references[2]!.digestValue).to.equal(sha256(GZ).toString("base64"));
      expect(v.signedInfoReferenceNodes).to.have.length(3);
    });

    it("accepts Santuario's default output: line-wrapped SignatureValue with &#13; and newlines between ds elements", () => {
      const xml = santuarioSign(unsignedEnvelope(), ["--line-breaks"]);
      expect(xml).to.contain("&#13;\n");
      expect(xml).to.contain("<ds:SignedInfo>\n<ds:CanonicalizationMethod");
      const v = verifyEnvelope(xml, { attachmentDigest: digestOf(GZ) });
      expect(v.signerCertificate.raw.equals(sender.certificate.raw)).to.equal(true);
      expect(v.references.map((r) => r.target)).to.deep.equal(["messaging", "body", "attachment"]);
    });

    it("accepts ec:InclusiveNamespaces on the reference transforms (extra prefixes declared on the Envelope)", () => {
      // phase4 envelopes often carry unused declarations on the root; WSS4J then lists them on every reference.
      const unsigned = unsignedEnvelope().replace(
        '<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope">',
        '<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">',
      );
      expect(unsigned).to.contain("xmlns:xsd=");
      const xml = santuarioSign(unsigned);
      expect(xml).to.contain('PrefixList="S12 xsd xsi"');
      expect(xml.match(/PrefixList="xsd xsi"/g)).to.have.length(2); // the Messaging and Body references
      const v = verifyEnvelope(xml, { attachmentDigest: digestOf(GZ) });
      expect(v.references.map((r) => r.target)).to.deep.equal(["messaging", "body", "attachment"]);
    });

    it("rejects a one-byte change in the attachment with EBMS:0101", () => {
      const err = catchEbms(() => verifyEnvelope(signed(), { attachmentDigest: digestOf(flipOneByte(GZ)) }));
      expect(err.code).to.equal("EBMS:0101");
      expect(err.detail).to.contain(`digest of cid:${CID} does not match`);
      expect(err.refToMessageId).to.equal(testUserMessage().messageId);
    });

    it("rejects a one-byte change in the signed eb:Messaging with EBMS:0101", () => {
      const xml = signed();
      const tampered = xml.replace(`>${CONVERSATION}<`, `>${CONVERSATION.slice(0, -1)}2<`);
      expect(tampered).to.not.equal(xml);
      expect(tampered.length).to.equal(xml.length);
      const err = catchEbms(() => verifyEnvelope(tampered, { attachmentDigest: digestOf(GZ) }));
      expect(err.code).to.equal("EBMS:0101");
      expect(err.detail).to.contain(`digest of #${IDS.messagingId} does not match`);
    });
  });

  describe("receiveUserMessage (Santuario signature + our encryption, as MIME)", () => {
    /** Adds our encryption header for POP000002 and the AES-GCM attachment, as outbound.ts does. */
    async function packed(signedXml: string, sentBytes: Buffer = GZ) {
      const cek = generateContentKey();
      const soap = addEncryptionHeader(signedXml, {
        cek,
        recipient: receiver.certificate,
        attachments: [{ contentId: CID, mimeType: "application/gzip" }],
      });
      const ciphertext = Buffer.concat(await Readable.from([sentBytes]).pipe(gcmEncryptStream(cek)).toArray());
      return buildMultipartRelated(soap, [{ contentId: CID, source: () => Readable.from([ciphertext]) }]);
    }

    it("accepts the message and delivers the payload byte for byte", async () => {
      const mime = await packed(signed());
      const got = await receiveUserMessage(mime.contentType, mime.body(), { decryptionKey: receiver, tempDir: { parent: dir, prefix: "inbound-ok-" } });
      try {
        expect(got.userMessage.messageId).to.equal(testUserMessage().messageId);
        expect(got.signerCertificate.raw.equals(sender.certificate.raw)).to.equal(true);
        expect(got.signedReferences.map((r) => r.target)).to.deep.equal(["messaging", "body", "attachment"]);
        expect(got.payloads).to.have.length(1);
        const p = got.payloads[0]!;
        expect([p.contentId, p.mimeType, p.wasCompressed]).to.deep.equal([CID, "application/xml", true]);
        expect((await p.content.readAll()).equals(PAYLOAD)).to.equal(true);
      } finally {
        await got.dispose();
      }
      expect(readdirSync(dir).filter((f) => f.startsWith("inbound-ok-"))).to.deep.equal([]);
    });

    it("refuses, with EBMS:0101, an attachment one byte off what Santuario signed (checked before gunzip)", async () => {
      const mime = await packed(signed(), flipOneByte(GZ));
      let err: unknown;
      try {
        const got = await receiveUserMessage(mime.contentType, mime.body(), { decryptionKey: receiver, tempDir: { parent: dir, prefix: "inbound-bad-" } });
        await got.dispose();
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(EbmsError);
      expect((err as EbmsError).code).to.equal("EBMS:0101");
      expect((err as EbmsError).detail).to.contain(`cid:${CID}`);
      // a rejected message leaves nothing behind
      expect(readdirSync(dir).filter((f) => f.startsWith("inbound-bad-"))).to.deep.equal([]);
    });
  });
});
