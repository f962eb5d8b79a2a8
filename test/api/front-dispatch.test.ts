import { expect } from "chai";
import { ServerResponse, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import { frontDispatcher, type FrontRoutes } from "../../src/api/front-dispatch.js";
import { TokenInvalidError, TokenScopeMissingError } from "../../src/maskinporten/errors.js";
import { startStubApp, STUB_CALLER, type LogLine } from "./app-fixture.js";

const ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
const BROKEN_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const PACKAGE = Buffer.from("CMS bytes of a dokumentpakke");

/**
 * One HTTP/1.1 exchange on its own connection, returned as the bytes the server wrote, with the Date line taken
 * out. A request ending in WITHHELD is sent without its body, so it is refused before the body was read
 * whichever way it is served (express took an event-loop turn more, in which a body in the same packet was read).
 */
function exchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1").replace(/\r\nDate: [^\r]*/, "")));
    if (request.endsWith(WITHHELD)) socket.write(request.slice(0, -WITHHELD.length));
    else socket.end(request);
  });
}

const WITHHELD = "(withheld)";

const authorization = (token: string | undefined) => (token === undefined ? "" : `Authorization: Bearer ${token}\r\n`);

/** A request as a client of ours writes it: fixed Host and X-Request-Id, so two servers answer it alike. */
function request(method: string, target: string, o: { token?: string | undefined; headers?: string; body?: string } = {}): string {
  const body = o.body ?? "";
  const length = o.body !== undefined || (method === "POST" && !o.headers?.includes("Content-Length")) ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : "";
  return `${method} ${target} HTTP/1.1\r\nHost: ap.test\r\nX-Request-Id: req-1\r\n${authorization("token" in o ? o.token : "good")}${o.headers ?? ""}${length}Connection: close\r\n\r\n${body}`;
}

/** The stub app's parts: an inbox with one message of ours, one whose look-up fails, and tokens good, bad and scope-less. */
function parts(frontDispatcher: boolean) {
  const message = { messageId: ID, documentType: "digital", dpi: { forretningsmelding: "eyJhbGciOi.x.y", payloadKey: "k-1", payloadSize: PACKAGE.length } };
  return {
    frontDispatcher,
    callers: {
      verify: async (bearer: string) => {
        if (bearer === "noscope") throw new TokenScopeMissingError("digdir:dpi", []);
        if (bearer !== "good") throw new TokenInvalidError("not the test token");
        return STUB_CALLER;
      },
    },
    inbox: {
      unread: async () => [message, { ...message, messageId: BROKEN_ID, dpi: { forretningsmelding: "eyJr.a.b" } }],
      get: async (_scope: unknown, id: string) => {
        if (id === BROKEN_ID) throw new Error("the store failed");
        return id === ID ? message : null;
      },
      markRead: async (_scope: unknown, id: string) => (id === ID ? ID : null),
    } as never,
    blobs: { read: async () => PACKAGE } as never,
  };
}

/** The lines a request leaves in the log, without what differs from run to run (times, pids). */
const logOf = (lines: LogLine[]) => lines.map(({ level, msg, requestId, method, path, status, code, detail }) => ({ level, msg, requestId, method, path, status, code, detail }));

describe("api/front-dispatch: the busiest routes served in front of express", () => {
  let viaExpress: Awaited<ReturnType<typeof startStubApp>>;
  let viaFront: Awaited<ReturnType<typeof startStubApp>>;
  before(async () => {
    viaExpress = await startStubApp({}, parts(false));
    viaFront = await startStubApp({}, parts(true));
  });
  after(async () => {
    await viaExpress?.close();
    await viaFront?.close();
  });

  /** Each request is answered with the same bytes, and logged with the same lines, with and without the dispatcher. */
  const cases: [string, string][] = [
    ["the poll", request("GET", "/messages/in")],
    ["the poll with Digdir's empty parameters", request("GET", "/messages/in?kanal=&avsenderidentifikator=&page=")],
    ["the poll, upper case and a trailing slash", request("GET", "/MESSAGES/In/?page_size=2")],
    ["the poll with a wrong kanal", request("GET", "/messages/in?kanal=no%20spaces")],
    ["the poll with a parameter given twice", request("GET", "/messages/in?page=1&page=2")],
    ["the poll without a token", request("GET", "/messages/in", { token: undefined })],
    ["the poll with a refused token", request("GET", "/messages/in", { token: "bad" })],
    ["the poll with a token without the scope", request("GET", "/messages/in", { token: "noscope" })],
    ["the poll, conditional (express answers 304)", request("GET", "/messages/in", { headers: "If-None-Match: *\r\n" })],
    ["the download", request("GET", `/messages/in/${ID}`)],
    ["the download with a trailing slash", request("GET", `/messages/in/${ID.toUpperCase()}/`)],
    ["the download of an unknown id", request("GET", "/messages/in/not-a-uuid")],
    ["the download of a percent-encoded id", request("GET", "/messages/in/a%2Fb%20c")],
    ["the download of an id that is not percent-encoding", request("GET", "/messages/in/%zz")],
    ["the download whose look-up fails (500)", request("GET", `/messages/in/${BROKEN_ID}`)],
    ["HEAD of the download", request("HEAD", `/messages/in/${ID}`)],
    ["HEAD of a refused download", request("HEAD", "/messages/in/nope")],
    ["the read confirmation", request("POST", `/messages/in/${ID}/read`)],
    ["the read confirmation of an unknown id", request("POST", "/messages/in/nope/read")],
    ["the read confirmation without a token", request("POST", `/messages/in/${ID}/read`, { token: undefined })],
    ["GET of the read confirmation", request("GET", `/messages/in/${ID}/read`)],
    ["PUT on the poll", request("PUT", "/messages/in")],
    ["DELETE on the download", request("DELETE", `/messages/in/${ID}`)],
    ["OPTIONS on the poll", request("OPTIONS", "/messages/in")],
    ["the status poll of an unknown message", request("GET", `/messages/out/${ID}/statuses`)],
    ["a submission that is not multipart", request("POST", "/messages/out", { headers: "Content-Type: text/plain\r\nContent-Length: 5\r\n" }) + WITHHELD],
    ["a submission with a wrong kanal", request("POST", "/messages/out?kanal=a/b", { headers: "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 7\r\n" }) + WITHHELD],
    ["a submission without a token", request("POST", "/messages/out", { token: undefined, headers: "Content-Type: text/plain\r\n", body: "hello" })],
    ["GET of the submission path", request("GET", "/messages/out")],
    ["a path beside the routes", request("GET", "/messages/inbox")],
    ["a path under the routes", request("GET", `/messages/in/${ID}/x/y`)],
  ];
  for (const [name, raw] of cases) {
    it(`answers and logs ${name} as express did`, async () => {
      viaExpress.lines.length = 0;
      viaFront.lines.length = 0;
      const before = await exchange(viaExpress.port, raw);
      const after = await exchange(viaFront.port, raw);
      expect(after).to.equal(before);
      expect(logOf(viaFront.lines)).to.deep.equal(logOf(viaExpress.lines));
    });
  }

  it("serves the hot routes without express and hands it the rest (express gives the response its own prototype)", async () => {
    const servedBy: string[] = [];
    const note = (req: IncomingMessage, res: ServerResponse) =>
      res.on("finish", () => servedBy.push(`${req.method} ${req.url} ${Object.getPrototypeOf(res) === ServerResponse.prototype ? "front" : "express"}`));
    viaFront.server.prependListener("request", note);
    viaExpress.server.prependListener("request", note);
    try {
      await exchange(viaFront.port, request("GET", "/messages/in"));
      await exchange(viaFront.port, request("GET", `/messages/in/${BROKEN_ID}`));
      await exchange(viaFront.port, request("HEAD", `/messages/in/${ID}`));
      await exchange(viaFront.port, request("GET", "/messages/in", { headers: "If-None-Match: *\r\n" }));
      await exchange(viaFront.port, request("GET", "/status/c-1"));
      await exchange(viaExpress.port, request("GET", "/messages/in"));
    } finally {
      viaFront.server.off("request", note);
      viaExpress.server.off("request", note);
    }
    expect(servedBy).to.deep.equal([
      "GET /messages/in front",
      `GET /messages/in/${BROKEN_ID} front`,
      `HEAD /messages/in/${ID} express`,
      "GET /messages/in express",
      "GET /status/c-1 express",
      "GET /messages/in express",
    ]);
  });

  it("answers them with what express answered (spot checks of the bytes compared above)", async () => {
    const poll = await exchange(viaFront.port, request("GET", "/messages/in"));
    expect(poll.split("\r\n\r\n")[0]!.split("\r\n")).to.deep.equal([
      "HTTP/1.1 200 OK",
      "X-Request-Id: req-1",
      "Cache-Control: no-store",
      "X-Content-Type-Options: nosniff",
      "Content-Type: application/json; charset=utf-8",
      "Content-Length: 155",
      "Connection: close",
    ]);
    expect(JSON.parse(poll.split("\r\n\r\n")[1]!)).to.deep.equal([
      { forretningsmelding: "eyJhbGciOi.x.y", downloadurl: `http://ap.test/messages/in/${ID}` },
      { forretningsmelding: "eyJr.a.b" },
    ]);
    const failed = await exchange(viaFront.port, request("GET", `/messages/in/${BROKEN_ID}`));
    expect(failed.split("\r\n\r\n")[0]!.split("\r\n")).to.deep.equal([
      "HTTP/1.1 500 Internal Server Error",
      "X-Request-Id: req-1",
      "Cache-Control: no-store",
      "X-Content-Type-Options: nosniff",
      "Content-Type: application/problem+json; charset=utf-8",
      "Content-Length: 263",
      "Connection: close",
    ]);
    expect(JSON.parse(failed.split("\r\n\r\n")[1]!)).to.include({ status: 500, code: "internal-error", instance: `/messages/in/${BROKEN_ID}` });
  });
});

describe("api/front-dispatch: which requests it takes", () => {
  /** The dispatcher over routes that record what they were called with; `next` records what it was handed. */
  function dispatcher(o: { as4Path?: string; location?: string } = {}) {
    const served: string[] = [];
    const passed: string[] = [];
    const note = (what: string) => async () => void served.push(what);
    const routes: FrontRoutes = {
      log: { child: () => routes.log, info: () => {}, debug: () => {}, error: () => {} } as never,
      logAs4Path: "/as4",
      newId: () => "id-1",
      as4: { path: o.as4Path ?? "/as4", handle: note("as4") },
      authenticate: async () => STUB_CALLER,
      submissionLocation: () => o.location ?? "http://ap.test/messages/out/x/statuses",
      submit: async (_req, _res, query) => void served.push(`submit ${JSON.stringify(query)}`),
      inbox: {
        list: async (_req, _res, query) => void served.push(`list ${JSON.stringify(query)}`),
        download: async (_req, _res, id) => void served.push(`download ${id}`),
        markRead: async (_req, _res, id) => void served.push(`read ${id}`),
      },
      statuses: async (_req, _res, id) => void served.push(`statuses ${id}`),
    };
    const front = frontDispatcher(routes, (req) => void passed.push(`${req.method} ${req.url}`));
    const send = async (method: string, url: string, headers: Record<string, string> = {}) => {
      const res = { setHeader: () => {}, on: () => {}, getHeader: () => undefined } as unknown as ServerResponse;
      front({ method, url, headers } as IncomingMessage, res);
      await new Promise((r) => setImmediate(r));
    };
    return { served, passed, send };
  }

  it("serves the six routes, matched as express matched them, and decodes a parameter as express did", async () => {
    const d = dispatcher();
    await d.send("POST", "/as4");
    await d.send("POST", "/AS4/");
    await d.send("POST", "/messages/out?kanal=k1&x=1&x=2");
    await d.send("GET", "/messages/in?page=2");
    await d.send("GET", "/Messages/In/");
    await d.send("GET", "/messages/in/a%2Fb");
    await d.send("POST", "/messages/in/m-1/read/");
    await d.send("GET", "/messages/out/m-2/statuses");
    expect(d.served).to.deep.equal([
      "as4",
      "as4",
      'submit {"kanal":"k1","x":["1","2"]}',
      'list {"page":"2"}',
      "list {}",
      "download a/b",
      "read m-1",
      "statuses m-2",
    ]);
    expect(d.passed).to.deep.equal([]);
  });

  it("hands express every other method, path and request it cannot answer alike", async () => {
    const d = dispatcher();
    const passed = [
      ["HEAD", "/messages/in"],
      ["OPTIONS", "/messages/in"],
      ["PUT", "/messages/in"],
      ["DELETE", `/messages/in/${ID}`],
      ["GET", "/as4"],
      ["GET", "/messages/out"],
      ["POST", "/messages/in"],
      ["GET", "/messages/in//"],
      ["GET", "/messages/in/a/b"],
      ["GET", "/messages/inbox"],
      ["GET", "/status/c-1"],
      ["GET", "/messages/in/%zz"],
      ["GET", "/messages/in?a#b"],
      ["GET", "http://ap.test/messages/in"],
      ["GET", "/health/live"],
    ];
    for (const [method, url] of passed) await d.send(method!, url!);
    await d.send("GET", "/messages/in", { "if-none-match": "*" });
    await d.send("GET", `/messages/in/${ID}`, { "if-modified-since": "Fri, 04 Dec 2026 12:00:00 GMT" });
    expect(d.passed).to.deep.equal([...passed.map(([m, u]) => `${m} ${u}`), "GET /messages/in", `GET /messages/in/${ID}`]);
    expect(d.served).to.deep.equal([]);
  });

  it("hands express a submission whose Location express would percent-encode, and an AS4 path that is a pattern", async () => {
    const encoded = dispatcher({ location: "http://ap test/messages/out/x/statuses" });
    await encoded.send("POST", "/messages/out");
    expect([encoded.passed, encoded.served]).to.deep.equal([["POST /messages/out"], []]);
    const pattern = dispatcher({ as4Path: "/as4/:tenant" });
    await pattern.send("POST", "/as4/t1");
    expect([pattern.passed, pattern.served]).to.deep.equal([["POST /as4/t1"], []]);
  });
});
