import { hoveddokument, parseSbdJson, type StandardBusinessDocument } from "../../sbd/index.js";
import type { BlobStore } from "../../store/blob-store.js";
import type { NextMoveConversation } from "../../store/nextmove-repo.js";

/**
 * What the eFormidling channels send of an outgoing NextMove message: its SBD and its files, read from the blob
 * store, in the integrasjonspunkt's order (NextMoveMessageService.getDocuments: the primary document first, then
 * the others as they were uploaded).
 */

export interface NextMoveDocument {
  filename: string;
  mimeType: string;
  /** The upload's title, if it had one. */
  title: string | undefined;
  /** The business message's hoveddokument. */
  primary: boolean;
  bytes: Uint8Array;
}

export interface OutgoingNextMove {
  conversation: NextMoveConversation;
  sbd: StandardBusinessDocument;
  documents: NextMoveDocument[];
}

export async function readOutgoing(c: NextMoveConversation, blobs: BlobStore): Promise<OutgoingNextMove> {
  const sbd = parseSbdJson(c.nextMove.sbd);
  const primaryName = hoveddokument(sbd);
  const documents = await Promise.all(
    c.nextMove.files.map(async (f) => ({
      filename: f.filename,
      mimeType: f.mimeType,
      title: f.title ?? undefined,
      primary: f.filename === primaryName,
      bytes: await blobs.read(f.blobKey),
    })),
  );
  // A stable sort: the primary document first, the rest in upload order.
  documents.sort((a, b) => Number(b.primary) - Number(a.primary));
  return { conversation: c, sbd, documents };
}
