import { expect } from "chai";
import { TokenInvalidError } from "../../src/maskinporten/errors.js";
import { startStubApp } from "./app-fixture.js";

describe("api: headers of authenticated answers", () => {
  let app: Awaited<ReturnType<typeof startStubApp>>;
  before(async () => {
    app = await startStubApp({}, {
      callers: {
        verify: async (bearer) => {
          if (bearer !== "good") throw new TokenInvalidError("not the test token");
          return { token: bearer, consumer: "0192:910076787" };
        },
      },
    });
  });
  after(async () => {
    await app?.close();
  });

  const headersOf = (r: Response) => ({
    status: r.status,
    cacheControl: r.headers.get("cache-control"),
    nosniff: r.headers.get("x-content-type-options"),
    contentType: r.headers.get("content-type"),
  });

  it("carry Cache-Control: no-store and X-Content-Type-Options: nosniff, problem documents included", async () => {
    const get = (path: string, token?: string) => fetch(`${app.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const noStore = { cacheControl: "no-store", nosniff: "nosniff" };
    expect(headersOf(await get("/messages/in", "good"))).to.deep.equal({ status: 204, ...noStore, contentType: null });
    expect(headersOf(await get("/messages/in"))).to.deep.equal({ status: 401, ...noStore, contentType: "application/problem+json; charset=utf-8" });
    expect(headersOf(await get("/messages/in", "bad"))).to.deep.equal({ status: 401, ...noStore, contentType: "application/problem+json; charset=utf-8" });
    expect(headersOf(await get("/messages/out/x/statuses", "good"))).to.deep.equal({ status: 404, ...noStore, contentType: "application/problem+json; charset=utf-8" });
    expect(headersOf(await get("/status/c-1", "good"))).to.deep.equal({ status: 404, ...noStore, contentType: "application/problem+json; charset=utf-8" });
    expect(headersOf(await get("/status/c-1"))).to.deep.equal({ status: 401, ...noStore, contentType: "application/problem+json; charset=utf-8" });
    expect(headersOf(await get("/messages/nowhere", "good"))).to.deep.equal({ status: 404, ...noStore, contentType: "application/problem+json; charset=utf-8" });
  });

  it("leave public answers cacheable", async () => {
    const r = await fetch(`${app.url}/openapi.json`);
    expect({ status: r.status, cacheControl: r.headers.get("cache-control") }).to.deep.equal({ status: 200, cacheControl: null });
  });
});
