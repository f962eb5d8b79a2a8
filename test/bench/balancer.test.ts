import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { forwardableHeaders, RoundRobin, startBalancer, type Balancer } from "../../src/bench/balancer.js";

interface Seen {
  backend: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  sha256: string;
  bytes: number;
}

/** A backend that records each request (body hashed) and answers with its number, echoing a few things back. */
async function backend(index: number, seen: Seen[]): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(async (req, res) => {
    const hash = createHash("sha256");
    let bytes = 0;
    for await (const chunk of req) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    const sha256 = hash.digest("hex");
    seen.push({ backend: index, method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, sha256, bytes });
    if (req.url === "/stream") {
      // A chunked answer of known bytes, written in pieces.
      res.writeHead(200, { "content-type": "application/octet-stream", "x-sha256": sha256 });
      const body = Buffer.alloc(300_000, index);
      for (let i = 0; i < body.length; i += 64_000) res.write(body.subarray(i, i + 64_000));
      res.end();
      return;
    }
    res.setHeader("set-cookie", ["a=1", "b=2"]);
    res.writeHead(req.url === "/missing" ? 404 : 201, { "content-type": "application/json", location: `/messages/out/${index}`, "x-backend": String(index) });
    res.end(JSON.stringify({ backend: index, bytes, sha256 }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("bench: the round-robin balancer", () => {
  it("picks items in turn, wrapping around", () => {
    const rr = new RoundRobin(["a", "b", "c"]);
    expect(Array.from({ length: 7 }, () => rr.pick())).to.deep.equal([
      { item: "a", index: 0 },
      { item: "b", index: 1 },
      { item: "c", index: 2 },
      { item: "a", index: 0 },
      { item: "b", index: 1 },
      { item: "c", index: 2 },
      { item: "a", index: 0 },
    ]);
    expect(() => new RoundRobin([])).to.throw("a round robin needs at least one item");
  });

  it("drops hop-by-hop headers and those the Connection header names, keeping repeated ones", () => {
    expect(
      forwardableHeaders(["Host", "x:1", "Connection", "keep-alive, X-Hop", "X-Hop", "1", "Keep-Alive", "timeout=5", "Transfer-Encoding", "chunked", "Set-Cookie", "a=1", "Set-Cookie", "b=2", "Authorization", "Bearer t"]),
    ).to.deep.equal(["Host", "x:1", "Set-Cookie", "a=1", "Set-Cookie", "b=2", "Authorization", "Bearer t"]);
  });

  describe("over real HTTP", () => {
    const seen: Seen[] = [];
    const backends: http.Server[] = [];
    let balancer: Balancer;

    before(async () => {
      const started = await Promise.all([backend(0, seen), backend(1, seen)]);
      backends.push(...started.map((b) => b.server));
      balancer = await startBalancer({ backends: started.map((b) => b.url) });
    });
    after(async () => {
      await balancer?.close();
      await Promise.all(backends.map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
    });
    beforeEach(() => void (seen.length = 0));

    it("sends requests to the instances in turn and counts them", async () => {
      const before = balancer.counts();
      const answers: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${balancer.url}/health/ready?i=${i}`);
        answers.push(((await res.json()) as { backend: number }).backend);
      }
      expect(answers).to.deep.equal([0, 1, 0, 1, 0, 1]);
      expect(seen.map((s) => s.url)).to.deep.equal([0, 1, 2, 3, 4, 5].map((i) => `/health/ready?i=${i}`));
      expect(balancer.counts().map((n, i) => n - before[i]!)).to.deep.equal([3, 3]);
    });

    it("passes a large body byte for byte, with method, path, Host and the other headers, and the answer back", async () => {
      const body = randomBytes(3_000_000);
      const host = new URL(balancer.url).host;
      const res = await fetch(`${balancer.url}/messages/out`, {
        method: "POST",
        headers: { authorization: "Bearer abc", "content-type": "multipart/form-data; boundary=x", "x-request-id": "r-1" },
        body,
      });
      expect(res.status).to.equal(201);
      expect(res.headers.get("location")).to.equal(`/messages/out/${seen[0]!.backend}`);
      expect(res.headers.getSetCookie()).to.deep.equal(["a=1", "b=2"]);
      const answer = (await res.json()) as { bytes: number; sha256: string };
      const sha = createHash("sha256").update(body).digest("hex");
      expect(answer).to.deep.include({ bytes: 3_000_000, sha256: sha });
      expect(seen).to.have.length(1);
      expect(seen[0]).to.deep.include({ method: "POST", url: "/messages/out", bytes: 3_000_000, sha256: sha });
      expect(seen[0]!.headers).to.include({
        host,
        authorization: "Bearer abc",
        "content-type": "multipart/form-data; boundary=x",
        "x-request-id": "r-1",
        "content-length": "3000000",
      });
    });

    it("passes a chunked upload and a chunked answer through as streams", async () => {
      const parts = [randomBytes(100_000), randomBytes(250_000), randomBytes(7)];
      const res = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const req = http.request(`${balancer.url}/stream`, { method: "PUT" }, async (r) => {
          const chunks: Buffer[] = [];
          for await (const c of r) chunks.push(c as Buffer);
          resolve({ status: r.statusCode!, headers: r.headers, body: Buffer.concat(chunks) });
        });
        req.on("error", reject);
        for (const p of parts) req.write(p);
        req.end();
      });
      const whole = Buffer.concat(parts);
      expect(seen[0]).to.deep.include({ method: "PUT", bytes: whole.length, sha256: createHash("sha256").update(whole).digest("hex") });
      expect(seen[0]!.headers["transfer-encoding"]).to.equal("chunked");
      expect(res.status).to.equal(200);
      expect(res.headers["x-sha256"]).to.equal(seen[0]!.sha256);
      expect(res.body.equals(Buffer.alloc(300_000, seen[0]!.backend))).to.equal(true);
    });

    it("passes error statuses through unchanged", async () => {
      const res = await fetch(`${balancer.url}/missing`);
      expect(res.status).to.equal(404);
      expect(res.headers.get("x-backend")).to.equal(String(seen[0]!.backend));
    });
  });

  it("answers 502 when an instance cannot be reached, and counts it", async () => {
    const seen: Seen[] = [];
    const up = await backend(0, seen);
    // A port nothing listens on: take one and close it again.
    const gone = await backend(1, seen);
    await new Promise((r) => gone.server.close(r));
    const balancer = await startBalancer({ backends: [up.url, gone.url] });
    try {
      const first = await fetch(`${balancer.url}/a`);
      expect(first.status).to.equal(201);
      const second = await fetch(`${balancer.url}/b`);
      expect(second.status).to.equal(502);
      expect(await second.text()).to.match(/^balancer: backend 127\.0\.0\.1:\d+ failed: connect ECONNREFUSED/);
      expect(balancer.errors()).to.equal(1);
      expect(balancer.counts()).to.deep.equal([1, 1]);
      expect(seen.map((s) => s.url)).to.deep.equal(["/a"]);
    } finally {
      await balancer.close();
      await new Promise((r) => (up.server.closeAllConnections(), up.server.close(r)));
    }
  });
});
