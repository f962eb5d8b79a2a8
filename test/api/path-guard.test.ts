import type { AddressInfo } from "node:net";
import express, { Router } from "express";
import { expect } from "chai";
import { enteredOnlyForItsPaths, pathIsUnder, routePrefixes } from "../../src/api/path-guard.js";

describe("api/path-guard", () => {
  function routes() {
    const r = Router();
    r.get("/messages/in", (_req, res) => void res.send("list"));
    r.get("/messages/in/:id", (req, res) => void res.send(`one ${req.params.id}`));
    r.post("/messages/in/:id/read", (req, res) => void res.send(`read ${req.params.id}`));
    r.get("/Files/*rest", (_req, res) => void res.send("file"));
    return r;
  }

  it("takes each route's literal beginning, lower-cased, up to its first parameter or wildcard", () => {
    expect(routePrefixes(routes())).to.deep.equal(["/messages/in", "/messages/in/", "/files/"]);
  });

  it("leaves a router holding middleware, a mounted router or a RegExp route unguarded", () => {
    const withMiddleware = routes().use((_req, _res, next) => next());
    const withMount = routes().use("/sub", Router());
    const withRegExp = routes();
    withRegExp.get(/^\/x$/, (_req, res) => void res.send("x"));
    for (const r of [withMiddleware, withMount, withRegExp]) {
      expect(routePrefixes(r)).to.equal(undefined);
      expect(enteredOnlyForItsPaths(r)).to.equal(r);
    }
  });

  it("answers every path as the router alone does, and does not enter the router for paths none of its routes can take", async () => {
    const serve = async (guarded: boolean) => {
      const r = routes();
      const entered: string[] = [];
      // A Router is a function that calls its own handle(): count the calls.
      const inner = r as unknown as { handle(req: express.Request, res: express.Response, next: express.NextFunction): void };
      const handle = inner.handle.bind(r);
      inner.handle = (req, res, next) => {
        entered.push(req.url);
        handle(req, res, next);
      };
      const app = express()
        .use(guarded ? enteredOnlyForItsPaths(r) : r)
        .use((req, res) => void res.status(404).send(`none ${req.path}`));
      const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
        const s = app.listen(0, "127.0.0.1", () => resolve(s));
      });
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, entered, close: () => new Promise((done) => server.close(done)) };
    };
    const requests: [string, string][] = [
      ["GET", "/messages/in"],
      ["GET", "/messages/in/"],
      ["GET", "/MESSAGES/In?kanal=x"],
      ["GET", "/messages/in/abc"],
      ["POST", "/messages/in/abc/read"],
      ["GET", "/files/a/b"],
      ["GET", "/messages/out"],
      ["GET", "/messages/inbox"],
      ["GET", "/health/live"],
      ["POST", "/messages/in"],
    ];
    const answers = async (url: string) => {
      const out: string[] = [];
      for (const [method, path] of requests) {
        const res = await fetch(`${url}${path}`, { method });
        out.push(`${method} ${path} ${res.status} ${await res.text()}`);
      }
      return out;
    };
    const plain = await serve(false);
    const guarded = await serve(true);
    try {
      const expected = [
        "GET /messages/in 200 list",
        "GET /messages/in/ 200 list",
        "GET /MESSAGES/In?kanal=x 200 list",
        "GET /messages/in/abc 200 one abc",
        "POST /messages/in/abc/read 200 read abc",
        "GET /files/a/b 200 file",
        "GET /messages/out 404 none /messages/out",
        "GET /messages/inbox 404 none /messages/inbox",
        "GET /health/live 404 none /health/live",
        "POST /messages/in 404 none /messages/in",
      ];
      expect(await answers(plain.url)).to.deep.equal(expected);
      expect(await answers(guarded.url)).to.deep.equal(expected);
      expect(plain.entered).to.deep.equal(requests.map(([, path]) => path));
      // "/messages/inbox" begins with "/messages/in": the guard lets it in, and the router turns it down.
      expect(guarded.entered).to.deep.equal([
        "/messages/in",
        "/messages/in/",
        "/MESSAGES/In?kanal=x",
        "/messages/in/abc",
        "/messages/in/abc/read",
        "/files/a/b",
        "/messages/inbox",
        "/messages/in",
      ]);
    } finally {
      await plain.close();
      await guarded.close();
    }
  });

  it("tells the paths under a prefix as express's mount at that prefix does", async () => {
    const paths = ["/messages", "/messages/", "/messages/in", "/MESSAGES/in", "/Messages", "/messages//x", "/messagesx", "/messag", "/status", "/status/c-1", "/statuses", "/", "/health/live", "/x/messages"];
    const seen: string[] = [];
    const app = express()
      .use(["/messages", "/status"], (req, _res, next) => {
        seen.push(req.originalUrl);
        next();
      })
      .use((_req, res) => void res.end());
    const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    try {
      for (const path of paths) await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`)).text();
    } finally {
      await new Promise((done) => server.close(done));
    }
    const under = paths.filter((p) => pathIsUnder(p, "/messages") || pathIsUnder(p, "/status"));
    expect(under).to.deep.equal(seen);
    expect(under).to.deep.equal(["/messages", "/messages/", "/messages/in", "/MESSAGES/in", "/Messages", "/messages//x", "/status", "/status/c-1"]);
  });
});
