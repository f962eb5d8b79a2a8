import { expect } from "chai";
import { inReadScope, type ReadScope } from "../../src/core/read-scope.js";

interface Columns {
  ownerOrg: string;
  agentOrg: string | null;
}

describe("core/read-scope: inReadScope", () => {
  const scope: ReadScope<Columns> = {
    anyOf: [
      { direction: "OUT", columns: { ownerOrg: "0192:1", agentOrg: null } },
      { direction: "IN", documentTypes: ["kvittering"], columns: { ownerOrg: "0192:1" } },
    ],
  };

  it("matches a conversation when any clause's direction, document type and every column match", () => {
    expect(inReadScope(scope, { direction: "OUT", documentType: "digital", ownerOrg: "0192:1", agentOrg: null })).to.equal(true);
    expect(inReadScope(scope, { direction: "IN", documentType: "kvittering", ownerOrg: "0192:1", agentOrg: "0192:2" })).to.equal(true);
  });

  it("refuses a differing direction, document type or column (null is a value, not a wildcard)", () => {
    expect(inReadScope(scope, { direction: "OUT", documentType: "digital", ownerOrg: "0192:1", agentOrg: "0192:2" })).to.equal(false);
    expect(inReadScope(scope, { direction: "IN", documentType: "digital", ownerOrg: "0192:1", agentOrg: null })).to.equal(false);
    expect(inReadScope(scope, { direction: "OUT", documentType: "digital", ownerOrg: "0192:3", agentOrg: null })).to.equal(false);
  });

  it("an empty scope lets nothing be read", () => {
    expect(inReadScope({ anyOf: [] }, { direction: "OUT", documentType: "digital", ownerOrg: "0192:1", agentOrg: null })).to.equal(false);
  });
});
