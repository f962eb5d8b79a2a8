import { request } from "node:http";
import { Readable } from "node:stream";
import { expect } from "chai";
import { As4InboundSource } from "../../src/channels/dpi/as4-source.js";
import { startStubApp } from "./app-fixture.js";

/** Status, every header but Date in the order sent, and the body of one request. */
function exchange(url: string, method: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: string[]; body: string }>((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers: { "x-request-id": "req-1", ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i] !== "Date") raw.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        resolve({ status: res.statusCode!, headers: raw, body: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

describe("api: the hot answers, header by header", () => {
  const ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
  const row = {
    messageId: ID,
    documentType: "digitalpost",
    direction: "IN",
    receiverIdentifier: "0192:910076787",
    dpi: { forretningsmelding: "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", payloadKey: "k", payloadSize: 5, avsenderOrg: "0192:910076787", databehandlerOrg: null, mottakerOrg: "0192:910076787" },
  };
  const statuses = [
    { status: "OPPRETTET", description: null, timestamp: new Date("2026-12-03T10:00:00.000Z") },
    { status: "FEILET", description: "no postbox", timestamp: new Date("2026-12-03T10:00:01.000Z") },
  ];
  let app: Awaited<ReturnType<typeof startStubApp>>;
  before(async () => {
    const source = new As4InboundSource("/as4", {} as never);
    app = await startStubApp(
      { DPI_AP_PUBLIC_URL: "https://ap.example" },
      {
        inbox: { unread: async () => [row], get: async () => row, markRead: async (_s: unknown, id: string) => id } as never,
        repo: { get: async () => ({ ...row, direction: "OUT" }), statuses: async () => statuses, conversation: async () => [] } as never,
        blobs: { open: () => Readable.from([Buffer.from("bytes")]), read: async () => Buffer.from("bytes") } as never,
        as4: source,
      },
    );
  });
  after(async () => {
    await app?.close();
  });

  const auth = { authorization: "Bearer t" };
  const keepAlive = ["Connection: keep-alive", "Keep-Alive: timeout=5"];
  const privateHeaders = ["X-Request-Id: req-1", "Cache-Control: no-store", "X-Content-Type-Options: nosniff"];

  it("lists the inbox as JSON, with no ETag", async () => {
    const body = JSON.stringify([{ forretningsmelding: row.dpi.forretningsmelding, downloadurl: `https://ap.example/messages/in/${ID}` }]);
    const answer = { status: 200, headers: [...privateHeaders, "Content-Type: application/json; charset=utf-8", `Content-Length: ${body.length}`, ...keepAlive], body };
    expect(await exchange(app.url, "GET", "/messages/in?kanal=&avsenderidentifikator=&page=", auth)).to.deep.equal(answer);
    expect(await exchange(app.url, "GET", "/messages/in", { ...auth, "if-none-match": 'W/"8c-x"' })).to.deep.equal(answer);
  });

  it("still answers a GET with If-None-Match: * as express does, 304 (a representation exists)", async () => {
    expect(await exchange(app.url, "GET", "/messages/in", { ...auth, "if-none-match": "*" })).to.deep.equal({ status: 304, headers: [...privateHeaders, ...keepAlive], body: "" });
    expect(await exchange(app.url, "GET", `/messages/out/${ID}/statuses`, { ...auth, "if-none-match": "*" })).to.deep.equal({ status: 304, headers: [...privateHeaders, ...keepAlive], body: "" });
  });

  it("confirms a read as JSON", async () => {
    const body = JSON.stringify({ id: ID, read: true });
    expect(await exchange(app.url, "POST", `/messages/in/${ID}/read`, auth)).to.deep.equal({
      status: 200,
      headers: [...privateHeaders, "Content-Type: application/json; charset=utf-8", `Content-Length: ${body.length}`, ...keepAlive],
      body,
    });
  });

  it("gives a letter's statuses as JSON", async () => {
    const body = JSON.stringify([
      { status: "OPPRETTET", timestamp: "2026-12-03T10:00:00.000Z" },
      { status: "FEILET", beskrivelse: "no postbox", timestamp: "2026-12-03T10:00:01.000Z" },
    ]);
    expect(await exchange(app.url, "GET", `/messages/out/${ID}/statuses`, auth)).to.deep.equal({
      status: 200,
      headers: [...privateHeaders, "Content-Type: application/json; charset=utf-8", `Content-Length: ${body.length}`, ...keepAlive],
      body,
    });
  });

  it("serves the dokumentpakke as it is", async () => {
    expect(await exchange(app.url, "GET", `/messages/in/${ID}`, auth)).to.deep.equal({
      status: 200,
      headers: [...privateHeaders, "Content-Type: application/json", `Content-Disposition: attachment; filename="${ID}.asic.cms"`, "Content-Length: 5", ...keepAlive],
      body: "bytes",
    });
  });

  it("answers the probes and the API document with no ETag", async () => {
    expect(await exchange(app.url, "GET", "/health/live")).to.deep.equal({
      status: 200,
      headers: ["X-Request-Id: req-1", "Content-Type: application/json; charset=utf-8", "Content-Length: 15", ...keepAlive],
      body: '{"status":"UP"}',
    });
    const doc = await exchange(app.url, "GET", "/openapi.json");
    expect(doc.headers.filter((h) => !h.startsWith("Content-Length"))).to.deep.equal(["X-Request-Id: req-1", "Content-Type: application/json; charset=utf-8", ...keepAlive]);
  });

  it("answers AS4 with 503 and Retry-After while the inbound source is stopped", async () => {
    expect(await exchange(app.url, "POST", "/as4")).to.deep.equal({
      status: 503,
      headers: ["X-Request-Id: req-1", "Retry-After: 5", ...keepAlive, "Content-Length: 0"],
      body: "",
    });
  });
});
