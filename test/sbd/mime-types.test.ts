import { expect } from "chai";
import { uploadMimeType } from "../../src/sbd/mime-types.js";

// NextMoveMessageService.getMimeType with MimeTypeExtensionMapper: the declared type, else by extension, else PDF.

describe("sbd: uploadMimeType (the MIME type an uploaded file is recorded with)", () => {
  it("takes the declared Content-Type whatever the file is called", () => {
    expect(uploadMimeType("application/pdf", "brev.txt")).to.equal("application/pdf");
    expect(uploadMimeType("application/vnd.example+json", "data.bin")).to.equal("application/vnd.example+json");
    expect(uploadMimeType("image/png", "noext")).to.equal("image/png");
  });

  it("goes by the extension when the Content-Type is missing, empty or application/octet-stream", () => {
    expect(uploadMimeType(undefined, "brev.txt")).to.equal("text/plain");
    expect(uploadMimeType("", "side.html")).to.equal("text/html");
    expect(uploadMimeType("   ", "side.html")).to.equal("text/html");
    expect(uploadMimeType("application/octet-stream", "arkivmelding.xml")).to.equal("text/xml");
  });

  it("maps every extension the integrasjonspunkt knows, ignoring its case", () => {
    const table: Record<string, string> = {
      pdf: "application/pdf",
      html: "text/html",
      txt: "text/plain",
      xml: "text/xml",
      doc: "application/msword",
      docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      xls: "application/vnd.ms-excel",
      xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      xltx: "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
      ppt: "application/vnd.ms-powerpoint",
      pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
      odf: "application/vnd.oasis.opendocument.formula",
      odt: "application/vnd.oasis.opendocument.text",
      fods: "application/vnd.oasis.opendocument.spreadsheet",
      fodp: "application/vnd.oasis.opendocument.presentation",
      fodg: "application/vnd.oasis.opendocument.graphics",
      gif: "image/gif",
      jpeg: "image/jpeg",
      png: "image/png",
      zip: "application/octet-stream",
    };
    for (const [ext, mime] of Object.entries(table)) {
      expect(uploadMimeType(undefined, `fil.${ext}`), ext).to.equal(mime);
      expect(uploadMimeType("application/octet-stream", `FIL.${ext.toUpperCase()}`), ext.toUpperCase()).to.equal(mime);
    }
  });

  it("takes the text after the last dot, and PDF for what it does not know", () => {
    expect(uploadMimeType(undefined, "arkiv.tar.gz")).to.equal("application/pdf");
    expect(uploadMimeType(undefined, "rapport.2024.docx")).to.equal("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    // The integrasjonspunkt's table has jpeg, not jpg.
    expect(uploadMimeType(undefined, "bilde.jpg")).to.equal("application/pdf");
    expect(uploadMimeType(undefined, "README")).to.equal("application/pdf");
    expect(uploadMimeType(undefined, "txt")).to.equal("text/plain");
    expect(uploadMimeType(undefined, "slutt.")).to.equal("application/pdf");
    expect(uploadMimeType(undefined, ".txt")).to.equal("text/plain");
    // Not the object's own keys.
    expect(uploadMimeType(undefined, "x.constructor")).to.equal("application/pdf");
    expect(uploadMimeType(undefined, "x.__proto__")).to.equal("application/pdf");
  });
});
