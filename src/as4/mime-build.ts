import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";

/**
 * Streams an AS4 message as `multipart/related` (SOAP with Attachments): the SOAP envelope as the root part,
 * then each attachment as raw binary. Nothing is buffered beyond one chunk of one attachment.
 */

export const SOAP_PART_CONTENT_TYPE = "application/soap+xml;charset=UTF-8";
export const ATTACHMENT_CONTENT_TYPE = "application/octet-stream";

export interface OutgoingAttachment {
  /** Content-ID without angle brackets; the PartInfo href is `cid:` + this. */
  contentId: string;
  contentType?: string;
  /** A file path, or a factory so the body can be produced again for a retry. */
  source: string | (() => Readable | AsyncIterable<Uint8Array>);
  /** Byte length of the source, when known; lets the builder compute Content-Length. */
  size?: number;
  /** The source's bytes when they are in memory now, else undefined: lets a small message go out in one piece. */
  inMemory?: () => Buffer | undefined;
}

export interface BuildOptions {
  /** Injectable for deterministic output; random otherwise. */
  boundary?: string;
  /** When set, the root part gets this Content-ID and the header `start`/`start-info` parameters. */
  rootContentId?: string;
}

export interface MultipartMessage {
  /** Value for the HTTP Content-Type header. */
  contentType: string;
  boundary: string;
  /** Total length in bytes if every attachment size was given, else undefined (send chunked). */
  contentLength: number | undefined;
  /** Creates a fresh body stream each call. */
  body(): Readable;
}

/** The largest body {@link buildMultipartRelated} puts in one buffer (see `whole`). */
const ONE_PIECE_BYTES = 256 * 1024;

const CID_RE = /^[\x21-\x3b\x3d\x3f-\x7e]+$/; // printable ASCII without '<' and '>'
const BOUNDARY_RE = /^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/; // RFC 2046 bchars without space

export function randomBoundary(): string {
  return `MIMEBoundary_${randomBytes(24).toString("hex")}`;
}

function checkContentId(cid: string): void {
  if (!CID_RE.test(cid)) throw new Error(`invalid Content-ID: ${JSON.stringify(cid)}`);
}

function checkHeaderValue(value: string): void {
  if (/[\r\n]/.test(value)) throw new Error("header value must not contain line breaks");
}

export function buildMultipartRelated(
  soapXml: string | Buffer,
  attachments: readonly OutgoingAttachment[],
  options: BuildOptions = {},
): MultipartMessage {
  const boundary = options.boundary ?? randomBoundary();
  if (!BOUNDARY_RE.test(boundary)) throw new Error(`invalid MIME boundary: ${boundary}`);
  const root = options.rootContentId;
  if (root !== undefined) checkContentId(root);
  for (const a of attachments) {
    checkContentId(a.contentId);
    checkHeaderValue(a.contentType ?? "");
  }

  const soap = typeof soapXml === "string" ? Buffer.from(soapXml, "utf8") : soapXml;
  const rootHead = Buffer.from(
    `--${boundary}\r\n` +
      `Content-Type: ${SOAP_PART_CONTENT_TYPE}\r\n` +
      `Content-Transfer-Encoding: binary\r\n` +
      (root !== undefined ? `Content-ID: <${root}>\r\n` : "") +
      `\r\n`,
    "latin1",
  );
  const partHeads = attachments.map((a) =>
    Buffer.from(
      `\r\n--${boundary}\r\n` +
        `Content-Type: ${a.contentType ?? ATTACHMENT_CONTENT_TYPE}\r\n` +
        `Content-Transfer-Encoding: binary\r\n` +
        `Content-ID: <${a.contentId}>\r\n` +
        `\r\n`,
      "latin1",
    ),
  );
  const closing = Buffer.from(`\r\n--${boundary}--\r\n`, "latin1");

  const sizes = attachments.map((a) => a.size);
  const contentLength = sizes.every((s): s is number => s !== undefined)
    ? rootHead.length + soap.length + partHeads.reduce((n, h) => n + h.length, 0) + sizes.reduce((n, s) => n + s, 0) + closing.length
    : undefined;

  let contentType = `multipart/related; boundary="${boundary}"; type="application/soap+xml"`;
  if (root !== undefined) contentType += `; start="<${root}>"; start-info="application/soap+xml"`;

  /**
   * The whole body in one buffer when it is small and every attachment is in memory: the HTTP client then writes it
   * to the socket at once instead of a write per part (five for a letter).
   */
  function whole(): Buffer | undefined {
    if (contentLength === undefined || contentLength > ONE_PIECE_BYTES) return undefined;
    const pieces: Buffer[] = [rootHead, soap];
    for (const [i, a] of attachments.entries()) {
      const bytes = a.inMemory?.();
      if (bytes === undefined || bytes.length !== a.size) return undefined;
      pieces.push(partHeads[i]!, bytes);
    }
    pieces.push(closing);
    return Buffer.concat(pieces, contentLength);
  }

  async function* generate(): AsyncGenerator<Buffer> {
    // The SOAP part and the first part's head in one write.
    yield attachments.length > 0 ? Buffer.concat([rootHead, soap, partHeads[0]!]) : Buffer.concat([rootHead, soap]);
    for (const [i, a] of attachments.entries()) {
      if (i > 0) yield partHeads[i]!;
      const src = typeof a.source === "string" ? createReadStream(a.source) : a.source();
      for await (const chunk of src) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    }
    yield closing;
  }

  return {
    contentType,
    boundary,
    contentLength,
    body: () => {
      const one = whole();
      return one !== undefined ? Readable.from([one], { objectMode: false }) : Readable.from(generate(), { objectMode: false });
    },
  };
}
