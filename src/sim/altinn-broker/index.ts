export { startAltinnBrokerSim, BROKER_BASE_PATH, BROKER_READ_SCOPE, BROKER_WRITE_SCOPE, type AltinnBrokerSim, type AltinnBrokerSimOptions, type HeldAction } from "./server.js";
export { BrokerState, BrokerSimError, type BrokerResource, type FileTransfer } from "./state.js";
export { DPO_RESOURCE, DPO_MAX_FILE_BYTES, SANDBOX_BROKER_RESOURCES } from "./defaults.js";
