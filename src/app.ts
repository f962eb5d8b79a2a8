import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import express, { type Express, type RequestHandler, type Router } from "express";
import { systemClock, type Clock } from "./clock.js";
import type { Config, HttpTimeouts } from "./config.js";
import type { Logger } from "./log.js";
import { markPrivate } from "./api/answer.js";
import { as4Handler, as4Route } from "./api/as4-endpoint.js";
import { requireCaller, verifyCaller, type CallerVerifier } from "./api/auth.js";
import { frontDispatcher } from "./api/front-dispatch.js";
import type { As4ReceiverDeps } from "./channels/dpi/as4-receiver.js";
import { As4InboundSource } from "./channels/dpi/as4-source.js";
import type { Metrics } from "./metrics.js";
import { healthRouter } from "./api/health.js";
import { metricsRouter } from "./api/metrics-endpoint.js";
import { messagesInHandlers, messagesInRouter } from "./api/messages-in.js";
import { messagesOutHandler, messagesOutRouter } from "./api/messages-out.js";
import { openApiRouter } from "./api/openapi.js";
import { notFound, problemHandler } from "./api/problem-middleware.js";
import { requestLog } from "./api/request-log.js";
import { statusesHandler, statusRouter } from "./api/status.js";
import { enteredOnlyForItsPaths, pathIsUnder } from "./api/path-guard.js";
import type { VerifiedForretningsmelding } from "./dpi/signed-forretningsmelding.js";
import { ParticipantSet } from "./peppol/identifiers.js";
import { FolderBlobStore, type BlobStore } from "./store/blob-store.js";
import { SqliteBlobStore } from "./store/sqlite-blob-store.js";
import { DpiInbox } from "./channels/dpi/inbox.js";
import { DpiMessagesRepo } from "./store/dpi-messages-repo.js";
import { openDatabase, type Db } from "./store/prisma.js";
import { sqlOf } from "./store/sql.js";
import { loadModule } from "./lazy-module.js";

/** Composition root: everything the access point is made of, built from config. No globals elsewhere. */

export interface AppParts {
  config: Config;
  db: Db;
  repo: DpiMessagesRepo;
  blobs: BlobStore;
  callers: CallerVerifier;
  /** Verifies a forretningsmelding JWS against the business-certificate anchors. */
  verifyForretningsmelding: (jws: string, log?: Logger) => Promise<VerifiedForretningsmelding>;
  clock: Clock;
  log: Logger;
  /**
   * The AS4 receiving side: DPI's push inbound source (mounted at its path, open while it runs), or the bare
   * receiver (at config.as4.path, always open); absent, the access point only takes REST submissions.
   */
  as4?: As4InboundSource | As4ReceiverDeps;
  /** DPI's view of the core inbox, which GET /messages/in and the read confirmation use; default: over `repo`. */
  inbox?: DpiInbox;
  /** Called after a submission was stored, so the outbox can send it at once. */
  onAccepted?: () => void;
  metrics?: Metrics;
  /** The NextMove API (src/server-nextmove.ts), mounted at /api when it is switched on. */
  nextMove?: Router;
  /** Who is served here (the store's directory, src/participants); default: the configured seed list. */
  servedParticipants?: Pick<ParticipantSet, "has">;
  /** The admin API (src/api/admin-participants.ts), mounted at /admin when an admin credential is configured. */
  admin?: Router;
  /** The operator console (src/console), mounted at /console when console users are configured. */
  console?: Router;
  /**
   * false: every request goes through express, the busiest routes too (front-dispatch.ts); for the tests and
   * measurements that compare the two. Default true.
   */
  frontDispatcher?: boolean;
}

const privateAnswers: RequestHandler = (_req, res, next) => {
  markPrivate(res);
  next();
};

export function createApp(p: AppParts): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  // No ETag on answers: express hashed every body for one, yet nothing here is revalidated (authenticated
  // answers carry Cache-Control: no-store, AS4 signals answer a POST) and no client of ours sends If-None-Match.
  app.set("etag", false);
  // First, so every later line and problem document carries the request id.
  app.use(requestLog(p.log, { as4Path: p.config.as4.path }));
  // Without a configured public URL, links point back at the host the client used to reach us (express's
  // req.protocol and req.get("host") with trust proxy off: the socket's TLS, the Host header).
  const publicUrl = (path: string, req: IncomingMessage) =>
    `${p.config.publicUrl ?? `${(req.socket as Partial<TLSSocket>).encrypted ? "https" : "http"}://${req.headers.host}`}${path}`;

  // AS4 is authenticated by its own message-level signatures, not by Maskinporten tokens. Its route comes
  // first: it is one of the busiest, and the routers ahead of it were walked by every message.
  let as4: { path: string; handle: ReturnType<typeof as4Handler> } | undefined;
  if (p.as4 instanceof As4InboundSource) {
    const source = p.as4;
    as4 = { path: source.path, handle: as4Handler(source.receiver, () => source.accepting) };
  } else if (p.as4) as4 = { path: p.config.as4.path, handle: as4Handler(p.as4) };
  if (as4) app.use(enteredOnlyForItsPaths(as4Route(as4.path, as4.handle)));

  const metrics = p.metrics;
  const onProblem = (code: string) => metrics?.rejected.inc({ code });
  const scope = p.config.maskinporten.scope.join(" ");
  const auth = requireCaller(p.callers, scope);
  const intake = {
    verifyForretningsmelding: p.verifyForretningsmelding,
    servedParticipants: p.servedParticipants ?? new ParticipantSet(p.config.servedParticipants),
    repo: p.repo,
    blobs: p.blobs,
    clock: p.clock,
    log: p.log,
    onAccepted: (documentType: string) => {
      metrics?.accepted.inc({ document_type: documentType });
      p.onAccepted?.();
    },
  };
  // One handler of each route, which express's routes and the front dispatcher both call (the cap on
  // concurrent uploads counts the uploads of both).
  const outDeps = { intake, blobs: p.blobs, limits: p.config.limits, publicUrl };
  const submit = messagesOutHandler(outDeps);
  const inDeps = { inbox: p.inbox ?? new DpiInbox({ conversations: p.repo.conversations, repo: p.repo, clock: p.clock }), blobs: p.blobs, publicUrl };
  const inbox = messagesInHandlers(inDeps);
  const statuses = statusesHandler({ repo: p.repo });
  // The headers come before the token check, so a 401 carries them too. The paths are tested here rather than
  // the two mounted at /messages and /status, around which express cut req.url and parsed it again.
  app.use((req, res, next) => {
    const path = req.path;
    if (!pathIsUnder(path, "/messages") && !pathIsUnder(path, "/status")) return next();
    markPrivate(res);
    return auth(req, res, next);
  });
  app.use(enteredOnlyForItsPaths(messagesOutRouter(outDeps, submit)));
  app.use(enteredOnlyForItsPaths(messagesInRouter(inDeps, inbox)));
  app.use(enteredOnlyForItsPaths(statusRouter({ repo: p.repo }, statuses)));
  // Probes, the API document and metrics are rare next to the message traffic above.
  app.use(
    enteredOnlyForItsPaths(
      healthRouter(
        [
          { name: "database", check: async () => void (await sqlOf(p.db).query("SELECT 1")) },
          { name: "payload-store", check: () => p.blobs.checkWritable() },
        ],
        p.log,
      ),
    ),
  );
  app.use(enteredOnlyForItsPaths(openApiRouter()));
  // With DPI_AP_METRICS_PORT, /metrics is served by createMetricsApp on its own port instead.
  if (metrics && p.config.metricsServer.port === undefined) app.use(enteredOnlyForItsPaths(metricsRouter(metrics, p.config.metricsServer.token)));
  if (p.nextMove) app.use("/api", p.nextMove);
  if (p.admin) app.use("/admin", privateAnswers, p.admin);
  // The console answers with HTML pages of its own, errors included, and sets its own headers.
  if (p.console) app.use("/console", p.console);
  app.use(notFound);
  app.use(problemHandler(p.log, onProblem));
  if (p.frontDispatcher === false) return app;

  // The busiest routes are served in front of express, by the same handlers (src/api/front-dispatch.ts). The
  // app's own entry point is wrapped, so the app serves them so wherever it is used (listen, supertest); an app
  // mounted in another one (called with a callback) goes on through express as before.
  const viaExpress = (app as unknown as { handle: ExpressHandle }).handle.bind(app);
  const front = frontDispatcher(
    {
      log: p.log,
      logAs4Path: p.config.as4.path,
      newId: randomUUID,
      onProblem,
      as4,
      authenticate: (req, res) => verifyCaller(p.callers, scope, req, res),
      submissionLocation: (req) => publicUrl("/messages/out/00000000-0000-0000-0000-000000000000/statuses", req),
      submit,
      inbox,
      statuses,
    },
    (req, res) => viaExpress(req, res),
  );
  (app as unknown as { handle: ExpressHandle }).handle = (req, res, callback) => (callback ? viaExpress(req, res, callback) : front(req, res));
  return app;
}

/** express's app.handle (not in its type declarations): what calling the app does. */
type ExpressHandle = (req: IncomingMessage, res: ServerResponse, callback?: (err?: unknown) => void) => void;

export interface Stores {
  db: Db;
  repo: DpiMessagesRepo;
  blobs: BlobStore;
  applied: string[];
  /** Only this process uses the database (SQLite); a PostgreSQL store may be shared by several. */
  singleProcess: boolean;
}

export async function openStores(config: Config, o: { onCommitSyncFailure?: (err: Error) => void } = {}): Promise<Stores> {
  const { db, applied, singleProcess } = await openDatabase(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    namedStatements: config.databaseNamedStatements,
    sqliteSynchronous: config.sqliteSynchronous,
    ...(o.onCommitSyncFailure ? { onCommitSyncFailure: o.onCommitSyncFailure } : {}),
  });
  const blobs = await openBlobStore(config, db, singleProcess).catch(async (err: unknown) => {
    await db.$disconnect();
    throw err;
  });
  return { db, repo: new DpiMessagesRepo(db), blobs, applied, singleProcess };
}

/**
 * The payload store config.blobStore names: the folder under dataDir, or the tables of the (migrated) store:
 * PostgreSQL's through a pool of its own, SQLite's on the store's one connection (its direct SQL).
 */
async function openBlobStore(config: Config, db: Db, singleProcess: boolean): Promise<BlobStore> {
  if (config.blobStore === "database") {
    const sql = sqlOf(db);
    if (sql.provider === "sqlite") return new SqliteBlobStore(sql);
    // node-postgres is loaded only for a PostgreSQL store: a SQLite access point never holds it.
    const { PgBlobStore } = await loadModule(() => import("./store/pg-blob-store.js"), new URL("./store/pg-blob-store.js", import.meta.url));
    return PgBlobStore.connect(config.databaseUrl, { maxConnections: config.databasePoolSize, namedStatements: config.databaseNamedStatements });
  }
  const blobs = new FolderBlobStore(config.dataDir);
  await blobs.init({ shared: !singleProcess });
  return blobs;
}

/** The separate HTTP server's app when /metrics has its own port (DPI_AP_METRICS_PORT): nothing else on it. */
export function createMetricsApp(metrics: Metrics, token: string | undefined, log: Logger): Express {
  const app = express();
  app.disable("x-powered-by");
  // As on the main port: the answer is no-store, an ETag would only cost a hash of it.
  app.set("etag", false);
  app.use(requestLog(log));
  app.use(metricsRouter(metrics, token));
  app.use(notFound);
  app.use(problemHandler(log));
  return app;
}

/**
 * Starts the HTTP server with timeouts that free a connection a client stopped feeding: headers must be
 * complete within headersTimeoutMs and the whole request within requestTimeoutMs (Node answers 408 and
 * closes), a connection with no traffic for idleTimeoutMs — a body that stalled halfway — is closed, and an
 * idle keep-alive connection waits keepAliveTimeoutMs for its next request.
 */
export function listen(app: Express, host: string, port: number, t: HttpTimeouts): Promise<Server> {
  const server = createServer(
    {
      headersTimeout: t.headersTimeoutMs,
      requestTimeout: t.requestTimeoutMs,
      // Node checks the two above on this interval (30 s by default), so a short timeout needs a short interval.
      connectionsCheckingInterval: Math.max(50, Math.min(5_000, Math.floor(t.headersTimeoutMs / 4))),
    },
    app,
  );
  server.keepAliveTimeout = t.keepAliveTimeoutMs;
  // Without a 'timeout' listener, Node destroys a socket that has been idle this long.
  server.setTimeout(t.idleTimeoutMs);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

export { systemClock };
