import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { base64url } from "jose";
import { ReceiptWatcher } from "../../src/bench/receipt-watcher.js";

function receipt(messageId: string, conversationId: string, type = "leveringskvittering"): string {
  const payload = {
    standardBusinessDocument: {
      standardBusinessDocumentHeader: {
        documentIdentification: { type, instanceIdentifier: messageId },
        businessScope: { scope: [{ type: "ConversationId", instanceIdentifier: conversationId }] },
      },
      [type]: {},
    },
  };
  return `${base64url.encode(JSON.stringify({ alg: "RS256" }))}.${base64url.encode(JSON.stringify(payload))}.c2ln`;
}

/** Corner 2's GET /messages/in and read confirmations, serving the given pages in turn. */
async function inbox(pages: string[][]): Promise<{ url: string; read: string[]; close: () => Promise<void> }> {
  const read: string[] = [];
  let next = 0;
  const server = http.createServer((req, res) => {
    const confirm = /^\/messages\/in\/([^/]+)\/read$/.exec(req.url ?? "");
    if (req.method === "POST" && confirm) {
      read.push(confirm[1]!);
      res.writeHead(204).end();
    } else if (req.method === "GET" && req.url?.startsWith("/messages/in?")) {
      const page = pages[next++];
      if (!page) return void res.writeHead(204).end();
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(page.map((forretningsmelding) => ({ forretningsmelding }))));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, read, close: () => new Promise((r) => server.close(() => r())) };
}

describe("bench: the receipt watcher's exactly-once check", () => {
  it("tells a second leveringskvittering for a conversation from the same receipt listed again", async () => {
    const ap = await inbox([
      [receipt("r1", "c1"), receipt("r2", "c2")],
      // r1 again (its confirmation did not take), and another receipt for c2: a duplicate delivery.
      [receipt("r1", "c1"), receipt("r3", "c2"), receipt("f1", "c3", "feil")],
    ]);
    let t = 100;
    const watcher = new ReceiptWatcher({ baseUrl: ap.url, token: "t", now: () => t });
    try {
      expect(await watcher.pollOnce()).to.equal(2);
      t = 200;
      expect(await watcher.pollOnce()).to.equal(3);
      expect(await watcher.pollOnce()).to.equal(0);
      expect([...watcher.levertAt]).to.deep.equal([["c1", 100], ["c2", 100]]);
      expect([...watcher.levertTwice]).to.deep.equal(["c2"]);
      expect(watcher.listedAgain).to.equal(1);
      expect([...watcher.failed.keys()]).to.deep.equal(["c3"]);
      expect(ap.read).to.have.members(["r1", "r2", "r1", "r3", "f1"]);
    } finally {
      await ap.close();
    }
  });
});
