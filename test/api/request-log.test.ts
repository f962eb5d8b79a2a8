import { expect } from "chai";
import { Router } from "express";
import { startStubApp } from "./app-fixture.js";

describe("api/request-log", () => {
  it("logs successful inbox polls at debug and the rest, refusals included, at info", async () => {
    const row = { messageId: "m-1", dpi: { forretningsmelding: "a.b.c", payloadKey: null } };
    let rows: unknown[] = [];
    const app = await startStubApp({}, { inbox: { unread: async () => rows } as never });
    try {
      const get = async (path: string, auth = true) => (await fetch(`${app.url}${path}`, auth ? { headers: { authorization: "Bearer t" } } : {})).status;
      expect(await get("/messages/in")).to.equal(204);
      rows = [row];
      expect(await get("/messages/in")).to.equal(200);
      expect(await get("/messages/in", false)).to.equal(401);
      expect(await get("/health/live")).to.equal(200);
      await new Promise((r) => setTimeout(r, 20));
      expect(app.lines.filter((l) => l.msg === "http").map((l) => [l.level, l.method, l.path, l.status])).to.deep.equal([
        [20, "GET", "/messages/in", 204],
        [20, "GET", "/messages/in", 200],
        [30, "GET", "/messages/in", 401],
        [30, "GET", "/health/live", 200],
      ]);
    } finally {
      await app.close();
    }
  });

  it("logs the path the client asked for under a mounted router (NextMove's /api)", async () => {
    const nextMove = Router();
    nextMove.get("/statuses", async (_req, res) => {
      await new Promise((r) => setTimeout(r, 5));
      res.json([]);
    });
    nextMove.delete("/conversations/:id", (_req, res) => void res.status(204).end());
    const app = await startStubApp({}, { nextMove });
    try {
      expect((await fetch(`${app.url}/api/statuses?size=10`)).status).to.equal(200);
      expect((await fetch(`${app.url}/api/conversations/7`, { method: "DELETE" })).status).to.equal(204);
      await new Promise((r) => setTimeout(r, 20));
      expect(app.lines.filter((l) => l.msg === "http").map((l) => [l.level, l.method, l.path, l.status])).to.deep.equal([
        [20, "GET", "/api/statuses", 200],
        [30, "DELETE", "/api/conversations/7", 204],
      ]);
    } finally {
      await app.close();
    }
  });
});
