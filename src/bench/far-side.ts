import { readZip } from "../dpi/zip.js";
import type { Sandbox } from "../sim/sandbox.js";
import { SENDER_ORG, type ChannelPlan } from "./channels.js";

/**
 * The exactly-once check at the far side of a channel run, read from the simulator's own state (it runs in the
 * bench process): how many of the phase's messages it holds, and how many it holds more than once. The Altinn 3
 * broker's file transfers from the sender to the receiver (each zip's sbd.json names its message), Altinn's
 * correspondences (sendersReference = message id), SvarUt's forsendelser (eksternReferanse = message id). The
 * Service Bus keeps no completed messages, so for DPE the receiving archive system's count is the check.
 */

export interface FarSideCount {
  /** What was counted, for the report. */
  what: string;
  /** Messages of the phase held at least once. */
  held: number;
  /** Messages of the phase held more than once. */
  heldTwice: number;
}

/** Counts the phase's message ids among `references` (one per item the far side holds). Pure. */
export function countHeld(messageIds: readonly string[], references: Iterable<string | undefined>): { held: number; heldTwice: number } {
  const wanted = new Set(messageIds.map((id) => id.toLowerCase()));
  const counts = new Map<string, number>();
  for (const r of references) {
    const id = r?.toLowerCase();
    if (id !== undefined && wanted.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  let heldTwice = 0;
  for (const n of counts.values()) if (n > 1) heldTwice++;
  return { held: counts.size, heldTwice };
}

/** The message id in a DPO zip's sbd.json; undefined when it cannot be read. */
export function dpoZipMessageId(zip: Uint8Array): string | undefined {
  try {
    const entry = readZip(zip).entries.find((e) => e.name === "sbd.json");
    if (!entry) return undefined;
    const sbd = JSON.parse(Buffer.from(entry.data).toString("utf8")) as { standardBusinessDocumentHeader?: { documentIdentification?: { instanceIdentifier?: unknown } } };
    const id = sbd.standardBusinessDocumentHeader?.documentIdentification?.instanceIdentifier;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

export function farSideCount(plan: ChannelPlan, sandbox: Sandbox, messageIds: readonly string[]): FarSideCount | undefined {
  switch (plan.channel) {
    case "dpo": {
      const sender = `0192:${SENDER_ORG}`;
      const receiver = `0192:${plan.receiver}`;
      const transfers = sandbox.altinnBroker.state.all().filter((t) => t.sender === sender && t.recipients.some((r) => r.recipient === receiver) && t.bytes !== undefined);
      return { what: "file transfers on the Altinn 3 broker", ...countHeld(messageIds, transfers.map((t) => dpoZipMessageId(t.bytes!))) };
    }
    case "dpv":
      return { what: "correspondences in Altinn", ...countHeld(messageIds, sandbox.altinnCorrespondence.state.all().map((c) => c.sendersReference)) };
    case "dpf":
      return { what: "forsendelser in SvarUt", ...countHeld(messageIds, [...sandbox.svarUt.state.forsendelser.values()].map((f) => f.eksternReferanse)) };
    case "dpe":
      return undefined;
  }
}
