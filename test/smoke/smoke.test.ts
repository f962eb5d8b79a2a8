import { readdir } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import type { RunningAccessPoint } from "../../src/server.js";
import { capturingLogger, type LogLine } from "../api/app-fixture.js";
import { startTempAccessPoint, type TempAccessPoint } from "../helpers/access-point.js";
import { ROOT } from "../helpers/certs.js";

/** The access point as `npm start` composes it (server.ts over the sandbox's defaults), on an ephemeral port. */
describe("smoke: the access point starts and answers", function () {
  this.timeout(30_000);
  let running: TempAccessPoint;
  let ap: RunningAccessPoint;
  let lines: LogLine[];

  before(async () => {
    const captured = capturingLogger("info");
    lines = captured.lines;
    // With its workers, and a Maskinporten that is never asked (nothing is fetched until a token arrives).
    running = await startTempAccessPoint({ log: captured.log });
    ap = running.ap;
  });
  after(async () => {
    await running?.close();
  });

  it("migrates its database, opens its AS4 endpoint, and says so", async () => {
    const migrations = (await readdir(path.join(ROOT, "prisma/migrations"), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(ap.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ap.seatId).to.equal("POP000001");
    expect(lines.find((l) => l.msg === "database migrated")?.migrations).to.deep.equal(migrations);
    expect(lines.find((l) => l.msg === "AS4 endpoint ready")).to.deep.include({ seatId: "POP000001", as4Endpoint: `${ap.url}/as4` });
  });

  it("is live and ready", async () => {
    const live = await fetch(`${ap.url}/health/live`);
    expect({ status: live.status, body: await live.json() }).to.deep.equal({ status: 200, body: { status: "UP" } });
    const ready = await fetch(`${ap.url}/health/ready`);
    expect({ status: ready.status, body: await ready.json() }).to.deep.equal({
      status: 200,
      body: { status: "UP", checks: [{ name: "database", status: "UP" }, { name: "payload-store", status: "UP" }] },
    });
  });

  it("describes its API in /openapi.json", async () => {
    const r = await fetch(`${ap.url}/openapi.json`);
    expect(r.status).to.equal(200);
    expect(r.headers.get("content-type")).to.equal("application/json; charset=utf-8");
    const doc = (await r.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).to.match(/^3\.0\.\d+$/);
    expect(Object.keys(doc.paths)).to.include.members(["/messages/out", "/messages/in", "/status/{conversationId}", "/health/ready"]);
  });

  it("refuses an API call without a token with a 401 problem", async () => {
    const r = await fetch(`${ap.url}/messages/in`);
    const body = (await r.json()) as Record<string, unknown>;
    expect({ status: r.status, code: body.code, requestId: body.requestId }).to.deep.equal({ status: 401, code: "token-missing", requestId: r.headers.get("x-request-id") });
  });
});
