import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { expect } from "chai";
import express from "express";
import { requireNextMoveCaller } from "../../../src/api/nextmove/auth.js";
import { nextMoveCallerOf } from "../../../src/api/nextmove/caller.js";
import { problemHandler } from "../../../src/api/problem-middleware.js";
import { createLogger } from "../../../src/log.js";
import { TokenScopeMissingError } from "../../../src/maskinporten/errors.js";

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("api/nextmove/auth: HTTP Basic users and Maskinporten tokens", () => {
  let server: Server;
  let url: string;
  before(async () => {
    const app = express();
    app.use(
      requireNextMoveCaller({
        users: [
          { name: "arkiv", password: "s:e:cret", orgs: ["991825827", "910076787"] },
          { name: "drift", password: "pw", orgs: "*" },
        ],
        scope: "eformidling:nextmove",
        verifyToken: async (bearer) => {
          if (bearer === "good") return { consumer: "0192:910076787" };
          throw new TokenScopeMissingError("eformidling:nextmove", ["digitalpostinnbygger:send"]);
        },
      }),
    );
    app.get("/who", (_req, res) => void res.json(nextMoveCallerOf(res)));
    app.use(problemHandler(createLogger("silent")));
    server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/who`;
  });
  after(() => new Promise((r) => server.close(r)));

  it("a configured user (password with colons) acts for its organisations; '*' for all", async () => {
    const a = await fetch(url, { headers: { authorization: basic("arkiv", "s:e:cret") } });
    expect([a.status, await a.json()]).to.deep.equal([200, { name: "arkiv", orgs: ["991825827", "910076787"] }]);
    const b = await fetch(url, { headers: { authorization: basic("drift", "pw") } });
    expect(await b.json()).to.deep.equal({ name: "drift", orgs: "*" });
  });

  it("a wrong password, an unknown user and no credentials are 401 with Basic and Bearer challenges", async () => {
    for (const authorization of [basic("arkiv", "wrong"), basic("nobody", "pw"), undefined]) {
      const res = await fetch(url, { headers: authorization ? { authorization } : {} });
      const body = (await res.json()) as { code: string };
      expect([res.status, res.headers.get("www-authenticate"), body.code]).to.deep.equal([
        401,
        'Basic realm="nextmove", charset="UTF-8", Bearer realm="nextmove"',
        authorization ? "nextmove-credentials-invalid" : "token-missing",
      ]);
    }
  });

  it("a Maskinporten token's consumer acts for itself; a token without the scope is 403 with its challenge", async () => {
    const ok = await fetch(url, { headers: { authorization: "Bearer good" } });
    expect(await ok.json()).to.deep.equal({ name: "0192:910076787", orgs: ["910076787"] });
    const res = await fetch(url, { headers: { authorization: "Bearer other" } });
    expect([res.status, res.headers.get("www-authenticate")]).to.deep.equal([403, 'Bearer realm="nextmove", error="insufficient_scope", error_description="Bearer token lacks the required scope", scope="eformidling:nextmove"']);
  });
});
