import type { StandardBusinessDocument } from "../../sbd/index.js";

/**
 * The integrasjonspunkt's Service Bus queue names (NextMoveConsts, ServiceBusQueueMode, ServiceBusUtil;
 * spec/eformidling.md §6.1): every organisation has `nextbestqueue<orgnr><mode>` queues, the mode being innsyn
 * (default), data or meeting. Pure.
 */

export const QUEUE_PREFIX = "nextbestqueue";
export const QUEUE_MODES = ["innsyn", "data", "meeting"] as const;
export type QueueMode = (typeof QUEUE_MODES)[number];

export function queueName(orgno: string, suffix: string): string {
  return `${QUEUE_PREFIX}${orgno}${suffix}`;
}

/**
 * The suffix of the receiver's queue a message goes to (ServiceBusUtil.getReceiverQueue): status messages and
 * einnsyn_kvittering to the configured receipt queue when there is one; otherwise status messages by our own mode
 * (meeting → innsyn, innsyn → data, else innsyn) and einnsyn_kvittering to data for an innsynskrav's, else innsyn;
 * everything else to the queue the receiver's Service Registry record names (its service endpointUrl).
 */
export function receiverQueueSuffix(sbd: StandardBusinessDocument, o: { ownMode: QueueMode; receiptQueue?: string | undefined; recordEndpoint?: string | undefined }): string {
  if (sbd.type === "status") {
    if (o.receiptQueue) return o.receiptQueue;
    return o.ownMode === "meeting" ? "innsyn" : o.ownMode === "innsyn" ? "data" : "innsyn";
  }
  if (sbd.type === "einnsyn_kvittering") {
    if (o.receiptQueue) return o.receiptQueue;
    return (sbd.businessMessage as { referanseType?: string }).referanseType?.toLowerCase() === "innsynskrav" ? "data" : "innsyn";
  }
  if (!o.recordEndpoint) throw new Error(`no queue for a ${sbd.type}: the receiver's Service Registry record names none`);
  return o.recordEndpoint;
}
