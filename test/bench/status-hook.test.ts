import { expect } from "chai";
import { readHookEvent, startStatusHook, StatusBook } from "../../src/bench/status-hook.js";

const status = (messageId: string, s: string, description?: string) =>
  JSON.stringify({ createdTs: "2026-12-03T10:00:00.123+01:00", resource: "messages", event: "status", messageId, conversationId: "c", direction: "OUTGOING", serviceIdentifier: "DPO", status: s, ...(description ? { description } : {}) });

describe("bench: the sending archive system's webhook endpoint", () => {
  it("reads status events and pings; anything else is unreadable", () => {
    expect(readHookEvent(status("m1", "MOTTATT"))).to.deep.equal({ kind: "status", messageId: "m1", status: "MOTTATT" });
    expect(readHookEvent(status("m1", "FEIL", "ArkivmeldingKvittering: ERROR"))).to.deep.equal({ kind: "status", messageId: "m1", status: "FEIL", description: "ArkivmeldingKvittering: ERROR" });
    expect(readHookEvent(JSON.stringify({ createdTs: "x", event: "ping" }))).to.deep.equal({ kind: "ping" });
    expect(readHookEvent("not json")).to.equal(undefined);
    expect(readHookEvent(JSON.stringify({ event: "status", messageId: 7, status: "LEVERT" }))).to.equal(undefined);
  });

  it("keeps each status's first arrival, counts repeats and unreadable bodies, and the first description", () => {
    const book = new StatusBook();
    book.record(readHookEvent(status("m1", "MOTTATT")), 10);
    book.record(readHookEvent(status("m1", "MOTTATT")), 15);
    book.record(readHookEvent(status("m1", "FEIL", "ArkivmeldingKvittering: ERROR")), 20);
    book.record(readHookEvent(status("m2", "LEVERT")), 30);
    book.record({ kind: "ping" }, 31);
    book.record(undefined, 32);
    expect([...book.seen].map(([id, s]) => [id, [...s]])).to.deep.equal([
      ["m1", [["MOTTATT", 10], ["FEIL", 20]]],
      ["m2", [["LEVERT", 30]]],
    ]);
    expect([book.repeats, book.unreadable, book.changes]).to.deep.equal([1, 1, 3]);
    expect([...book.descriptions]).to.deep.equal([["m1", "FEIL: ArkivmeldingKvittering: ERROR"]]);
  });

  it("answers pushes over HTTP with 200 and books them with the time they arrived", async () => {
    let t = 100;
    const hook = await startStatusHook(() => t);
    try {
      const post = (body: string) => fetch(hook.url, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect((await post(status("m9", "MOTTATT"))).status).to.equal(200);
      t = 250;
      expect((await post(status("m9", "LEVERT"))).status).to.equal(200);
      expect([...hook.book.seen.get("m9")!]).to.deep.equal([["MOTTATT", 100], ["LEVERT", 250]]);
    } finally {
      await hook.close();
    }
  });
});
