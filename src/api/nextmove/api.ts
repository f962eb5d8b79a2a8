import { Router, type RequestHandler } from "express";
import type { Clock } from "../../clock.js";
import type { ServiceRegistryClient } from "../../routing/service-registry/client.js";
import type { BlobStore } from "../../store/blob-store.js";
import type { NextMoveStatusRepo } from "../../store/nextmove-status-repo.js";
import type { SubscriptionsRepo } from "../../store/subscriptions-repo.js";
import { requireNextMoveCaller, type NextMoveAuthOptions } from "./auth.js";
import { capabilitiesRouter } from "./capabilities.js";
import { conversationsRouter } from "./conversations.js";
import { messagesOutRouter } from "./messages-out.js";
import type { MultipartMessageLimits } from "./multipart-message.js";
import type { NextMoveOutQueue } from "./out-queue.js";
import { statusesRouter } from "./statuses.js";
import { subscriptionsRouter } from "./subscriptions.js";

/**
 * The NextMove API as one router, mounted at /api: every request authenticated first (HTTP Basic or a
 * Maskinporten token), then the integrasjonspunkt's controllers. Answers hold messages and statuses: no cache
 * keeps them, no browser sniffs them.
 */

export interface NextMoveApiDeps {
  auth: NextMoveAuthOptions;
  queue: NextMoveOutQueue;
  blobs: BlobStore;
  multipart: MultipartMessageLimits;
  statuses: NextMoveStatusRepo;
  subscriptions: SubscriptionsRepo;
  /** Pings a webhook's push endpoint when a subscription is made or moved. */
  ping: (url: string, requestId?: string) => Promise<void>;
  /** The Service Registry as an organisation asks it; capabilities are asked as the caller's first organisation. */
  registryFor(orgno: string): Pick<ServiceRegistryClient, "identifier" | "identifierProcess">;
  /** The organisations this deployment serves over NextMove, in configured order. */
  orgs: readonly string[];
  clock: Clock;
  /** Further routers under /api (the incoming side). */
  more?: readonly Router[] | undefined;
}

const privateAnswers: RequestHandler = (_req, res, next) => {
  res.set({ "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
  next();
};

export function nextMoveApi(d: NextMoveApiDeps): Router {
  const r = Router();
  r.use(privateAnswers, requireNextMoveCaller(d.auth));
  r.use(messagesOutRouter({ queue: d.queue, blobs: d.blobs, multipart: d.multipart }));
  for (const more of d.more ?? []) r.use(more);
  r.use(statusesRouter({ repo: d.statuses }));
  r.use(conversationsRouter({ repo: d.statuses }));
  r.use(subscriptionsRouter({ repo: d.subscriptions, ping: d.ping, clock: d.clock }));
  r.use(capabilitiesRouter({ registryFor: d.registryFor, orgs: d.orgs }));
  return r;
}
