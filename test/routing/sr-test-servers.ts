/**
 * Small HTTP servers on 127.0.0.1 that stand between the Service Registry client and the simulator, or in its
 * place, to give answers the honest simulator never gives: tampered, unsigned, replayed, signed by a rotated
 * key, or none at all.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createPayloadSigner } from "../../src/sim/service-registry/signing.js";
import type { PayloadSigner } from "../../src/sim/service-registry/signing.js";
import { businessSigner } from "../helpers/certs.js";

export interface TestServer {
  /** Base URL with the simulator's context path. */
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export interface Upstream {
  status: number;
  contentType: string;
  body: string;
}

/** What the proxy answers: the simulator's answer, changed (or replaced) by `transform`. */
export type ProxyTransform = (req: { path: string; accept: string }, upstream: (headers?: { accept?: string }) => Promise<Upstream>) => Promise<Upstream>;

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void, contextPath: string, requests: string[]): Promise<TestServer> {
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? "");
    Promise.resolve(handler(req, res)).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${contextPath}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Forwards every request to `target` (the simulator's URL) with its Accept and Authorization headers. */
export async function startProxy(target: string, transform: () => ProxyTransform): Promise<TestServer> {
  const origin = new URL(target).origin;
  return listen(
    async (req, res) => {
      const path = req.url ?? "/";
      const accept = req.headers.accept ?? "";
      const upstream = async (headers: { accept?: string } = {}) => {
        const forwarded: Record<string, string> = { accept: headers.accept ?? accept };
        if (req.headers.authorization) forwarded.authorization = req.headers.authorization;
        const response = await fetch(`${origin}${path}`, { headers: forwarded });
        return { status: response.status, contentType: response.headers.get("content-type") ?? "", body: await response.text() };
      };
      const answer = await transform()({ path, accept }, upstream);
      res.writeHead(answer.status, { "content-type": answer.contentType, "content-length": Buffer.byteLength(answer.body) });
      res.end(answer.body);
    },
    new URL(target).pathname,
    [],
  );
}

/**
 * A registry whose signing key can be rotated: `/jwk` publishes the current key set and `/identifier/{id}` and
 * `/info/{id}` answer `{infoRecord, serviceRecords: []}` signed with the current key.
 */
export interface RotatingRegistry extends TestServer {
  /** Sign with `orgno`'s certs-example key from now on, publishing `published` (default just that key). */
  rotate(orgno: string, published?: readonly string[]): Promise<void>;
  jwkRequests(): number;
}

export async function startRotatingRegistry(orgno: string): Promise<RotatingRegistry> {
  const signerFor = (o: string) => createPayloadSigner(businessSigner(o));
  let signer: PayloadSigner = await signerFor(orgno);
  let published: PayloadSigner[] = [signer];
  let jwk = 0;
  const requests: string[] = [];
  const server = await listen(
    async (req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (path === "/adressetjeneste/jwk") {
        jwk++;
        const body = JSON.stringify({ keys: published.flatMap((s) => s.jwks().keys) });
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(body);
      }
      const id = /^\/adressetjeneste\/(?:identifier|info)\/([^/]+)$/.exec(path)?.[1];
      if (!id) {
        res.writeHead(404, { "content-type": "application/json" });
        return void res.end("{}");
      }
      const body = await signer.sign(JSON.stringify({ infoRecord: { identifier: id, organizationName: `Org ${id}` }, serviceRecords: [] }));
      res.writeHead(200, { "content-type": "application/jose" });
      res.end(body);
    },
    "/adressetjeneste",
    requests,
  );
  return {
    ...server,
    async rotate(next, keys = [next]) {
      signer = await signerFor(next);
      published = await Promise.all(keys.map((k) => (k === next ? Promise.resolve(signer) : signerFor(k))));
    },
    jwkRequests: () => jwk,
  };
}

/** Takes connections and never answers. */
export async function startSilentServer(): Promise<TestServer> {
  return listen(() => undefined, "/adressetjeneste", []);
}
