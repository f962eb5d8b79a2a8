import { expect } from "chai";
import { dateTimeParam, osloDayParam } from "../../../src/api/nextmove/query-params.js";
import { NextMoveQueryInvalidError } from "../../../src/api/nextmove/status-errors.js";
import { formatOsloDateTime, osloStartOfDay } from "../../../src/core/oslo-time.js";

// Times as the integrasjonspunkt writes them (Jackson's ISO_OFFSET_DATE_TIME in Europe/Oslo) and reads its
// query parameters.

describe("NextMove API: times", () => {
  it("writes Oslo time with its offset, the fraction only when there is one and without trailing zeros", () => {
    expect(formatOsloDateTime(new Date("2019-03-25T11:38:23Z"))).to.equal("2019-03-25T12:38:23+01:00");
    expect(formatOsloDateTime(new Date("2019-05-12T20:00:00Z"))).to.equal("2019-05-12T22:00:00+02:00");
    expect(formatOsloDateTime(new Date("2019-11-05T10:04:34.500Z"))).to.equal("2019-11-05T11:04:34.5+01:00");
    expect(formatOsloDateTime(new Date("2019-11-05T10:04:34.012Z"))).to.equal("2019-11-05T11:04:34.012+01:00");
    // Around the change to summer time (01:00 UTC on the last Sunday of March) and back (October).
    expect(formatOsloDateTime(new Date("2024-03-31T00:59:59Z"))).to.equal("2024-03-31T01:59:59+01:00");
    expect(formatOsloDateTime(new Date("2024-03-31T01:00:00Z"))).to.equal("2024-03-31T03:00:00+02:00");
    expect(formatOsloDateTime(new Date("2024-10-27T00:59:59Z"))).to.equal("2024-10-27T02:59:59+02:00");
    expect(formatOsloDateTime(new Date("2024-10-27T01:00:00Z"))).to.equal("2024-10-27T02:00:00+01:00");
  });

  it("finds where an Oslo day starts, on the days the clocks change too", () => {
    const starts = [
      [2024, 1, 1],
      [2024, 3, 31],
      [2024, 4, 1],
      [2024, 10, 27],
      [2024, 10, 28],
      [2024, 12, 32],
    ].map(([y, m, d]) => osloStartOfDay(y!, m!, d!).toISOString());
    expect(starts).to.deep.equal([
      "2023-12-31T23:00:00.000Z",
      "2024-03-30T23:00:00.000Z",
      "2024-03-31T22:00:00.000Z",
      "2024-10-26T22:00:00.000Z",
      "2024-10-27T23:00:00.000Z",
      "2024-12-31T23:00:00.000Z",
    ]);
  });

  it("reads yyyy-MM-dd as an Oslo day and refuses other spellings and impossible dates", () => {
    expect(osloDayParam({ d: "2024-03-31" }, "d")).to.deep.equal({ start: new Date("2024-03-30T23:00:00Z"), end: new Date("2024-03-31T22:00:00Z") });
    expect(osloDayParam({}, "d")).to.equal(undefined);
    for (const v of ["2024-02-30", "2024-3-01", "01.03.2024", "2024-03-01T00:00:00Z"]) {
      expect(() => osloDayParam({ d: v }, "d"), v).to.throw(NextMoveQueryInvalidError, `d: "${v}" is not a date (yyyy-MM-dd)`);
    }
  });

  it("reads ISO date-times with an offset or Z, fractions included", () => {
    const read = (v: string) => dateTimeParam({ t: v }, "t")?.toISOString();
    expect(read("2019-03-25T12:38:23+01:00")).to.equal("2019-03-25T11:38:23.000Z");
    expect(read("2019-03-25T12:38:23.5-02:30")).to.equal("2019-03-25T15:08:23.500Z");
    expect(read("2019-03-25T12:38Z")).to.equal("2019-03-25T12:38:00.000Z");
    expect(read("2019-03-25T12:38:23 01:00")).to.equal("2019-03-25T11:38:23.000Z");
    for (const v of ["2019-03-25T12:38:23", "2019-03-25", "2019-02-29T00:00:00Z", "2019-03-25T24:00:00Z", "yesterday"]) {
      expect(() => read(v), v).to.throw(NextMoveQueryInvalidError);
    }
  });
});
