import { createServer, get, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough, Readable } from "node:stream";
import { expect } from "chai";
import { ResponseClosedError, sendStream } from "../../src/api/send-stream.js";

describe("api/send-stream", () => {
  /** A server whose one handler sends what `source()` gives and records how sendStream settled. */
  async function serve(source: () => Readable, length: number) {
    const outcome: { settled?: Promise<string>; source?: Readable } = {};
    const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader("Content-Length", String(length));
      const s = source();
      outcome.source = s;
      outcome.settled = sendStream(s, res).then(
        () => "resolved",
        (err: Error) => `rejected: ${err.name}: ${err.message}`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    return { url, outcome, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it("sends the whole body and resolves once the answer is finished", async () => {
    const body = Buffer.alloc(300_000, 0x61);
    const s = await serve(() => Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]), body.length);
    try {
      const received = await new Promise<Buffer>((resolve, reject) =>
        get(s.url, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(Buffer.concat(chunks)));
        }).on("error", reject),
      );
      expect(received.equals(body)).to.equal(true);
      expect(await s.outcome.settled).to.equal("resolved");
    } finally {
      await s.close();
    }
  });

  it("destroys the source and rejects when the client goes away mid-body", async () => {
    const source = new PassThrough();
    source.write(Buffer.alloc(1000, 0x62));
    const s = await serve(() => source, 1_000_000);
    try {
      await new Promise<void>((resolve) => {
        const req = get(s.url, (res) => {
          res.once("data", () => {
            req.destroy();
            resolve();
          });
        });
        req.on("error", () => undefined);
      });
      expect(await s.outcome.settled).to.equal(`rejected: ResponseClosedError: ${new ResponseClosedError().message}`);
      expect(source.destroyed).to.equal(true);
    } finally {
      await s.close();
    }
  });

  it("rejects with the source's error and closes the connection short of the body", async () => {
    const source = new PassThrough();
    const s = await serve(() => source, 10_000);
    try {
      const seen = await new Promise<string>((resolve) => {
        get(s.url, (res) => {
          let bytes = 0;
          res.on("data", (c: Buffer) => {
            bytes += c.length;
            if (bytes === 500) source.destroy(new Error("disk gone"));
          });
          res.on("error", (err: NodeJS.ErrnoException) => resolve(`${res.statusCode} after ${bytes} bytes: ${err.code}`));
          res.on("end", () => resolve(`ended after ${bytes} bytes`));
        }).on("error", (err: NodeJS.ErrnoException) => resolve(`request error ${err.code}`));
        source.write(Buffer.alloc(500, 0x63));
      });
      expect(seen).to.equal("200 after 500 bytes: ECONNRESET");
      expect(await s.outcome.settled).to.equal("rejected: Error: disk gone");
    } finally {
      await s.close();
    }
  });
});
