import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

/**
 * A logger whose lines carry the request id `requestId` (none when undefined). Code that logs while serving a
 * request is handed such a logger (src/api/request-log.ts makes it per request): an AsyncLocalStorage that
 * tagged lines by itself installed promise hooks costing every promise in the process (issue #17).
 */
export function withRequestId(log: Logger, requestId: string | undefined): Logger {
  return requestId === undefined ? log : log.child({ requestId });
}

/**
 * JSON lines on stdout (or `destination`); every line about a message carries messageId / conversationId
 * fields, and every line logged while serving an HTTP request carries its `requestId` (withRequestId).
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
  };
  // Batched, a stalled reader of stdout would let pending lines grow without end: past 16 MiB they are dropped.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: o.sync ?? true, ...(o.sync === false ? { maxLength: MAX_PENDING_LOG_BYTES } : {}) }));
}

export const silentLogger: Logger = pino({ level: "silent" });
