import { expect } from "chai";
import { distribution, percentile, perLetter, ratePerSecond, span } from "../../src/bench/stats.js";

describe("bench: statistics", () => {
  describe("percentile (nearest rank)", () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

    it("picks the sample at rank ceil(p/100 · n)", () => {
      expect(percentile(hundred, 50)).to.equal(50);
      expect(percentile(hundred, 95)).to.equal(95);
      expect(percentile(hundred, 99)).to.equal(99);
      expect(percentile(hundred, 100)).to.equal(100);
      expect(percentile(hundred, 0.5)).to.equal(1);
    });

    it("never interpolates between samples", () => {
      expect(percentile([10, 20], 50)).to.equal(10);
      expect(percentile([10, 20], 51)).to.equal(20);
      expect(percentile([1, 2, 3, 4, 1000], 95)).to.equal(1000);
    });

    it("of one sample is that sample; of none is undefined", () => {
      expect(percentile([7], 1)).to.equal(7);
      expect(percentile([7], 99)).to.equal(7);
      expect(percentile([], 50)).to.equal(undefined);
    });

    it("refuses p outside (0, 100]", () => {
      expect(() => percentile([1], 0)).to.throw(RangeError);
      expect(() => percentile([1], 101)).to.throw(RangeError);
      expect(() => percentile([1], Number.NaN)).to.throw(RangeError);
    });
  });

  describe("distribution", () => {
    it("sorts unsorted samples and summarises them", () => {
      const d = distribution([5, 1, 4, 2, 3])!;
      expect(d).to.deep.equal({ count: 5, min: 1, mean: 3, p50: 3, p95: 5, p99: 5, max: 5 });
    });

    it("does not reorder the caller's array", () => {
      const samples = [3, 1, 2];
      distribution(samples);
      expect(samples).to.deep.equal([3, 1, 2]);
    });

    it("is undefined without samples", () => {
      expect(distribution([])).to.equal(undefined);
    });
  });

  describe("ratePerSecond", () => {
    it("divides the count by the elapsed seconds", () => {
      expect(ratePerSecond(200, 1000, 11_000)).to.equal(20);
      expect(ratePerSecond(3, 0, 1500)).to.equal(2);
    });

    it("is undefined when nothing happened or no time passed", () => {
      expect(ratePerSecond(0, 0, 1000)).to.equal(undefined);
      expect(ratePerSecond(5, 1000, 1000)).to.equal(undefined);
      expect(ratePerSecond(5, 2000, 1000)).to.equal(undefined);
    });
  });

  describe("span and perLetter", () => {
    it("finds the earliest and latest value", () => {
      expect(span([5, 2, 9, 3])).to.deep.equal({ first: 2, last: 9 });
      expect(span(new Set([4]))).to.deep.equal({ first: 4, last: 4 });
      expect(span([])).to.equal(undefined);
    });

    it("spreads CPU seconds over the letters", () => {
      expect(perLetter(30, 2000)).to.equal(0.015);
      expect(perLetter(undefined, 10)).to.equal(undefined);
      expect(perLetter(3, 0)).to.equal(undefined);
    });
  });
});
