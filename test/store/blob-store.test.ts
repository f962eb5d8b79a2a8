import { watch } from "node:fs";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { expect } from "chai";
import { FolderBlobStore, BlobTooLargeError } from "../../src/store/blob-store.js";

describe("store/blob-store", () => {
  let dir: string;
  let blobs: FolderBlobStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-blobs-"));
    blobs = new FolderBlobStore(dir);
    await blobs.init();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("stores a stream with its size and SHA-256, readable back", async () => {
    const b = await blobs.write(Readable.from([Buffer.from("hello "), Buffer.from("world")]));
    expect(b.size).to.equal(11);
    expect(b.sha256.toString("hex")).to.equal("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
    const chunks: Buffer[] = [];
    for await (const c of blobs.open(b.key)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).to.equal("hello world");
  });

  it("stores many small chunks gathered into larger writes in their order, with their SHA-256", async () => {
    const chunks = Array.from({ length: 300 }, (_, i) => Buffer.alloc(10_000 + (i % 7), i % 251));
    const whole = Buffer.concat(chunks);
    const b = await blobs.write(Readable.from(chunks));
    expect(b.size).to.equal(whole.length);
    expect(b.sha256.equals(createHash("sha256").update(whole).digest())).to.equal(true);
    expect((await readFile(blobs.pathOf(b.key))).equals(whole)).to.equal(true);
  });

  it("reads a blob in pieces of the size asked for, 64 KiB otherwise", async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
    const b = await blobs.write(Readable.from([bytes]));
    const sizes = async (s: Readable) => {
      const got: number[] = [];
      const chunks: Buffer[] = [];
      for await (const c of s) {
        got.push((c as Buffer).length);
        chunks.push(c as Buffer);
      }
      expect(Buffer.concat(chunks).equals(bytes)).to.equal(true);
      return got;
    };
    expect(await sizes(blobs.open(b.key, { chunkBytes: 1024 * 1024 }))).to.deep.equal([1048576, 1048576, 1048576, 5]);
    const small = await sizes(blobs.open(b.key));
    expect(small.length).to.equal(49);
    expect(small[0]).to.equal(65536);
  });

  it("refuses a stream over the limit and leaves nothing behind", async () => {
    const err = await blobs.write(Readable.from([Buffer.alloc(100)]), 99).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BlobTooLargeError);
    expect(await blobs.sweepOrphans(new Set(), new Date(Date.now() + 10 * 3600_000))).to.equal(0);
  });

  /** Every file system event in the blob folder and its temporary folder while `fn` runs. */
  async function fileEvents(fn: () => Promise<unknown>): Promise<string[]> {
    const events: string[] = [];
    const watchers = [path.join(dir, "blobs"), path.join(dir, "blobs", ".tmp")].map((d) => watch(d, (type, name) => events.push(`${type} ${path.basename(d)}/${name}`)));
    try {
      await fn();
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      for (const w of watchers) w.close();
    }
    return events;
  }

  describe("writeIfAny", () => {
    it("a source that ends without a byte makes no blob and touches no file", async () => {
      let result: unknown = "not called";
      const events = await fileEvents(async () => (result = await blobs.writeIfAny(Readable.from([]))));
      expect(result).to.equal(undefined);
      expect(events).to.deep.equal([]);
      expect(await readdir(path.join(dir, "blobs"))).to.deep.equal([".tmp"]);
    });

    it("any byte makes a blob like write does", async () => {
      const b = (await blobs.writeIfAny(Readable.from([Buffer.from("hello "), Buffer.from("world")])))!;
      expect(b.size).to.equal(11);
      expect(b.sha256.toString("hex")).to.equal("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
      expect(await blobs.size(b.key)).to.equal(11);
    });

    it("write still stores an empty source as an empty blob", async () => {
      const b = await blobs.write(Readable.from([]));
      expect(b.size).to.equal(0);
      expect(await blobs.size(b.key)).to.equal(0);
    });
  });

  describe("sweepTemporary", () => {
    it("removes temporary files older than the grace and keeps younger ones; grace 0 removes them all", async () => {
      const tmp = path.join(dir, "blobs", ".tmp");
      const now = new Date();
      for (const name of ["old", "young"]) await writeFile(path.join(tmp, name), "x");
      const old = new Date(now.getTime() - 3_600_001);
      await utimes(path.join(tmp, "old"), old, old);
      expect(await blobs.sweepTemporary(now, 3_600_000)).to.equal(1);
      expect(await readdir(tmp)).to.deep.equal(["young"]);
      expect(await blobs.sweepTemporary(now, 0)).to.equal(1);
      expect(await readdir(tmp)).to.deep.equal([]);
    });

    it("never touches a payload being written right now", async () => {
      const source = new PassThrough();
      const writing = blobs.write(source);
      source.write(Buffer.from("first half, "));
      await new Promise((r) => setTimeout(r, 50));
      expect(await readdir(path.join(dir, "blobs", ".tmp"))).to.have.length(1);
      expect(await blobs.sweepTemporary(new Date(), 60_000)).to.equal(0);
      source.end(Buffer.from("second half"));
      const b = await writing;
      expect(b.size).to.equal(23);
      expect(await blobs.size(b.key)).to.equal(23);
    });
  });

  it("sweeps old blobs nothing refers to, and keeps referenced and recent ones", async () => {
    const kept = await blobs.write(Readable.from([Buffer.from("a")]));
    const orphan = await blobs.write(Readable.from([Buffer.from("b")]));
    const recent = await blobs.write(Readable.from([Buffer.from("c")]));
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const k of [kept.key, orphan.key]) await utimes(blobs.pathOf(k), old, old);
    expect(await blobs.sweepOrphans(new Set([kept.key]), new Date())).to.equal(1);
    expect(await blobs.size(kept.key)).to.equal(1);
    expect(await blobs.size(orphan.key)).to.equal(undefined);
    expect(await blobs.size(recent.key)).to.equal(1);
  });

  it("with no minimum age, sweeps every blob nothing refers to", async () => {
    const kept = await blobs.write(Readable.from([Buffer.from("a")]));
    await blobs.write(Readable.from([Buffer.from("b")]));
    expect(await blobs.sweepOrphans(new Set([kept.key]), new Date(), 0)).to.equal(1);
    expect((await readdir(path.join(dir, "blobs"))).sort()).to.deep.equal([".tmp", kept.key].sort());
  });
});
