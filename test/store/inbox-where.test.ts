import { expect } from "chai";
import { inboxWhere } from "../../src/store/conversations-repo.js";
import { equals, oneOf } from "../../src/store/sql-condition.js";

describe("inboxWhere", () => {
  it("repeats the receiver outside the OR when every branch names one (so the receiver index is usable)", () => {
    const digital = { all: [equals("receiverIdentifier", "0192:984661185"), oneOf("documentType", ["digital"])] };
    const utskrift = { all: [equals("receiverIdentifier", "0192:984661185"), oneOf("documentType", ["utskrift"])] };
    const where = inboxWhere({ channel: "DPI", anyOf: [digital, utskrift] });
    expect(where).to.deep.equal({
      all: [
        { column: "direction", equals: "IN" },
        { column: "receiverIdentifier", oneOf: ["0192:984661185"] },
        { column: "channel", equals: "DPI" },
        { any: [digital, utskrift] },
      ],
    });
  });

  it("adds nothing when a branch may see any receiver", () => {
    const where = inboxWhere({ anyOf: [equals("receiverIdentifier", "0192:984661185"), equals("senderIdentifier", "0192:991825827")] });
    expect(where).to.deep.equal({
      all: [{ column: "direction", equals: "IN" }, { any: [{ column: "receiverIdentifier", equals: "0192:984661185" }, { column: "senderIdentifier", equals: "0192:991825827" }] }],
    });
  });
});
