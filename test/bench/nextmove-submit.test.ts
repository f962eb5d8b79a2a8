import { expect } from "chai";
import type { NextMoveAnswer, NextMoveFileUpload } from "../../src/client/nextmove-client.js";
import { nextMoveSubmit, stepProblem } from "../../src/bench/nextmove-submit.js";
import type { ChannelMessage } from "../../src/bench/nextmove-messages.js";

const MESSAGE: ChannelMessage = {
  messageId: "m1",
  conversationId: "c1",
  sbd: { the: "sbd" },
  files: [
    { filename: "arkivmelding.xml", mimeType: "application/xml", bytes: new Uint8Array(3) },
    { filename: "dokument.pdf", mimeType: "application/pdf", bytes: new Uint8Array(5) },
  ],
};

/** An archive system's client whose answers the test decides, recording the calls in order. */
function client(answer: (call: string) => NextMoveAnswer) {
  const calls: string[] = [];
  const call = (c: string) => {
    calls.push(c);
    return Promise.resolve(answer(c));
  };
  return {
    calls,
    create: (sbd: unknown) => call(`create ${JSON.stringify(sbd)}`),
    upload: (id: string, f: NextMoveFileUpload) => call(`upload ${id} ${f.filename}`),
    send: (id: string) => call(`send ${id}`),
  };
}

const ok: NextMoveAnswer = { status: 200, contentType: "application/json", body: {} };

describe("bench: an archive system hands a message to corner 2", () => {
  it("creates it, uploads each file, sends it, and times the whole as one submission", async () => {
    const c = client(() => ok);
    let t = 0;
    const outcome = await nextMoveSubmit(c)(MESSAGE, () => (t += 10));
    expect(c.calls).to.deep.equal(['create {"the":"sbd"}', "upload m1 arkivmelding.xml", "upload m1 dokument.pdf", "send m1"]);
    expect(outcome).to.deep.equal({ messageId: "m1", conversationId: "c1", startedAt: 10, endedAt: 20, status: 200 });
  });

  it("stops at the first refusal and reports its step, status and problem detail", async () => {
    const c = client((call) => (call.startsWith("upload m1 dokument") ? { status: 400, contentType: "application/problem+json", body: { title: "Bad Request", detail: "Max file size exceeded" } } : ok));
    const outcome = await nextMoveSubmit(c)(MESSAGE, () => 0);
    expect(c.calls).to.have.length(3);
    expect([outcome.status, outcome.problem]).to.deep.equal([400, "upload dokument.pdf: Max file size exceeded"]);
  });

  it("counts a request that got no answer as status 0 with the error", async () => {
    const failing = { create: () => Promise.reject(new TypeError("fetch failed")), upload: () => Promise.resolve(ok), send: () => Promise.resolve(ok) };
    const outcome = await nextMoveSubmit(failing)(MESSAGE, () => 0);
    expect([outcome.status, outcome.problem]).to.deep.equal([0, "TypeError: fetch failed"]);
  });

  it("describes a refusal by its problem's detail, else its title, else the start of the body", () => {
    expect(stepProblem("send", { body: { title: "Bad Request", detail: "Missing arkivmelding.xml" } })).to.equal("send: Missing arkivmelding.xml");
    expect(stepProblem("send", { body: { title: "Forbidden" } })).to.equal("send: Forbidden");
    expect(stepProblem("create", { body: "<html>gateway</html>" })).to.equal("create: <html>gateway</html>");
    expect(stepProblem("create", { body: { error: "x" } })).to.equal('create: {"error":"x"}');
  });
});
