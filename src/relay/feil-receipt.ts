import { randomUUID, type KeyObject, type X509Certificate } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import { signForretningsmelding } from "../client/sign-forretningsmelding.js";
import { documentTypeId, standardSpelling, type DpiMessageType } from "../dpi/document-types.js";
import { storeIncoming } from "../dpi/incoming.js";
import { parseForretningsmelding } from "../dpi/sbd.js";
import type { Message } from "../store/generated/client.js";
import type { MessagesRepo } from "../store/messages-repo.js";

/**
 * When corner 2 gives up on a letter, corner 1 learns it the way it learns everything else about a letter:
 * as a receipt on GET /messages/in. The access point issues that `feil` receipt itself, signed with its
 * operator's business certificate, addressed like a provider's receipt would be (SBDH receiver = the letter's
 * sender, mottaker = the avsender) and filed in the letter's conversation.
 */

export interface FeilReceiptIssuer {
  issue(letter: Message, reason: string): Promise<void>;
}

export interface OperatorSigner {
  privateKey: KeyObject;
  certificate: X509Certificate;
  /** "0192:<orgno>" of the operator, from its certificate. */
  org: string;
}

export function createFeilReceiptIssuer(deps: { signer: OperatorSigner; repo: MessagesRepo; clock: Clock; log: Logger; newId?: () => string }): FeilReceiptIssuer {
  return {
    async issue(letter, reason) {
      const now = deps.clock();
      const actor = (value: string) => ({ identifier: { authority: "iso6523-actorid-upis", value } });
      const virksomhet = (value: string) => ({ authority: "iso6523-actorid-upis", value });
      const spelling = standardSpelling(letter.standard, letter.documentType as DpiMessageType) ?? "innbyggerpost";
      const payload = {
        standardBusinessDocument: {
          standardBusinessDocumentHeader: {
            headerVersion: "1.0",
            sender: [actor(deps.signer.org)],
            receiver: [actor(letter.senderOrg)],
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
              virksomhetsidentifikator: virksomhet(letter.avsenderOrg),
              ...(letter.avsenderidentifikator ? { motakeridentifikator: letter.avsenderidentifikator } : {}),
            },
            tidspunkt: now.toISOString(),
            feiltype: "SERVER",
            detaljer: reason.slice(0, 4000),
          },
        },
      };
      const jws = await signForretningsmelding(payload, deps.signer);
      const message = parseForretningsmelding(payload);
      await storeIncoming({ jws, message }, deps);
      deps.log.info({ messageId: letter.id, conversationId: letter.conversationId, receiptId: message.messageId }, "feil receipt issued to corner 1");
    },
  };
}
