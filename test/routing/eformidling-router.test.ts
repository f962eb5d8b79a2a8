import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import type { RouteQuery } from "../../src/core/channel.js";
import {
  EformidlingChannelNotSupportedError,
  ReceiverDoesNotAcceptProcessError,
  createEformidlingRouter,
} from "../../src/routing/eformidling.js";
import {
  NotFoundInServiceRegistryError,
  ServiceRegistryBadSignatureError,
  ServiceRegistryHttpError,
  ServiceRegistryRefusedError,
} from "../../src/routing/service-registry/errors.js";
import type { LookupParameters } from "../../src/routing/service-registry/parameters.js";
import { identifierResourceOf } from "../../src/routing/service-registry/records.js";
import type { IdentifierResource } from "../../src/routing/service-registry/records.js";
import { CERTS } from "../helpers/certs.js";

const certPem = readFileSync(path.join(CERTS, "business/910076787.pem"), "utf8");
const ADMIN = "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0";
const ARKIVMELDING = "urn:no:difi:arkivmelding:xsd::arkivmelding";

function resource(records: { identifier: string; documentTypes: string[]; process?: string }[]): IdentifierResource {
  return identifierResourceOf({
    infoRecord: { identifier: "910076787" },
    serviceRecords: records.map((r) => ({
      organisationNumber: "910076787",
      pemCertificate: certPem,
      process: r.process ?? ADMIN,
      documentTypes: r.documentTypes,
      service: { identifier: r.identifier, endpointUrl: "innsyn" },
    })),
  });
}

/** A registry that answers from a script and remembers what it was asked. */
function fakeRegistry(answer: () => IdentifierResource) {
  const calls: { identifier: string; process: string; parameters: LookupParameters | undefined }[] = [];
  return {
    calls,
    registry: {
      identifierProcess: async (identifier: string, process: string, parameters?: LookupParameters) => {
        calls.push({ identifier, process, parameters });
        return answer();
      },
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

const query: RouteQuery = { receiver: "0192:910076787", process: ADMIN, documentType: "arkivmelding", standard: ARKIVMELDING, securityLevel: 4, conversationId: "c-1" };
const PARAMS = `SRParameter(identifier=910076787, process=${ADMIN}, securityLevel=4, print=null, infoOnly=false, conversationId=c-1)`;

describe("routing/eformidling: the channel the integrasjonspunkt would choose", () => {
  it("asks for the receiver's primary identifier in the process, with the security level and conversation id", async () => {
    const { calls, registry } = fakeRegistry(() => resource([{ identifier: "DPO", documentTypes: [ARKIVMELDING] }]));
    const route = await createEformidlingRouter({ registry }).route(query);
    expect(route.channel).to.equal("DPO");
    expect(route.endpoint.serviceIdentifier).to.equal("DPO");
    expect(route.endpoint.certificate!.subject).to.contain("910076787");
    expect(calls).to.have.length(1);
    expect(calls[0]!.identifier).to.equal("910076787");
    expect(calls[0]!.process).to.equal(ADMIN);
    expect(calls[0]!.parameters).to.deep.equal({ securityLevel: 4, conversationId: "c-1" });
  });

  it("takes the first record whose document types contain the standard", async () => {
    const { registry } = fakeRegistry(() =>
      resource([
        { identifier: "DPE", documentTypes: ["urn:no:difi:einnsyn:xsd::innsynskrav"] },
        { identifier: "DPF", documentTypes: [ARKIVMELDING] },
        { identifier: "DPV", documentTypes: [ARKIVMELDING] },
      ]),
    );
    const route = await createEformidlingRouter({ registry }).route(query);
    expect(route.channel).to.equal("DPF");
  });

  it("without a standard, the document type is matched as one; print=false when DSF print lookup is off", async () => {
    const { calls, registry } = fakeRegistry(() => resource([{ identifier: "DPV", documentTypes: [ARKIVMELDING] }]));
    const route = await createEformidlingRouter({ registry, dsfPrintLookup: false }).route({ receiver: "910076787", process: ADMIN, documentType: ARKIVMELDING });
    expect(route.channel).to.equal("DPV");
    expect(calls[0]!.parameters).to.deep.equal({ print: false });
  });

  it("no record with the standard: ReceiverDoesNotAcceptProcess with the IP's message and description", async () => {
    const { registry } = fakeRegistry(() => resource([{ identifier: "DPO", documentTypes: ["urn:no:difi:arkivmelding:xsd::arkivmelding_kvittering"], process: ADMIN }]));
    const e = (await rejection(createEformidlingRouter({ registry }).route(query))) as ReceiverDoesNotAcceptProcessError;
    expect(e).to.be.instanceOf(ReceiverDoesNotAcceptProcessError);
    expect(e.code).to.equal("receiver-does-not-accept-process");
    expect(e.kind).to.equal("unsupported");
    expect(e.exception).to.equal("no.difi.meldingsutveksling.exceptions.ReceiverDoesNotAcceptProcessException");
    expect(e.message).to.equal(`Receiver do not accept the document process ${ADMIN}`);
    expect(e.description).to.equal(`Error looking up service record with document type '${ARKIVMELDING}' and parameters: ${PARAMS}`);
  });

  it("the registry's 404 and 400 become ReceiverDoesNotAcceptProcess, described by the lookup failure", async () => {
    for (const failure of [new NotFoundInServiceRegistryError(PARAMS, "Process x not found"), new ServiceRegistryRefusedError(PARAMS, "can not receive messages with security level '4'")]) {
      const { registry } = fakeRegistry(() => {
        throw failure;
      });
      const e = (await rejection(createEformidlingRouter({ registry }).route(query))) as ReceiverDoesNotAcceptProcessError;
      expect(e).to.be.instanceOf(ReceiverDoesNotAcceptProcessError);
      expect(e.description).to.equal(failure.message);
      expect(e.cause).to.equal(failure);
    }
  });

  it("a registry that cannot be reached or trusted keeps its own error", async () => {
    for (const failure of [
      new ServiceRegistryHttpError("timeout", "http://sr", "timed out", { kind: "unavailable" }),
      new ServiceRegistryBadSignatureError("does not verify"),
    ]) {
      const { registry } = fakeRegistry(() => {
        throw failure;
      });
      expect(await rejection(createEformidlingRouter({ registry }).route(query))).to.equal(failure);
    }
  });

  it("a DPH or unknown channel is not routed", async () => {
    for (const identifier of ["DPH", "DPX"]) {
      const { registry } = fakeRegistry(() => resource([{ identifier, documentTypes: [ARKIVMELDING] }]));
      const e = (await rejection(createEformidlingRouter({ registry }).route(query))) as EformidlingChannelNotSupportedError;
      expect(e).to.be.instanceOf(EformidlingChannelNotSupportedError);
      expect(e.code).to.equal("eformidling-channel-not-supported");
      expect(e.serviceIdentifier).to.equal(identifier === "DPH" ? "DPH" : "UNKNOWN");
    }
  });
});
