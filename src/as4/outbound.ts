import { createHash, randomUUID, type X509Certificate } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { request, type Dispatcher } from "undici";
import { networkFailure } from "../network-errors.js";
import type { DsReference } from "../xml/dsig-reference.js";
import { Base64Gzip } from "./base64-gzip.js";
import { GZIP_MIME_TYPE, gzipBytes, gzipStream } from "./compression.js";
import { DigestTap } from "./digest-tap.js";
import { serializeXml } from "../xml/xml-text.js";
import { addEncryptionHeaderToTree, generateContentKey } from "./encrypt.js";
import type { EnvelopeIds } from "./envelope.js";
import { GcmEncryptor, gcmEncrypt, gcmEncryptStream } from "./gcm-stream.js";
import { ByteCounter } from "./limits.js";
import { buildMultipartRelated } from "./mime-build.js";
import { createTempDir, type Spool, type SpooledContent, type TempDirOptions } from "./temp-files.js";
import { buildUserMessageTree, type PartInfo, type UserMessage } from "./user-message.js";
import { signEnvelopeTree, type Signer } from "./wss-sign.js";

/**
 * Composes an outbound AS4 UserMessage in two passes, because the signed SOAP part goes first on the wire but
 * needs the digests of the (compressed) attachments:
 *   pass 1, per payload: source → gzip → sha256 tap → AES-128-GCM → spool (temp-files.ts);
 *   then: UserMessage envelope → sign (with the gzip digests) → add the encryption header;
 *   pass 2: the MIME body streams the SOAP part and the spools.
 * A small message stays in memory; past the spool threshold the ciphertext goes to a temp file, so memory stays
 * at the threshold and a few chunks whatever the payload size. A payload given in memory that fits the threshold
 * takes one call per step instead of the streams, whose machinery costs more than the work on a small letter.
 */

export interface OutboundPayload {
  /**
   * A file path, a stream factory (called once, in pass 1), a {@link PayloadWriter}, or the payload in memory: one
   * that fits the message's memory spool is compressed, digested and encrypted by one call each, no stream involved.
   */
  source: string | Buffer | (() => Readable) | PayloadWriter;
  /** MIME type of the payload itself (before compression), e.g. `application/xml`. */
  mimeType: string;
  characterSet?: string;
  /** Content-ID without brackets; `<uuid>@<message id domain>` when absent. */
  contentId?: string;
  /** Gzip before signing (the profile's default); default true. */
  compress?: boolean;
}

/**
 * A payload its producer writes piece by piece (called once, in pass 1): `write` takes the next piece and resolves
 * once the piece was consumed, so the producer may then fill the same buffer again; it need not wait for one piece
 * before encoding the next into another buffer, but must before it writes again. A large payload so goes through
 * a few reused buffers instead of a new one per piece (each piece of a stream is a new buffer, which V8 counts as
 * external memory and collects with full garbage collections). `writeBase64Of` takes bytes, a whole number of
 * 3-byte groups, and writes their base64 text (no padding) as `write` would: compression codes it from the bytes by
 * a fixed table instead of zlib (base64-gzip.ts). A failed write rejects with the spool's error.
 */
export interface PayloadWriter {
  writeTo(write: (piece: Buffer) => Promise<void>, writeBase64Of: (bytes: Buffer) => Promise<void>): Promise<void>;
}

export interface OutboundUserMessageInput {
  /** The UserMessage without parts; the parts come from `payloads`. */
  userMessage: Omit<UserMessage, "parts">;
  payloads: readonly OutboundPayload[];
  signer: Signer;
  /** The receiving AP's certificate (from the SMP, already validated by the caller). */
  recipientCertificate: X509Certificate;
  tempDir?: TempDirOptions;
  /** Injectables for deterministic tests. */
  envelopeIds?: EnvelopeIds;
  boundary?: string;
  uuid?: () => string;
}

export interface PreparedPayload {
  contentId: string;
  mimeType: string;
  compressed: boolean;
  /** Bytes read from the source. */
  sourceBytes: number;
  /** SHA-256 of the signed bytes (the gzip output when compressed). */
  sha256: Buffer;
  /** Bytes on the wire (IV ‖ ciphertext ‖ tag). */
  wireBytes: number;
}

export interface OutboundMessage {
  messageId: string;
  /** HTTP Content-Type (multipart/related with boundary). */
  contentType: string;
  contentLength: number;
  /** A fresh body stream per call, so a retry can send the same bytes again. */
  body(): Readable;
  /** The SOAP envelope as sent (signed and with the encryption header), for the message dump. */
  soapXml: string;
  /** The ds:References we signed; the receipt's NonRepudiationInformation must repeat them. */
  signedReferences: DsReference[];
  payloads: PreparedPayload[];
  /** Releases the spooled ciphertext (memory and files). Call after the last send attempt. */
  dispose(): Promise<void>;
}

export async function prepareUserMessage(input: OutboundUserMessageInput): Promise<OutboundMessage> {
  if (input.payloads.length === 0) throw new Error("an AS4 UserMessage needs at least one payload");
  const uuid = input.uuid ?? randomUUID;
  const domain = input.userMessage.messageId.split("@")[1] ?? "dpi-ap";
  const tmp = createTempDir({ prefix: "as4-out-", ...input.tempDir });
  try {
    const cek = generateContentKey();
    const prepared: (PreparedPayload & { content: SpooledContent })[] = [];
    for (const [i, p] of input.payloads.entries()) {
      const contentId = p.contentId ?? `${uuid()}@${domain}`;
      const compressed = p.compress ?? true;
      const content = tmp.spool(`payload-${i}`);
      const src = p.source;
      const { sourceBytes, sha256 } =
        src instanceof Buffer && src.length <= tmp.memoryFree
          ? await sealBytes(src, compressed, cek, content)
          : isWriter(src)
            ? await sealWritten(src, compressed, cek, content)
            : await sealStream(streamOf(src), compressed, cek, content);
      prepared.push({ contentId, mimeType: p.mimeType, compressed, sourceBytes, sha256, wireBytes: content.size, content });
    }

    const parts: PartInfo[] = input.payloads.map((p, i) => ({
      href: `cid:${prepared[i]!.contentId}`,
      mimeType: p.mimeType,
      ...(prepared[i]!.compressed ? { compressionType: GZIP_MIME_TYPE } : {}),
      ...(p.characterSet !== undefined ? { characterSet: p.characterSet } : {}),
    }));
    // Built as a plain tree, signed and given its encryption header without a DOM, serialised once (envelope.ts).
    const envelope = buildUserMessageTree({ ...input.userMessage, parts }, input.envelopeIds);
    const references = signEnvelopeTree(envelope, input.signer, prepared.map((p) => ({ contentId: p.contentId, sha256: p.sha256 })));
    addEncryptionHeaderToTree(envelope, {
      cek,
      recipient: input.recipientCertificate,
      attachments: prepared.map((p) => ({ contentId: p.contentId, mimeType: p.compressed ? GZIP_MIME_TYPE : p.mimeType })),
    });
    const soapXml = serializeXml(envelope.envelope);
    const mime = buildMultipartRelated(
      soapXml,
      prepared.map((p) => ({ contentId: p.contentId, source: () => p.content.createReadStream(), size: p.wireBytes, inMemory: () => p.content.inMemory() })),
      input.boundary !== undefined ? { boundary: input.boundary } : {},
    );
    return {
      messageId: input.userMessage.messageId,
      contentType: mime.contentType,
      contentLength: mime.contentLength!,
      body: mime.body,
      soapXml,
      signedReferences: references,
      payloads: prepared.map(({ content: _content, ...rest }) => rest),
      dispose: () => tmp.dispose(),
    };
  } catch (err) {
    await tmp.dispose();
    throw err;
  }
}

interface Sealed {
  sourceBytes: number;
  /** Of what is signed: the gzip output when compressed. */
  sha256: Buffer;
}

function isWriter(source: OutboundPayload["source"]): source is PayloadWriter {
  return typeof source === "object" && !(source instanceof Buffer);
}

function streamOf(source: Exclude<OutboundPayload["source"], PayloadWriter>): Readable {
  if (typeof source === "function") return source();
  return typeof source === "string" ? createReadStream(source) : Readable.from([source]);
}

/** Pass 1 of one payload: source → gzip → sha256 → AES-128-GCM → spool. */
async function sealStream(source: Readable, compressed: boolean, cek: Buffer, spool: Spool): Promise<Sealed> {
  const counter = new ByteCounter();
  const tap = new DigestTap("sha256");
  await pipeline([source, counter, ...(compressed ? [gzipStream()] : []), tap, gcmEncryptStream(cek), spool.sink]);
  return { sourceBytes: counter.bytes, sha256: tap.digest };
}

/**
 * {@link sealStream} for a payload its producer writes, without streams: each piece is compressed (base64-gzip.ts),
 * hashed and encrypted as it is written, so it is consumed when its write resolves, and the ciphertext goes to the
 * spool with one write in flight at a time. The same stages as sealStream; the gzip is another encoder's (the
 * same content when inflated).
 */
async function sealWritten(producer: PayloadWriter, compressed: boolean, cek: Buffer, spool: Spool): Promise<Sealed> {
  const sink = spool.sink;
  const hash = createHash("sha256");
  const cipher = new GcmEncryptor(cek);
  const gzip = compressed ? new Base64Gzip() : undefined;
  let sourceBytes = 0;
  let writing: Promise<void> | undefined;
  const put = async (ciphertext: Buffer): Promise<void> => {
    if (writing !== undefined) await writing;
    writing = new Promise<void>((resolve, reject) => sink.write(ciphertext, (err) => (err ? reject(err) : resolve())));
    // Awaited before the next write or at the end; a failure meanwhile is not an unhandled rejection.
    writing.catch(() => {});
  };
  // Hashed and encrypted before the first await: the piece (or the encoder's reused buffer) is read by then.
  const seal = (signed: Buffer): Promise<void> => {
    if (signed.length === 0) return writing ?? Promise.resolve();
    hash.update(signed);
    return put(cipher.update(signed));
  };
  const write = (piece: Buffer): Promise<void> => {
    sourceBytes += piece.length;
    return seal(gzip ? gzip.plain(piece) : piece);
  };
  const writeBase64Of = (bytes: Buffer): Promise<void> => {
    if (bytes.length % 3 !== 0) return Promise.reject(new RangeError(`writeBase64Of takes whole 3-byte groups, not ${bytes.length} bytes`));
    sourceBytes += (bytes.length / 3) * 4;
    return seal(gzip ? gzip.base64Of(bytes) : Buffer.from(bytes.toString("base64"), "latin1"));
  };
  try {
    await put(cipher.iv);
    await producer.writeTo(write, writeBase64Of);
    if (gzip) await seal(gzip.end());
    await put(cipher.final());
    await writing;
    sink.end();
    await finished(sink);
  } catch (err) {
    // Destroying the sink releases the spool: no part of the ciphertext stays behind.
    if (!sink.destroyed) sink.destroy();
    throw err;
  }
  return { sourceBytes, sha256: hash.digest() };
}

/** {@link sealStream} for a payload in memory, by one call per step: the same bytes for the same key and IV. */
async function sealBytes(source: Buffer, compressed: boolean, cek: Buffer, spool: Spool): Promise<Sealed> {
  const signed = compressed ? gzipBytes(source) : source;
  const sha256 = createHash("sha256").update(signed).digest();
  await spool.put(gcmEncrypt(cek, signed));
  return { sourceBytes: source.length, sha256 };
}

export interface SendOptions {
  dispatcher?: Dispatcher;
  /** Time to wait for the response headers after the request was sent (undici headersTimeout). */
  headersTimeoutMs?: number;
  /** Idle time allowed between response body chunks (undici bodyTimeout). */
  bodyTimeoutMs?: number;
  signal?: AbortSignal;
  /** Send Content-Length instead of chunked transfer encoding. */
  contentLength?: boolean;
  /** Cap on the response body we read; AS4 signals are small. Default 4 MiB. */
  maxResponseBytes?: number;
}

export interface SendResult {
  status: number;
  contentType: string | undefined;
  /** The response body as text (parse it with signal-message.ts). */
  body: string;
}

export class ResponseTooLargeError extends Error {
  readonly code = "AS4_RESPONSE_TOO_LARGE";
  constructor(limit: number) {
    super(`AS4 response body exceeds ${limit} bytes`);
    this.name = "ResponseTooLargeError";
  }
}

/**
 * POSTs a prepared message (streamed, chunked by default) and returns the synchronous response. A failed
 * connection rejects with a NetworkError (kind `unavailable`).
 */
export async function send(
  url: string | URL,
  message: Pick<OutboundMessage, "contentType" | "body" | "contentLength">,
  options: SendOptions = {},
): Promise<SendResult> {
  try {
    return await exchange(url, message, options);
  } catch (err) {
    throw networkFailure(err) ?? err;
  }
}

async function exchange(url: string | URL, message: Pick<OutboundMessage, "contentType" | "body" | "contentLength">, options: SendOptions): Promise<SendResult> {
  const headers: Record<string, string> = { "content-type": message.contentType, "mime-version": "1.0" };
  if (options.contentLength) headers["content-length"] = String(message.contentLength);
  const res = await request(url, {
    method: "POST",
    headers,
    body: message.body(),
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    ...(options.headersTimeoutMs !== undefined ? { headersTimeout: options.headersTimeoutMs } : {}),
    ...(options.bodyTimeoutMs !== undefined ? { bodyTimeout: options.bodyTimeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const limit = options.maxResponseBytes ?? 4 * 1024 * 1024;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.body.destroy();
      throw new ResponseTooLargeError(limit);
    }
    chunks.push(chunk as Buffer);
  }
  const ct = res.headers["content-type"];
  return { status: res.statusCode, contentType: Array.isArray(ct) ? ct[0] : ct, body: Buffer.concat(chunks).toString("utf8") };
}
