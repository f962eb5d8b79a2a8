import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { startPostboxSim } from "../../src/sim/postbox/postbox-sim.js";
import { capturingLogger } from "../api/app-fixture.js";
import { BUSINESS_ANCHORS, businessKey, DIGIPOST } from "./postbox-fixtures.js";

describe("sim/postbox: log of an empty poll", () => {
  it("is one debug line, so polling every second stays out of an info log", async () => {
    const polls: string[] = [];
    const server = createServer((req, res) => {
      polls.push(`${req.method} ${req.url}`);
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { log, lines } = capturingLogger("debug");
    const sim = await startPostboxSim({
      accessPointUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      orgno: DIGIPOST,
      signer: businessKey(DIGIPOST),
      grant: async () => "token",
      businessAnchors: BUSINESS_ANCHORS,
      pollIntervalMs: 0,
      log,
    });
    try {
      expect(await sim.pollOnce()).to.deep.equal({ listed: 0, delivered: 0, rejected: 0, redelivered: 0, failed: 0 });
      expect(polls).to.deep.equal(["GET /messages/in?page_size=100"]);
      expect(lines.map((l) => ({ level: l.level, msg: l.msg, postbox: l.postbox }))).to.deep.equal([{ level: 20, msg: "poll: no letters", postbox: "0192:984661185" }]);
    } finally {
      await sim.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
