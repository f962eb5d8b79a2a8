import { randomUUID, type KeyObject, type X509Certificate } from "node:crypto";
import type { Clock } from "../../clock.js";
import type { Logger } from "../../log.js";
import { signForretningsmelding } from "../../dpi/build/sign-forretningsmelding.js";
import { documentTypeId, standardSpelling, type DpiMessageType } from "../../dpi/document-types.js";
import { messageRecord } from "../../dpi/message-record.js";
import { INCOMING_STATUS } from "../../dpi/status-model.js";
import { parseForretningsmelding } from "../../dpi/sbd.js";
import type { StoreWrites } from "../../store/conversations-repo.js";
import type { DpiConversation, DpiMessagesRepo } from "../../store/dpi-messages-repo.js";

/**
 * When corner 2 gives up on a letter, corner 1 learns it the way it learns everything else about a letter:
 * as a receipt on GET /messages/in. The access point issues that `feil` receipt itself, signed with its
 * operator's business certificate, addressed like a provider's receipt would be (SBDH receiver = the letter's
 * sender, mottaker = the avsender) and filed in the letter's conversation.
 */

export interface FeilReceiptIssuer {
  /** Signs a feil receipt for the letter; the writes that file it are committed by the caller with the FEILET status. */
  operations(letter: DpiConversation, reason: string): Promise<StoreWrites>;
}

export interface OperatorSigner {
  privateKey: KeyObject;
  certificate: X509Certificate;
  /** "0192:<orgno>" of the operator, from its certificate. */
  org: string;
}

export function createFeilReceiptIssuer(deps: { signer: OperatorSigner; repo: DpiMessagesRepo; clock: Clock; log: Logger; newId?: () => string }): FeilReceiptIssuer {
  return {
    async operations(letter, reason) {
      const now = deps.clock();
      const actor = (value: string) => ({ identifier: { authority: "iso6523-actorid-upis", value } });
      const virksomhet = (value: string) => ({ authority: "iso6523-actorid-upis", value });
      const spelling = standardSpelling(letter.standard, letter.documentType as DpiMessageType) ?? "innbyggerpost";
      const payload = {
        standardBusinessDocument: {
          standardBusinessDocumentHeader: {
            headerVersion: "1.0",
            sender: [actor(deps.signer.org)],
            receiver: [actor(letter.senderIdentifier)],
            documentIdentification: {
              standard: documentTypeId("feil", spelling),
              typeVersion: "1.0",
              instanceIdentifier: (deps.newId ?? randomUUID)(),
              type: "feil",
              creationDateAndTime: now.toISOString(),
            },
            businessScope: { scope: [{ type: "ConversationId", instanceIdentifier: letter.conversationId, identifier: letter.process, scopeInformation: [] }] },
          },
          feil: {
            avsender: { virksomhetsidentifikator: virksomhet(deps.signer.org) },
            mottaker: {
              virksomhetsidentifikator: virksomhet(letter.dpi.avsenderOrg),
              ...(letter.dpi.avsenderidentifikator ? { motakeridentifikator: letter.dpi.avsenderidentifikator } : {}),
            },
            tidspunkt: now.toISOString(),
            feiltype: "SERVER",
            detaljer: reason.slice(0, 4000),
          },
        },
      };
      const jws = await signForretningsmelding(payload, deps.signer);
      const message = parseForretningsmelding(payload);
      deps.log.info({ messageId: letter.messageId, conversationId: letter.conversationId, receiptId: message.messageId }, "feil receipt issued to corner 1");
      // Filed like any receipt: under the letter's kanal and avsenderidentifikator.
      const record = messageRecord(message, { direction: "IN", jws, kanal: letter.dpi.kanal ?? undefined, avsenderidentifikator: letter.dpi.avsenderidentifikator ?? undefined });
      return (tx) => deps.repo.insertIn(tx, record, INCOMING_STATUS, now);
    },
  };
}
