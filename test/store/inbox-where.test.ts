import { expect } from "chai";
import { inboxWhere } from "../../src/store/conversations-repo.js";

describe("inboxWhere", () => {
  it("repeats the receiver outside the OR when every branch names one (so the receiver index is usable)", () => {
    const where = inboxWhere({ channel: "DPI", anyOf: [{ receiverIdentifier: "0192:984661185", documentType: { in: ["digital"] } }, { receiverIdentifier: "0192:984661185", documentType: { in: ["utskrift"] } }] });
    expect(where).to.deep.equal({
      AND: [
        { direction: "IN" },
        { receiverIdentifier: { in: ["0192:984661185"] } },
        { channel: "DPI" },
        { OR: [{ receiverIdentifier: "0192:984661185", documentType: { in: ["digital"] } }, { receiverIdentifier: "0192:984661185", documentType: { in: ["utskrift"] } }] },
      ],
    });
  });

  it("adds nothing when a branch may see any receiver", () => {
    const where = inboxWhere({ anyOf: [{ receiverIdentifier: "0192:984661185" }, { senderIdentifier: "0192:991825827" }] });
    expect(where).to.deep.equal({ AND: [{ direction: "IN" }, { OR: [{ receiverIdentifier: "0192:984661185" }, { senderIdentifier: "0192:991825827" }] }] });
  });
});
