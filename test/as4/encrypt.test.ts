import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { decryptAttachments, readEncryptionHeader, unwrapContentKey } from "../../src/as4/decrypt.js";
import { EbmsError } from "../../src/as4/ebms-errors.js";
import { addEncryptionHeader, generateContentKey, newEncryptionHeaderIds, wrapContentKey } from "../../src/as4/encrypt.js";
import { gcmEncryptStream } from "../../src/as4/gcm-stream.js";
import { ALG, NS, WSS } from "../../src/as4/namespaces.js";
import { locateSoapParts, parseSoapEnvelope } from "../../src/as4/soap-parse.js";
import { createTempDir, type TempDir } from "../../src/as4/temp-files.js";
import { buildUserMessageEnvelope, type UserMessage } from "../../src/as4/user-message.js";
import { signEnvelope } from "../../src/as4/wss-sign.js";
import { attr, elementChildren } from "../../src/xml/dom.js";
import { testSigner } from "./sign-fixtures.js";

const sender = testSigner("POP000001");
const receiver = testSigner("POP000002");

function userMessage(cids: string[]): UserMessage {
  return {
    messageId: "5b1f7f0e-2a51-4b1a-9a8e-0d7c1c2f3a4b@sender.test",
    timestamp: new Date("2026-03-01T12:00:00.000Z"),
    fromPartyId: "POP000001",
    toPartyId: "POP000002",
    service: { value: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0", type: "cenbii-procid-ubl" },
    action: "busdox-docid-qns::urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
    conversationId: "conv-1",
    originalSender: { type: "iso6523-actorid-upis", value: "0192:987464291" },
    finalRecipient: { type: "iso6523-actorid-upis", value: "0192:123456789" },
    parts: cids.map((c) => ({ href: `cid:${c}`, mimeType: "application/xml", compressionType: "application/gzip" })),
  };
}

async function encryptToFile(data: Buffer, cek: Buffer, path: string): Promise<void> {
  const out: Buffer[] = [];
  await pipeline(Readable.from([data]), gcmEncryptStream(cek), new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  await writeFile(path, Buffer.concat(out));
}

function sha256(b: Buffer): Buffer {
  return createHash("sha256").update(b).digest();
}

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<EbmsError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    expect(err).to.be.instanceOf(EbmsError);
    return err as EbmsError;
  }
  throw new Error("expected an EbmsError");
}

describe("as4/encrypt + decrypt", () => {
  const cids = ["a1@sender.test", "a2@sender.test"];
  const plain = [randomBytes(5000), randomBytes(70_000)];
  let tmp: TempDir;
  let cek: Buffer;
  let xml: string;
  let paths: string[];
  let parts: { contentId: string; content: { createReadStream(): Readable } }[];

  beforeEach(async () => {
    tmp = createTempDir({ memoryBytes: 0 }); // plaintext in files, so a test can look for it
    cek = generateContentKey();
    const signed = signEnvelope(
      buildUserMessageEnvelope(userMessage(cids)),
      sender,
      cids.map((c, i) => ({ contentId: c, sha256: sha256(plain[i]!) })),
    );
    xml = addEncryptionHeader(signed, {
      cek,
      recipient: receiver.certificate,
      attachments: cids.map((c) => ({ contentId: c, mimeType: "application/gzip" })),
    });
    parts = [];
    paths = [];
    for (const [i, c] of cids.entries()) {
      const path = await tmp.file(`ct-${i}`);
      await encryptToFile(plain[i]!, cek, path);
      paths.push(path);
      parts.push({ contentId: c, content: { createReadStream: () => createReadStream(path) } });
    }
  });
  afterEach(async () => {
    await tmp.dispose();
  });

  it("writes the header in the profile's shape and order", () => {
    const { security } = parseSoapEnvelope(xml);
    const kids = elementChildren(security!).map((e) => e.localName);
    expect(kids).to.deep.equal(["BinarySecurityToken", "EncryptedKey", "EncryptedData", "EncryptedData", "BinarySecurityToken", "Signature"]);
    const [bst, ek, ed] = elementChildren(security!);
    expect(attr(bst!, "ValueType")).to.equal(WSS.x509v3ValueType);
    expect(Buffer.from(bst!.textContent!, "base64").equals(receiver.certificate.raw)).to.equal(true);
    const ekXml = ek!.toString();
    expect(ekXml).to.contain(`Algorithm="${ALG.rsaOaep}"`).and.contain(`Algorithm="${ALG.sha256}"`).and.contain(`Algorithm="${ALG.mgf1Sha256}"`);
    expect(ekXml).to.contain(`URI="#${attr(bst!, "Id", NS.wsu)}"`);
    expect(attr(ed!, "Type")).to.equal(ALG.attachmentContentOnly);
    expect(attr(ed!, "MimeType")).to.equal("application/gzip");
    const edXml = ed!.toString();
    expect(edXml).to.contain(`Algorithm="${ALG.aes128Gcm}"`).and.contain(`TokenType="${WSS.encryptedKeyTokenType}"`);
    expect(edXml).to.contain(`URI="#${attr(ek!, "Id")}"`).and.contain(`URI="cid:${cids[0]}"`).and.contain(ALG.attachmentCiphertextTransform);
    expect(ekXml).to.contain(`URI="#${attr(ed!, "Id")}"`);
  });

  it("decrypts what it encrypted: same bytes, sha256 and MIME type", async () => {
    const header = readEncryptionHeader(parseSoapEnvelope(xml).security);
    const out = await decryptAttachments(header, parts, receiver, tmp);
    for (const [i, c] of cids.entries()) {
      const d = out.get(c)!;
      expect((await d.content.readAll()).equals(plain[i]!)).to.equal(true);
      expect(d.sha256.equals(sha256(plain[i]!))).to.equal(true);
      expect(d.size).to.equal(plain[i]!.length);
      expect(d.mimeType).to.equal("application/gzip");
    }
  });

  it("uses a fresh key and fresh ids per message", () => {
    expect(generateContentKey().equals(generateContentKey())).to.equal(false);
    const a = newEncryptionHeaderIds(1);
    const b = newEncryptionHeaderIds(1);
    expect(a.encryptedKey).to.not.equal(b.encryptedKey);
    expect(a.encryptedData[0]).to.match(/^ED-/);
  });

  it("a wrong private key is EBMS:0102", async () => {
    const header = readEncryptionHeader(parseSoapEnvelope(xml).security);
    const err = await rejection(decryptAttachments(header, parts, { privateKey: sender.privateKey }, tmp));
    expect(err.code).to.equal("EBMS:0102");
    // with our certificate given, a message for someone else is refused before trying the key
    const err2 = await rejection(decryptAttachments(header, parts, sender, tmp));
    expect(err2.code).to.equal("EBMS:0102");
  });

  it("a tampered attachment is EBMS:0102 and leaves no plaintext file", async () => {
    const ct = await readFile(paths[1]!);
    ct[100] = ct[100]! ^ 1;
    await writeFile(paths[1]!, ct);
    const before = new Set(await readdir(tmp.path!));
    const header = readEncryptionHeader(parseSoapEnvelope(xml).security);
    const err = await rejection(decryptAttachments(header, parts, receiver, tmp));
    expect(err.code).to.equal("EBMS:0102");
    const added = (await readdir(tmp.path!)).filter((f) => !before.has(f));
    // the first (intact) part was decrypted; nothing of the tampered one exists (file names carry the cid, '@' as '_')
    expect(added).to.deep.equal(["003-plain-a1_sender.test"]);
  });

  it("a part the header names but the message lacks is EBMS:0007", async () => {
    const header = readEncryptionHeader(parseSoapEnvelope(xml).security);
    const err = await rejection(decryptAttachments(header, parts.slice(0, 1), receiver, tmp));
    expect(err.code).to.equal("EBMS:0007");
  });

  it("reads a CipherValue wrapped over lines with &#13; (Santuario style)", async () => {
    const b64 = wrapContentKey(cek, receiver.certificate).toString("base64");
    const wrapped = b64.replace(/(.{76})/g, "$1&#13;\n");
    const withBreaks = xml.replace(/<xenc:CipherValue>[^<]*<\/xenc:CipherValue>/, `<xenc:CipherValue>${wrapped}</xenc:CipherValue>`);
    expect(withBreaks).to.contain("&#13;");
    const header = readEncryptionHeader(parseSoapEnvelope(withBreaks).security);
    expect(unwrapContentKey([...header.encryptedKeys.values()][0]!, receiver).equals(cek)).to.equal(true);
  });

  const policyCases: [string, (x: string) => string][] = [
    ["rsa-oaep-mgf1p key transport", (x) => x.replace(ALG.rsaOaep, "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p")],
    ["MGF1 with SHA-1", (x) => x.replace(ALG.mgf1Sha256, "http://www.w3.org/2009/xmlenc11#mgf1sha1")],
    ["OAEP digest missing (SHA-1 default)", (x) => x.replace(/<ds:DigestMethod [^>]*xmlenc#sha256"\/>/, "")],
    ["AES-256-GCM data encryption", (x) => x.replace(ALG.aes128Gcm, "http://www.w3.org/2009/xmlenc11#aes256-gcm")],
    ["AES-128-CBC data encryption", (x) => x.replace(ALG.aes128Gcm, "http://www.w3.org/2001/04/xmlenc#aes128-cbc")],
    ["Attachment-Complete type", (x) => x.replace(ALG.attachmentContentOnly, "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Complete")],
    [
      "key referenced by KeyIdentifier",
      (x) =>
        x.replace(
          /(<xenc:EncryptedKey[\s\S]*?<wsse:SecurityTokenReference>)<wsse:Reference [^>]*\/>/,
          `$1<wsse:KeyIdentifier ValueType="http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1">AAAA</wsse:KeyIdentifier>`,
        ),
    ],
    ["EncryptedKey referenced from another document", (x) => x.replace(/(<wsse:Reference URI=")#(EK-)/, "$1other.xml#$2")],
    ["unknown CipherReference transform", (x) => x.replace(ALG.attachmentCiphertextTransform, "http://www.w3.org/2000/09/xmldsig#base64")],
  ];
  for (const [label, mutate] of policyCases) {
    it(`refuses ${label} with EBMS:0103`, async () => {
      const changed = mutate(xml);
      expect(changed).to.not.equal(xml);
      const err = await rejection(() => readEncryptionHeader(parseSoapEnvelope(changed).security));
      expect(err.code).to.equal("EBMS:0103");
    });
  }

  it("leaves the signed parts untouched", () => {
    const signed = signEnvelope(buildUserMessageEnvelope(userMessage(cids)), sender, cids.map((c, i) => ({ contentId: c, sha256: sha256(plain[i]!) })));
    const encrypted = addEncryptionHeader(signed, { cek, recipient: receiver.certificate, attachments: cids.map((c) => ({ contentId: c, mimeType: "application/gzip" })) });
    const pick = (s: string) => {
      const p = locateSoapParts(parseSoapEnvelope(s).document);
      return [p.messaging.toString(), p.body.toString()];
    };
    expect(pick(encrypted)).to.deep.equal(pick(signed));
  });
});
