import type { Response } from "express";

/**
 * Who called the NextMove API and for which organisations it may act. The integrasjonspunkt serves one
 * organisation (its own) to whoever passes HTTP Basic; we host several, so each configured user or Maskinporten
 * consumer is given the organisations it may send for and read for (README, "NextMove API").
 */
export interface NextMoveCaller {
  /** The Basic user name, or the token's consumer ("0192:<orgno>"): for logs. */
  name: string;
  /** Organisation numbers (nine digits) it may act for; "*" for every organisation this deployment serves. */
  orgs: readonly string[] | "*";
}

/** Whether `caller` may act for the organisation `orgno` (nine digits, without the ICD prefix). */
export function mayActFor(caller: NextMoveCaller, orgno: string): boolean {
  return caller.orgs === "*" || caller.orgs.includes(orgno);
}

/** Whether `caller` may see a conversation: an outgoing one its organisation sends, an incoming one it receives. */
export function maySee(caller: NextMoveCaller, c: { direction: "OUT" | "IN" | string; senderIdentifier: string; receiverIdentifier: string }): boolean {
  return mayActFor(caller, orgnoOf(c.direction === "OUT" ? c.senderIdentifier : c.receiverIdentifier));
}

/** "0192:910077473", "0192:910077473:987654321" (on behalf of) or "910077473" → "910077473"; a person id is returned as is. */
export function orgnoOf(identifier: string): string {
  const parts = identifier.split(":");
  return parts.length >= 2 ? parts[1]! : identifier;
}

export function nextMoveCallerOf(res: Response): NextMoveCaller {
  const c = res.locals.nextMoveCaller as NextMoveCaller | undefined;
  if (!c) throw new Error("the NextMove authentication middleware must run before this handler");
  return c;
}
