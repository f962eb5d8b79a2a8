import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { pipeline, Readable, Transform, type TransformCallback } from "node:stream";
import type { Finding, InputFraming } from "./report-types.js";

/**
 * Works out what an operator's file holds and hands over the body as a stream:
 *   - an HTTP dump: an optional request or status line, header lines, a blank line, the body
 *     (phase4's `.as4in` files, curl -i / -v output cleaned up, a proxy log);
 *   - a bare MIME multipart/related body, recognised by its first line `--boundary`;
 *   - bare SOAP XML.
 * Only the first 64 KiB are looked at; the body is streamed from the file, so large messages are fine.
 */

export type As4Source = { path: string } | { bytes: Uint8Array };

export interface FramedInput {
  framing: InputFraming;
  startLine?: string;
  headers: { name: string; value: string }[];
  contentType?: string;
  contentTypeSource?: "option" | "http-header" | "detected";
  findings: Finding[];
  /** A fresh stream of the body (de-chunked if the dump kept HTTP chunking). */
  body(): Readable;
}

/** The file is none of the three forms, or is cut short. */
export class InputFramingError extends Error {
  readonly code = "INPUT_UNREADABLE";
  constructor(message: string) {
    super(message);
    this.name = "InputFramingError";
  }
}

const HEAD_BYTES = 64 * 1024;
const STATUS_LINE = /^HTTP\/\d(?:\.\d)?\s+\d{3}(?:\s.*)?$/;
const REQUEST_LINE = /^[A-Z]+\s+\S+\s+HTTP\/\d(?:\.\d)?$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*:[ \t]*(.*)$/;
const CHUNK_SIZE_LINE = /^[0-9A-Fa-f]+[ \t]*(?:;[^\r\n]*)?\r?\n/;

export async function frameInput(source: As4Source, contentTypeOverride?: string): Promise<FramedInput> {
  const head = await readHead(source);
  const findings: Finding[] = [];
  const text = head.toString("latin1");
  const lead = leadingWhitespace(text);

  const bodyAt = (offset: number, chunked = false): (() => Readable) => () => {
    const raw = "path" in source ? createReadStream(source.path, { start: offset }) : Readable.from([Buffer.from(source.bytes.subarray(offset))]);
    if (!chunked) return raw;
    const decoder = new ChunkedDecoder();
    pipeline(raw, decoder, () => undefined); // a read error destroys the decoder, whose reader sees it
    return decoder;
  };
  const override = contentTypeOverride !== undefined ? { contentType: contentTypeOverride, contentTypeSource: "option" as const } : undefined;

  if (text.startsWith("<", lead) || text.startsWith("\xef\xbb\xbf", lead)) {
    return { framing: "soap", headers: [], ...(override ?? { contentType: "application/soap+xml", contentTypeSource: "detected" }), findings, body: bodyAt(lead) };
  }
  if (text.startsWith("--", lead)) {
    return { framing: "mime", headers: [], ...(override ?? detectMultipart(text, lead, findings)), findings, body: bodyAt(lead) };
  }

  // An HTTP dump: find the blank line that ends the header block.
  const end = /\r?\n\r?\n/.exec(text.slice(lead));
  if (!end) {
    throw new InputFramingError(
      "cannot tell what this file is: expected an HTTP dump (headers, blank line, body), a MIME body starting with --boundary, or SOAP XML",
    );
  }
  const lines = text.slice(lead, lead + end.index).split(/\r?\n/);
  let startLine: string | undefined;
  if (STATUS_LINE.test(lines[0]!.trim()) || REQUEST_LINE.test(lines[0]!.trim())) startLine = lines.shift()!.trim();
  const headers: { name: string; value: string }[] = [];
  for (const [i, line] of lines.entries()) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      headers[headers.length - 1]!.value += ` ${line.trim()}`; // obsolete header folding
      continue;
    }
    const m = HEADER_LINE.exec(line);
    if (!m) {
      throw new InputFramingError(
        `line ${i + 1 + (startLine ? 1 : 0)} is not an HTTP header (${JSON.stringify(line.slice(0, 60))}); expected an HTTP dump, a MIME body starting with --boundary, or SOAP XML`,
      );
    }
    headers.push({ name: m[1]!, value: m[2]!.trim() });
  }
  const framing: InputFraming = startLine === undefined ? "http-headers" : startLine.startsWith("HTTP/") ? "http-response" : "http-request";
  let offset = lead + end.index + end[0].length;
  const header = (name: string) => headers.find((h) => h.name.toLowerCase() === name)?.value;

  const encoding = header("content-encoding");
  if (encoding !== undefined && !/^identity$/i.test(encoding)) {
    throw new InputFramingError(`the HTTP body has Content-Encoding ${encoding}; decode it first (AS4 compresses payloads, not the HTTP body)`);
  }
  let chunked = false;
  if (/\bchunked\b/i.test(header("transfer-encoding") ?? "")) {
    if (CHUNK_SIZE_LINE.test(text.slice(offset, offset + 200))) {
      chunked = true;
      findings.push({ severity: "info", code: "HTTP_BODY_STILL_CHUNKED", message: "the dump kept the HTTP chunked transfer encoding; the body was de-chunked before reading" });
    } else {
      findings.push({
        severity: "info",
        code: "HTTP_CHUNKED_HEADER_BUT_DECODED_BODY",
        message: "Transfer-Encoding: chunked in the headers, but the body in the dump is already de-chunked; read as is",
      });
    }
  }

  let contentType: Pick<FramedInput, "contentType" | "contentTypeSource"> | undefined =
    override ?? (header("content-type") !== undefined ? { contentType: header("content-type")!, contentTypeSource: "http-header" as const } : undefined);
  if (contentType === undefined && !chunked) {
    const bodyLead = leadingWhitespace(text.slice(offset));
    if (text.startsWith("<", offset + bodyLead)) {
      contentType = { contentType: "application/soap+xml", contentTypeSource: "detected" };
      offset += bodyLead;
    } else if (text.startsWith("--", offset + bodyLead)) {
      contentType = detectMultipart(text, offset + bodyLead, findings);
      offset += bodyLead;
    }
  }
  return { framing, ...(startLine !== undefined ? { startLine } : {}), headers, ...(contentType ?? {}), findings, body: bodyAt(offset, chunked) };
}

/** The Content-Type of a bare MIME body, from the boundary on its first line. */
function detectMultipart(text: string, at: number, findings: Finding[]): { contentType: string; contentTypeSource: "detected" } {
  const nl = text.indexOf("\n", at);
  if (nl < 0) throw new InputFramingError("the MIME body has no line break after its first boundary");
  if (text[nl - 1] !== "\r") {
    findings.push({
      severity: "warning",
      code: "MIME_BARE_LF",
      message: "the MIME body uses bare LF line endings; MIME requires CRLF (was the file saved through a tool that converts line endings? binary attachments would be damaged too)",
    });
  }
  const boundary = text.slice(at + 2, nl).replace(/\s+$/, "");
  if (boundary === "" || boundary.endsWith("--")) throw new InputFramingError("the first line of the MIME body is not an opening boundary");
  return {
    contentType: `multipart/related; boundary="${boundary.replace(/["\\]/g, "\\$&")}"; type="application/soap+xml"`,
    contentTypeSource: "detected",
  };
}

function leadingWhitespace(text: string): number {
  return /^[ \t\r\n]*/.exec(text)![0].length;
}

async function readHead(source: As4Source): Promise<Buffer> {
  if ("bytes" in source) return Buffer.from(source.bytes.subarray(0, HEAD_BYTES));
  const fh = await open(source.path, "r");
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    if (bytesRead === 0) throw new InputFramingError("the file is empty");
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Decodes an HTTP/1.1 chunked body (RFC 9112 §7.1); trailers are dropped. */
export class ChunkedDecoder extends Transform {
  #buf: Buffer = Buffer.alloc(0);
  /** Bytes left in the current chunk; -1 = expecting a size line, -2 = expecting the CRLF after data. */
  #remaining = -1;
  #done = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#done) return cb(); // trailers and anything after the last chunk
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    try {
      this.#drain();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    cb(this.#done ? null : new InputFramingError("the chunked HTTP body ends before its last (zero-size) chunk"));
  }

  #drain(): void {
    while (!this.#done) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, this.#buf.length);
        if (take === 0) return;
        this.push(this.#buf.subarray(0, take));
        this.#buf = this.#buf.subarray(take);
        this.#remaining -= take;
        if (this.#remaining === 0) this.#remaining = -2;
      } else if (this.#remaining === -2) {
        if (this.#buf.length < 2 && this.#buf[0] !== 0x0a) return;
        if (this.#buf[0] === 0x0a) this.#buf = this.#buf.subarray(1);
        else if (this.#buf[0] === 0x0d && this.#buf[1] === 0x0a) this.#buf = this.#buf.subarray(2);
        else throw new InputFramingError("malformed chunked HTTP body: chunk data not followed by CRLF");
        this.#remaining = -1;
      } else {
        const nl = this.#buf.indexOf(0x0a);
        if (nl < 0) {
          if (this.#buf.length > 1024) throw new InputFramingError("malformed chunked HTTP body: chunk size line too long");
          return;
        }
        const line = this.#buf.subarray(0, nl).toString("latin1").trim();
        this.#buf = this.#buf.subarray(nl + 1);
        const m = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/.exec(line);
        if (!m) throw new InputFramingError(`malformed chunked HTTP body: bad chunk size line ${JSON.stringify(line.slice(0, 40))}`);
        const size = parseInt(m[1]!, 16);
        if (size === 0) {
          this.#done = true;
          this.#buf = Buffer.alloc(0);
          return;
        }
        this.#remaining = size;
      }
    }
  }
}
