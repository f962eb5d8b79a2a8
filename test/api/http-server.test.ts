import net from "node:net";
import type { Socket } from "node:net";
import { expect } from "chai";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startStubApp } from "./app-fixture.js";

/** What a raw client saw: the bytes it got back, how much of its body the kernel took, and how it ended. */
interface RawOutcome {
  response: string;
  /** Body bytes whose write completed (handed to the kernel) before the connection ended or we gave up. */
  bodyBytesWritten: number;
  /** ms from the first byte sent until the server's answer was complete (or the connection ended). */
  answeredMs: number;
  /** ms from the first byte sent until the connection was closed by the server; undefined: still open. */
  closedMs: number | undefined;
}

/**
 * Sends `head`, then streams `bodyBytes` of body in 1 MiB writes as fast as the server takes them (or
 * stalls after `stallAfter` bytes), reading whatever comes back, for at most `waitMs`.
 */
function rawRequest(port: number, head: string, o: { bodyBytes: number; stallAfter?: number; waitMs: number }): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket: Socket = net.connect(port, "127.0.0.1");
    const started = Date.now();
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let response = "";
    let bodyBytesWritten = 0;
    let answeredMs: number | undefined;
    let closedMs: number | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ response, bodyBytesWritten, answeredMs: answeredMs ?? Date.now() - started, closedMs });
    };
    const timer = setTimeout(finish, o.waitMs);
    socket.on("data", (d) => {
      response += d.toString("latin1");
      if (answeredMs === undefined && /\r\n\r\n[\s\S]*\}$/.test(response)) answeredMs = Date.now() - started;
    });
    const ended = () => {
      closedMs ??= Date.now() - started;
      answeredMs ??= closedMs;
      finish();
    };
    socket.on("end", ended);
    socket.on("error", ended);
    socket.on("close", ended);
    const pump = () => {
      if (done) return;
      const limit = o.stallAfter ?? o.bodyBytes;
      if (bodyBytesWritten >= limit) return; // stall: send nothing more
      const piece = chunk.subarray(0, Math.min(chunk.length, limit - bodyBytesWritten));
      socket.write(piece, (err) => {
        if (err) return;
        bodyBytesWritten += piece.length;
        pump();
      });
    };
    socket.write(head, () => pump());
  });
}

describe("api: HTTP server limits", function () {
  this.timeout(20_000);

  it("answers 401 to a client streaming a large body without a token at once, then closes instead of reading on", async () => {
    const app = await startStubApp();
    let serverRead = 0;
    app.server.on("connection", (s: Socket) => s.on("close", () => (serverRead = s.bytesRead)));
    try {
      const total = 256 * 1024 * 1024;
      const head = `POST /messages/out HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${total}\r\n\r\n`;
      const r = await rawRequest(app.port, head, { bodyBytes: total, waitMs: 10_000 });
      expect(r.response.split("\r\n")[0]).to.equal("HTTP/1.1 401 Unauthorized");
      expect(r.response).to.match(/\r\nConnection: close\r\n/i);
      expect(JSON.parse(r.response.slice(r.response.indexOf("\r\n\r\n") + 4)).code).to.equal("token-missing");
      expect(r.answeredMs, "answered promptly").to.be.below(2_000);
      expect(r.closedMs, "the server closed the connection").to.not.equal(undefined);
      expect(r.closedMs!).to.be.below(2_000);
      // The kernel's socket buffers take a few MiB; a server that drained the body would take all 256.
      expect(r.bodyBytesWritten, "body bytes the client got rid of").to.be.below(32 * 1024 * 1024);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(serverRead, "bytes the server read").to.be.below(32 * 1024 * 1024);
    } finally {
      await app.close();
    }
  });

  it("closes a connection whose body stalls for longer than the idle timeout", async () => {
    const app = await startStubApp({ DPI_AP_HTTP_IDLE_TIMEOUT_MS: "300" });
    try {
      const head = `POST /messages/out HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n`;
      const r = await rawRequest(app.port, head, { bodyBytes: 100_000, stallAfter: 10, waitMs: 5_000 });
      expect(r.closedMs, "closed by the server").to.not.equal(undefined);
      expect(r.closedMs!).to.be.within(250, 2_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(app.sockets.size, "connections left open at the server").to.equal(0);
    } finally {
      await app.close();
    }
  });

  it("answers 408 and closes when the headers do not complete within the headers timeout", async () => {
    const app = await startStubApp({ DPI_AP_HTTP_HEADERS_TIMEOUT_MS: "300", DPI_AP_HTTP_IDLE_TIMEOUT_MS: "60000" });
    try {
      const r = await rawRequest(app.port, "GET /health/live HTTP/1.1\r\nHost: x\r\n", { bodyBytes: 0, waitMs: 5_000 });
      expect(r.response.split("\r\n")[0]).to.equal("HTTP/1.1 408 Request Timeout");
      expect(r.closedMs, "closed by the server").to.not.equal(undefined);
      expect(r.closedMs!).to.be.within(250, 2_000);
    } finally {
      await app.close();
    }
  });

  it("reads its timeouts from the environment, with defaults", async () => {
    const defaults = await startStubApp();
    const tuned = await startStubApp({ DPI_AP_HTTP_HEADERS_TIMEOUT_MS: "1000", DPI_AP_HTTP_REQUEST_TIMEOUT_MS: "2000", DPI_AP_HTTP_IDLE_TIMEOUT_MS: "3000", DPI_AP_HTTP_KEEP_ALIVE_TIMEOUT_MS: "4000" });
    try {
      const t = (s: typeof defaults.server) => ({ headers: s.headersTimeout, request: s.requestTimeout, idle: s.timeout, keepAlive: s.keepAliveTimeout });
      expect(t(defaults.server)).to.deep.equal({ headers: 30_000, request: 600_000, idle: 60_000, keepAlive: 5_000 });
      expect(t(tuned.server)).to.deep.equal({ headers: 1000, request: 2000, idle: 3000, keepAlive: 4000 });
      const err = (() => {
        try {
          loadConfig({ DPI_AP_HTTP_HEADERS_TIMEOUT_MS: "60000", DPI_AP_HTTP_REQUEST_TIMEOUT_MS: "30000" });
        } catch (e) {
          return e as ConfigError;
        }
      })();
      expect(err?.problems).to.deep.equal(["DPI_AP_HTTP_HEADERS_TIMEOUT_MS: must not exceed DPI_AP_HTTP_REQUEST_TIMEOUT_MS"]);
    } finally {
      await defaults.close();
      await tuned.close();
    }
  });
});
