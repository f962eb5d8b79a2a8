import { expect } from "chai";
import { messagesOutForm } from "../../src/client/messages-out-client.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { loadDefaultSimOptions } from "../../src/sim/maskinporten/defaults.js";
import { startMaskinportenSim, type MaskinportenSim } from "../../src/sim/maskinporten/server.js";
import { startTempAccessPoint, type TempAccessPoint } from "../helpers/access-point.js";
import { buildMessage } from "../helpers/letters.js";
import { capturingLogger, type LogLine } from "./app-fixture.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("api: the request id on every log line and problem document", function () {
  this.timeout(30_000);
  let sim: MaskinportenSim;
  let running: TempAccessPoint;
  let ap: RunningAccessPoint;
  let lines: LogLine[];

  before(async () => {
    sim = await startMaskinportenSim(await loadDefaultSimOptions());
    const captured = capturingLogger("debug");
    lines = captured.lines;
    running = await startTempAccessPoint({ log: captured.log, maskinporten: sim, workers: false });
    ap = running.ap;
  });
  after(async () => {
    await running?.close();
    await sim?.close();
  });

  /** Sends a request and returns the answer with every log line written from its start until its "http" line. */
  async function traced(url: string, init: RequestInit = {}) {
    const from = lines.length;
    const res = await fetch(`${ap.url}${url}`, init);
    const text = await res.text();
    for (let i = 0; i < 50 && !lines.slice(from).some((l) => l.msg === "http"); i++) await new Promise((r) => setTimeout(r, 10));
    return { res, text, requestId: res.headers.get("x-request-id"), lines: lines.slice(from) };
  }

  async function post(letter: { jws: string; cms?: Uint8Array }, token: string, requestId?: string) {
    const form = messagesOutForm(letter.jws, letter.cms);
    return traced("/messages/out", { method: "POST", body: form, headers: { authorization: `Bearer ${token}`, ...(requestId ? { "x-request-id": requestId } : {}) } });
  }

  it("tags the intake's own line, the refusal and the request line with the id echoed in the header and the problem", async () => {
    const token = (await sim.issueToken({ consumer: "910076787", scope: "digitalpostinnbygger:send" })).token;
    const letter = await buildMessage({ token });

    const accepted = await post(letter, token);
    expect(accepted.res.status, accepted.text).to.equal(201);
    expect(accepted.requestId).to.match(UUID);
    // The request line of an accepted letter is at debug: "message accepted" records it at info.
    expect(accepted.lines.map((l) => [l.msg, l.requestId, l.level])).to.deep.equal([
      ["message accepted", accepted.requestId, 30],
      ["http", accepted.requestId, 20],
    ]);

    // The same id with other content is refused (the identical letter again would get its 201 back).
    const other = await buildMessage({ token, messageId: letter.messageId });
    const refused = await post(other, token, "client-chosen.id_42");
    expect(refused.res.status).to.equal(409);
    expect(refused.requestId).to.equal("client-chosen.id_42");
    const problem = JSON.parse(refused.text);
    expect({ code: problem.code, instance: problem.instance, requestId: problem.requestId }).to.deep.equal({
      code: "message-id-used",
      instance: "/messages/out",
      requestId: "client-chosen.id_42",
    });
    expect(refused.lines.map((l) => [l.msg, l.requestId, l.level])).to.deep.equal([
      ["request rejected", "client-chosen.id_42", 30],
      ["http", "client-chosen.id_42", 30],
    ]);
  });

  it("tags the AS4 receiver's refusal with the request id", async () => {
    const r = await traced("/as4", { method: "POST", body: "not a SOAP message", headers: { "content-type": "text/plain" } });
    // AS4 answers a refusal with a 200 and an EBMS error signal, not a problem document.
    expect(r.res.status).to.equal(200);
    expect(r.text).to.include('errorCode="EBMS:0007"');
    expect(r.requestId).to.match(UUID);
    expect(r.lines.map((l) => [l.msg, l.worker, l.code, l.requestId])).to.deep.equal([
      ["AS4 message refused", "as4-in", "EBMS:0007", r.requestId],
      ["http", undefined, undefined, r.requestId],
    ]);
  });

  it("adopts an incoming X-Request-Id only when it is a short safe token", async () => {
    const idFor = async (offered: string) => (await traced("/health/live", { headers: { "x-request-id": offered } })).requestId;
    expect(await idFor("abc-123")).to.equal("abc-123");
    expect(await idFor("A.b_C-9")).to.equal("A.b_C-9");
    expect(await idFor("x".repeat(64))).to.equal("x".repeat(64));
    for (const unsafe of ["x".repeat(65), "a b", "<script>", "id\u00e6", "a/b", '"quoted"', "line\\nbreak"]) {
      const id = await idFor(unsafe);
      expect(id, unsafe).to.match(UUID);
    }
    const missing = await traced("/no/such/path");
    expect(missing.requestId).to.match(UUID);
    expect(JSON.parse(missing.text).requestId).to.equal(missing.requestId);
    expect(missing.lines.map((l) => [l.msg, l.requestId])).to.deep.equal([
      ["request rejected", missing.requestId],
      ["http", missing.requestId],
    ]);
  });
});
