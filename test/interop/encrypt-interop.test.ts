import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { createReadStream, createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { gzipStream } from "../../src/as4/compression.js";
import { addEncryptionHeader, generateContentKey } from "../../src/as4/encrypt.js";
import { gcmEncryptStream } from "../../src/as4/gcm-stream.js";
import { createTempDir, type TempDir } from "../../src/as4/temp-files.js";
import { buildUserMessageEnvelope } from "../../src/as4/user-message.js";
import { signEnvelope } from "../../src/as4/wss-sign.js";
import { testSigner } from "../as4/sign-fixtures.js";
import { findPython as findPythonWith, hasOpenssl as opensslPresent } from "../helpers/tools.js";

/**
 * Our encryption read by independent implementations: OpenSSL unwraps the EncryptedKey with RSA-OAEP
 * SHA-256/MGF1-SHA-256, and python3-cryptography's AESGCM decrypts the attachment. Skips without the tools.
 */

const PY_HELPER = fileURLToPath(new URL("./crypto_aesgcm.py", import.meta.url));

const findPython = () => findPythonWith([PY_HELPER, "check"]);
const hasOpenssl = opensslPresent();

const sender = testSigner("POP000001");
const receiver = testSigner("POP000002");
const CID = "payload-1@sender.test";

describe("interop: our AS4 encryption, decrypted by openssl and python3-cryptography", function () {
  this.timeout(60_000);
  const python = findPython();
  let tmp: TempDir;
  let cek: Buffer;
  let wrappedKeyPath: string;
  let keyPath: string;
  let gzPath: string;
  let ctPath: string;

  before(async function () {
    if (!hasOpenssl && python === undefined) this.skip();
    tmp = createTempDir();
    const plain = Buffer.concat([randomBytes(100_000), Buffer.alloc(100_000, "x")]);
    const plainPath = await tmp.file("plain");
    await writeFile(plainPath, plain);
    gzPath = await tmp.file("gz");
    await pipeline(createReadStream(plainPath), gzipStream(), createWriteStream(gzPath));
    cek = generateContentKey();
    ctPath = await tmp.file("ct");
    await pipeline(createReadStream(gzPath), gcmEncryptStream(cek), createWriteStream(ctPath));

    const gz = await readFile(gzPath);
    const um = buildUserMessageEnvelope({
      messageId: "11111111-2222-4333-8444-555555555555@sender.test",
      timestamp: new Date("2026-03-01T00:00:00Z"),
      fromPartyId: "POP000001",
      toPartyId: "POP000002",
      service: { value: "urn:test:process", type: "cenbii-procid-ubl" },
      action: "busdox-docid-qns::urn:test:doc",
      conversationId: "c-1",
      originalSender: { type: "iso6523-actorid-upis", value: "0192:987464291" },
      finalRecipient: { type: "iso6523-actorid-upis", value: "0192:123456789" },
      parts: [{ href: `cid:${CID}`, mimeType: "application/octet-stream", compressionType: "application/gzip" }],
    });
    const signed = signEnvelope(um, sender, [{ contentId: CID, sha256: createHash("sha256").update(gz).digest() }]);
    const xml = addEncryptionHeader(signed, { cek, recipient: receiver.certificate, attachments: [{ contentId: CID, mimeType: "application/gzip" }] });
    const m = /<xenc:CipherValue>([^<]+)<\/xenc:CipherValue>/.exec(xml);
    expect(m, "CipherValue in our header").to.not.equal(null);
    wrappedKeyPath = await tmp.file("wrapped");
    await writeFile(wrappedKeyPath, Buffer.from(m![1]!, "base64"));
    keyPath = await tmp.file("receiver.key.pem");
    await writeFile(keyPath, receiver.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  });
  after(async () => {
    await tmp?.dispose();
  });

  it("openssl pkeyutl unwraps the EncryptedKey with OAEP SHA-256 / MGF1-SHA-256", function () {
    if (!hasOpenssl) this.skip();
    const out = execFileSync("openssl", [
      "pkeyutl", "-decrypt", "-inkey", keyPath, "-in", wrappedKeyPath,
      "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256",
    ]);
    expect(out.equals(cek)).to.equal(true);
  });

  it("openssl with MGF1-SHA-1 does not unwrap it (the MGF really is SHA-256)", function () {
    if (!hasOpenssl) this.skip();
    const r = spawnSync("openssl", [
      "pkeyutl", "-decrypt", "-inkey", keyPath, "-in", wrappedKeyPath,
      "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha1",
    ]);
    expect(r.status === 0 && Buffer.from(r.stdout).equals(cek)).to.equal(false);
  });

  it("python3-cryptography AESGCM decrypts the attachment to the gzip bytes we signed", async function () {
    if (python === undefined) this.skip();
    const out = await tmp.file("py-plain");
    execFileSync(python, [PY_HELPER, "decrypt", cek.toString("hex"), ctPath, out]);
    expect((await readFile(out)).equals(await readFile(gzPath))).to.equal(true);
  });
});
