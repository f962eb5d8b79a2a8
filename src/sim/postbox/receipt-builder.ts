import type { BodyByType } from "../../dpi/bodies.js";
import { documentTypeId, isLetterType, type ReceiptType } from "../../dpi/document-types.js";
import {
  CONVERSATION_SCOPE_TYPE,
  parseForretningsmelding,
  type Forretningsmelding,
  type StandardBusinessDocumentJson,
} from "../../dpi/sbd.js";

/**
 * The forretningsmelding a postbox or print provider sends back about a letter, in the shape Digipost's
 * receipts have (dpi.md §3.4): a new message id; the letter's conversation id and process in the
 * ConversationId scope (no scope information); SBDH sender = the provider, SBDH receiver = the letter's SBDH
 * sender (avsender or databehandler), since receipts are addressed to whoever sent; body avsender = the
 * provider, body mottaker = the letter's behandlingsansvarlig with its avsenderidentifikator as
 * motakeridentifikator; `standard` spelled as the letter spelled it.
 */

const AUTHORITY = "iso6523-actorid-upis" as const;

/** What a receipt type adds to the common avsender/mottaker/tidspunkt. */
export type ReceiptDetails =
  | { readonly type: "leveringskvittering" | "aapningskvittering" | "mottakskvittering" | "returpostkvittering" }
  | { readonly type: "feil"; readonly feiltype: "KLIENT" | "SERVER"; readonly detaljer?: string }
  | { readonly type: "varslingfeiletkvittering"; readonly varslingskanal: "epost" | "sms"; readonly beskrivelse?: string };

export interface ReceiptInput {
  /** The letter being answered, as parsed from its forretningsmelding. */
  readonly letter: Forretningsmelding;
  /** The provider, "0192:<orgno>". */
  readonly provider: string;
  /** The receipt's own message id (a new uuid). */
  readonly messageId: string;
  /** Creation time and tidspunkt. */
  readonly at: Date;
  readonly details: ReceiptDetails;
}

/** A receipt ready to sign: its JSON payload and the parsed view of it. */
export interface BuiltReceipt {
  readonly payload: StandardBusinessDocumentJson;
  readonly message: Forretningsmelding;
}

/** Thrown when the input cannot make a valid receipt (e.g. the answered message is itself a receipt). */
export class ReceiptInputError extends Error {
  readonly code = "receipt-input-invalid";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ReceiptInputError";
  }
}

/**
 * Builds the receipt payload and parses it back with the access point's own parser, so a receipt that a
 * corner would refuse is never signed. Throws ReceiptInputError.
 */
export function buildReceipt(input: ReceiptInput): BuiltReceipt {
  const { letter, details } = input;
  if (!isLetterType(letter.type)) throw new ReceiptInputError(`receipts answer letters, not a ${letter.type}`);
  const tidspunkt = input.at.toISOString();
  const common = {
    avsender: { virksomhetsidentifikator: { authority: AUTHORITY, value: input.provider } },
    mottaker: {
      virksomhetsidentifikator: { authority: AUTHORITY, value: letter.avsender.value },
      ...(letter.avsenderidentifikator !== undefined ? { motakeridentifikator: letter.avsenderidentifikator } : {}),
    },
    tidspunkt,
  };
  const body: BodyByType[ReceiptType] =
    details.type === "feil"
      ? { ...common, feiltype: details.feiltype, ...(details.detaljer !== undefined ? { detaljer: details.detaljer } : {}) }
      : details.type === "varslingfeiletkvittering"
        ? { ...common, varslingskanal: details.varslingskanal, ...(details.beskrivelse !== undefined ? { beskrivelse: details.beskrivelse } : {}) }
        : common;

  const payload: StandardBusinessDocumentJson = {
    standardBusinessDocument: {
      standardBusinessDocumentHeader: {
        headerVersion: "1.0",
        sender: [{ identifier: { authority: AUTHORITY, value: input.provider } }],
        receiver: [{ identifier: { authority: AUTHORITY, value: letter.sender.value } }],
        documentIdentification: {
          standard: documentTypeId(details.type, letter.standardSpelling),
          typeVersion: "1.0",
          instanceIdentifier: input.messageId,
          type: details.type,
          creationDateAndTime: tidspunkt,
        },
        businessScope: {
          scope: [
            {
              type: CONVERSATION_SCOPE_TYPE,
              instanceIdentifier: letter.conversationId,
              identifier: letter.processId,
              scopeInformation: [],
            },
          ],
        },
      },
      [details.type]: body,
    },
  };
  try {
    return { payload, message: parseForretningsmelding(payload) };
  } catch (cause) {
    throw new ReceiptInputError(`the ${details.type} would not be a valid forretningsmelding: ${(cause as Error).message}`, { cause });
  }
}
