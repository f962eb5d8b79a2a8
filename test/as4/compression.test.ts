import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { gzipSync } from "node:zlib";
import { DecompressionError, gunzipLimited, gzipStream } from "../../src/as4/compression.js";
import { ByteBudget, ByteCounter, limitBytes, SizeLimitError } from "../../src/as4/limits.js";
import { rejection } from "../helpers/rejection.js";

async function collect(src: Readable, ...stages: NodeJS.ReadWriteStream[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  await pipeline(src, ...(stages as [NodeJS.ReadWriteStream]), sink);
  return Buffer.concat(chunks);
}

function chunked(buf: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}


describe("as4/compression", () => {
  it("round-trips gzip → gunzip byte for byte", async () => {
    const data = Buffer.concat([randomBytes(300_000), Buffer.alloc(200_000, "a")]);
    const gz = await collect(chunked(data, 7_000), gzipStream());
    expect(gz.subarray(0, 2)).to.deep.equal(Buffer.from([0x1f, 0x8b]));
    const back = await collect(chunked(gz, 1_000), gunzipLimited({ maxBytes: data.length }));
    expect(back.equals(data)).to.equal(true);
  });

  it("accepts output of exactly maxBytes", async () => {
    const data = Buffer.alloc(100_000, 1);
    const back = await collect(Readable.from([gzipSync(data)]), gunzipLimited({ maxBytes: 100_000 }));
    expect(back.length).to.equal(100_000);
  });

  it("stops a gzip bomb at the cap with EBMS:0303", async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024)); // ~64 KB on the wire
    expect(bomb.length).to.be.below(100_000);
    const out = new ByteCounter();
    const err = await rejection(pipeline(Readable.from([bomb]), gunzipLimited({ maxBytes: 1024 * 1024 }), out, new Writable({ write: (_c, _e, cb) => cb() })));
    expect(err).to.be.instanceOf(DecompressionError);
    expect((err as DecompressionError).code).to.equal("EBMS:0303");
    expect(out.bytes).to.be.at.most(1024 * 1024);
  });

  it("enforces a ratio limit when asked", async () => {
    const z = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    const err = await rejection(collect(Readable.from([z]), gunzipLimited({ maxBytes: 1e9, maxRatio: 100, ratioFloorBytes: 64 * 1024 })));
    expect(err).to.be.instanceOf(DecompressionError);
    expect(err.message).to.match(/ratio/);
    // the same data passes without a ratio limit
    expect((await collect(Readable.from([z]), gunzipLimited({ maxBytes: 1e9 }))).length).to.equal(8 * 1024 * 1024);
  });

  it("charges a shared budget across streams", async () => {
    const budget = new ByteBudget(150_000, "all payloads", "EBMS:0303");
    const z = gzipSync(Buffer.alloc(100_000, 2));
    await collect(Readable.from([z]), gunzipLimited({ maxBytes: 1e6, budgets: [budget] }));
    const err = await rejection(collect(Readable.from([z]), gunzipLimited({ maxBytes: 1e6, budgets: [budget] })));
    expect(err).to.be.instanceOf(DecompressionError);
    expect((err as DecompressionError).code).to.equal("EBMS:0303");
  });

  it("rejects corrupt, truncated and non-gzip input with EBMS:0303", async () => {
    const z = gzipSync(randomBytes(50_000));
    const corrupt = Buffer.from(z);
    corrupt[z.length >> 1] = corrupt[z.length >> 1]! ^ 0xff;
    corrupt[(z.length >> 1) + 1] = corrupt[(z.length >> 1) + 1]! ^ 0xff;
    const truncated = z.subarray(0, z.length - 20);
    const notGzip = Buffer.from("<xml>not compressed</xml>");
    for (const bad of [corrupt, truncated, notGzip]) {
      const err = await rejection(collect(Readable.from([bad]), gunzipLimited({ maxBytes: 1e6 })));
      expect(err, `input of ${bad.length} bytes`).to.be.instanceOf(DecompressionError);
      expect((err as DecompressionError).code).to.equal("EBMS:0303");
    }
  });
});

describe("as4/limits", () => {
  it("passes data up to the limit and fails one byte past it", async () => {
    const ok = await collect(Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), limitBytes(new ByteBudget(20, "part", "EBMS:0004")));
    expect(ok.length).to.equal(20);
    const err = await rejection(collect(Readable.from([Buffer.alloc(10), Buffer.alloc(11)]), limitBytes(new ByteBudget(20, "part", "EBMS:0004"))));
    expect(err).to.be.instanceOf(SizeLimitError);
    expect((err as SizeLimitError).code).to.equal("EBMS:0004");
    expect((err as SizeLimitError).limit).to.equal(20);
  });

  it("shares a total budget between parts while each has its own part budget", async () => {
    const total = new ByteBudget(25, "message", "EBMS:0004");
    await collect(Readable.from([Buffer.alloc(15)]), limitBytes(new ByteBudget(20, "part", "EBMS:0004"), total));
    const err = await rejection(collect(Readable.from([Buffer.alloc(15)]), limitBytes(new ByteBudget(20, "part", "EBMS:0004"), total)));
    expect((err as SizeLimitError).what).to.equal("message");
  });
});
