import { expect } from "chai";
import { startOfDay } from "../../src/dpi/start-of-day.js";

describe("dpi/start-of-day", () => {
  it("is local midnight with the offset in force then: summer and winter time in Norway", () => {
    expect(startOfDay("2019-05-12", "Europe/Oslo")).to.equal("2019-05-12T00:00:00+02:00");
    expect(startOfDay("2019-01-12", "Europe/Oslo")).to.equal("2019-01-12T00:00:00+01:00");
    // The days Norway changes its clocks (at 02:00 and 03:00): midnight still has the day's first offset.
    expect(startOfDay("2019-03-31", "Europe/Oslo")).to.equal("2019-03-31T00:00:00+01:00");
    expect(startOfDay("2019-10-27", "Europe/Oslo")).to.equal("2019-10-27T00:00:00+02:00");
  });

  it("writes a zero offset as Z, and offsets with minutes", () => {
    expect(startOfDay("2019-05-12", "UTC")).to.equal("2019-05-12T00:00:00Z");
    expect(startOfDay("2019-05-12", "Asia/Kolkata")).to.equal("2019-05-12T00:00:00+05:30");
    expect(startOfDay("2019-05-12", "America/St_Johns")).to.equal("2019-05-12T00:00:00-02:30");
  });

  it("starts the day when the clock jumps where a zone skips midnight, as java.time does", () => {
    expect(startOfDay("2019-09-08", "America/Santiago")).to.equal("2019-09-08T01:00:00-03:00");
    expect(startOfDay("2019-03-31", "Asia/Beirut")).to.equal("2019-03-31T01:00:00+03:00");
  });

  it("refuses what is not a date", () => {
    expect(() => startOfDay("12.05.2019", "Europe/Oslo")).to.throw(RangeError, '"12.05.2019" is not a YYYY-MM-DD date');
  });
});
