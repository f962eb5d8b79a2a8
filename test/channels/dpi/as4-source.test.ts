import type { AddressInfo } from "node:net";
import { expect } from "chai";
import express from "express";
import { as4Router } from "../../../src/api/as4-endpoint.js";
import type { As4ReceiverDeps } from "../../../src/channels/dpi/as4-receiver.js";
import { As4InboundSource } from "../../../src/channels/dpi/as4-source.js";

describe("channels/dpi: the AS4 endpoint as a push inbound source", () => {
  it("is DPI's push source at its path, and takes nothing in (503, Retry-After) until started and after it stopped", async () => {
    // A receiver that must never be reached: a stopped source answers before anything is parsed.
    const receiver = {} as As4ReceiverDeps;
    const source = new As4InboundSource("/as4", receiver);
    expect(source).to.include({ channel: "DPI", kind: "push", path: "/as4", receiver, accepting: false });
    const app = express().use(as4Router(source.path, source.receiver, () => source.accepting));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/as4`;
    try {
      const before = await fetch(url, { method: "POST", body: "x", headers: { "content-type": "application/soap+xml" } });
      expect([before.status, before.headers.get("retry-after")]).to.deep.equal([503, "5"]);
      source.start();
      expect(source.accepting).to.equal(true);
      await source.stop();
      expect(source.accepting).to.equal(false);
      const after = await fetch(url, { method: "POST", body: "x", headers: { "content-type": "application/soap+xml" } });
      expect(after.status).to.equal(503);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
