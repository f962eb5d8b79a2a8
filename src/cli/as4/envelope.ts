import { DOMParser } from "@xmldom/xmldom";
import { EbmsError } from "../../as4/ebms-errors.js";
import { locateSoapParts, parseSoapEnvelope, type SoapEnvelope } from "../../as4/soap-parse.js";
import { isElement, NodeType } from "../../xml/dom.js";
import { XmlForbiddenError } from "../../xml/safe-parse.js";
import type { Finding } from "./report-types.js";

/**
 * Parses the SOAP part the way the receiver does (safe-parse: no DOCTYPE, no processing instructions). A
 * message the receiver refuses for a processing instruction is still analysed, from a second, lenient
 * parse, because an operator wants to know whether that was the only problem; a DOCTYPE is not (entity
 * declarations are not something to expand for a diagnosis).
 */

export function parseEnvelopeForDiagnosis(xml: string): { envelope?: SoapEnvelope; findings: Finding[] } {
  try {
    return { envelope: parseSoapEnvelope(xml), findings: [] };
  } catch (e) {
    if (!(e instanceof EbmsError)) throw e;
    const forbidden = e.cause instanceof XmlForbiddenError ? e.cause : undefined;
    if (forbidden?.construct === "processing-instruction") return lenient(xml, e);
    if (forbidden) {
      return {
        findings: [
          {
            severity: "error",
            code: "DOCTYPE_PRESENT",
            message: `the SOAP part contains a ${forbidden.construct} declaration; receivers refuse it (${e.code}) and this tool does not analyse it further`,
          },
        ],
      };
    }
    return { findings: [{ severity: "error", code: "SOAP_UNREADABLE", message: `the SOAP part cannot be read (${e.code}): ${e.detail}` }] };
  }
}

function lenient(xml: string, original: EbmsError): { envelope?: SoapEnvelope; findings: Finding[] } {
  const problems: string[] = [];
  const doc = new DOMParser({ onError: (level, msg) => void (level !== "warning" && problems.push(msg)) }).parseFromString(
    xml,
    "text/xml",
  ) as unknown as Document;
  const where = piLocations(doc);
  const finding: Finding = {
    severity: "error",
    code: "PROCESSING_INSTRUCTION_PRESENT",
    message:
      `the SOAP part contains processing instruction(s) ${where.join("; ")}; receivers refuse them (${original.code}), ` +
      "and xml-crypto would canonicalise one inside a signed element as text. The rest is analysed from a lenient parse",
  };
  if (problems.length > 0) return { findings: [finding, { severity: "error", code: "SOAP_UNREADABLE", message: `the SOAP part is not well-formed: ${problems[0]}` }] };
  try {
    return { envelope: locateSoapParts(doc), findings: [finding] };
  } catch (e) {
    if (!(e instanceof EbmsError)) throw e;
    return { findings: [finding, { severity: "error", code: "SOAP_UNREADABLE", message: `the SOAP part cannot be read (${e.code}): ${e.detail}` }] };
  }
}

function piLocations(doc: Document): string[] {
  const out: string[] = [];
  const stack: Node[] = [doc];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.nodeType === NodeType.PROCESSING_INSTRUCTION) {
      const isDeclaration = node.nodeName === "xml" && node.parentNode === doc && doc.firstChild === node;
      if (!isDeclaration) {
        const parent = node.parentNode;
        out.push(`<?${node.nodeName} ...?> ${parent && isElement(parent) ? `inside <${parent.nodeName}>` : "outside the root element"}`);
      }
    }
    for (let c = node.lastChild; c; c = c.previousSibling) stack.push(c);
  }
  return out;
}
