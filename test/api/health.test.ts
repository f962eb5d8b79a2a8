import type { AddressInfo } from "node:net";
import express from "express";
import { expect } from "chai";
import { healthRouter } from "../../src/api/health.js";
import { requestLog } from "../../src/api/request-log.js";
import { capturingLogger } from "./app-fixture.js";

describe("api/health", () => {
  async function serve(checks: Parameters<typeof healthRouter>[0]) {
    const { log, lines } = capturingLogger();
    const app = express().use(requestLog(log)).use(healthRouter(checks, log));
    const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines, close: () => new Promise((r) => server.close(r)) };
  }

  it("is ready when every check passes", async () => {
    const ok = await serve([{ name: "database", check: async () => {} }]);
    try {
      const res = await fetch(`${ok.url}/health/ready`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ status: "UP", checks: [{ name: "database", status: "UP" }] });
      expect(ok.lines.filter((l) => l.msg !== "http")).to.deep.equal([]);
    } finally {
      await ok.close();
    }
  });

  it("answers 503 naming the failed check without its error text, which goes to the log with the request id", async () => {
    const secret = "EACCES: permission denied, open '/srv/dpi-ap/data/.probe' (postgresql://ap:hunter2@db)";
    const bad = await serve([{ name: "database", check: async () => {} }, { name: "payload-store", check: async () => Promise.reject(new Error(secret)) }]);
    try {
      const res = await fetch(`${bad.url}/health/ready`, { headers: { "x-request-id": "probe-1" } });
      expect(res.status).to.equal(503);
      const text = await res.text();
      expect(JSON.parse(text)).to.deep.equal({ status: "DOWN", checks: [{ name: "database", status: "UP" }, { name: "payload-store", status: "DOWN" }] });
      expect(text).to.not.include("hunter2");
      const failed = bad.lines.filter((l) => l.msg === "readiness check failed");
      expect(failed.map((l) => ({ requestId: l.requestId, check: l.check, level: l.level, err: (l.err as { message: string }).message }))).to.deep.equal([
        { requestId: "probe-1", check: "payload-store", level: 50, err: secret },
      ]);
      expect((await fetch(`${bad.url}/health/live`)).status).to.equal(200);
    } finally {
      await bad.close();
    }
  });
});
