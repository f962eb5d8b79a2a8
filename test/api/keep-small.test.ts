import { Readable } from "node:stream";
import { expect } from "chai";
import { KeepSmall } from "../../src/api/multipart-submission.js";

async function drain(source: AsyncIterable<Buffer | Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of source) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

describe("api/multipart-submission KeepSmall", () => {
  it("passes every chunk on and keeps the whole content when it is at most the limit", async () => {
    const kept = new KeepSmall(10);
    const passed = await drain(kept.pass(Readable.from([Buffer.from("abcd"), new Uint8Array([0x65, 0x66]), Buffer.from("ghij")])));
    expect(passed.toString("latin1")).to.equal("abcdefghij");
    expect(kept.bytes()?.toString("latin1")).to.equal("abcdefghij");
  });

  it("keeps nothing once the content passes the limit, and still passes all of it on", async () => {
    const kept = new KeepSmall(10);
    const passed = await drain(kept.pass(Readable.from([Buffer.from("abcdef"), Buffer.from("ghijk"), Buffer.from("l")])));
    expect(passed.toString("latin1")).to.equal("abcdefghijkl");
    expect(kept.bytes()).to.equal(undefined);
  });

  it("keeps an empty content as empty bytes", async () => {
    const kept = new KeepSmall(10);
    expect((await drain(kept.pass(Readable.from([])))).length).to.equal(0);
    expect(kept.bytes()?.length).to.equal(0);
  });

  it("ends its source when the consumer stops early", async () => {
    const source = Readable.from([Buffer.from("abc"), Buffer.from("def")]);
    const kept = new KeepSmall(10);
    for await (const _ of kept.pass(source)) break;
    expect(source.destroyed).to.equal(true);
  });
});
