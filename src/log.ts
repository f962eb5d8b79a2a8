import { AsyncLocalStorage } from "node:async_hooks";
import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

/**
 * The request being served, if any. The request-log middleware (src/api/request-log.ts) enters it for each
 * HTTP request, and it follows the request through every await, so code deep inside (intake, the AS4
 * receiver) needs no logger or request id handed down to have its lines tagged.
 */
const requestContext = new AsyncLocalStorage<{ readonly requestId: string }>();

/** Runs `fn` (and everything it starts) as part of the request `requestId`. */
export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return requestContext.run({ requestId }, fn);
}

/** Runs `fn` outside any request: for work a request only triggers (waking a worker), which is not its own. */
export function runOutsideRequest<T>(fn: () => T): T {
  return requestContext.exit(fn);
}

/** The id of the request whose work is running now, or undefined outside a request. */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

/**
 * JSON lines on stdout (or `destination`); every line about a message carries messageId / conversationId
 * fields, and every line logged while serving an HTTP request carries its `requestId`.
 *
 * On stdout, each line is one write system call when `sync` is set. Otherwise a line logged while an earlier
 * write is still under way joins the next write, so a busy access point writes its lines in batches (each line
 * of a letter's journey cost about 0.1 ms of system time on its own). Whatever is pending is written before the
 * process exits, by pino's exit hook; only a hard kill can lose the lines of the last write in flight.
 */
const MAX_PENDING_LOG_BYTES = 16 * 1024 * 1024;

export function createLogger(level: string, name = "dpi-ap", destination?: DestinationStream, o: { sync?: boolean } = {}): Logger {
  const options = {
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Fields given at the call win over the mixin's, so a line never carries two requestId keys.
    mixin: () => {
      const requestId = currentRequestId();
      return requestId === undefined ? {} : { requestId };
    },
  };
  // Batched, a stalled reader of stdout would let pending lines grow without end: past 16 MiB they are dropped.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: o.sync ?? true, ...(o.sync === false ? { maxLength: MAX_PENDING_LOG_BYTES } : {}) }));
}

export const silentLogger: Logger = pino({ level: "silent" });
