import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createApp, listen, type AppParts } from "../../src/app.js";
import type { Caller } from "../../src/api/auth.js";
import { systemClock } from "../../src/clock.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { Metrics } from "../../src/metrics.js";

/** One JSON log line as pino writes it. */
export type LogLine = Record<string, unknown> & { level: number; msg: string; requestId?: string };

/** A pino logger (with the production mixins) writing parsed lines into `lines`. */
export function capturingLogger(level = "debug") {
  const lines: LogLine[] = [];
  const log = createLogger(level, "test", { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { log, lines };
}

export const STUB_CALLER: Caller = { token: "t", consumer: "0192:910076787" };

/**
 * The real app (createApp, listen) over stub stores: enough for what happens before and around the
 * handlers — headers, auth refusals, problem documents, request ids, timeouts, metrics. Every bearer
 * token is accepted as STUB_CALLER unless `parts.callers` says otherwise.
 */
export async function startStubApp(env: Record<string, string> = {}, parts: Partial<AppParts> = {}) {
  const config = loadConfig({
    DPI_AP_PORT: "0",
    DPI_AP_MASKINPORTEN_ISSUER: "http://127.0.0.1:9/",
    DPI_AP_MASKINPORTEN_JWKS_URL: "http://127.0.0.1:9/jwk",
    ...env,
  });
  const { log, lines } = capturingLogger();
  const app = createApp({
    config,
    db: {} as never,
    repo: { unread: async () => [], get: async () => undefined, conversation: async () => [] } as never,
    inbox: { unread: async () => [], get: async () => null, markRead: async () => false } as never,
    blobs: {} as never,
    callers: { verify: async () => STUB_CALLER },
    verifyForretningsmelding: async () => Promise.reject(new Error("not in these tests")),
    clock: systemClock,
    log,
    metrics: new Metrics(),
    ...parts,
  });
  const server: Server = await listen(app, "127.0.0.1", 0, config.http);
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    /** The server side of each open connection. */
    sockets,
    lines,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
