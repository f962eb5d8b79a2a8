import { parseSbd, toSbdJson, type StandardBusinessDocument } from "../../sbd/index.js";

/**
 * The JSON a DPE message carries on the Service Bus (ServiceBusPayload, NextMoveServiceBusPayloadFactory):
 * `{"sbd": <the SBD>, "asic": <the CMS-encrypted asic.zip>}`, `asic` null without files. The asic is base64
 * twice: the integrasjonspunkt base64-encodes the CMS bytes into a byte array, which Jackson base64-encodes again,
 * and the receiving side undoes both. Pure.
 */

export interface DpePayload {
  sbd: StandardBusinessDocument;
  /** The CMS EnvelopedData of the asic.zip; undefined when the message has no files. */
  asic: Uint8Array | undefined;
}

/** The payload could not be read: it is dead-lettered and the sender told (a receiver's verdict, not transient). */
export class DpePayloadError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`unreadable DPE payload: ${reason}`, options);
    this.name = "DpePayloadError";
  }
}

export function encodeDpePayload(p: DpePayload): string {
  const asic = p.asic === undefined ? null : Buffer.from(Buffer.from(p.asic).toString("base64"), "ascii").toString("base64");
  return JSON.stringify({ sbd: toSbdJson(p.sbd), asic });
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeDpePayload(body: Buffer | string): DpePayload {
  let json: { sbd?: unknown; asic?: unknown };
  try {
    json = JSON.parse(typeof body === "string" ? body : body.toString("utf8")) as { sbd?: unknown; asic?: unknown };
  } catch (err) {
    throw new DpePayloadError("not JSON", { cause: err });
  }
  if (typeof json !== "object" || json === null || json.sbd === undefined) throw new DpePayloadError("no sbd");
  let sbd: StandardBusinessDocument;
  try {
    sbd = parseSbd(json.sbd);
  } catch (err) {
    throw new DpePayloadError(`the sbd cannot be read: ${(err as Error).message}`, { cause: err });
  }
  if (json.asic === null || json.asic === undefined) return { sbd, asic: undefined };
  if (typeof json.asic !== "string" || !BASE64.test(json.asic)) throw new DpePayloadError("asic is not base64");
  const inner = Buffer.from(json.asic, "base64").toString("ascii");
  if (!BASE64.test(inner)) throw new DpePayloadError("asic is not base64 inside");
  return { sbd, asic: Buffer.from(inner, "base64") };
}
