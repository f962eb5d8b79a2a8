import { expect } from "chai";
import { startStubApp } from "./app-fixture.js";

describe("api/request-log", () => {
  it("logs an empty inbox poll at debug and every other request at info", async () => {
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
        [30, "GET", "/messages/in", 200],
        [30, "GET", "/messages/in", 401],
        [30, "GET", "/health/live", 200],
      ]);
    } finally {
      await app.close();
    }
  });
});
