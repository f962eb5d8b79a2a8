import net from "node:net";
import { expect } from "chai";
import { silentLogger } from "../../src/log.js";
import { startTempAccessPoint } from "../helpers/access-point.js";

/**
 * Shutdown waits for requests in flight, but a connection kept busy (here an upload that stalls) must not hold it
 * open until the request timeout: after DPI_AP_HTTP_SHUTDOWN_GRACE_MS its connection is cut and close() returns.
 */
describe("access point shutdown with a request in flight", function () {
  this.timeout(20_000);

  it("tells a client whose request is in flight at shutdown to close its connection, so a poller cannot keep it open", async () => {
    const t = await startTempAccessPoint({ log: silentLogger, workers: false, env: { DPI_AP_HTTP_SHUTDOWN_GRACE_MS: "30000" } });
    const socket = net.connect(t.ap.port, "127.0.0.1");
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.on("connect", () => resolve()));
    const answers: string[] = [];
    let buffer = "";
    // After each answer the client asks again at once on the same connection, as a polling provider does,
    // for as long as the server lets it keep the connection.
    socket.on("data", (d) => {
      buffer += d.toString("latin1");
      for (;;) {
        const headEnd = buffer.indexOf("\r\n\r\n");
        if (headEnd < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(buffer.slice(0, headEnd))?.[1] ?? 0);
        if (buffer.length < headEnd + 4 + length) return;
        const head = buffer.slice(0, headEnd);
        buffer = buffer.slice(headEnd + 4 + length);
        answers.push(/^connection: *(.*)$/im.exec(head)?.[1]?.trim() ?? "");
        if (!/^connection: *close/im.test(head)) socket.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
      }
    });
    const body = "--b\r\n" + "x".repeat(200);
    socket.write(`POST /as4 HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/related; boundary=b\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    await new Promise((r) => setTimeout(r, 200)); // the request is in flight, waiting for the rest of its body

    const started = Date.now();
    const closed = t.close();
    await new Promise((r) => setTimeout(r, 100));
    socket.write(body.slice(10));
    await closed;
    const took = Date.now() - started;
    socket.destroy();

    expect(answers).to.deep.equal(["close"]);
    expect(took).to.be.below(5_000);
  });

  it("closes a stalled upload's connection after the grace period and returns", async () => {
    const t = await startTempAccessPoint({
      log: silentLogger,
      workers: false,
      env: { DPI_AP_HTTP_SHUTDOWN_GRACE_MS: "300", DPI_AP_HTTP_REQUEST_TIMEOUT_MS: "60000", DPI_AP_HTTP_IDLE_TIMEOUT_MS: "60000" },
    });
    const socket = net.connect(t.ap.port, "127.0.0.1");
    const closedBy = new Promise<number>((resolve) => socket.on("close", () => resolve(Date.now())));
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.on("connect", () => resolve()));
    socket.write(`POST /as4 HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/related; boundary=b; type="application/soap+xml"\r\nContent-Length: 100000\r\n\r\n--b\r\n`);
    await new Promise((r) => setTimeout(r, 200)); // the server has the request and waits for the rest of its body

    const started = Date.now();
    await t.close();
    const took = Date.now() - started;
    const closedAt = await closedBy;

    expect(took).to.be.at.least(250);
    expect(took).to.be.below(5_000);
    expect(closedAt - started).to.be.below(5_000);
  });
});
