import { expect } from "chai";
import { cacheKey, describeParameters, primaryIdentifier, srPath } from "../../src/routing/service-registry/parameters.js";

const ADMIN = "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0";

describe("routing/service-registry parameters (the IP's SRParameter)", () => {
  it("builds the paths and queries the integrasjonspunkt sends", () => {
    expect(srPath({ identifier: "910076787", infoOnly: false })).to.equal("/identifier/910076787");
    expect(srPath({ identifier: "910076787", process: ADMIN, infoOnly: false, securityLevel: 3, conversationId: "a b/c", print: false })).to.equal(
      `/identifier/910076787/process/${ADMIN}?securityLevel=3&conversationId=a%20b%2Fc&print=false`,
    );
    expect(srPath({ identifier: "910076787", process: "", infoOnly: false, print: true, conversationId: "" })).to.equal("/identifier/910076787");
    expect(srPath({ identifier: "910076787", process: ADMIN, infoOnly: true, securityLevel: 4 })).to.equal("/info/910076787");
    expect(srPath({ identifier: "a/b", infoOnly: false })).to.equal("/identifier/a%2Fb");
  });

  it("prints as Lombok prints SRParameter", () => {
    expect(describeParameters({ identifier: "910076787", process: ADMIN, infoOnly: false, securityLevel: 3, conversationId: "c-1" })).to.equal(
      `SRParameter(identifier=910076787, process=${ADMIN}, securityLevel=3, print=null, infoOnly=false, conversationId=c-1)`,
    );
    expect(describeParameters({ identifier: "910076787", infoOnly: true, print: false })).to.equal(
      "SRParameter(identifier=910076787, process=null, securityLevel=null, print=false, infoOnly=true, conversationId=null)",
    );
  });

  it("keys the cache on everything but the conversation id", () => {
    const a = cacheKey({ identifier: "910076787", process: ADMIN, infoOnly: false, securityLevel: 3, conversationId: "c-1" });
    expect(cacheKey({ identifier: "910076787", process: ADMIN, infoOnly: false, securityLevel: 3, conversationId: "c-2" })).to.equal(a);
    const others = [
      cacheKey({ identifier: "910076788", process: ADMIN, infoOnly: false, securityLevel: 3 }),
      cacheKey({ identifier: "910076787", process: `${ADMIN}x`, infoOnly: false, securityLevel: 3 }),
      cacheKey({ identifier: "910076787", process: ADMIN, infoOnly: false, securityLevel: 4 }),
      cacheKey({ identifier: "910076787", process: ADMIN, infoOnly: false, securityLevel: 3, print: false }),
      cacheKey({ identifier: "910076787", process: ADMIN, infoOnly: true, securityLevel: 3 }),
    ];
    expect(new Set([a, ...others]).size).to.equal(6);
  });

  it("asks with the primary identifier of an ISO 6523 value", () => {
    expect(primaryIdentifier("0192:910076787")).to.equal("910076787");
    expect(primaryIdentifier("0192:910076787:LOCAL")).to.equal("910076787");
    expect(primaryIdentifier("0192:17912099997")).to.equal("17912099997");
    expect(primaryIdentifier("910076787")).to.equal("910076787");
    expect(primaryIdentifier(" 09118532322 ")).to.equal("09118532322");
  });
});
