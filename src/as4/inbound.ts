import { createHash, type X509Certificate } from "node:crypto";
import { pipeline as pipelineStreams, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GZIP_MIME_TYPE, gunzipBytes, gunzipLimited } from "./compression.js";
import { decryptAttachments, readEncryptionHeader, type DecryptionKey } from "./decrypt.js";
import { DigestTap } from "./digest-tap.js";
import { EbmsError } from "./ebms-errors.js";
import { ByteBudget } from "./limits.js";
import { DEFAULT_MIME_LIMITS, parseAs4Request, type MimeLimits } from "./mime-parse.js";
import { messagingKind, parseSoapEnvelope } from "./soap-parse.js";
import { createTempDir, type SpooledContent, type TempDir, type TempDirOptions } from "./temp-files.js";
import { contentIdOf, parseUserMessage, type UserMessage } from "./user-message.js";
import { claimedSignerOf, verifyParsedEnvelope, type ClaimedSigner, type SignedReference } from "./wss-verify.js";

/**
 * Receives an AS4 UserMessage: MIME → safe SOAP parse → decrypt attachments (plaintext is readable only
 * after its GCM tag checked out) → SHA-256 of each decrypted, still compressed attachment → signature check
 * against those digests → gunzip with limits into the final payloads. Each step spools (temp-files.ts): in
 * memory while the message is small, in files of its temp dir past the threshold. Every failure is an EbmsError
 * that names the message (refToMessageId) once its id is known, and releases every spool of the message.
 *
 * Certificate trust is the caller's: validate `signerCertificate` (chain, revocation, Peppol AP rules)
 * before accepting the message or answering with a receipt.
 */

export interface InboundLimits {
  mime: MimeLimits;
  /** Decompressed size of one payload. */
  maxPayloadBytes: number;
  /** Decompressed size of all payloads of one message. */
  maxTotalPayloadBytes: number;
  /** Optional cap on decompressed/compressed size (see compression.ts). */
  maxCompressionRatio?: number;
}

export const DEFAULT_INBOUND_LIMITS: InboundLimits = {
  mime: DEFAULT_MIME_LIMITS,
  maxPayloadBytes: 4 * 1024 ** 3,
  maxTotalPayloadBytes: 4 * 1024 ** 3,
};

export interface InboundOptions {
  /** Our AP key; with `certificate`, messages encrypted for another certificate are refused (EBMS:0102). */
  decryptionKey: DecryptionKey;
  limits?: InboundLimits;
  /** The Peppol profile requires encrypted payloads; default true. */
  requireEncryption?: boolean;
  /**
   * Called with the certificate the message claims to be signed with, before any decryption: throw to refuse
   * an untrusted sender cheaply. The signature itself is verified later, against this same certificate.
   */
  checkSigner?: (claimed: X509Certificate) => Promise<void>;
  /**
   * Told the UserMessage header as soon as it is read, before anything is verified: a refusal after this point
   * can then be logged with the MessageId and parties it concerns (they are claims until the signature checks out).
   */
  onUserMessage?: (userMessage: UserMessage) => void;
  tempDir?: TempDirOptions;
}

export interface ReceivedPayload {
  contentId: string;
  /** From PartInfo: the payload's own type (after decompression). */
  mimeType: string;
  characterSet: string | undefined;
  wasCompressed: boolean;
  /** The payload, decrypted and decompressed (see PayloadContent). */
  content: PayloadContent;
}

/**
 * A received payload's bytes, read as often as needed. A small one was decompressed on arrival and is held in
 * memory; a large one stays compressed in the message's temp dir and is decompressed as it is read, within the
 * message's limits: corrupt gzip, or more bytes than the limits allow, fails the read with DecompressionError
 * (EBMS:0303). Writing 33 MB of decompressed payload to a file only to read it back once cost more than the
 * decompression itself. A reader relies on what it read only once the stream ended, as with any stream.
 */
export interface PayloadContent {
  /** A fresh stream of the whole payload. */
  createReadStream(): Readable;
  /** The whole payload in one buffer: only for payloads known to be small. */
  readAll(): Promise<Buffer>;
  /** The file the stream reads from (compressed when the payload is decompressed as it is read), undefined in memory. */
  readonly path: string | undefined;
}

export interface ReceivedUserMessage {
  userMessage: UserMessage;
  /** In PartInfo order. */
  payloads: ReceivedPayload[];
  /** Not yet trusted: the caller validates it. */
  signerCertificate: X509Certificate;
  signedReferences: SignedReference[];
  /** Deep clones of SignedInfo's ds:Reference elements, for the receipt's NonRepudiationInformation. */
  signedInfoReferenceNodes: Element[];
  /** The SOAP envelope as received, for the message dump. */
  soapXml: string;
  /** Releases the payloads (memory and files). Call once they were stored elsewhere (or the message was rejected later). */
  dispose(): Promise<void>;
}

export async function receiveUserMessage(
  contentType: string | undefined,
  body: Readable | AsyncIterable<Uint8Array>,
  options: InboundOptions,
): Promise<ReceivedUserMessage> {
  const limits = options.limits ?? DEFAULT_INBOUND_LIMITS;
  const tmp = createTempDir({ prefix: "as4-in-", ...options.tempDir });
  let messageId: string | undefined;
  try {
    const parsed = await parseAs4Request(contentType, body, tmp, limits.mime);
    const envelope = parseSoapEnvelope(parsed.soapXml);
    if (messagingKind(envelope.messaging) !== "UserMessage") {
      throw new EbmsError("EBMS:0009", "expected a UserMessage; signals are answers, not requests");
    }
    const userMessage = parseUserMessage(envelope.messaging);
    messageId = userMessage.messageId;
    options.onUserMessage?.(userMessage);

    // Every PartInfo needs its MIME part, and every MIME part needs its PartInfo: nothing unsigned rides along.
    const partCids = userMessage.parts.map(contentIdOf);
    const received = new Map(parsed.attachments.map((a) => [a.contentId, a]));
    const missing = partCids.filter((c) => !received.has(c));
    if (missing.length > 0) throw new EbmsError("EBMS:0007", `no MIME part for PartInfo cid:${missing.join(", cid:")}`);
    const extra = parsed.attachments.filter((a) => !partCids.includes(a.contentId)).map((a) => a.contentId);
    if (extra.length > 0) throw new EbmsError("EBMS:0007", `MIME parts without PartInfo: ${extra.join(", ")}`);

    // What was looked up to find the claimed signer serves the signature check below too: the document is not changed in between.
    let claimed: ClaimedSigner | undefined;
    if (options.checkSigner) {
      claimed = claimedSignerOf(envelope);
      await options.checkSigner(claimed.certificate);
    }

    const header = readEncryptionHeader(envelope.security);
    const encryptedCids = new Set(header.encryptedData.map((d) => d.contentId));
    if (options.requireEncryption ?? true) {
      const plain = partCids.filter((c) => !encryptedCids.has(c));
      if (plain.length > 0) throw new EbmsError("EBMS:0103", `payloads must be encrypted: cid:${plain.join(", cid:")}`);
    }

    const decrypted = await decryptAttachments(header, parsed.attachments, options.decryptionKey, tmp);
    const contents = new Map<string, { content: SpooledContent; sha256: Buffer }>();
    for (const a of parsed.attachments) {
      const d = decrypted.get(a.contentId);
      if (d !== undefined) {
        await a.content.release(); // the ciphertext is no longer needed; free memory or disk early
        contents.set(a.contentId, d);
      } else {
        contents.set(a.contentId, { content: a.content, sha256: await sha256Of(a.content) });
      }
    }

    const verified = verifyParsedEnvelope(parsed.soapXml, envelope, { attachmentDigest: (cid) => contents.get(cid)?.sha256, claimed });

    const total = new ByteBudget(limits.maxTotalPayloadBytes, "decompressed payloads of the message", "EBMS:0303");
    const payloads: ReceivedPayload[] = [];
    for (const part of userMessage.parts) {
      const cid = contentIdOf(part);
      const content = contents.get(cid)!;
      const compressed = part.compressionType === GZIP_MIME_TYPE;
      const final = compressed ? await decompressed(content.content, tmp, cid, limits, total, userMessage.messageId) : content.content; // already capped by the MIME limits
      payloads.push({
        contentId: cid,
        mimeType: part.mimeType,
        characterSet: part.characterSet,
        wasCompressed: compressed,
        content: final,
      });
    }

    return {
      userMessage,
      payloads,
      signerCertificate: verified.signerCertificate,
      signedReferences: verified.references,
      signedInfoReferenceNodes: verified.signedInfoReferenceNodes,
      soapXml: parsed.soapXml,
      dispose: () => tmp.dispose(),
    };
  } catch (err) {
    await tmp.dispose();
    throw err instanceof EbmsError && messageId !== undefined ? err.withRefToMessageId(messageId) : err;
  }
}

/**
 * A compressed payload as PayloadContent: gunzipped now in one call when it is in memory and its output fits the
 * memory left, else decompressed from its spool each time it is read. Every read of the payload is held to the
 * payload's own limit; the message's total is charged once for each byte of the payload, however often it is read.
 */
async function decompressed(src: SpooledContent, tmp: TempDir, cid: string, limits: InboundLimits, total: ByteBudget, messageId: string): Promise<PayloadContent> {
  const own = { maxBytes: limits.maxPayloadBytes, ...(limits.maxCompressionRatio !== undefined ? { maxRatio: limits.maxCompressionRatio } : {}) };
  const gz = src.inMemory();
  // Gzip in memory whose output fits the memory left is one call; a failure releases dest with the temp dir.
  const plain = gz === undefined ? undefined : gunzipBytes(gz, { ...own, budgets: [total] }, tmp.memoryFree);
  if (plain !== undefined) {
    const dest = tmp.spool(`payload-${cid}`);
    await dest.put(plain);
    await src.release();
    return dest;
  }
  let charged = 0;
  const onceEach = {
    take(n: number, read: { bytes: number }): void {
      read.bytes += n;
      if (read.bytes > charged) {
        total.take(read.bytes - charged);
        charged = read.bytes;
      }
    },
  };
  const open = (): Readable => {
    const read = { bytes: 0 };
    // The callback form answers the last stream, which fails with the first error of any of them.
    const gunzipped = pipelineStreams(src.createReadStream(), gunzipLimited({ ...own, budgets: [{ take: (n) => onceEach.take(n, read) }] }), () => undefined);
    return Readable.from(naming(gunzipped, messageId));
  };
  return {
    createReadStream: open,
    readAll: async () => {
      const chunks: Buffer[] = [];
      for await (const c of open()) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    get path() {
      return src.path;
    },
  };
}

/** The chunks of `source`; its EbmsError names the message, as every other refusal of the message does. */
async function* naming(source: AsyncIterable<Buffer>, messageId: string): AsyncGenerator<Buffer> {
  try {
    yield* source;
  } catch (err) {
    throw err instanceof EbmsError ? err.withRefToMessageId(messageId) : err;
  }
}

async function sha256Of(content: SpooledContent): Promise<Buffer> {
  const bytes = content.inMemory();
  if (bytes !== undefined) return createHash("sha256").update(bytes).digest();
  const tap = new DigestTap("sha256");
  await pipeline(content.createReadStream(), tap, async function* (source: AsyncIterable<Buffer>) {
    for await (const _ of source) {
      // drain
    }
  });
  return tap.digest;
}
