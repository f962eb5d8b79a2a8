import { expect } from "chai";
import { normaliseMessageId } from "../../src/store/message-id.js";

describe("store/message-id", () => {
  it("folds a UUID to lower case, whatever case it came in", () => {
    const lower = "4c96fb25-54b0-4560-a954-afdeed10077b";
    for (const spelling of [lower, lower.toUpperCase(), "4C96fb25-54B0-4560-A954-afdeed10077B"]) {
      expect(normaliseMessageId(spelling), spelling).to.equal(lower);
    }
  });

  it("folds only ASCII letters, so no other id becomes one it is not", () => {
    expect(normaliseMessageId("ÅBC-İ-ß")).to.equal("Åbc-İ-ß");
    expect(normaliseMessageId("\u212A")).to.equal("\u212A"); // the Kelvin sign: toLowerCase() would make it an ASCII "k"
  });
});
