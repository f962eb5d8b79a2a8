import { mkdtemp, rm, utimes } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { expect } from "chai";
import { BlobStore, BlobTooLargeError } from "../../src/store/blob-store.js";

describe("store/blob-store", () => {
  let dir: string;
  let blobs: BlobStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-blobs-"));
    blobs = new BlobStore(dir);
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

  it("refuses a stream over the limit and leaves nothing behind", async () => {
    const err = await blobs.write(Readable.from([Buffer.alloc(100)]), 99).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BlobTooLargeError);
    expect(await blobs.sweepOrphans(new Set(), new Date(Date.now() + 10 * 3600_000))).to.equal(0);
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
});
