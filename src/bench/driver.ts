import { request } from "undici";
import { messagesOutBody } from "../client/messages-out-client.js";
import type { PreparedLetter } from "./letters.js";
import { runOnSchedule } from "./schedule.js";

/**
 * Corner 1 posting prepared letters to corner 2, timing each: closed loop (`concurrency` requests at a time,
 * the next when one is answered) or open loop (on a fixed schedule, whatever the answers).
 */

export interface PostOutcome {
  messageId: string;
  conversationId: string;
  /** now() when the request started and when its answer was complete. */
  startedAt: number;
  /** Open loop: now() when the request was due to start; its latency counts from here. */
  scheduledAt?: number;
  endedAt: number;
  /** HTTP status; 0 when no answer came. */
  status: number;
  /** The problem code or error text when the letter was not accepted. */
  problem?: string;
}

export interface PostAllOptions {
  baseUrl: string;
  token: string;
  concurrency: number;
  /** No new request starts after this now() value. */
  deadline: number;
  now?: () => number;
  onDone?: (outcome: PostOutcome) => void;
  /** Stops starting new requests when it returns true (Ctrl-C). */
  cancelled?: () => boolean;
  /** A request that takes longer is abandoned and counted as failed (default 120 s). */
  requestTimeoutMs?: number;
}

/** One POST /messages/out, timed; never rejects (a failure is an outcome with status 0). */
async function postOne(letter: PreparedLetter, o: Pick<PostAllOptions, "baseUrl" | "token" | "requestTimeoutMs">, now: () => number): Promise<PostOutcome> {
  const body = messagesOutBody(letter.jws, letter.cms);
  const startedAt = now();
  try {
    // undici's request, not fetch: fetch's FormData and web streams would put the bench's own CPU into the
    // figures of the two cores it shares with the access points.
    const res = await request(`${o.baseUrl}/messages/out`, {
      method: "POST",
      headers: { authorization: `Bearer ${o.token}`, "content-type": body.contentType },
      body: body.bytes,
      signal: AbortSignal.timeout(o.requestTimeoutMs ?? 120_000),
    });
    const text = await res.body.text();
    return {
      messageId: letter.messageId,
      conversationId: letter.conversationId,
      startedAt,
      endedAt: now(),
      status: res.statusCode,
      ...(res.statusCode === 201 ? {} : { problem: problemOf(text) }),
    };
  } catch (err) {
    return { messageId: letter.messageId, conversationId: letter.conversationId, startedAt, endedAt: now(), status: 0, problem: String(err) };
  }
}

export async function postAll(letters: readonly PreparedLetter[], o: PostAllOptions): Promise<PostOutcome[]> {
  return submitAll(letters, (letter, now) => postOne(letter, o, now), o);
}

/** Submits one item (one letter, one NextMove message) and times it; never rejects. */
export type Submit<T> = (item: T, now: () => number) => Promise<PostOutcome>;

/** Closed loop over any kind of item: `concurrency` submissions at a time, the next when one is answered. */
export async function submitAll<T>(items: readonly T[], submit: Submit<T>, o: Omit<PostAllOptions, "baseUrl" | "token" | "requestTimeoutMs">): Promise<PostOutcome[]> {
  const now = o.now ?? (() => performance.now());
  const outcomes: PostOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && now() < o.deadline && !o.cancelled?.()) {
      const outcome = await submit(items[next++]!, now);
      outcomes.push(outcome);
      o.onDone?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, items.length)) }, worker));
  return outcomes;
}

export interface PostAtRateOptions extends Omit<PostAllOptions, "concurrency"> {
  ratePerSecond: number;
  /** now() value at which the first letter is due (default: now). */
  start?: number;
  /** Called as each request starts, with how many are then in flight. */
  onStart?: (inFlight: number) => void;
}

/** Open loop: letter i starts at start + i / rate seconds, however many are still unanswered. */
export async function postAtRate(letters: readonly PreparedLetter[], o: PostAtRateOptions): Promise<PostOutcome[]> {
  return submitAtRate(letters, (letter, now) => postOne(letter, o, now), o);
}

/** Open loop over any kind of item: item i starts at start + i / rate seconds. */
export async function submitAtRate<T>(items: readonly T[], submit: Submit<T>, o: Omit<PostAtRateOptions, "baseUrl" | "token" | "requestTimeoutMs">): Promise<PostOutcome[]> {
  const now = o.now ?? (() => performance.now());
  let inFlight = 0;
  return runOnSchedule(
    items.length,
    {
      ratePerSecond: o.ratePerSecond,
      start: o.start ?? now(),
      deadline: o.deadline,
      now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      ...(o.cancelled ? { cancelled: o.cancelled } : {}),
    },
    async (i, scheduledAt) => {
      o.onStart?.(++inFlight);
      const outcome = { ...(await submit(items[i]!, now)), scheduledAt };
      inFlight--;
      o.onDone?.(outcome);
      return outcome;
    },
  );
}

/** "code: detail" of a problem+json answer, else the start of the body. */
export function problemOf(body: string): string {
  try {
    const p = JSON.parse(body) as { code?: unknown; detail?: unknown };
    if (p && typeof p === "object" && p.code !== undefined) return `${String(p.code)}: ${String(p.detail ?? "")}`;
  } catch {
    // not JSON
  }
  return body.slice(0, 300);
}
