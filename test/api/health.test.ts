import type { AddressInfo } from "node:net";
import express from "express";
import { expect } from "chai";
import { healthRouter } from "../../src/api/health.js";

describe("api/health", () => {
  async function serve(checks: Parameters<typeof healthRouter>[0]) {
    const app = express().use(healthRouter(checks));
    const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
  }

  it("is ready when every check passes, and 503 naming the failed one otherwise", async () => {
    const ok = await serve([{ name: "database", check: async () => {} }]);
    const bad = await serve([{ name: "database", check: async () => {} }, { name: "payload-store", check: async () => Promise.reject(new Error("disk full")) }]);
    try {
      expect((await fetch(`${ok.url}/health/ready`)).status).to.equal(200);
      const res = await fetch(`${bad.url}/health/ready`);
      expect(res.status).to.equal(503);
      const body = (await res.json()) as { status: string; checks: { name: string; status: string; detail?: string }[] };
      expect(body.status).to.equal("DOWN");
      expect(body.checks.find((c) => c.name === "payload-store")).to.deep.equal({ name: "payload-store", status: "DOWN", detail: "disk full" });
      expect((await fetch(`${bad.url}/health/live`)).status).to.equal(200);
    } finally {
      await ok.close();
      await bad.close();
    }
  });
});
