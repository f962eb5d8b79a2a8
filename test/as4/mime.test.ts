import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { SizeLimitError } from "../../src/as4/limits.js";
import { buildMultipartRelated } from "../../src/as4/mime-build.js";
import { DEFAULT_MIME_LIMITS, MimeError, PART_IN_ONE_PIECE_BYTES, parseAs4Request, parseMediaType, type MimeLimits } from "../../src/as4/mime-parse.js";
import { createTempDir, type TempDir } from "../../src/as4/temp-files.js";
import { rejection } from "../helpers/rejection.js";

const SOAP = '<?xml version="1.0" encoding="UTF-8"?><S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"><S12:Body>æøå</S12:Body></S12:Envelope>';

async function toBuffer(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function chunked(buf: Buffer, size: number | (() => number)): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; ) {
    const n = typeof size === "number" ? size : size();
    parts.push(buf.subarray(i, i + n));
    i += n;
  }
  return Readable.from(parts);
}

/** A deterministic pseudo-random sequence so a failing chunking can be reproduced. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return 1 + (s % 97);
  };
}


describe("as4/mime", () => {
  let tmp: TempDir;
  beforeEach(() => {
    tmp = createTempDir();
  });
  afterEach(async () => {
    await tmp.dispose();
  });

  it("parses Content-Type parameters, quoted or not", () => {
    const ok = parseMediaType('Multipart/Related; Boundary="a b;c\\"d"; type=application/soap+xml; start="<x@y>";');
    expect(ok?.type).to.equal("multipart/related");
    expect(ok?.params).to.deep.equal({ boundary: 'a b;c"d', type: "application/soap+xml", start: "<x@y>" });
    expect(parseMediaType('multipart/related; boundary="unterminated')).to.equal(undefined);
    expect(parseMediaType("multipart/related; boundary")).to.equal(undefined);
    expect(parseMediaType("no-slash")).to.equal(undefined);
  });

  it("builds the AS4 multipart layout", async () => {
    const msg = buildMultipartRelated(SOAP, [{ contentId: "att1@x", source: () => Readable.from([Buffer.from("DATA")]) }], {
      boundary: "BOUND",
    });
    expect(msg.contentType).to.equal('multipart/related; boundary="BOUND"; type="application/soap+xml"');
    const text = (await toBuffer(msg.body())).toString("utf8");
    expect(text).to.equal(
      "--BOUND\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
        SOAP +
        "\r\n--BOUND\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <att1@x>\r\n\r\nDATA" +
        "\r\n--BOUND--\r\n",
    );
    expect(text).not.to.match(/Content-Disposition/i);
  });

  it("sends a small message whose attachments are in memory in one piece, the same bytes; otherwise streams its parts", async () => {
    const a = randomBytes(5_000);
    const b = Buffer.from("second");
    const atts = (inMemory: boolean, sizes = [a.length, b.length]) => [
      { contentId: "a@x", source: () => Readable.from([a.subarray(0, 1000), a.subarray(1000)]), size: sizes[0]!, ...(inMemory ? { inMemory: () => a } : {}) },
      { contentId: "b@x", source: () => Readable.from([b]), size: sizes[1]!, ...(inMemory ? { inMemory: () => b } : {}) },
    ];
    const chunksOf = async (r: Readable): Promise<Buffer[]> => (await r.toArray()) as Buffer[];
    const streamed = await chunksOf(buildMultipartRelated(SOAP, atts(false), { boundary: "BOUND" }).body());
    const oneMsg = buildMultipartRelated(SOAP, atts(true), { boundary: "BOUND" });
    const one = await chunksOf(oneMsg.body());
    expect(one.length).to.equal(1);
    expect(one[0]!.equals(Buffer.concat(streamed))).to.equal(true);
    expect(one[0]!.length).to.equal(oneMsg.contentLength);
    // Streamed: the SOAP part with the first part's head, a's two chunks, b's head, b, the closing delimiter.
    expect(streamed.map((c) => c.length)).to.deep.equal([streamed[0]!.length, 1000, 4000, streamed[3]!.length, b.length, "\r\n--BOUND--\r\n".length]);
    expect(streamed[0]!.toString("utf8")).to.match(/^--BOUND\r\n[^]*<\/S12:Envelope>\r\n--BOUND\r\n[^]*Content-ID: <a@x>\r\n\r\n$/);
    // An attachment not in memory, or a body past 256 KiB, streams.
    const notInMemory = [atts(true)[0]!, { ...atts(true)[1]!, inMemory: () => undefined }];
    expect((await chunksOf(buildMultipartRelated(SOAP, notInMemory, { boundary: "BOUND" }).body())).length).to.equal(6);
    const big = randomBytes(256 * 1024);
    const bigMsg = buildMultipartRelated(SOAP, [{ contentId: "big@x", source: () => Readable.from([big]), size: big.length, inMemory: () => big }], { boundary: "BOUND" });
    expect((await chunksOf(bigMsg.body())).length).to.equal(3);
  });

  it("computes Content-Length when sizes are known", async () => {
    const f = await tmp.file("a");
    await writeFile(f, randomBytes(1234));
    const msg = buildMultipartRelated(SOAP, [{ contentId: "a@x", source: f, size: 1234 }], { rootContentId: "root@x" });
    expect(msg.contentType).to.contain('start="<root@x>"');
    expect((await toBuffer(msg.body())).length).to.equal(msg.contentLength);
  });

  it("refuses Content-IDs that could inject headers", () => {
    expect(() => buildMultipartRelated(SOAP, [{ contentId: "a\r\nX: y", source: () => Readable.from([]) }])).to.throw();
    expect(() => buildMultipartRelated(SOAP, [{ contentId: "<a>", source: () => Readable.from([]) }])).to.throw();
  });

  for (const [label, chunking] of [
    ["one chunk", 1 << 30],
    ["1-byte chunks", 1],
    ["2-byte chunks", 2],
    ["random chunks", lcg(42)],
  ] as const) {
    it(`round-trips build → parse (${label})`, async () => {
      const a = randomBytes(20_000);
      const b = Buffer.concat([Buffer.from("\r\n--"), randomBytes(100), Buffer.from("--\r\n")]);
      const msg = buildMultipartRelated(SOAP, [
        { contentId: "a@x", source: () => Readable.from([a]) },
        { contentId: "b@x", contentType: "application/gzip", source: () => Readable.from([b]) },
      ]);
      const wire = await toBuffer(msg.body());
      const parsed = await parseAs4Request(msg.contentType, chunked(wire, chunking), tmp);
      expect(parsed.soapXml).to.equal(SOAP);
      expect(parsed.attachments.map((x) => [x.contentId, x.contentType, x.size])).to.deep.equal([
        ["a@x", "application/octet-stream", a.length],
        ["b@x", "application/gzip", b.length],
      ]);
      expect((await parsed.attachments[0]!.content.readAll()).equals(a)).to.equal(true);
      expect((await parsed.attachments[1]!.content.readAll()).equals(b)).to.equal(true);
    });
  }

  it("reads a body given as an async iterable of Uint8Array (not a stream), and refuses one past the message limit", async () => {
    const a = randomBytes(5000);
    const msg = buildMultipartRelated(SOAP, [{ contentId: "a@x", source: () => Readable.from([a]) }]);
    const wire = await toBuffer(msg.body());
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < wire.length; at += 1000) yield new Uint8Array(wire.subarray(at, at + 1000));
    }
    const parsed = await parseAs4Request(msg.contentType, pieces(), tmp);
    expect((await parsed.attachments[0]!.content.readAll()).equals(a)).to.equal(true);
    const other = createTempDir();
    try {
      const err = await rejection(parseAs4Request(msg.contentType, pieces(), other, { ...DEFAULT_MIME_LIMITS, maxTotalBytes: 3000 }));
      expect(err).to.be.instanceOf(SizeLimitError);
      expect(err.message).to.equal("EBMS:0004 Other: message exceeds the limit of 3000 bytes");
    } finally {
      await other.dispose();
    }
  });

  it("finds the closing delimiter wherever the chunks around it end", async () => {
    const a = randomBytes(5_000);
    const msg = buildMultipartRelated(SOAP, [{ contentId: "a@x", source: () => Readable.from([a]) }]);
    const wire = Buffer.concat([await toBuffer(msg.body()), Buffer.from("epilogue\r\n")]);
    const close = wire.lastIndexOf(Buffer.from(`\r\n--${msg.boundary}--`));
    for (let cutAt = close - 8; cutAt <= close + msg.boundary.length + 8; cutAt++) {
      // a long chunk, then the rest in one chunk or in a short one and a long one
      for (const rest of [[wire.subarray(cutAt)], [wire.subarray(cutAt, cutAt + 3), wire.subarray(cutAt + 3)]]) {
        const parsed = await parseAs4Request(msg.contentType, Readable.from([wire.subarray(0, cutAt), ...rest]), tmp);
        expect((await parsed.attachments[0]!.content.readAll()).equals(a), `cut at ${cutAt - close}`).to.equal(true);
      }
    }
  });

  it("takes the root from `start` even when it is not the first part", async () => {
    const body =
      "--B\r\nContent-Type: application/octet-stream\r\nContent-ID: <att@x>\r\n\r\nPAYLOAD\r\n" +
      "--B\r\nContent-Type: application/soap+xml; charset=UTF-8\r\nContent-ID: <root@x>\r\n\r\n" + SOAP + "\r\n--B--";
    const parsed = await parseAs4Request('multipart/related; boundary=B; type="application/soap+xml"; start="<root@x>"', Readable.from([Buffer.from(body)]), tmp);
    expect(parsed.soapXml).to.equal(SOAP);
    expect(parsed.rootContentId).to.equal("root@x");
    expect(parsed.attachments.map((x) => x.contentId)).to.deep.equal(["att@x"]);
    expect((await parsed.attachments[0]!.content.readAll()).toString("latin1")).to.equal("PAYLOAD");
  });

  for (const epilogue of ["", "\r\n", "\r\nan epilogue the parser must ignore\r\n"]) {
    it(`finishes when the input ends after the closing boundary (epilogue ${JSON.stringify(epilogue)})`, async () => {
      const msg = buildMultipartRelated(SOAP, [{ contentId: "a@x", source: () => Readable.from([Buffer.from("DATA")]) }]);
      const wire = await toBuffer(msg.body());
      async function* late(): AsyncGenerator<Buffer> {
        yield wire;
        await new Promise((r) => setTimeout(r, 20)); // an HTTP request often ends well after its last byte
        if (epilogue) yield Buffer.from(epilogue);
      }
      const parsed = await parseAs4Request(msg.contentType, Readable.from(late()), tmp);
      expect((await parsed.attachments[0]!.content.readAll()).toString("latin1")).to.equal("DATA");
    });
  }

  it("accepts a bare SOAP body", async () => {
    const parsed = await parseAs4Request("application/soap+xml; charset=utf-8", Readable.from([Buffer.from(SOAP)]), tmp);
    expect(parsed.soapXml).to.equal(SOAP);
    expect(parsed.attachments).to.deep.equal([]);
  });

  const malformed: [string, string, string][] = [
    ["no closing boundary", "multipart/related; boundary=B", `--B\r\nContent-Type: application/soap+xml\r\n\r\n${SOAP}\r\n--B\r\nContent-ID: <a>\r\n\r\nDATA`],
    ["ends inside the first part's headers (multipasta never finishes such a body)", "multipart/related; boundary=B", `--B\r\n${"x".repeat(200)}`],
    ["ends inside an attachment's headers", "multipart/related; boundary=B", `--B\r\nContent-Type: application/soap+xml\r\n\r\n${SOAP}\r\n--B\r\nContent-ID: <a>`],
    ["missing boundary parameter", "multipart/related; type=application/soap+xml", `--B\r\n\r\n--B--`],
    ["root not SOAP", "multipart/related; boundary=B", `--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n--B--`],
    ["attachment without Content-ID", "multipart/related; boundary=B", `--B\r\nContent-Type: application/soap+xml\r\n\r\n${SOAP}\r\n--B\r\nContent-Type: application/octet-stream\r\n\r\nDATA\r\n--B--`],
    ["duplicate Content-ID", "multipart/related; boundary=B", `--B\r\nContent-Type: application/soap+xml\r\n\r\n${SOAP}\r\n--B\r\nContent-ID: <a>\r\n\r\n1\r\n--B\r\nContent-ID: <a>\r\n\r\n2\r\n--B--`],
    ["start names a missing part", 'multipart/related; boundary=B; start="<nope>"', `--B\r\nContent-Type: application/soap+xml\r\nContent-ID: <r>\r\n\r\n${SOAP}\r\n--B--`],
    ["no parts at all", "multipart/related; boundary=B", `just text`],
    ["base64 transfer encoding", "multipart/related; boundary=B", `--B\r\nContent-Type: application/soap+xml\r\n\r\n${SOAP}\r\n--B\r\nContent-ID: <a>\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--B--`],
    ["bad part header line", "multipart/related; boundary=B", `--B\r\nContent-Type: application/soap+xml\r\n\r\n${SOAP}\r\n--B\r\n: no name\r\n\r\nDATA\r\n--B--`],
    ["unsupported media type", "text/plain", SOAP],
    ["SOAP not UTF-8", "application/soap+xml; charset=ISO-8859-1", SOAP],
  ];
  for (const [label, ct, body] of malformed) {
    it(`rejects malformed MIME with EBMS:0007: ${label}`, async () => {
      const err = await rejection(parseAs4Request(ct, Readable.from([Buffer.from(body)]), tmp));
      expect(err).to.be.instanceOf(MimeError);
      expect((err as MimeError).code).to.equal("EBMS:0007");
    });
  }

  const limitCases: [string, Partial<MimeLimits>, string][] = [
    ["too many parts", { maxParts: 2 }, "number of MIME parts"],
    ["attachment too large", { maxPartBytes: 10_000 }, "MIME part"],
    ["message too large", { maxTotalBytes: 30_000 }, "message"],
    ["SOAP part too large", { maxRootBytes: 100 }, "SOAP envelope"],
  ];
  for (const [label, limits, what] of limitCases) {
    it(`enforces limits: ${label}`, async () => {
      const atts = [0, 1, 2].map((i) => ({ contentId: `p${i}@x`, source: () => Readable.from([randomBytes(12_000)]) }));
      const msg = buildMultipartRelated(SOAP, atts);
      const err = await rejection(parseAs4Request(msg.contentType, chunked(await toBuffer(msg.body()), 4096), tmp, { ...DEFAULT_MIME_LIMITS, ...limits }));
      expect(err).to.be.instanceOf(SizeLimitError);
      expect((err as SizeLimitError).what).to.equal(what);
    });
  }

  it("never buffers attachments past the memory threshold: a part larger than it and the root limit streams to a file", async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const msg = buildMultipartRelated(SOAP, [{ contentId: "big@x", source: () => Readable.from([big]) }]);
    const parsed = await parseAs4Request(msg.contentType, chunked(await toBuffer(msg.body()), 65536), tmp, { ...DEFAULT_MIME_LIMITS, maxRootBytes: 64 * 1024 });
    const part = parsed.attachments[0]!;
    expect(part.size).to.equal(big.length);
    expect((await readFile(part.content.path!)).equals(big)).to.equal(true);
    expect(await readdir(tmp.path!)).to.deep.equal(["001-part-big_x"]);
    expect(tmp.memoryBytes).to.equal(0);
  });

  it("keeps small attachments in memory: no directory is made", async () => {
    const a = randomBytes(20_000);
    const msg = buildMultipartRelated(SOAP, [{ contentId: "a@x", source: () => Readable.from([a]) }]);
    const parsed = await parseAs4Request(msg.contentType, chunked(await toBuffer(msg.body()), 4096), tmp);
    expect(parsed.attachments[0]!.content.path).to.equal(undefined);
    expect((await parsed.attachments[0]!.content.readAll()).equals(a)).to.equal(true);
    expect([tmp.path, tmp.memoryBytes]).to.deep.equal([undefined, a.length]);
  });

  for (const size of [PART_IN_ONE_PIECE_BYTES, PART_IN_ONE_PIECE_BYTES + 1]) {
    it(`an attachment of ${size} bytes (collected whole up to ${PART_IN_ONE_PIECE_BYTES}, piped beyond) arrives whole, in memory while the budget allows`, async () => {
      const spools = createTempDir({ memoryBytes: 1 << 20 });
      try {
        const a = randomBytes(size);
        const b = randomBytes(1000);
        const msg = buildMultipartRelated(SOAP, [
          { contentId: "a@x", source: () => Readable.from([a]) },
          { contentId: "b@x", source: () => Readable.from([b]) },
        ]);
        const parsed = await parseAs4Request(msg.contentType, chunked(await toBuffer(msg.body()), lcg(size)), spools);
        expect(parsed.attachments.map((x) => [x.contentId, x.size, x.content.path])).to.deep.equal([
          ["a@x", size, undefined],
          ["b@x", 1000, undefined],
        ]);
        expect((await parsed.attachments[0]!.content.readAll()).equals(a)).to.equal(true);
        expect((await parsed.attachments[1]!.content.readAll()).equals(b)).to.equal(true);
        expect([spools.path, spools.memoryBytes]).to.deep.equal([undefined, size + 1000]);
      } finally {
        await spools.dispose();
      }
    });
  }

  it("with no memory budget, a small attachment goes to a file as before", async () => {
    const parent = await mkdtemp(join(tmpdir(), "as4-mime-test-"));
    const spools = createTempDir({ parent, memoryBytes: 0 });
    try {
      const a = randomBytes(2000);
      const msg = buildMultipartRelated(SOAP, [{ contentId: "a@x", source: () => Readable.from([a]) }]);
      const parsed = await parseAs4Request(msg.contentType, chunked(await toBuffer(msg.body()), 512), spools);
      const part = parsed.attachments[0]!;
      expect(part.size).to.equal(2000);
      expect((await readFile(part.content.path!)).equals(a)).to.equal(true);
      expect(spools.memoryBytes).to.equal(0);
    } finally {
      await spools.dispose();
      await rm(parent, { recursive: true, force: true });
    }
  });

  for (const [where, memoryBytes] of [["in memory", 1 << 20], ["in files", 0]] as const) {
    it(`a refused message keeps what its parts held only until dispose (${where})`, async () => {
      const parent = await mkdtemp(join(tmpdir(), "as4-mime-test-"));
      try {
        const spools = createTempDir({ parent, memoryBytes });
        // two good parts, then one reusing the first one's Content-ID; the input pauses in the third part's
        // headers, once the parser has seen the end of the second
        const head = Buffer.concat([
          Buffer.from(`--B\r\nContent-Type: application/soap+xml\r\n\r\n${SOAP}`),
          Buffer.from("\r\n--B\r\nContent-ID: <p0@x>\r\n\r\n"),
          randomBytes(12_000),
          Buffer.from("\r\n--B\r\nContent-ID: <p1@x>\r\n\r\n"),
          randomBytes(12_000),
          Buffer.from("\r\n--B\r\nContent-ID: <p0"),
        ]);
        async function* wire(): AsyncGenerator<Buffer> {
          yield head;
          await new Promise((r) => setTimeout(r, 50)); // p0 and p1 are spooled by then
          yield Buffer.from("@x>\r\n\r\nDUPLICATE\r\n--B--\r\n");
        }
        const err = await rejection(parseAs4Request("multipart/related; boundary=B", Readable.from(wire()), spools));
        expect(err).to.be.instanceOf(MimeError);
        expect((err as MimeError).detail).to.equal("duplicate Content-ID <p0@x>");
        if (memoryBytes === 0) expect((await readdir(spools.path!)).sort()).to.deep.equal(["001-part-p0_x", "002-part-p1_x"]);
        else expect([spools.path, spools.memoryBytes]).to.deep.equal([undefined, 24_000]);
        await spools.dispose();
        expect(spools.memoryBytes).to.equal(0);
        expect(await readdir(parent)).to.deep.equal([]);
      } finally {
        await rm(parent, { recursive: true, force: true });
      }
    });
  }
});
