/**
 * The level of a request's "http" line. A letter's journey makes many requests whose success is either a poll
 * or said better by a line of its own carrying the message's ids ("message accepted", "AS4 message accepted,
 * receipt returned", "nextmove message created", "incoming message delivered to the archive system"): those
 * go to debug when they succeed, so an operator reads one line per state change of a letter at info. A refusal
 * or failure (400 and above) is always at info, as is every other request (console, admin, health, metrics,
 * unknown paths) and the DPI read confirmation, which no other line records.
 */
export type RequestLineLevel = "info" | "debug";

export interface RequestLine {
  method: string;
  /** The path as the client sent it, without the query (Express's req.path before any router strips a prefix). */
  path: string;
  status: number;
}

/** Successful writes whose own line says what happened, by method: [path pattern]. */
const SAID_ELSEWHERE: Readonly<Record<string, readonly RegExp[]>> = {
  // DPI intake ("message accepted"); NextMove creation, file upload and sending ("nextmove message created",
  // "... queued for sending"; an upload is a step of the creation).
  POST: [/^\/messages\/out$/, /^\/api\/messages\/out(\/multipart)?$/, /^\/api\/messages\/out\/[^/]+$/],
  PUT: [/^\/api\/messages\/out\/[^/]+$/],
  // NextMove: the archive system took the message ("incoming message delivered to the archive system"), or
  // acknowledged a status it polled (a poll's second half).
  DELETE: [/^\/api\/messages\/in\/[^/]+$/, /^\/api\/statuses\/[^/]+$/],
};

/** The message APIs whose reads are polls, downloads and status look-ups. */
const MESSAGE_API = /^\/(messages|status|api)(\/|$)/;

export function requestLineLevel(line: RequestLine, as4Path: string): RequestLineLevel {
  if (line.status >= 400) return "info";
  // The AS4 receiver logs each message it accepts or refuses (and AS4 answers refusals with 200 as well).
  if (line.path === as4Path) return "debug";
  if (line.method === "GET" || line.method === "HEAD") return MESSAGE_API.test(line.path) ? "debug" : "info";
  return SAID_ELSEWHERE[line.method]?.some((p) => p.test(line.path)) ? "debug" : "info";
}
