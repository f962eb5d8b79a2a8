import { expect } from "chai";
import { ContentDispositionInvalidError, parseContentDisposition } from "../../../src/api/nextmove/content-disposition.js";

describe("api/nextmove/content-disposition", () => {
  it("reads the integrasjonspunkt's example: type, title (name) and file name", () => {
    expect(parseContentDisposition('inline; name="Test"; filename="test.txt"')).to.deep.equal({ type: "inline", filename: "test.txt", name: "Test" });
  });

  it("filename* (UTF-8) wins over filename; quoted strings keep ; and escaped quotes; tokens need no quotes", () => {
    expect(parseContentDisposition(`attachment; filename="fallback.pdf"; filename*=UTF-8''Vedtak%20%C3%A6%C3%B8%C3%A5.pdf`)).to.deep.equal({ type: "attachment", filename: "Vedtak æøå.pdf", name: undefined });
    expect(parseContentDisposition('attachment; filename="a;b \\"c\\".pdf"')).to.deep.equal({ type: "attachment", filename: 'a;b "c".pdf', name: undefined });
    expect(parseContentDisposition("Attachment; filename=plain.pdf").filename).to.equal("plain.pdf");
  });

  for (const [header, detail] of [
    [undefined, "the Content-Disposition header is required and names the file (filename=...)"],
    ['attachment; filename="open', "Content-Disposition has an unterminated quoted string"],
    ["attachment; filename", 'Content-Disposition parameter "filename" has no value'],
    ["attachment; filename=a b.pdf", 'Content-Disposition value "a b.pdf" must be a token or a quoted string'],
    ["attachment; filename*=UTF-8''%E0%A4%A", `filename* has bad percent-encoding: "UTF-8''%E0%A4%A"`],
    ["attachment; filename*=ISO-8859-1''a.pdf", `filename* must be UTF-8''<percent-encoded>, got "ISO-8859-1''a.pdf"`],
    ['attachment; filename="a"; FILENAME="b"', "Content-Disposition parameter filename appears twice"],
  ] as const) {
    it(`refuses ${JSON.stringify(header)}`, () => {
      let err: unknown;
      try {
        parseContentDisposition(header);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ContentDispositionInvalidError);
      expect((err as ContentDispositionInvalidError).detail).to.equal(detail);
    });
  }
});
