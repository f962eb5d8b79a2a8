import { messagesOutForm } from "../client/messages-out-client.js";
import type { PreparedLetter } from "./letters.js";

/** Corner 1 posting prepared letters to corner 2, `concurrency` requests at a time, timing each. */

export interface PostOutcome {
  messageId: string;
  conversationId: string;
  /** now() when the request started and when its answer was complete. */
  startedAt: number;
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

export async function postAll(letters: readonly PreparedLetter[], o: PostAllOptions): Promise<PostOutcome[]> {
  const now = o.now ?? (() => performance.now());
  const outcomes: PostOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < letters.length && now() < o.deadline && !o.cancelled?.()) {
      const letter = letters[next++]!;
      const form = messagesOutForm(letter.jws, letter.cms);
      const startedAt = now();
      let outcome: PostOutcome;
      try {
        const res = await fetch(`${o.baseUrl}/messages/out`, {
          method: "POST",
          headers: { authorization: `Bearer ${o.token}` },
          body: form,
          signal: AbortSignal.timeout(o.requestTimeoutMs ?? 120_000),
        });
        const text = await res.text();
        outcome = {
          messageId: letter.messageId,
          conversationId: letter.conversationId,
          startedAt,
          endedAt: now(),
          status: res.status,
          ...(res.status === 201 ? {} : { problem: problemOf(text) }),
        };
      } catch (err) {
        outcome = { messageId: letter.messageId, conversationId: letter.conversationId, startedAt, endedAt: now(), status: 0, problem: String(err) };
      }
      outcomes.push(outcome);
      o.onDone?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, letters.length)) }, worker));
  return outcomes;
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
