import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { SmpMalformedResponseError } from "../../src/peppol/smp-errors.js";
import { parseServiceGroup, parseSignedServiceMetadata, parseSmpIdentifier, SMP_NS } from "../../src/peppol/smp-xml.js";
import type { ServiceInformation } from "../../src/peppol/smp-xml.js";
import { CERTS, VECTORS } from "../helpers/certs.js";

const VECTOR = path.join(VECTORS, "smp/signed-service-metadata-exc-c14n.xml");
const apCert = readFileSync(path.join(CERTS, "ap/POP000001.pem"), "utf8")
  .replace(/-----(BEGIN|END) CERTIFICATE-----/g, "")
  .replace(/\s+/g, "");

function info(xml: string): ServiceInformation {
  const parsed = parseSignedServiceMetadata(xml);
  if (parsed.kind !== "service-information") throw new Error("expected ServiceInformation");
  return parsed.serviceInformation;
}

/** A SignedServiceMetadata with one endpoint; `endpoint` replaces the Endpoint's children. */
function metadata(endpointChildren?: string, extra = ""): string {
  const children =
    endpointChildren ??
    `<wsa:EndpointReference><wsa:Address>https://ap.example/as4</wsa:Address></wsa:EndpointReference>` +
      `<RequireBusinessLevelSignature>false</RequireBusinessLevelSignature>` +
      `<ServiceActivationDate>2025-01-01T00:00:00</ServiceActivationDate>` +
      `<ServiceExpirationDate>2030-01-01T00:00:00+01:00</ServiceExpirationDate>` +
      `<Certificate>\n${apCert.replace(/(.{64})/g, "$1\n")}\n</Certificate>` +
      `<ServiceDescription>DPI</ServiceDescription><TechnicalContactUrl>mailto:a@b</TechnicalContactUrl>`;
  return (
    `<s:SignedServiceMetadata xmlns:s="${SMP_NS.smp}" xmlns:i="${SMP_NS.ids}" xmlns:wsa="${SMP_NS.wsa}"><s:ServiceMetadata>` +
    `<s:ServiceInformation><i:ParticipantIdentifier scheme="iso6523-actorid-upis">0192:984661185</i:ParticipantIdentifier>` +
    `<i:DocumentIdentifier scheme="busdox-docid-qns">urn:doc::x##y::1.0</i:DocumentIdentifier><s:ProcessList><s:Process>` +
    `<i:ProcessIdentifier scheme="cenbii-procid-ubl">urn:proc</i:ProcessIdentifier><s:ServiceEndpointList>` +
    `<s:Endpoint transportProfile="peppol-transport-as4-v2_0">${children.replace(/<(\/?)(?!wsa:)(?=[A-Za-z])/g, "<$1s:")}</s:Endpoint>` +
    `</s:ServiceEndpointList></s:Process></s:ProcessList>${extra}</s:ServiceInformation></s:ServiceMetadata></s:SignedServiceMetadata>`
  );
}

describe("peppol/smp-xml", () => {
  it("reads the real NetEDI SignedServiceMetadata", function () {
    if (!existsSync(VECTOR)) this.skip();
    const si = info(readFileSync(VECTOR, "utf8"));
    expect(si.participant).to.deep.equal({ scheme: "iso6523-actorid-upis", value: "0088:5060482240009" });
    expect(si.documentType.scheme).to.equal("busdox-docid-qns");
    expect(si.documentType.value).to.match(/^urn:oasis:names:specification:ubl:schema:xsd:Order-2::Order##.*::2\.1$/);
    expect(si.processes).to.have.length(1);
    const process = si.processes[0]!;
    expect(process.process).to.deep.equal({ scheme: "cenbii-procid-ubl", value: "urn:www.cenbii.eu:profile:bii28:ver2.0" });
    const e = process.endpoints[0]!;
    expect(e.transportProfile).to.equal("busdox-transport-as2-ver1p0");
    expect(e.address).to.equal("https://peppol.netedi.com/receive.aspx");
    expect(e.requireBusinessLevelSignature).to.equal(false);
    expect(e.minimumAuthenticationLevel).to.equal("1");
    expect(e.serviceActivationDate?.toISOString()).to.equal("2016-11-02T00:00:00.000Z");
    expect(e.serviceExpirationDate?.toISOString()).to.equal("2026-11-02T00:00:00.000Z");
    expect(e.certificate.subject).to.include("CN=PNO000070");
    expect(e.serviceDescription).to.equal("");
    expect(e.technicalContactUrl).to.equal("support@netedi.co.uk");
    expect(e.technicalInformationUrl).to.equal("+44 (0) 1772 977781");
  });

  it("reads any prefixes, wrapped base64 certificates and dates with and without zones", () => {
    const e = info(metadata()).processes[0]!.endpoints[0]!;
    expect(e.certificate.subject).to.include("CN=POP000001");
    expect(e.serviceActivationDate?.toISOString()).to.equal("2025-01-01T00:00:00.000Z"); // no zone: UTC
    expect(e.serviceExpirationDate?.toISOString()).to.equal("2029-12-31T23:00:00.000Z");
    expect(e.serviceDescription).to.equal("DPI");
    expect(e.minimumAuthenticationLevel).to.equal(undefined);
    expect(e.technicalInformationUrl).to.equal(undefined);
  });

  it("ignores Extension elements", () => {
    expect(info(metadata(undefined, "<s:Extension><x xmlns='urn:x'>1</x></s:Extension>")).processes).to.have.length(1);
  });

  it("reads a Redirect", () => {
    const xml =
      `<SignedServiceMetadata xmlns="${SMP_NS.smp}"><ServiceMetadata><Redirect href="https://smp2.example/a/services/b">` +
      `<CertificateUID>CN=SMP000002,O=X,C=NO</CertificateUID></Redirect></ServiceMetadata></SignedServiceMetadata>`;
    expect(parseSignedServiceMetadata(xml)).to.deep.equal({
      kind: "redirect",
      redirect: { href: "https://smp2.example/a/services/b", certificateUid: "CN=SMP000002,O=X,C=NO" },
    });
  });

  it("reads a ServiceGroup and the document types in its hrefs", () => {
    const href = `http://smp.example/iso6523-actorid-upis%3A%3A0192%3A984661185/services/busdox-docid-qns%3A%3Aurn%3Adoc%3A%3Ax%23%23y%3A%3A1.0`;
    const xml =
      `<ServiceGroup xmlns="${SMP_NS.smp}" xmlns:ids="${SMP_NS.ids}"><ids:ParticipantIdentifier scheme="iso6523-actorid-upis">0192:984661185</ids:ParticipantIdentifier>` +
      `<ServiceMetadataReferenceCollection><ServiceMetadataReference href="${href}"/><ServiceMetadataReference href="http://smp.example/other"/>` +
      `</ServiceMetadataReferenceCollection></ServiceGroup>`;
    const group = parseServiceGroup(xml);
    expect(group.participant.value).to.equal("0192:984661185");
    expect(group.references).to.deep.equal([
      { href, documentType: { scheme: "busdox-docid-qns", value: "urn:doc::x##y::1.0" } },
      { href: "http://smp.example/other" },
    ]);
  });

  it("splits scheme::value at the first separator", () => {
    expect(parseSmpIdentifier("busdox-docid-qns::a::b")).to.deep.equal({ scheme: "busdox-docid-qns", value: "a::b" });
    expect(parseSmpIdentifier("novalue::")).to.equal(undefined);
    expect(parseSmpIdentifier("::x")).to.equal(undefined);
  });

  describe("refuses malformed documents", () => {
    const cases: Array<[string, string]> = [
      ["a DOCTYPE", `<!DOCTYPE x>${metadata()}`],
      ["a processing instruction", metadata().replace("<s:ServiceMetadata>", "<s:ServiceMetadata><?x y?>")],
      ["another root", `<ServiceMetadata xmlns="${SMP_NS.smp}"/>`],
      ["a root in another namespace", `<SignedServiceMetadata xmlns="urn:other"/>`],
      ["a missing Certificate", metadata().replace(/<s:Certificate>[\s\S]*<\/s:Certificate>/, "")],
      ["a certificate that is not one", metadata().replace(/<s:Certificate>[\s\S]*<\/s:Certificate>/, "<s:Certificate>AAAA</s:Certificate>")],
      ["a bad date", metadata().replace("2025-01-01T00:00:00<", "01.01.2025<")],
      ["a bad boolean", metadata().replace(">false<", ">no<")],
      ["a relative address", metadata().replace("https://ap.example/as4", "/as4")],
      ["a missing transportProfile", metadata().replace(' transportProfile="peppol-transport-as4-v2_0"', "")],
      ["an identifier without scheme", metadata().replace(' scheme="cenbii-procid-ubl"', "")],
      ["two DocumentIdentifiers", metadata().replace("<s:ProcessList>", `<i:DocumentIdentifier scheme="a">b</i:DocumentIdentifier><s:ProcessList>`)],
      ["ServiceInformation and Redirect together", metadata().replace("</s:ServiceMetadata>", `<s:Redirect href="https://x.example/"><s:CertificateUID>CN=x</s:CertificateUID></s:Redirect></s:ServiceMetadata>`)],
      ["an element inside a text value", metadata().replace("<s:ServiceDescription>DPI", "<s:ServiceDescription><b>DPI</b>")],
    ];
    for (const [what, xml] of cases) {
      it(what, () => {
        expect(() => parseSignedServiceMetadata(xml)).to.throw(SmpMalformedResponseError).with.property("code", "peppol-smp-malformed-response");
      });
    }

    it("the well-formed base case parses (so each refusal above is about its one change)", () => {
      expect(() => parseSignedServiceMetadata(metadata())).to.not.throw();
    });
  });
});
