import { expect } from "chai";
import type { Request, Response } from "express";
import { problemHandler } from "../../src/api/problem-middleware.js";
import { silentLogger } from "../../src/log.js";
import { REST_BEFORE, type ProblemAnswer } from "./before.js";
import { SAMPLES } from "./samples.js";

/** What the REST API's problem handler answers for `err`: status, problem code and title, failure headers. */
function answer(err: unknown): ProblemAnswer {
  let status = 0;
  let body = "";
  const headers: Record<string, string> = {};
  const res = {
    headersSent: false,
    locals: {},
    get: () => undefined,
    set(name: string | Record<string, string>, value?: string) {
      if (typeof name === "string") headers[name] = value!;
      else Object.assign(headers, name);
      return res;
    },
    status(s: number) {
      status = s;
      return res;
    },
    type: () => res,
    send(b: string) {
      body = b;
      return res;
    },
  };
  const req = { method: "POST", path: "/messages/out", originalUrl: "/messages/out", complete: true };
  problemHandler(silentLogger)(err, req as unknown as Request, res as unknown as Response, () => undefined);
  const doc = JSON.parse(body) as { code: string; title: string; status: number };
  expect(doc.status).to.equal(status);
  delete headers["X-Content-Type-Options"];
  return { status, code: doc.code, title: doc.title, ...(Object.keys(headers).length > 0 ? { headers } : {}) };
}

describe("REST edge: domain errors as problem+json", () => {
  it("every domain error keeps the status, code, title and headers it had", () => {
    const actual = Object.fromEntries(Object.entries(SAMPLES).map(([label, make]) => [label, answer(make())]));
    expect(actual).to.deep.equal(REST_BEFORE);
  });
});
