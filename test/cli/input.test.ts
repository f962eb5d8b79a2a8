import { expect } from "chai";
import { Readable } from "node:stream";
import { ChunkedDecoder, frameInput, InputFramingError } from "../../src/cli/as4/input.js";

async function bodyText(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("latin1");
}

const SOAP = '<?xml version="1.0"?><S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"/>';

describe("cli as4 verify: input framing", () => {
  it("bare SOAP, after leading blank lines", async () => {
    const f = await frameInput({ bytes: Buffer.from(`\n\n${SOAP}`) });
    expect([f.framing, f.contentType, f.contentTypeSource]).to.deep.equal(["soap", "application/soap+xml", "detected"]);
    expect(await bodyText(f.body())).to.equal(SOAP);
  });

  it("bare MIME: the boundary comes from the first line", async () => {
    const f = await frameInput({ bytes: Buffer.from('--abc"d\r\nContent-Type: application/soap+xml\r\n\r\n<x/>\r\n--abc"d--\r\n') });
    expect(f.framing).to.equal("mime");
    expect(f.contentType).to.equal('multipart/related; boundary="abc\\"d"; type="application/soap+xml"');
    expect(f.findings).to.deep.equal([]);
  });

  it("bare MIME with LF line endings is pointed out", async () => {
    const f = await frameInput({ bytes: Buffer.from("--b\nContent-Type: application/soap+xml\n\n<x/>\n--b--\n") });
    expect(f.findings.map((x) => x.code)).to.deep.equal(["MIME_BARE_LF"]);
  });

  it("an HTTP response dump: status line, folded header, Content-Type from the headers", async () => {
    const f = await frameInput({ bytes: Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml;\r\n charset=UTF-8\r\nX-A: 1\r\n\r\n${SOAP}`) });
    expect(f.framing).to.equal("http-response");
    expect(f.startLine).to.equal("HTTP/1.1 200 OK");
    expect(f.contentType).to.equal("application/soap+xml; charset=UTF-8");
    expect(f.contentTypeSource).to.equal("http-header");
    expect(await bodyText(f.body())).to.equal(SOAP);
  });

  it("an HTTP request dump without Content-Type: the body decides; --content-type wins over everything", async () => {
    const dump = Buffer.from(`POST /as4 HTTP/1.1\nHost: x\n\n${SOAP}`);
    const detected = await frameInput({ bytes: dump });
    expect([detected.framing, detected.contentType, detected.contentTypeSource]).to.deep.equal(["http-request", "application/soap+xml", "detected"]);
    const forced = await frameInput({ bytes: dump }, "application/soap+xml; charset=utf-8");
    expect([forced.contentType, forced.contentTypeSource]).to.deep.equal(["application/soap+xml; charset=utf-8", "option"]);
  });

  it("refuses what is none of the three forms, and a compressed HTTP body", async () => {
    for (const text of ["hello world", "just one line\nand another\n\nbody", "Content-Type: a/b\nContent-Encoding: gzip\n\nxx"]) {
      let error: unknown;
      try {
        await frameInput({ bytes: Buffer.from(text) });
      } catch (e) {
        error = e;
      }
      expect(error, text).to.be.instanceOf(InputFramingError);
    }
  });

  it("ChunkedDecoder joins chunks split anywhere and stops at the last chunk", async () => {
    const encoded = Buffer.from("5;x=y\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: t\r\n\r\nignored");
    for (const size of [1, 2, 3, 7, 1000]) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < encoded.length; i += size) pieces.push(encoded.subarray(i, i + size));
      expect(await bodyText(Readable.from(pieces).pipe(new ChunkedDecoder())), `pieces of ${size}`).to.equal("hello, world");
    }
  });

  it("ChunkedDecoder fails on a body cut short or a bad size line", async () => {
    for (const bad of ["5\r\nhel", "zz\r\nhello\r\n0\r\n\r\n", "5\r\nhelloX\r\n0\r\n\r\n"]) {
      let error: unknown;
      try {
        await bodyText(Readable.from([Buffer.from(bad)]).pipe(new ChunkedDecoder()));
      } catch (e) {
        error = e;
      }
      expect(error, bad).to.be.instanceOf(InputFramingError);
    }
  });
});
