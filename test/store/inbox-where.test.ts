import { expect } from "chai";
import { inboxWhere } from "../../src/store/conversations-repo.js";
import { partyWhere } from "../../src/store/nextmove-in-repo.js";
import { equals, oneOf, startsWith } from "../../src/store/sql-condition.js";

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

  it("on SQLite, looks a receiver given by a prefix up as the range of texts that start with it, beside the plain forms", () => {
    const mine = partyWhere("receiverIdentifier", "984661185");
    const where = inboxWhere({ anyOf: [mine] }, "sqlite");
    expect(where).to.deep.equal({
      all: [
        { column: "direction", equals: "IN" },
        {
          amongConversations: [
            { all: [{ column: "direction", equals: "IN" }, { column: "receiverIdentifier", oneOf: ["0192:984661185", "984661185"] }] },
            {
              all: [
                { column: "direction", equals: "IN" },
                { column: "receiverIdentifier", compare: ">=", value: "0192:984661185:" },
                { column: "receiverIdentifier", compare: "<", value: "0192:984661185;" },
              ],
            },
          ],
        },
        mine,
      ],
    });
  });

  it("adds no range on PostgreSQL (its collation may not order by bytes), nor for a prefix with letters (SQLite's LIKE ignores their case)", () => {
    const mine = partyWhere("receiverIdentifier", "984661185");
    expect(inboxWhere({ anyOf: [mine] }, "postgresql")).to.deep.equal({ all: [{ column: "direction", equals: "IN" }, mine] });
    const lettered = startsWith("receiverIdentifier", "9908:ABC:");
    expect(inboxWhere({ anyOf: [lettered] }, "sqlite")).to.deep.equal({ all: [{ column: "direction", equals: "IN" }, lettered] });
  });
});
