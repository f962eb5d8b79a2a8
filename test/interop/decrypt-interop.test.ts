import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { decryptAttachments, readEncryptionHeader } from "../../src/as4/decrypt.js";
import { addEncryptionHeader } from "../../src/as4/encrypt.js";
import { parseSoapEnvelope } from "../../src/as4/soap-parse.js";
import { createTempDir, type TempDir } from "../../src/as4/temp-files.js";
import { buildUserMessageEnvelope } from "../../src/as4/user-message.js";
import { signEnvelope } from "../../src/as4/wss-sign.js";
import { testSigner } from "../as4/sign-fixtures.js";
import { findPython as findPythonWith, hasOpenssl as opensslPresent } from "../helpers/tools.js";

/**
 * The reverse direction: a content key wrapped by OpenSSL or python3-cryptography, and an attachment
 * encrypted by python3-cryptography's AESGCM, decrypted by our decrypt.ts. Skips without the tools.
 */

const PY_HELPER = fileURLToPath(new URL("./crypto_aesgcm.py", import.meta.url));

const findPython = () => findPythonWith([PY_HELPER, "check"]);
const hasOpenssl = opensslPresent();

const sender = testSigner("POP000001");
const receiver = testSigner("POP000002");
const CID = "payload-1@sender.test";

describe("interop: third-party key wrap and AES-GCM, decrypted by our decrypt.ts", function () {
  this.timeout(60_000);
  const python = findPython();
  let tmp: TempDir;
  let cek: Buffer;
  let plain: Buffer;
  let ctPath: string;
  let signed: string;
  let certPath: string;

  before(async function () {
    if (python === undefined) this.skip(); // the attachment side needs python in every case
    tmp = createTempDir();
    cek = randomBytes(16);
    plain = randomBytes(150_001);
    const plainPath = await tmp.file("plain");
    await writeFile(plainPath, plain);
    ctPath = await tmp.file("ct");
    execFileSync(python, [PY_HELPER, "encrypt", cek.toString("hex"), plainPath, ctPath]);
    certPath = await tmp.file("receiver.pem");
    await writeFile(certPath, receiver.certificate.toString());
    signed = signEnvelope(
      buildUserMessageEnvelope({
        messageId: "11111111-2222-4333-8444-555555555555@sender.test",
        timestamp: new Date("2026-03-01T00:00:00Z"),
        fromPartyId: "POP000001",
        toPartyId: "POP000002",
        service: { value: "urn:test:process", type: "cenbii-procid-ubl" },
        action: "busdox-docid-qns::urn:test:doc",
        conversationId: "c-1",
        originalSender: { type: "iso6523-actorid-upis", value: "0192:987464291" },
        finalRecipient: { type: "iso6523-actorid-upis", value: "0192:123456789" },
        parts: [{ href: `cid:${CID}`, mimeType: "application/octet-stream" }],
      }),
      sender,
      [{ contentId: CID, sha256: createHash("sha256").update(plain).digest() }],
    );
  });
  after(async () => {
    await tmp?.dispose();
  });

  async function decryptWith(wrappedKey: Buffer): Promise<Buffer> {
    const xml = addEncryptionHeader(signed, {
      cek,
      wrappedKey,
      recipient: receiver.certificate,
      attachments: [{ contentId: CID, mimeType: "application/octet-stream" }],
    });
    const header = readEncryptionHeader(parseSoapEnvelope(xml).security);
    const out = await decryptAttachments(header, [{ contentId: CID, content: { createReadStream: () => createReadStream(ctPath) } }], receiver, tmp);
    const d = out.get(CID)!;
    expect(d.sha256.equals(createHash("sha256").update(plain).digest())).to.equal(true);
    return d.content.readAll();
  }

  it("a key wrapped by openssl pkeyutl (OAEP SHA-256, MGF1-SHA-256)", async function () {
    if (!hasOpenssl) this.skip();
    const cekPath = await tmp.file("cek");
    await writeFile(cekPath, cek, { mode: 0o600 });
    const wrapped = execFileSync("openssl", [
      "pkeyutl", "-encrypt", "-certin", "-inkey", certPath, "-in", cekPath,
      "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256",
    ]);
    expect((await decryptWith(wrapped)).equals(plain)).to.equal(true);
  });

  it("a key wrapped by python3-cryptography OAEP(MGF1(SHA256), SHA256)", async function () {
    const b64 = execFileSync(python!, [PY_HELPER, "wrap", certPath, cek.toString("hex")]).toString().trim();
    expect((await decryptWith(Buffer.from(b64, "base64"))).equals(plain)).to.equal(true);
  });

  it("a key wrapped by openssl with MGF1-SHA-1 is refused with EBMS:0102", async function () {
    if (!hasOpenssl) this.skip();
    const cekPath = await tmp.file("cek1");
    await writeFile(cekPath, cek, { mode: 0o600 });
    const wrapped = execFileSync("openssl", [
      "pkeyutl", "-encrypt", "-certin", "-inkey", certPath, "-in", cekPath,
      "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha1",
    ]);
    try {
      await decryptWith(wrapped);
      expect.fail("decrypted a key wrapped with the wrong MGF");
    } catch (err) {
      expect((err as { code?: string }).code).to.equal("EBMS:0102");
    }
  });
});
