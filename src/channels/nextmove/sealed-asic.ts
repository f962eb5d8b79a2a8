import type { X509Certificate } from "node:crypto";
import type { Clock } from "../../clock.js";
import { buildEformidlingAsic, encryptCms, type KeyTransportScheme } from "../../packaging/index.js";
import type { OrgKeyStores } from "../../pki/org-keystores.js";
import { parties } from "../../sbd/index.js";
import type { OutgoingNextMove } from "./documents.js";

/**
 * The asic.zip an integrasjonspunkt sends over DPO and DPE: an ASiC-E of the message's documents signed (CAdES)
 * with the sending organisation's business certificate, CMS-encrypted to the receiver's certificate from the
 * Service Registry record (RSA-OAEP for DPO, PKCS#1 v1.5 for DPE; spec/eformidling.md §6.3).
 */
export async function sealedAsic(
  message: OutgoingNextMove,
  o: { keystores: OrgKeyStores; receiverCertificate: X509Certificate | string; scheme: KeyTransportScheme; clock?: Clock | undefined },
): Promise<Uint8Array> {
  const { senderPrimary, receiver } = parties(message.sbd);
  const ks = await o.keystores.get(senderPrimary!);
  const asic = buildEformidlingAsic({
    sender: `0192:${senderPrimary}`,
    receiver: /^\d{9}$/.test(receiver ?? "") ? `0192:${receiver}` : (receiver ?? ""),
    documents: message.documents.map((d) => ({ name: d.filename, mimeType: d.mimeType, bytes: d.bytes })),
    signer: { privateKey: ks.privateKey, certificate: ks.certificate, chain: ks.chain },
    ...(o.clock ? { clock: o.clock } : {}),
  });
  return encryptCms(asic, o.receiverCertificate, o.scheme);
}
