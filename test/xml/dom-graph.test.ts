import { expect } from "chai";
import { parseXml } from "../../src/xml/safe-parse.js";
import { objectGraph } from "./dom-graph.js";

/** The guard of the differential tests sees a private field out of step, not only what the DOM API shows. */
describe("test helper objectGraph", () => {
  const xml = "<r xmlns:p='urn:p'><p:a p:x='1' y='2'>t</p:a></r>";
  type Private = { attributes: { _noNsIndex: Record<string, unknown> }; _nsMap: Record<string, string> };

  it("tells apart documents that differ only in a private field", () => {
    const same = objectGraph(parseXml(xml));
    expect(objectGraph(parseXml(xml))).to.deep.equal(same);
    const changes: Array<(doc: Document) => void> = [
      (doc) => delete (doc.documentElement!.firstChild as unknown as Private).attributes._noNsIndex["y"],
      (doc) => delete (doc.documentElement as unknown as Private)._nsMap["p"],
      (doc) => (doc as unknown as { _inc: number })._inc++,
      (doc) => ((doc.documentElement!.firstChild!.firstChild as unknown as { length: number }).length = 0),
    ];
    for (const change of changes) {
      const doc = parseXml(xml);
      change(doc);
      expect(objectGraph(doc), String(change)).to.not.deep.equal(same);
    }
  });
});
