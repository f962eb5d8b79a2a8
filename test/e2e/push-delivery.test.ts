import { createServer, type Server } from "node:http";
import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { buildMessage } from "../helpers/letters.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS } from "../helpers/dpi-network.js";

describe("e2e: push delivery to a provider's webhook", function () {
  this.timeout(60_000);
  let net: DpiNetwork;
  let hook: Server;
  const calls: { status: number; body: any }[] = [];

  before(async () => {
    // The webhook fails once, then takes the letter.
    hook = createServer((req, res) => {
      let text = "";
      req.on("data", (c) => (text += c));
      req.on("end", () => {
        const status = calls.length === 0 ? 503 : 204;
        calls.push({ status, body: JSON.parse(text) });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(hook.address() as { port: number }).port}/dpi`;
    net = await DpiNetwork.start();
    await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts" });
    await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters", env: { DPI_AP_PUSH_WEBHOOKS: `984661185=${url}` } });
  });
  after(async () => {
    await net?.close();
    await new Promise((r) => hook?.close(r));
  });

  it("pushes the letter, retries after a failure, and the provider downloads it with its token", async () => {
    const c2 = net.corners.get("c2")!;
    const token = await net.token("910076787");
    const letter = await buildMessage({ token });
    expect((await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms))).status).to.equal(201);
    await eventually("the second push", async () => (calls.length >= 2 ? true : undefined));
    expect(calls.map((c) => c.status)).to.deep.equal([503, 204]);
    const pushed = calls[1]!.body as { messageId: string; forretningsmelding: string; downloadurl: string };
    expect(pushed.messageId).to.equal(letter.messageId);
    expect(pushed.forretningsmelding).to.equal(letter.jws);
    const dl = await fetch(pushed.downloadurl, { headers: { authorization: `Bearer ${await net.token("984661185")}` } });
    expect(Buffer.from(await dl.arrayBuffer()).equals(Buffer.from(letter.cms!))).to.equal(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(calls).to.have.length(2);
  });
});
