import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EbmsError } from "../../src/as4/ebms-errors.js";
import { buildReceiptTree } from "../../src/as4/signal-message.js";
import { buildUserMessageEnvelope, buildUserMessageTree, type UserMessage } from "../../src/as4/user-message.js";
import { signEnvelope } from "../../src/as4/wss-sign.js";
import { verifyEnvelope } from "../../src/as4/wss-verify.js";
import { sha256, testAttachments, testSigner, testUserMessage, type TestAttachment } from "../as4/sign-fixtures.js";
import { findPython as findPythonWith, run, SANTUARIO_JARS } from "../helpers/tools.js";

/**
 * Our WS-Security signatures checked by verifiers that share no code with us: libxml2 C14N through
 * python3-lxml with python3-cryptography, and Apache Santuario (Java). And the reverse: a signature made by
 * the Python script is accepted by verifyEnvelope. Skips cleanly when the Debian packages are absent.
 */

const HERE = fileURLToPath(new URL(".", import.meta.url));
const JARS = SANTUARIO_JARS;


const findPython = () => findPythonWith(["-c", "import lxml.etree, cryptography.x509"]);

describe("interop: AS4 signatures with independent verifiers", function () {
  this.timeout(120_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "as4-sign-interop-"));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  interface Case {
    name: string;
    xml: string;
    attachments: TestAttachment[];
  }

  // Signed as the access point signs what it sends: built as a tree, without a DOM (envelope.ts).
  function signedUserMessage(n: number, change: (um: UserMessage) => UserMessage = (um) => um): Case {
    const attachments = testAttachments(n);
    const xml = signEnvelope(
      buildUserMessageTree(change(testUserMessage(attachments))),
      testSigner(),
      attachments.map((a) => ({ contentId: a.contentId, sha256: sha256(a.bytes) })),
    );
    return { name: `user message with ${n} attachment(s)`, xml, attachments };
  }

  /** Text and attribute values our canonical form must escape (& < > " TAB CR LF) or leave (' and non-ASCII). */
  function signedEscapingUserMessage(): Case {
    const odd = `a & b < c > d " e ' f\tg\rh\ni \u00e6\u00f8\u00e5 \u{1F600}`;
    const c = signedUserMessage(1, (um) => ({
      ...um,
      conversationId: odd,
      service: { value: `svc ${odd}`, type: `type ${odd}` },
      originalSender: { type: `t ${odd}`, value: `0192:${odd}` },
    }));
    return { ...c, name: "user message with values needing escaping" };
  }

  function signedReceipt(): Case {
    const um = signedUserMessage(1);
    const digests = new Map(um.attachments.map((a) => [a.contentId, sha256(a.bytes)]));
    const v = verifyEnvelope(um.xml, { attachmentDigest: (c) => digests.get(c) });
    const xml = signEnvelope(
      buildReceiptTree({
        messageId: "receipt-1@dpi-ap.test",
        timestamp: new Date("2026-03-01T12:00:00Z"),
        refToMessageId: testUserMessage().messageId,
        references: v.signedInfoReferenceNodes,
      })!,
      testSigner("POP000002"),
      [],
    );
    return { name: "receipt", xml, attachments: [] };
  }

  const cases = (): Case[] => [signedUserMessage(0), signedUserMessage(1), signedUserMessage(2), signedEscapingUserMessage(), signedReceipt()];

  /** Write the message and its attachments; return the verifier arguments. */
  function files(c: Case, tag: string, xml = c.xml): string[] {
    const path = join(dir, `${tag}.xml`);
    writeFileSync(path, xml);
    return [
      path,
      ...c.attachments.map((a, i) => {
        const p = join(dir, `${tag}.att${i}`);
        writeFileSync(p, a.bytes);
        return `${a.contentId}=${p}`;
      }),
    ];
  }

  const tamper = (xml: string) => xml.replace("c0ffee00-0000-4000-8000-000000000001", "c0ffee00-0000-4000-8000-000000000002");

  describe("python3-lxml + python3-cryptography", () => {
    let python: string | undefined;
    before(function () {
      python = findPython();
      if (!python) this.skip();
    });

    it("accepts our signatures (0, 1, 2 attachments, values needing escaping, a receipt) and rejects a tampered one", () => {
      for (const [i, c] of cases().entries()) {
        const ok = run(python!, [join(HERE, "verify_as4.py"), ...files(c, `py-${i}`)]);
        expect(ok.out, c.name).to.equal(`python OK refs=${2 + c.attachments.length}`);
        expect(ok.status).to.equal(0);
      }
      const c = signedUserMessage(2);
      const bad = run(python!, [join(HERE, "verify_as4.py"), ...files(c, "py-bad", tamper(c.xml))]);
      expect(bad.status).to.equal(1);
      expect(bad.out).to.match(/python FAIL #msg-.*digest mismatch/);
      const badAtt = files(c, "py-badatt");
      writeFileSync(badAtt[2]!.split("=").pop()!, "changed");
      expect(run(python!, [join(HERE, "verify_as4.py"), ...badAtt]).out).to.match(/FAIL cid:.*digest mismatch/);
    });

    it("signs messages that verifyEnvelope accepts (reverse direction), and a tampered one is refused", () => {
      const attachments = testAttachments(2);
      const unsigned = join(dir, "py-unsigned.xml");
      writeFileSync(unsigned, buildUserMessageEnvelope(testUserMessage(attachments)));
      const key = join(dir, "key.pem");
      const cert = join(dir, "cert.pem");
      writeFileSync(key, testSigner().privateKey.export({ type: "pkcs8", format: "pem" }));
      writeFileSync(cert, testSigner().certificate.toString());
      const attArgs = files({ name: "", xml: "", attachments }, "py-sign").slice(1);
      const signed = spawnSync(python!, [join(HERE, "verify_as4.py"), "--sign", key, cert, unsigned, ...attArgs], { encoding: "utf8" });
      expect(signed.status, signed.stderr).to.equal(0);

      const digests = new Map(attachments.map((a) => [a.contentId, sha256(a.bytes)]));
      const v = verifyEnvelope(signed.stdout, { attachmentDigest: (c) => digests.get(c) });
      expect(v.signerCertificate.fingerprint256).to.equal(testSigner().certificate.fingerprint256);
      expect(v.references.map((r) => r.target)).to.deep.equal(["messaging", "body", "attachment", "attachment"]);
      // The Python signer writes ec-prefixed InclusiveNamespaces and a wsu:Id on the STR, as WSS4J does.
      expect(signed.stdout).to.contain("ec:InclusiveNamespaces");

      expect(() => verifyEnvelope(tamper(signed.stdout), { attachmentDigest: (c) => digests.get(c) }))
        .to.throw(EbmsError, /EBMS:0101.*digest of #msg-/);
    });
  });

  describe("Apache Santuario (libxml-security-java)", () => {
    let classes: string;
    const classpath = () => [classes, ...JARS].join(":");
    before(function () {
      if (!JARS.every(existsSync) || run("javac", ["-version"]).status !== 0) this.skip();
      classes = join(dir, "classes");
      const compiled = run("javac", ["-nowarn", "-cp", JARS.join(":"), "-d", classes, join(HERE, "VerifyAs4.java")]);
      expect(compiled.status, compiled.out).to.equal(0);
    });

    it("accepts our signatures (0, 1, 2 attachments, values needing escaping, a receipt) and rejects a tampered one", () => {
      for (const [i, c] of cases().entries()) {
        const ok = run("java", ["-cp", classpath(), "VerifyAs4", ...files(c, `java-${i}`)]);
        expect(ok.out, c.name).to.equal(`Santuario OK refs=${2 + c.attachments.length}`);
        expect(ok.status).to.equal(0);
      }
      const c = signedUserMessage(1);
      const bad = run("java", ["-cp", classpath(), "VerifyAs4", ...files(c, "java-bad", tamper(c.xml))]);
      expect(bad.status).to.equal(1);
      expect(bad.out).to.match(/Santuario FAIL .*bad references: #msg-/);
    });
  });
});
