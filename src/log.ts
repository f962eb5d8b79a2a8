import pino, { type Logger } from "pino";

export type { Logger };

/** JSON lines on stdout; every line about a message carries messageId / conversationId fields. */
export function createLogger(level: string, name = "dpi-ap"): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

export const silentLogger: Logger = pino({ level: "silent" });
