/** Public surface of the postbox provider (corner 4) simulator. */
export { startPostboxSim, SimulatedCrashError } from "./postbox-sim.js";
export type {
  DeliveredLetter,
  PollResult,
  PostboxBehaviour,
  PostboxSim,
  PostboxSimOptions,
  PostboxStats,
  ReceiptStatus,
  RejectedLetter,
  SentReceipt,
  TokenSource,
} from "./postbox-sim.js";
export * from "./check-letter.js";
export * from "./receipts-for.js";
export * from "./receipt-builder.js";
export { createAccessPointClient, AccessPointError, ForeignDownloadUrlError } from "./access-point-client.js";
export type { AccessPointClient, AccessPointClientOptions, InboxItem, ReceiptPostOutcome } from "./access-point-client.js";
