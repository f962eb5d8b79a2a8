import { DOMParser } from "@xmldom/xmldom";
import { NodeType } from "../../src/xml/dom.js";
import { decodeXml, XmlForbiddenError, XmlMalformedError, type ParseXmlOptions } from "../../src/xml/safe-parse.js";

/**
 * parseXml as it was before src/xml/fast-parse.ts: xmldom's DOMParser, any reported problem refused, then a walk
 * refusing DTD nodes and processing instructions other than a leading UTF-8 declaration. The differential test's
 * oracle; not used by production code.
 */
export function referenceParseXml(input: string | Uint8Array, options: ParseXmlOptions = {}): Document {
  const text = decodeXml(input);
  const maxLength = options.maxLength ?? 10 * 1024 * 1024;
  if (text.length > maxLength) throw new XmlMalformedError(`XML is longer than ${maxLength} characters`);
  if (text.trim() === "") throw new XmlMalformedError("XML is empty");
  for (const [pattern, construct] of [
    [/<!DOCTYPE/i, "doctype"],
    [/<!ENTITY/i, "entity"],
    [/<!NOTATION/i, "notation"],
  ] as const) {
    if (pattern.test(text)) throw new XmlForbiddenError(construct, `XML must not contain a ${construct} declaration`);
  }
  const problems: string[] = [];
  let doc: Document;
  try {
    doc = new DOMParser({
      onError(level, message) {
        if (level === "warning" && message.startsWith("Unicode replacement character")) return;
        problems.push(`${level}: ${message}`);
      },
    }).parseFromString(text, "text/xml") as unknown as Document;
  } catch (e) {
    throw new XmlMalformedError(`XML is not well-formed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (problems.length > 0) throw new XmlMalformedError(`XML is not well-formed: ${problems[0]}`);
  if (!doc.documentElement) throw new XmlMalformedError("XML has no root element");
  const stack: Node[] = [doc];
  while (stack.length > 0) {
    const node = stack.pop()!;
    switch (node.nodeType) {
      case NodeType.DOCUMENT_TYPE:
        throw new XmlForbiddenError("doctype", "XML must not contain a DOCTYPE");
      case NodeType.ENTITY:
      case NodeType.ENTITY_REFERENCE:
        throw new XmlForbiddenError("entity", "XML must not contain entities");
      case NodeType.NOTATION:
        throw new XmlForbiddenError("notation", "XML must not contain notations");
      case NodeType.PROCESSING_INSTRUCTION: {
        const isDeclaration = node.nodeName === "xml" && node.parentNode === doc && doc.firstChild === node;
        if (!isDeclaration) throw new XmlForbiddenError("processing-instruction", `XML must not contain processing instructions (<?${node.nodeName} ...?>)`);
        const m = /encoding\s*=\s*["']([^"']*)["']/.exec((node as ProcessingInstruction).data);
        if (m && !/^utf-?8$/i.test(m[1] ?? "")) throw new XmlMalformedError(`XML declares encoding ${m[1]}; only UTF-8 is accepted`);
        break;
      }
    }
    for (let c = node.firstChild; c; c = c.nextSibling) stack.push(c);
  }
  return doc;
}
