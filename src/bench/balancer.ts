import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small round-robin HTTP load balancer for the benchmark's multi-instance runs (issue #20): each request goes
 * to the next instance in turn, method, path, headers (Host included, so the access point builds its links
 * with the balancer's address) and body passed through as streams, the answer streamed back. No affinity and
 * no health checks: the bench stops when an instance dies. It runs in the bench process, so its CPU time is
 * counted there.
 */

/** Picks backends in turn. Pure apart from its counter. */
export class RoundRobin<T> {
  private next = 0;
  constructor(private readonly items: readonly T[]) {
    if (items.length === 0) throw new Error("a round robin needs at least one item");
  }

  pick(): { item: T; index: number } {
    const index = this.next;
    this.next = (this.next + 1) % this.items.length;
    return { item: this.items[index]!, index };
  }
}

/** Headers about one connection, not the message (RFC 9110 §7.6.1): never forwarded. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

/** The headers worth forwarding, from Node's raw [name, value, name, value, …] list (repeated headers kept). Pure. */
export function forwardableHeaders(raw: readonly string[]): string[] {
  const listed = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === "connection") for (const t of raw[i + 1]!.split(",")) listed.add(t.trim().toLowerCase());
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !listed.has(name)) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

export interface Balancer {
  /** "http://127.0.0.1:<port>" */
  readonly url: string;
  /** Requests forwarded to each backend so far, in backend order. */
  counts(): number[];
  /** Requests that failed to reach a backend or broke off (answered 502 when still possible). */
  errors(): number;
  close(): Promise<void>;
}

export interface BalancerOptions {
  /** Base URLs of the instances, "http://127.0.0.1:<port>". */
  backends: readonly string[];
  /** Port to listen on (0: any free one). */
  port?: number;
}

export async function startBalancer(o: BalancerOptions): Promise<Balancer> {
  const backends = o.backends.map((b) => new URL(b));
  const rr = new RoundRobin(backends.map((_, i) => i));
  const counts = backends.map(() => 0);
  let errors = 0;
  // Connections to the instances are reused, as a real balancer's are; an idle one is dropped before the
  // instance's own keep-alive timeout (5 s by default) could close it under a request just sent on it.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 });

  const server = http.createServer((req, res) => {
    const { index } = rr.pick();
    const target = backends[index]!;
    counts[index]!++;
    const upstream = http.request({
      agent,
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: forwardableHeaders(req.rawHeaders),
    });
    const fail = (why: string) => {
      errors++;
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain", connection: "close" });
        res.end(`balancer: backend ${target.host} failed: ${why}\n`);
      } else {
        res.destroy();
      }
    };
    upstream.on("response", (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage ?? "", forwardableHeaders(answer.rawHeaders));
      answer.pipe(res);
      answer.on("error", (err) => fail(err.message));
    });
    upstream.on("error", (err) => fail(err.message));
    // The client went away: stop the upstream request too.
    req.on("error", () => upstream.destroy());
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  // Uploads of 30 MB on a loaded machine: no timeouts of the balancer's own, the instances have theirs.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => [...counts],
    errors: () => errors,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
