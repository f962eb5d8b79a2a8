import { createCipheriv, createHash, randomBytes, type X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { addEncryptionHeader, generateContentKey } from "../../src/as4/encrypt.js";
import { buildMultipartRelated } from "../../src/as4/mime-build.js";
import { prepareUserMessage } from "../../src/as4/outbound.js";
import { buildUserMessageEnvelope, type UserMessage } from "../../src/as4/user-message.js";
import { signEnvelope, type AttachmentDigest, type Signer } from "../../src/as4/wss-sign.js";
import type { CliIo } from "../../src/cli/usage.js";
import { keyStoreFromPkcs12, type KeyStore } from "../../src/pki/keystore.js";
import { loadAnchors } from "../../src/pki/pem.js";
import { signWithXmlCryptoOrder } from "../helpers/xml-crypto-sign.js";

/** Shared inputs of the CLI tests: third-party vectors (skipped when absent) and messages made by our sender. */

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CERTS = join(ROOT, "certs-example/ap");
export const VECTORS = fileURLToPath(new URL("../../../shared/vectors/", import.meta.url));
export const G2_ANCHOR_FILES = [join(VECTORS, "pki/G2-Peppol_Test_AccessPoint_CA.cer"), join(VECTORS, "pki/G2-Peppol_Test_Root_CA.cer")];
export const AP_ANCHOR_FILES = [join(CERTS, "root-ca.pem"), join(CERTS, "intermediate-ca.pem")];

/** The receipts and times inside their signers' validity (openssl x509 -dates on their BSTs). */
export const RECEIPTS = [
  {
    file: "governikus-receipt.as4in",
    cn: "POP000260",
    messageId: "03528358-a714-49bc-bce8-9bfabb01fa78@vt-peppol-c3",
    refTo: "6b52b4c0-de6a-46b8-8286-27bac7d1a463@phase4",
    at: new Date("2022-03-07T17:41:28Z"), // certificate valid 2021-01-07 .. 2022-12-28
  },
  {
    file: "phase4-receipt.as4in",
    cn: "POP000306",
    messageId: undefined,
    refTo: "3b3775c9-e88d-47f9-be5a-8e045ca2bc07@phase4",
    at: new Date("2022-03-07T17:36:50Z"), // certificate valid 2021-05-24 .. 2023-05-14
  },
] as const;

/** A time after both receipt certificates expired, standing in for "now". */
export const AFTER_EXPIRY = new Date("2026-03-01T12:00:00Z");

export function vectorPath(ctx: Mocha.Context, relative: string): string {
  const path = join(VECTORS, relative);
  if (!existsSync(path)) ctx.skip();
  return path;
}

export function vectorBytes(ctx: Mocha.Context, relative: string): Buffer {
  return readFileSync(vectorPath(ctx, relative));
}

let g2: X509Certificate[] | undefined;
export async function g2Anchors(ctx: Mocha.Context): Promise<X509Certificate[]> {
  for (const f of G2_ANCHOR_FILES) if (!existsSync(f)) ctx.skip();
  g2 ??= await loadAnchors(G2_ANCHOR_FILES);
  return g2;
}

let ap: X509Certificate[] | undefined;
export async function apAnchors(): Promise<X509Certificate[]> {
  ap ??= await loadAnchors(AP_ANCHOR_FILES);
  return ap;
}

const stores = new Map<string, KeyStore>();
export function apKey(cn: "POP000001" | "POP000002"): KeyStore {
  let s = stores.get(cn);
  if (!s) {
    s = keyStoreFromPkcs12(readFileSync(join(CERTS, `${cn}.p12`)), "changeit");
    stores.set(cn, s);
  }
  return s;
}

/** Replace the first occurrence of `from` by `to`, failing loudly when it is not there. */
export function replaceOnce(data: Buffer, from: string, to: string): Buffer {
  const at = data.indexOf(from, 0, "latin1");
  if (at < 0) throw new Error(`${JSON.stringify(from)} not found`);
  return Buffer.concat([data.subarray(0, at), Buffer.from(to, "latin1"), data.subarray(at + Buffer.byteLength(from, "latin1"))]);
}

export const PAYLOAD = Buffer.from(`<sbd>${"hello digital post ".repeat(200)}</sbd>`);
export const PAYLOAD_CID = "sbd-1@sender.test";

export const USER_MESSAGE: Omit<UserMessage, "parts"> = {
  messageId: "5a1c3e2f-2a51-4b1a-9a8e-0d7c1c2f3a4b@sender.test",
  timestamp: new Date("2026-03-01T12:00:00.000Z"),
  fromPartyId: "POP000001",
  toPartyId: "POP000002",
  service: { value: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0", type: "cenbii-procid-ubl" },
  action: "busdox-docid-qns::urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
  conversationId: "c0ffee00-0000-4000-8000-000000000001",
  originalSender: { type: "iso6523-actorid-upis", value: "0192:987464291" },
  finalRecipient: { type: "iso6523-actorid-upis", value: "0192:123456789" },
};

export interface MadeMessage {
  /** HTTP request dump: request line, Content-Type, blank line, MIME body. */
  dump: Buffer;
  /** The bare MIME body. */
  mime: Buffer;
  contentType: string;
  /** Offset in `mime` of the first byte of the attachment (IV ‖ ciphertext ‖ tag). */
  attachmentOffset: number;
}

/**
 * A complete message from our sender: signed by POP000001, payload gzipped and encrypted for POP000002.
 * With `localeOrder`, it is signed by xml-crypto ordering namespaces with localeCompare (the interop trap).
 */
export async function makeUserMessage(options: { localeOrder?: boolean } = {}): Promise<MadeMessage> {
  if (options.localeOrder) {
    const made = await composeUserMessage({ digestOf: "compressed", sign: (xml, signer, atts) => signWithXmlCryptoOrder(xml, signer, atts, { localeOrder: true }) });
    const head = `Content-ID: <${PAYLOAD_CID}>\r\n\r\n`;
    const dump = Buffer.concat([Buffer.from(`POST /as4 HTTP/1.1\r\nHost: ap.example\r\nContent-Type: ${made.contentType}\r\nMIME-Version: 1.0\r\n\r\n`), made.mime]);
    return { dump, mime: made.mime, contentType: made.contentType, attachmentOffset: made.mime.indexOf(head) + head.length };
  }
  const msg = await prepareUserMessage({
    userMessage: USER_MESSAGE,
    payloads: [{ source: () => Readable.from([PAYLOAD]), mimeType: "application/xml", characterSet: "UTF-8", contentId: PAYLOAD_CID }],
    signer: apKey("POP000001"),
    recipientCertificate: apKey("POP000002").certificate,
  });
  try {
    const chunks: Buffer[] = [];
    for await (const c of msg.body()) chunks.push(c as Buffer);
    const mime = Buffer.concat(chunks);
    const head = `Content-ID: <${PAYLOAD_CID}>\r\n\r\n`;
    const attachmentOffset = mime.indexOf(head) + head.length;
    const dump = Buffer.concat([Buffer.from(`POST /as4 HTTP/1.1\r\nHost: ap.example\r\nContent-Type: ${msg.contentType}\r\nMIME-Version: 1.0\r\n\r\n`), mime]);
    return { dump, mime, contentType: msg.contentType, attachmentOffset };
  } finally {
    await msg.dispose();
  }
}

/**
 * A message composed step by step (as outbound.ts does), so a test can make the sender get one thing wrong:
 * `digestOf: "uncompressed"` signs the digest of the payload before gzip instead of the gzip bytes.
 */
export async function composeUserMessage(options: {
  digestOf: "compressed" | "uncompressed";
  encrypt?: boolean;
  rootContentId?: string;
  /** Another signer than ours (test/helpers/xml-crypto-sign.ts). */
  sign?: (xml: string, signer: Signer, attachments: readonly AttachmentDigest[]) => string;
}): Promise<{ mime: Buffer; contentType: string }> {
  const gz = gzipSync(PAYLOAD);
  const um: UserMessage = { ...USER_MESSAGE, parts: [{ href: `cid:${PAYLOAD_CID}`, mimeType: "application/xml", compressionType: "application/gzip" }] };
  const digest = createHash("sha256").update(options.digestOf === "compressed" ? gz : PAYLOAD).digest();
  let soap = (options.sign ?? signEnvelope)(buildUserMessageEnvelope(um), apKey("POP000001"), [{ contentId: PAYLOAD_CID, sha256: digest }]);
  let wire = gz;
  if (options.encrypt ?? true) {
    const cek = generateContentKey();
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-128-gcm", cek, iv);
    wire = Buffer.concat([iv, cipher.update(gz), cipher.final(), cipher.getAuthTag()]);
    soap = addEncryptionHeader(soap, { cek, recipient: apKey("POP000002").certificate, attachments: [{ contentId: PAYLOAD_CID, mimeType: "application/gzip" }] });
  }
  const mime = buildMultipartRelated(
    soap,
    [{ contentId: PAYLOAD_CID, source: () => Readable.from([wire]), ...(options.encrypt === false ? { contentType: "application/gzip" } : {}) }],
    options.rootContentId !== undefined ? { rootContentId: options.rootContentId } : {},
  );
  const chunks: Buffer[] = [];
  for await (const c of mime.body()) chunks.push(c as Buffer);
  return { mime: Buffer.concat(chunks), contentType: mime.contentType };
}

export async function writeTo(dir: string, name: string, data: Buffer | string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, data);
  return path;
}

/** Captured output of a `main()` run. */
export function captureIo(now: Date = AFTER_EXPIRY, env: Record<string, string> = {}): CliIo & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    stdout(text: string) {
      io.out += text;
    },
    stderr(text: string) {
      io.err += text;
    },
    env,
    now: () => new Date(now.getTime()),
  };
  return io;
}
