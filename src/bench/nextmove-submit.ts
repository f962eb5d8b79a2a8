import type { NextMoveAnswer, NextMoveClient } from "../client/nextmove-client.js";
import type { PostOutcome, Submit } from "./driver.js";
import type { ChannelMessage } from "./nextmove-messages.js";

/**
 * Corner 1 of a channel run hands one message to corner 2 as an archive system does with an integrasjonspunkt:
 * POST /api/messages/out (the SBD), PUT /api/messages/out/{id} per file, POST /api/messages/out/{id} (send).
 * The outcome is timed over all of them; its status is the send's 200, or the first step's refusal.
 */

/** HTTP status of a message whose every step was answered 200. */
export const SUBMITTED = 200;

export function nextMoveSubmit(client: Pick<NextMoveClient, "create" | "upload" | "send">): Submit<ChannelMessage> {
  return async (m, now) => {
    const startedAt = now();
    const outcome = (status: number, problem?: string): PostOutcome => ({
      messageId: m.messageId,
      conversationId: m.conversationId,
      startedAt,
      endedAt: now(),
      status,
      ...(problem !== undefined ? { problem } : {}),
    });
    try {
      const created = await client.create(m.sbd);
      if (created.status !== 200) return outcome(created.status, stepProblem("create", created));
      for (const f of m.files) {
        const up = await client.upload(m.messageId, f);
        if (up.status !== 200) return outcome(up.status, stepProblem(`upload ${f.filename}`, up));
      }
      const sent = await client.send(m.messageId);
      if (sent.status !== 200) return outcome(sent.status, stepProblem("send", sent));
      return outcome(SUBMITTED);
    } catch (err) {
      return outcome(0, String(err));
    }
  };
}

/** "step: detail" of a refusal: the problem's detail (the integrasjonspunkt's message) or the start of the body. Pure. */
export function stepProblem(step: string, a: Pick<NextMoveAnswer, "body">): string {
  const b = a.body as { detail?: unknown; title?: unknown } | string | null;
  if (b && typeof b === "object" && (b.detail !== undefined || b.title !== undefined)) return `${step}: ${String(b.detail ?? b.title)}`;
  return `${step}: ${String(typeof b === "string" ? b : JSON.stringify(b)).slice(0, 300)}`;
}
