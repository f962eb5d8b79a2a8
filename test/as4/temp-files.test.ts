import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createTempDir, DEFAULT_MEMORY_SPOOL_BYTES, MemoryBudget, type Spool, type TempDir } from "../../src/as4/temp-files.js";
import { rejection } from "../helpers/rejection.js";

function chunked(buf: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

async function fill(spool: Spool, data: Buffer, chunkSize = 4096): Promise<void> {
  await pipeline(chunked(data, chunkSize), spool.sink);
}

async function streamed(spool: Spool): Promise<Buffer> {
  return Buffer.concat(await spool.createReadStream().toArray());
}


describe("as4/temp-files: memory spools", () => {
  let parent: string;
  let tmp: TempDir | undefined;
  const dir = (memoryBytes: number): TempDir => (tmp = createTempDir({ parent, prefix: "msg-", memoryBytes }));

  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), "as4-spool-test-"));
  });
  afterEach(async () => {
    await tmp?.dispose();
    tmp = undefined;
    await rm(parent, { recursive: true, force: true });
  });

  it("defaults to 1 MiB of memory per message", () => {
    expect(DEFAULT_MEMORY_SPOOL_BYTES).to.equal(1024 * 1024);
  });

  it("keeps content up to the threshold in memory and creates no directory", async () => {
    const t = dir(1000);
    const data = randomBytes(1000);
    const s = t.spool("part-a@x");
    await fill(s, data, 7);
    expect(s.size).to.equal(1000);
    expect(s.path).to.equal(undefined);
    expect(t.path).to.equal(undefined);
    expect(t.memoryBytes).to.equal(1000);
    expect((await s.readAll()).equals(data)).to.equal(true);
    expect((await streamed(s)).equals(data)).to.equal(true);
    // a second read (an AS4 resend streams the same spool again)
    expect((await streamed(s)).equals(data)).to.equal(true);
    expect(await readdir(parent)).to.deep.equal([]);
    await t.dispose();
    expect(t.memoryBytes).to.equal(0);
    expect(await readdir(parent)).to.deep.equal([]);
  });

  for (const chunkSize of [1, 7, 1000, 1001, 65536]) {
    it(`spills exactly past the threshold with the content intact across the boundary (${chunkSize}-byte chunks)`, async () => {
      const t = dir(1000);
      const data = randomBytes(1001);
      const s = t.spool("payload");
      await fill(s, data, chunkSize);
      expect(s.size).to.equal(1001);
      expect(s.path).to.be.a("string");
      expect(t.path).to.be.a("string");
      expect(s.path!.startsWith(t.path! + "/")).to.equal(true);
      expect((await readFile(s.path!)).equals(data)).to.equal(true);
      expect((await stat(s.path!)).mode & 0o777).to.equal(0o600);
      expect((await s.readAll()).equals(data)).to.equal(true);
      expect((await streamed(s)).equals(data)).to.equal(true);
      // what was in memory went to the file: the budget is free again
      expect(t.memoryBytes).to.equal(0);
      expect(await readdir(parent)).to.deep.equal([t.path!.slice(parent.length + 1)]);
    });
  }

  it("a spilled spool gathers what its sink takes and writes it 256 KiB at a time; the rest at the end", async () => {
    const t = dir(1000);
    const s = t.spool("batched");
    const data = randomBytes(1001 + 300 * 1000);
    const write = (chunk: Buffer) => new Promise<void>((resolve, reject) => s.sink.write(chunk, (err) => (err ? reject(err) : resolve())));
    await write(data.subarray(0, 1000));
    expect(s.path).to.equal(undefined);
    await write(data.subarray(1000, 1001));
    expect((await stat(s.path!)).size).to.equal(1001);
    for (let i = 0; i < 262; i++) await write(data.subarray(1001 + i * 1000, 2001 + i * 1000));
    expect((await stat(s.path!)).size, "262 000 bytes gathered, none written").to.equal(1001);
    await write(data.subarray(263_001, 264_001));
    expect((await stat(s.path!)).size, "the 263rd piece passes 256 KiB").to.equal(264_001);
    for (let i = 263; i < 300; i++) await write(data.subarray(1001 + i * 1000, 2001 + i * 1000));
    expect((await stat(s.path!)).size).to.equal(264_001);
    await new Promise<void>((resolve) => s.sink.end(resolve));
    expect(s.size).to.equal(data.length);
    expect((await readFile(s.path!)).equals(data)).to.equal(true);
    expect(t.memoryBytes).to.equal(0);
  });

  it("release() drops what a spilled spool gathered, with its file", async () => {
    const t = dir(10);
    const s = t.spool("dropped");
    s.sink.write(randomBytes(11));
    await new Promise<void>((resolve) => s.sink.write(randomBytes(5000), () => resolve()));
    const path = s.path!;
    expect((await stat(path)).size).to.equal(11);
    await s.release();
    expect(existsSync(path)).to.equal(false);
    expect(() => s.createReadStream()).to.throw(/released/);
  });

  it("readInto(): a file's content read into one buffer again and again, content in memory handed out as held", async () => {
    const t = dir(1000);
    const spilled = t.spool("file");
    const data = randomBytes(10_001);
    await fill(spilled, data, 333);
    const buffer = Buffer.alloc(4096);
    const pieces: Buffer[] = [];
    for await (const piece of spilled.readInto(buffer)) {
      expect(piece.buffer).to.equal(buffer.buffer);
      pieces.push(Buffer.from(piece));
    }
    expect(pieces.map((p) => p.length)).to.deep.equal([4096, 4096, 1809]);
    expect(Buffer.concat(pieces).equals(data)).to.equal(true);

    const held = t.spool("memory");
    const small = randomBytes(900);
    await fill(held, small, 400);
    const chunks: Buffer[] = [];
    for await (const piece of held.readInto(buffer)) chunks.push(piece);
    expect(chunks.map((c) => c.length)).to.deep.equal([400, 400, 100]);
    expect(chunks.some((c) => c.buffer === buffer.buffer)).to.equal(false);
    expect(Buffer.concat(chunks).equals(small)).to.equal(true);

    // Stopping early closes the file.
    const fds = async () => (await readdir("/proc/self/fd")).length;
    const before = await fds();
    for await (const piece of spilled.readInto(buffer)) {
      expect(piece.length).to.equal(4096);
      expect(await fds()).to.equal(before + 1);
      break;
    }
    expect(await fds()).to.equal(before);
    expect(() => t.spool("unwritten").readInto(buffer)).to.throw(/still being written/);
  });

  it("shares the threshold among the spools of one message", async () => {
    const t = dir(1000);
    const a = t.spool("a");
    const b = t.spool("b");
    await fill(a, randomBytes(600));
    await fill(b, randomBytes(600));
    expect([a.path, t.memoryBytes]).to.deep.equal([undefined, 600]);
    expect(b.path).to.be.a("string");
    await a.release();
    expect(t.memoryBytes).to.equal(0);
    const c = t.spool("c");
    await fill(c, randomBytes(1000));
    expect([c.path, t.memoryBytes]).to.deep.equal([undefined, 1000]);
  });

  it("threshold 0 puts every spool in a file, an empty one too", async () => {
    const t = dir(0);
    const data = randomBytes(10);
    const s = t.spool("x");
    await fill(s, data);
    const empty = t.spool("empty");
    await pipeline(Readable.from([]), empty.sink);
    expect((await readFile(s.path!)).equals(data)).to.equal(true);
    expect(await readFile(empty.path!)).to.have.length(0);
    expect([empty.size, (await empty.readAll()).length, (await streamed(empty)).length]).to.deep.equal([0, 0, 0]);
    expect((await readdir(t.path!)).sort()).to.deep.equal(["001-x", "002-empty"]);
    expect(t.memoryBytes).to.equal(0);
  });

  it("dispose removes whatever spilled, drops what stayed in memory, and refuses new spools", async () => {
    const t = dir(1000);
    const big = t.spool("big");
    const small = t.spool("small");
    await fill(big, randomBytes(5000));
    await fill(small, randomBytes(10));
    const path = t.path!;
    expect(existsSync(big.path!)).to.equal(true);
    await t.dispose();
    await t.dispose(); // twice is fine
    expect(existsSync(path)).to.equal(false);
    expect(await readdir(parent)).to.deep.equal([]);
    expect(t.memoryBytes).to.equal(0);
    expect(() => small.createReadStream()).to.throw(/released/);
    expect(() => t.spool("late")).to.throw(/disposed/);
  });

  it("release() frees one spool early: its file goes, the others stay", async () => {
    const t = dir(0);
    const a = t.spool("a");
    const b = t.spool("b");
    await fill(a, randomBytes(100));
    await fill(b, randomBytes(100));
    await a.release();
    expect(existsSync(a.path!)).to.equal(false);
    expect(existsSync(b.path!)).to.equal(true);
    expect(await readdir(t.path!)).to.deep.equal(["002-b"]);
  });

  it("cannot be read before it is written", async () => {
    const t = dir(1000);
    const s = t.spool("x");
    s.sink.write(Buffer.from("abc"));
    expect(() => s.createReadStream()).to.throw(/still being written/);
    await rejection(s.readAll());
    s.sink.end();
    await new Promise((r) => s.sink.once("finish", r));
    expect((await s.readAll()).toString()).to.equal("abc");
  });

  for (const [label, memoryBytes] of [["in memory", 1 << 20], ["spilled", 100]] as const) {
    it(`a sink that fails before it finished keeps nothing (${label})`, async () => {
      const t = dir(memoryBytes);
      const s = t.spool("broken");
      async function* failing(): AsyncGenerator<Buffer> {
        yield randomBytes(5000);
        throw new Error("upstream broke");
      }
      const err = await rejection(pipeline(Readable.from(failing()), s.sink));
      expect(err.message).to.equal("upstream broke");
      await s.release(); // waits for the file to be closed and removed
      expect(t.memoryBytes).to.equal(0);
      expect(t.path === undefined ? [] : await readdir(t.path)).to.deep.equal([]);
      expect(() => s.createReadStream()).to.throw(/released/);
    });
  }

  it("dispose while a spool is spilling leaves no directory behind", async () => {
    const t = dir(10);
    const s = t.spool("racing");
    const writing = pipeline(chunked(randomBytes(100_000), 1000), s.sink).catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    await t.dispose();
    await writing;
    expect(await readdir(parent)).to.deep.equal([]);
  });

  it("put(): the whole content at once, in memory while it fits, in a file like the sink's past it", async () => {
    const t = dir(1000);
    const small = randomBytes(600);
    const s = t.spool("small");
    await s.put(small);
    expect([s.size, s.path, t.memoryBytes, t.memoryFree, t.path]).to.deep.equal([600, undefined, 600, 400, undefined]);
    expect(s.inMemory()).to.equal(small); // no copy
    expect((await streamed(s)).equals(small)).to.equal(true);
    const large = randomBytes(401);
    const l = t.spool("large");
    await l.put(large);
    expect(l.path).to.be.a("string");
    expect(l.inMemory()).to.equal(undefined);
    expect((await readFile(l.path!)).equals(large)).to.equal(true);
    expect((await stat(l.path!)).mode & 0o777).to.equal(0o600);
    expect([t.memoryBytes, t.memoryFree]).to.deep.equal([600, 400]);
    await s.release();
    expect([t.memoryBytes, t.memoryFree]).to.deep.equal([0, 1000]);
  });

  it("put(): 'always files' puts even empty content in a file; a spool takes one put and no sink after it", async () => {
    const t = dir(0);
    const empty = t.spool("empty");
    await empty.put(Buffer.alloc(0));
    expect(await readFile(empty.path!)).to.have.length(0);
    expect(empty.inMemory()).to.equal(undefined);
    const twice = t.spool("twice");
    await twice.put(Buffer.from("a"));
    expect((await rejection(twice.put(Buffer.from("b")))).message).to.match(/already being written/);
    const piped = t.spool("piped");
    await fill(piped, Buffer.from("abc"));
    expect((await rejection(piped.put(Buffer.from("d")))).message).to.match(/already being written/);
  });

  it("put() into a released spool fails and holds nothing", async () => {
    const t = dir(1000);
    const s = t.spool("gone");
    await s.release();
    expect((await rejection(s.put(randomBytes(10)))).message).to.match(/released/);
    expect(t.memoryBytes).to.equal(0);
  });

  it("inMemory(): the content written through the sink in pieces, as one buffer", async () => {
    const t = dir(1000);
    const data = randomBytes(900);
    const s = t.spool("pieces");
    await fill(s, data, 100);
    expect(s.inMemory()!.equals(data)).to.equal(true);
    expect((await streamed(s)).equals(data)).to.equal(true);
    expect(t.memoryBytes).to.equal(900);
  });

  it("refuses a negative or fractional threshold", () => {
    expect(() => createTempDir({ memoryBytes: -1 })).to.throw(RangeError);
    expect(() => createTempDir({ memoryBytes: 1.5 })).to.throw(RangeError);
  });
});

describe("AS4 spools: the process's shared memory budget", () => {
  it("sends a spool to a file once the messages together would pass the shared budget, and gives the bytes back on dispose", async () => {
    const shared = new MemoryBudget(1000);
    const first = createTempDir({ memoryBytes: 800, shared });
    const second = createTempDir({ memoryBytes: 800, shared });
    const a = first.spool("a");
    await pipeline(Readable.from([Buffer.alloc(700, 1)]), a.sink);
    const b = second.spool("b");
    await pipeline(Readable.from([Buffer.alloc(400, 2)]), b.sink);
    expect(a.path).to.equal(undefined); // in memory: 700 of the shared 1000
    expect(b.path).to.be.a("string"); // 700 + 400 would pass the shared budget, though within its message's 800
    expect(shared.used).to.equal(700);
    // What is free: the message's own share, or the process's when that has less left.
    expect([first.memoryFree, second.memoryFree]).to.deep.equal([100, 300]);
    expect((await b.readAll()).equals(Buffer.alloc(400, 2))).to.equal(true);
    await first.dispose();
    await second.dispose();
    expect(shared.used).to.equal(0);
  });
});
