import { expect } from "chai";

/** What the e2e tests keep of an HTTP answer that may be a problem document. */
export interface ProblemAnswer {
  status: number;
  contentType: string | null;
  body: unknown;
}

/** Asserts that `r` is the problem document (RFC 7807) `code` with `status`, as the problem middleware writes it. */
export function expectProblem(r: ProblemAnswer, status: number, code: string): void {
  expect(r.contentType, JSON.stringify(r.body)).to.equal("application/problem+json; charset=utf-8");
  const body = r.body as { code?: unknown; type?: unknown; title?: unknown };
  expect({ status: r.status, code: body.code, type: body.type }).to.deep.equal({ status, code, type: `urn:dpi-ap:problem:${code}` });
  expect(body.title).to.be.a("string");
}
