import { expect } from "chai";
import { requestLogger } from "../../src/api/request-log.js";
import { createLogger, withRequestId } from "../../src/log.js";
import { capturingLogger } from "./app-fixture.js";

describe("api/request-log requestLogger", () => {
  it("gives a logger whose lines carry the response's request id, and the logger itself without one", () => {
    const { log, lines } = capturingLogger("info");
    const worker = log.child({ worker: "as4-in" });
    const res = { get: (name: string) => (name === "X-Request-Id" ? "req-7" : undefined) };
    requestLogger(worker, res).info({ messageId: "m-1" }, "AS4 message accepted, receipt returned");
    requestLogger(worker, { get: () => undefined }).info("no request");
    withRequestId(worker, undefined).info("outbox line");
    expect(lines.map((l) => [l.msg, l.worker, l.requestId])).to.deep.equal([
      ["AS4 message accepted, receipt returned", "as4-in", "req-7"],
      ["no request", "as4-in", undefined],
      ["outbox line", "as4-in", undefined],
    ]);
  });

  it("writes the request id key once per line", () => {
    const written: string[] = [];
    const log = createLogger("info", "test", { write: (s: string) => void written.push(s) });
    requestLogger(log, { get: () => "req-8" }).info("line");
    expect(written.map((s) => s.match(/"requestId"/g)?.length)).to.deep.equal([1]);
  });
});
