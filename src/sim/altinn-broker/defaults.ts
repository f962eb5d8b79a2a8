/**
 * The sandbox's broker: eFormidling's DPO resource (the integrasjonspunkt's difi.move.dpo.resource), open to the
 * example organisations of certs-example/business, with the integrasjonspunkt's DPO size limit (1 GB).
 */
import { EXAMPLE_BUSINESS_ORGNOS } from "../maskinporten/defaults.js";
import type { BrokerResource } from "./state.js";

export const DPO_RESOURCE = "eformidling-dpo-meldingsutveksling";
export const DPO_MAX_FILE_BYTES = 1024 * 1024 * 1024;

export const SANDBOX_BROKER_RESOURCES: readonly BrokerResource[] = [{ id: DPO_RESOURCE, organisations: [...EXAMPLE_BUSINESS_ORGNOS], maxFileTransferSize: DPO_MAX_FILE_BYTES }];
