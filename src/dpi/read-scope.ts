import { inReadScope as coreInReadScope, type ReadClause as CoreReadClause, type ScopedRow } from "../core/read-scope.js";
import type { DpiConversation, DpiReadScope, ScopeColumns } from "../store/dpi-messages-repo.js";
import { LETTER_TYPES, RECEIPT_TYPES } from "./document-types.js";

/**
 * Who may read which stored message through the DPI REST API: DPI's caller model, from the caller's token to a
 * filter (the neutral filter and its check are the core's: src/core/read-scope.ts). The routers apply it to
 * single messages (inReadScope); the repository turns the same filter into its query, so a list and a lookup
 * can never disagree.
 *
 * A conversation belongs to the (consumer, supplier) pair whose token sent its letter:
 * - sent directly (token consumer = avsender A, no supplier): only direct tokens of A;
 * - sent by databehandler D for avsender A (token consumer A, supplier D): only tokens with consumer A and
 *   supplier D, and D's own undelegated token (consumer D, no supplier). Digdir's integrasjonspunkt sends with
 *   a delegated token but polls, downloads, reads statuses and confirms with its own (consumer = the polling
 *   organisation; dpi.md §2, efm-integrasjonspunkt CreateMaskinportenTokenImpl.createMaskinportenTokenForReceiving),
 *   so a databehandler would otherwise never see its receipts. Both tokens are D's: whatever D sent is D's to
 *   read, nothing else is.
 * Receipts arriving at corner 2 belong to the conversation of the letter they answer: the AS4 receiver takes one
 * only when its SBDH receiver is that letter's SBDH sender (so receiverOrg = A or D), and its body names the
 * letter's avsender as mottaker (mottakerOrg = A). So the pair can be read off the receipt itself. (The
 * receiver checks the SBDH receiver against the letter; the mottaker is the provider's word, as it already is
 * for the motakeridentifikator the receipt is filed under.)
 * Letters arriving at corner 3 are read by the provider they are addressed to (token consumer = SBDH receiver).
 *
 * Read confirmations are kept per message, not per reader: every token that can see a message stands for the
 * one organisation that sent it (A, or D), so confirming it never hides it from another party.
 *
 * Organisation ids are compared as stored: a token's consumer and supplier are always "0192:<9 digits>"
 * (src/maskinporten/token.ts), the form the forretningsmelding's identifiers take, and nothing else matches.
 */

/** The parts of a verified Maskinporten token that decide reading. */
export interface Reader {
  consumer: string;
  supplier?: string | undefined;
}

export type { ScopeColumns };

/** One way to be readable, over DPI's columns (the neutral rule: src/core/read-scope.ts). */
export type ReadClause = CoreReadClause<ScopeColumns>;

/** A message is readable when any clause matches it; no clause, nothing is. */
export type ReadScope = DpiReadScope;

/** What a stored message must carry to be judged. */
export type ScopedMessage = ScopedRow<ScopeColumns>;

/** The columns the rule looks at, of a stored DPI message: the receiver from its conversation, the rest from its DPI row. */
export function scopedMessage(m: DpiConversation): ScopedMessage {
  const { avsenderOrg, databehandlerOrg, mottakerOrg } = m.dpi;
  return { direction: m.direction, documentType: m.documentType, receiverOrg: m.receiverIdentifier, avsenderOrg, databehandlerOrg, mottakerOrg };
}

export function readScopeOf(reader: Reader): ReadScope {
  const { consumer } = reader;
  // A token whose supplier is its consumer sends directly (intake stores no databehandler for it): read it so.
  const supplier = reader.supplier !== undefined && reader.supplier !== consumer ? reader.supplier : undefined;
  const receipts = RECEIPT_TYPES;
  const anyOf: ReadClause[] = supplier
    ? [
        // What D sent for A, and the receipts that answer it.
        { direction: "OUT", columns: { avsenderOrg: consumer, databehandlerOrg: supplier } },
        { direction: "IN", documentTypes: receipts, columns: { receiverOrg: supplier, mottakerOrg: consumer } },
      ]
    : [
        // What the consumer sent directly, and what it sent as databehandler for others (see above).
        { direction: "OUT", columns: { avsenderOrg: consumer, databehandlerOrg: null } },
        { direction: "OUT", columns: { databehandlerOrg: consumer } },
        // The receipts that answer either: their SBDH receiver is the letter's SBDH sender, the consumer.
        { direction: "IN", documentTypes: receipts, columns: { receiverOrg: consumer } },
      ];
  // Corner 3: letters addressed to the consumer (a postbox or print provider).
  anyOf.push({ direction: "IN", documentTypes: LETTER_TYPES, columns: { receiverOrg: consumer } });
  return { anyOf };
}

/** The core's check (src/core/read-scope.ts), for DPI's columns. */
export function inReadScope(scope: ReadScope, m: ScopedMessage): boolean {
  return coreInReadScope(scope, m);
}
