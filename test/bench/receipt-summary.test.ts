import { expect } from "chai";
import { base64url } from "jose";
import { receiptSummary } from "../../src/bench/receipt-watcher.js";

function jws(payload: unknown): string {
  return `${base64url.encode(JSON.stringify({ alg: "RS256" }))}.${base64url.encode(JSON.stringify(payload))}.c2ln`;
}

function receipt(type: string, body: Record<string, unknown> = {}) {
  return {
    standardBusinessDocument: {
      standardBusinessDocumentHeader: {
        documentIdentification: { type, instanceIdentifier: "8c3c1a8e-4d1f-4a53-9d2b-3b7a8b0f0001" },
        businessScope: { scope: [{ type: "Other", instanceIdentifier: "x" }, { type: "ConversationId", instanceIdentifier: "conv-1" }] },
      },
      [type]: body,
    },
  };
}

describe("bench: reading receipts at corner 1", () => {
  it("finds the receipt's id, type and conversation", () => {
    expect(receiptSummary(jws(receipt("leveringskvittering")))).to.deep.equal({
      messageId: "8c3c1a8e-4d1f-4a53-9d2b-3b7a8b0f0001",
      type: "leveringskvittering",
      conversationId: "conv-1",
    });
  });

  it("keeps a feil's detaljer", () => {
    expect(receiptSummary(jws(receipt("feil", { feiltype: "KLIENT", detaljer: "asic-signature-invalid" })))?.detail).to.equal("asic-signature-invalid");
  });

  it("answers undefined for what is not a readable receipt", () => {
    expect(receiptSummary("not a jws")).to.equal(undefined);
    expect(receiptSummary(jws({ hello: "world" }))).to.equal(undefined);
    const noConversation = receipt("leveringskvittering");
    noConversation.standardBusinessDocument.standardBusinessDocumentHeader.businessScope.scope = [];
    expect(receiptSummary(jws(noConversation))).to.equal(undefined);
  });
});
