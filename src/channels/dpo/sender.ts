/**
 * Puts one DPO package on the broker as the integrasjonspunkt does (spec/eformidling.md §3; [IP]
 * a3/dpo/AltinnDPOUploadService.java): initialise a file transfer for the DPO resource from the sending
 * organisation to the receiving one, then upload the zip. Used for messages and for status messages alike.
 */
import { createHash, randomUUID } from "node:crypto";
import { isReceipt, isStatus, messageChannel, parties, type StandardBusinessDocument } from "../../sbd/index.js";
import type { BrokerClient } from "./broker-client.js";
import { DPO_FILE_NAME, writeDpoPackage } from "./package.js";

export interface DpoSender {
  /** Uploads the SBD (and the sealed asic.zip, when the message has files); answers the file transfer id. */
  send(sbd: StandardBusinessDocument, asic?: Uint8Array): Promise<string>;
}

export function createDpoSender(o: { broker: BrokerClient; resourceId: string; newId?: () => string }): DpoSender {
  const newId = o.newId ?? randomUUID;
  return {
    async send(sbd, asic) {
      const { senderPrimary, receiver } = parties(sbd);
      if (!senderPrimary || !/^\d{9}$/.test(receiver ?? "")) throw new TypeError("a DPO message goes from one organisation to another");
      // Replies to a message that named a message channel go back on that channel (another IP's poller filters on it).
      const channel = isStatus(sbd) || isReceipt(sbd) ? messageChannel(sbd) : undefined;
      const zip = writeDpoPackage(sbd, asic);
      const id = await o.broker.initialise(senderPrimary, {
        fileName: DPO_FILE_NAME,
        resourceId: o.resourceId,
        sendersFileTransferReference: channel ?? newId(),
        sender: `0192:${senderPrimary}`,
        recipients: [`0192:${receiver}`],
        propertyList: {},
        // The broker checks the upload against it, so a file damaged on the way is refused rather than published.
        checksum: createHash("md5").update(zip).digest("hex"),
      });
      await o.broker.upload(senderPrimary, id, zip);
      return id;
    },
  };
}
