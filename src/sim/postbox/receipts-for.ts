import type { DigitalBody } from "../../dpi/bodies.js";
import { isLetterType } from "../../dpi/document-types.js";
import type { LetterCheck } from "./check-letter.js";
import type { ReceiptDetails } from "./receipt-builder.js";

/**
 * Which receipts a provider sends about a letter, and when (dpi.md §3.3 "Meaning of receipts"):
 * - digital: leveringskvittering at once (the postbox took responsibility); a varslingfeiletkvittering per
 *   notification channel that fails; an aapningskvittering when the letter asked for one and the citizen
 *   opens it, which cannot happen before the letter takes effect (virkningstidspunkt);
 * - utskrift: mottakskvittering at once (the print service queued it), leveringskvittering once printed;
 * - flyttet: leveringskvittering (its process allows nothing else but feil);
 * - a letter that fails a check: one `feil` with feiltype KLIENT (the sender must fix it).
 * A receipt due at once (delay 0) is one the letter may only be confirmed after; later ones follow on their own.
 */

export type Varslingskanal = "epost" | "sms";

/** One notification the letter asks for. */
export interface Notification {
  readonly kanal: Varslingskanal;
  /** e-mail address or mobile number */
  readonly address: string;
}

/** Decides whether a notification fails, i.e. the citizen cannot be reached on that channel. */
export type NotificationRule = (notification: Notification) => boolean;

/**
 * Fails e-mail to any address under the reserved `.invalid` top-level domain (RFC 2606) and SMS to any
 * number whose last eight digits are zeros; everything else reaches the citizen.
 */
export const defaultNotificationRule: NotificationRule = (n) =>
  n.kanal === "epost" ? /\.invalid$/i.test(n.address.trim()) : /0{8}$/.test(n.address.replace(/\D/g, ""));

export interface ReceiptPolicy {
  /** Citizens open letters that asked for an aapningskvittering (default true). */
  readonly opens?: boolean;
  /** How long after delivery the citizen opens the letter (default 1000 ms). */
  readonly openDelayMs?: number;
  readonly notificationFails?: NotificationRule;
  /** How long after delivery a failed notification is reported (default 0). */
  readonly notificationDelayMs?: number;
  /** The print service prints queued letters and then sends a leveringskvittering (default true). */
  readonly printed?: boolean;
  /** How long after the mottakskvittering the letter is printed (default 1000 ms). */
  readonly printDelayMs?: number;
}

export interface PlannedReceipt {
  readonly details: ReceiptDetails;
  /** Milliseconds after the letter was handled; 0 = before the letter is confirmed read. */
  readonly delayMs: number;
}

/** The receipts for a checked (or refused) letter handled at `now`. Pure. */
export function receiptsFor(check: LetterCheck, policy: ReceiptPolicy = {}, now: Date): PlannedReceipt[] {
  if (!check.ok) {
    // Without a readable letter there is nobody to address a receipt to.
    if (!check.message || !isLetterType(check.message.type)) return [];
    return [{ details: { type: "feil", feiltype: "KLIENT", detaljer: `${check.rejection.code}: ${check.rejection.detail}` }, delayMs: 0 }];
  }
  const { letter } = check;
  switch (letter.type) {
    case "utskrift":
      return [
        { details: { type: "mottakskvittering" }, delayMs: 0 },
        ...(policy.printed === false ? [] : [{ details: { type: "leveringskvittering" as const }, delayMs: nonNegative(policy.printDelayMs ?? 1000) }]),
      ];
    case "flyttet":
      return [{ details: { type: "leveringskvittering" }, delayMs: 0 }];
    case "digital": {
      const body = letter.message.document.body as DigitalBody;
      const rule = policy.notificationFails ?? defaultNotificationRule;
      const failed = notificationsOf(body).filter(rule);
      const opensAt = Math.max(now.getTime() + nonNegative(policy.openDelayMs ?? 1000), effectiveFrom(body) ?? 0);
      return [
        { details: { type: "leveringskvittering" }, delayMs: 0 },
        ...failed.map((n) => ({
          details: {
            type: "varslingfeiletkvittering" as const,
            varslingskanal: n.kanal,
            beskrivelse: n.kanal === "epost" ? "Varsel på e-post kunne ikke leveres" : "Varsel på SMS kunne ikke leveres",
          },
          delayMs: nonNegative(policy.notificationDelayMs ?? 0),
        })),
        ...(body.aapningskvittering === true && policy.opens !== false
          ? [{ details: { type: "aapningskvittering" as const }, delayMs: opensAt - now.getTime() }]
          : []),
      ];
    }
  }
}

/** The notifications a digital letter asks for, in a fixed order (e-mail, then SMS). */
export function notificationsOf(body: DigitalBody): Notification[] {
  const out: Notification[] = [];
  if (body.varsler?.epostvarsel) out.push({ kanal: "epost", address: body.varsler.epostvarsel.epostadresse });
  if (body.varsler?.smsvarsel) out.push({ kanal: "sms", address: body.varsler.smsvarsel.mobiltelefonnummer });
  return out;
}

/*
 * The letter is visible from virkningstidspunkt, or else from the start of virkningsdato. The date has no
 * zone; UTC midnight is at or after Norwegian midnight, so the letter is never opened too early.
 */
function effectiveFrom(body: DigitalBody): number | undefined {
  if (body.virkningstidspunkt !== undefined) return new Date(body.virkningstidspunkt).getTime();
  if (body.virkningsdato !== undefined) return new Date(`${body.virkningsdato}T00:00:00Z`).getTime();
  return undefined;
}

function nonNegative(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}
