/**
 * The MIME type of an uploaded file as the integrasjonspunkt records it (NextMoveMessageService.getMimeType with
 * MimeTypeExtensionMapper): the upload's Content-Type, unless it is missing or application/octet-stream, in which
 * case the file name's extension decides, and PDF is assumed for an extension it does not know.
 */

const BY_EXTENSION: Readonly<Record<string, string>> = {
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

export function uploadMimeType(contentType: string | undefined, filename: string): string {
  const declared = contentType?.split(";")[0]?.trim();
  if (declared && declared.toLowerCase() !== "application/octet-stream") return declared;
  // The IP takes the text after the last dot; a name without one is its own "extension".
  const ext = filename.split(".").pop()!.toLowerCase();
  return Object.hasOwn(BY_EXTENSION, ext) ? BY_EXTENSION[ext]! : "application/pdf";
}
