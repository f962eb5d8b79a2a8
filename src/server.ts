import type { AddressInfo } from "node:net";
import { createApp, listen, openStores } from "./app.js";
import { systemClock, type Clock } from "./clock.js";
import type { Config } from "./config.js";
import type { Logger } from "./log.js";
import { createTokenVerifier } from "./maskinporten/token-verifier.js";
import { loadAnchors } from "./pki/pem.js";
import type { BlobStore } from "./store/blob-store.js";
import type { MessagesRepo } from "./store/messages-repo.js";

/** A running access point: the HTTP server with its stores, and how to stop it cleanly. */
export interface RunningAccessPoint {
  url: string;
  port: number;
  /** The stores behind the API, for in-process workers and tests. */
  repo: MessagesRepo;
  blobs: BlobStore;
  close(): Promise<void>;
}

export async function startAccessPoint(config: Config, opts: { log: Logger; clock?: Clock }): Promise<RunningAccessPoint> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log;
  const { issuer, jwksUrl } = config.maskinporten;
  if (!issuer || !jwksUrl) throw new Error("Maskinporten issuer and JWKS URL must be configured");
  const stores = await openStores(config);
  if (stores.applied.length) log.info({ migrations: stores.applied }, "database migrated");
  const tokens = createTokenVerifier({
    issuer,
    jwksUrl,
    requiredScope: config.maskinporten.scope,
    ...(config.maskinporten.audience ? { audience: config.maskinporten.audience } : {}),
    clockSkewSeconds: config.maskinporten.clockSkewSeconds,
    clock,
  });
  const app = createApp({
    config,
    ...stores,
    callers: { verify: async (bearer) => {
      const t = await tokens.verify(bearer);
      return { token: t.raw, consumer: t.consumer, supplier: t.supplier };
    } },
    businessAnchors: await loadAnchors(config.businessTrustAnchors),
    clock,
    log,
  });
  const server = await listen(app, config.host, config.port);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  return {
    url,
    port,
    repo: stores.repo,
    blobs: stores.blobs,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await stores.db.$disconnect();
    },
  };
}
