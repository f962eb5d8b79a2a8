import type { BusinessMessageType } from "./message-types.js";
import type { BusinessMessages, StandardBusinessDocumentHeader } from "./schema.js";

/**
 * A parsed NextMove SBD: its header and its one business message, discriminated by the message type.
 * `type` is the canonical type; the header keeps `documentIdentification.type` as the client wrote it
 * (the IP reads it ignoring case and writes it back unchanged).
 */
export interface SbdOf<T extends BusinessMessageType> {
  readonly type: T;
  readonly header: StandardBusinessDocumentHeader;
  readonly businessMessage: BusinessMessages[T];
}

export type StandardBusinessDocument = { [T in BusinessMessageType]: SbdOf<T> }[BusinessMessageType];

/** The JSON form: the header under `standardBusinessDocumentHeader`, the business message under its type. */
export type StandardBusinessDocumentJson = { standardBusinessDocumentHeader: StandardBusinessDocumentHeader } & Record<string, unknown>;

export const HEADER_KEY = "standardBusinessDocumentHeader";
